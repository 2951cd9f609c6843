//===- GraphOpBuilder.h - graph ops built from C++ --------------*- C++ -*-===//
//
// Graph-op arithmetic at one location for the code that writes graph
// functions from C++ (the optimizer's updates, the appended loss, the ONNX
// importer): result types come from the dialect's shape rules, scalars are rank-0 constants.
//
//===----------------------------------------------------------------------===//
#ifndef GRAPHC_TRANSFORMS_GRAPHOPBUILDER_H
#define GRAPHC_TRANSFORMS_GRAPHOPBUILDER_H

#include "graphc/Dialect/Graph/GraphOps.h"
#include "graphc/Dialect/Graph/ShapeRules.h"

#include "mlir/IR/Builders.h"

namespace graphc {

class GraphOpBuilder {
public:
  GraphOpBuilder(mlir::OpBuilder &b, mlir::Location loc) : b_(b), loc_(loc) {}

  mlir::Value add(mlir::Value x, mlir::Value y) { return b_.create<graph::AddOp>(loc_, x, y); }
  mlir::Value sub(mlir::Value x, mlir::Value y) { return b_.create<graph::SubOp>(loc_, x, y); }
  mlir::Value mul(mlir::Value x, mlir::Value y) { return b_.create<graph::MulOp>(loc_, x, y); }
  mlir::Value div(mlir::Value x, mlir::Value y) { return b_.create<graph::DivOp>(loc_, x, y); }
  mlir::Value pow(mlir::Value x, mlir::Value y) { return b_.create<graph::PowOp>(loc_, x, y); }
  mlir::Value max(mlir::Value x, mlir::Value y) { return b_.create<graph::MaxOp>(loc_, x, y); }
  mlir::Value min(mlir::Value x, mlir::Value y) { return b_.create<graph::MinOp>(loc_, x, y); }
  mlir::Value eq(mlir::Value x, mlir::Value y) { return b_.create<graph::EqOp>(loc_, x, y); }
  mlir::Value select(mlir::Value c, mlir::Value x, mlir::Value y) {
    return b_.create<graph::SelectOp>(loc_, c, x, y);
  }
  mlir::Value sqrt(mlir::Value x) { return b_.create<graph::SqrtOp>(loc_, x.getType(), x); }
  mlir::Value neg(mlir::Value x) { return b_.create<graph::NegOp>(loc_, x.getType(), x); }
  mlir::Value exp(mlir::Value x) { return b_.create<graph::ExpOp>(loc_, x.getType(), x); }
  mlir::Value log(mlir::Value x) { return b_.create<graph::LogOp>(loc_, x.getType(), x); }
  mlir::Value abs(mlir::Value x) { return b_.create<graph::AbsOp>(loc_, x.getType(), x); }

  /// A rank-0 constant `v` of `element` (float or integer).
  mlir::Value constant(double v, mlir::Type element) {
    auto type = mlir::RankedTensorType::get({}, element);
    mlir::Attribute value = mlir::isa<mlir::FloatType>(element)
                                ? mlir::Attribute(b_.getFloatAttr(element, v))
                                : mlir::Attribute(b_.getIntegerAttr(element, (int64_t)v));
    return b_.create<graph::ConstantOp>(loc_, mlir::DenseElementsAttr::get(type, value));
  }
  mlir::Value constant(mlir::DenseElementsAttr value) {
    return b_.create<graph::ConstantOp>(loc_, value);
  }
  /// A tensor of zeros shaped like `like`: a constant, or with a dynamic
  /// size a rank-0 zero broadcast like it.
  mlir::Value zerosLike(mlir::Value like) {
    auto type = mlir::cast<mlir::RankedTensorType>(like.getType());
    if (type.hasStaticShape())
      return constant(mlir::DenseElementsAttr::get(type, b_.getZeroAttr(type.getElementType())));
    return b_.create<graph::BroadcastToOp>(loc_, type, constant(0.0, type.getElementType()), like);
  }
  /// `x` converted to `element` (as torch's .to): `x` itself when it has it.
  mlir::Value to(mlir::Value x, mlir::Type element) {
    auto type = mlir::cast<mlir::RankedTensorType>(x.getType());
    if (type.getElementType() == element)
      return x;
    return b_.create<graph::CastOp>(loc_, mlir::RankedTensorType::get(type.getShape(), element), x);
  }
  template <class ReductionOp>
  mlir::Value reduce(mlir::Value x, llvm::ArrayRef<int64_t> dims, bool keepdim) {
    auto type = mlir::cast<mlir::RankedTensorType>(x.getType());
    std::string why;
    mlir::FailureOr<graph::Shape> shape = graph::reductionShape(type.getShape(), dims, keepdim, why);
    assert(succeeded(shape) && "the caller reduces dims the value has");
    return b_.create<ReductionOp>(loc_, mlir::RankedTensorType::get(*shape, type.getElementType()),
                                  x, b_.getDenseI64ArrayAttr(dims), b_.getBoolAttr(keepdim));
  }
  mlir::Value sum(mlir::Value x, llvm::ArrayRef<int64_t> dims, bool keepdim) {
    return reduce<graph::ReduceSumOp>(x, dims, keepdim);
  }
  mlir::Value amax(mlir::Value x, llvm::ArrayRef<int64_t> dims, bool keepdim) {
    return reduce<graph::ReduceMaxOp>(x, dims, keepdim);
  }
  /// Over every dimension, to a scalar.
  mlir::Value sumAll(mlir::Value x) { return sum(x, allDims(x), false); }
  mlir::Value meanAll(mlir::Value x) { return reduce<graph::ReduceMeanOp>(x, allDims(x), false); }
  mlir::Value reshape(mlir::Value x, llvm::ArrayRef<int64_t> shape) {
    auto type = mlir::cast<mlir::RankedTensorType>(x.getType());
    return b_.create<graph::ReshapeOp>(loc_, mlir::RankedTensorType::get(shape, type.getElementType()),
                                       x);
  }

private:
  static llvm::SmallVector<int64_t> allDims(mlir::Value x) {
    int64_t rank = mlir::cast<mlir::RankedTensorType>(x.getType()).getRank();
    llvm::SmallVector<int64_t> dims;
    for (int64_t d = 0; d < rank; ++d)
      dims.push_back(d);
    return dims;
  }

  mlir::OpBuilder &b_;
  mlir::Location loc_;
};

} // namespace graphc

#endif // GRAPHC_TRANSFORMS_GRAPHOPBUILDER_H
