//===- Tracer.h - the graph being recorded (internal) -----------*- C++ -*-===//
#ifndef GRAPHC_LIB_BUILDER_TRACER_H
#define GRAPHC_LIB_BUILDER_TRACER_H

#include "graphc/Builder/Tensor.h"
#include "graphc/Dialect/Graph/GraphDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"

namespace graphc {

/// Records ops into one function while a trace() is running. One tracer is
/// active per thread; Tensors point to the tracer that made them.
class Tracer {
public:
  Tracer(mlir::MLIRContext *ctx, mlir::ModuleOp module, llvm::StringRef function);
  ~Tracer();

  static Tracer *active();

  mlir::OpBuilder &builder() { return builder_; }
  mlir::MLIRContext *context() { return builder_.getContext(); }
  mlir::Location location(const SourceLoc &loc);

  /// A new argument of the traced function, named and given its role
  /// (graph.role), marked graph.requires_grad when asked.
  Tensor addArgument(mlir::Type type, llvm::StringRef name, graph::ArgumentRole role,
                     bool requiresGrad = false);
  void setArgumentAttr(const Tensor &argument, llvm::StringRef name, mlir::Attribute value);
  void bindParameter(const void *id, const Tensor &value) { parameters_[id] = value; }
  /// The argument standing for a parameter; throws if the module did not register it.
  Tensor parameter(const void *id) const;
  /// Records that the buffer whose argument is bound to `id` leaves the call
  /// with `value` (the last assignment wins).
  void assignBuffer(const void *id, const Tensor &value, const SourceLoc &loc);

  /// graph.random_uniform of `like`'s sizes and `elementType` on the
  /// function's generator state (the `rng_state` argument, added at the first
  /// draw with a seed from graphc's default generator and advanced once per
  /// call), each draw of a call on its own stream.
  Tensor randomUniform(const Tensor &like, mlir::Type elementType, const SourceLoc &loc);

  Tensor wrap(mlir::Value value);
  void finish(const std::vector<Tensor> &results);
  /// graph.detach of `value`, one per value.
  mlir::Value detached(mlir::Value value, mlir::Location loc);

private:
  mlir::OpBuilder builder_;
  mlir::func::FuncOp function_;
  llvm::DenseMap<const void *, Tensor> parameters_;
  /// Buffer argument number -> its value on leaving the call, in assignment order.
  llvm::SmallVector<std::pair<unsigned, Tensor>> bufferUpdates_;
  llvm::DenseMap<mlir::Value, mlir::Value> detached_;
  Tensor rngState_;       // the rng_state argument, once a draw needs it
  int64_t nextStream_ = 0; // the stream of the next draw in this call
  Tracer *previous_;
};

struct Tensor::Impl {
  Tracer *tracer;
  mlir::Value value;
};

/// The value of `t`, checking that it belongs to the active trace.
mlir::Value valueOf(const Tensor &t, const SourceLoc &loc, llvm::StringRef op);

mlir::Type elementTypeFor(mlir::MLIRContext *ctx, graphc_dtype_t dtype);

/// The DSL's shape (kDynamic for a dynamic size) as MLIR writes it, and as
/// the dialect's messages print it (`[?, 3]`).
llvm::SmallVector<int64_t> toMlir(const std::vector<int64_t> &shape);
std::string shapeText(const std::vector<int64_t> &shape);

/// `x` itself; a TraceError at `loc` naming `op` unless it is float32/64.
Tensor requireFloat(const Tensor &x, const SourceLoc &loc, const char *op);

/// `value`'s elements as an attribute of `type` (its shape, element type).
mlir::DenseElementsAttr denseElementsOf(mlir::RankedTensorType type, const rt::Tensor &value);

} // namespace graphc

#endif // GRAPHC_LIB_BUILDER_TRACER_H
