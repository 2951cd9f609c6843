//===- Importer.h - the ONNX importer's shared state ------------*- C++ -*-===//
//
// One Importer per model: the values of the graph by ONNX name, the ones
// known at import time as constants (initializers that are not parameters,
// Constant nodes, shapes), and the builder. Each op family registers its
// converters (one file each, as torch-mlir splits its conversions):
// a converter reads its node through a Node and sets the node's outputs.
//
//===----------------------------------------------------------------------===//
#ifndef GRAPHC_LIB_IMPORT_ONNX_IMPORTER_H
#define GRAPHC_LIB_IMPORT_ONNX_IMPORTER_H

#include "graphc/Dialect/Graph/GraphOps.h"
#include "graphc/Transforms/GraphOpBuilder.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

#include "llvm/ADT/StringMap.h"

#include <onnx/onnx_pb.h>

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

namespace graphc::onnx_import {

/// What a converter throws for a node it cannot import; the importer adds
/// the node's name and op type.
struct Unsupported : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Importer;

/// One node being converted: its inputs (as values, or as constants when
/// they are known at import time), its attributes, and its outputs.
class Node {
public:
  Node(Importer &importer, const onnx::NodeProto &proto, mlir::OpBuilder &b, mlir::Location loc)
      : importer_(importer), proto_(proto), b(b), loc(loc), ops(b, loc) {}

  const onnx::NodeProto &proto() const { return proto_; }
  int opset() const;

  /// Inputs: an empty name is an omitted optional input.
  int numInputs() const { return proto_.input_size(); }
  bool hasInput(int i) const { return i < proto_.input_size() && !proto_.input(i).empty(); }
  mlir::Value input(int i) const;
  /// The input's value when it is known at import time (a shape, axes).
  std::optional<mlir::DenseElementsAttr> constantInput(int i) const;
  /// A known integer input as a vector (Reshape's shape, Slice's starts);
  /// throws Unsupported naming it when it depends on the data.
  llvm::SmallVector<int64_t> integers(int i) const;

  /// Attributes, with defaults.
  bool has(llvm::StringRef name) const { return attribute(name) != nullptr; }
  int64_t i(llvm::StringRef name, int64_t otherwise) const;
  float f(llvm::StringRef name, float otherwise) const;
  std::string s(llvm::StringRef name, llvm::StringRef otherwise) const;
  llvm::SmallVector<int64_t> ints(llvm::StringRef name,
                                  llvm::ArrayRef<int64_t> otherwise = {}) const;
  const onnx::AttributeProto *attribute(llvm::StringRef name) const;

  int numOutputs() const { return proto_.output_size(); }
  bool hasOutput(int i) const { return i < proto_.output_size() && !proto_.output(i).empty(); }
  void setOutput(int i, mlir::Value value);
  /// An output known at import time: a constant op, and a folded value for
  /// the converters that need it as a shape.
  void setConstantOutput(int i, mlir::DenseElementsAttr value);

  /// Helpers for converters.
  mlir::RankedTensorType typeOf(mlir::Value v) const {
    return mlir::cast<mlir::RankedTensorType>(v.getType());
  }
  int64_t rankOf(mlir::Value v) const { return typeOf(v).getRank(); }
  /// `axis` (negative counts from the end) in [0, rank).
  int64_t normalizeAxis(int64_t axis, int64_t rank) const;
  /// A rank-0 constant of `v`'s element type.
  mlir::Value scalarLike(mlir::Value v, double value) {
    return ops.constant(value, typeOf(v).getElementType());
  }
  mlir::Value unary(mlir::Value v, std::function<mlir::Value(mlir::Value)> f) { return f(v); }
  template <class Op>
  mlir::Value create1(mlir::Value v) {
    return b.create<Op>(loc, v.getType(), v);
  }
  /// A broadcasting binary op (add, mul, eq, ...) of `x` and `y`, their
  /// element types and shapes checked first: the ops' type inference would
  /// otherwise stop the process on a malformed model (onnx_fuzzer).
  template <class Op>
  mlir::Value binary(mlir::Value x, mlir::Value y) {
    checkBroadcast(x, y);
    return b.create<Op>(loc, x, y);
  }
  /// Throws Unsupported unless `x` and `y` have one element type and
  /// broadcastable shapes.
  void checkBroadcast(mlir::Value x, mlir::Value y) const;
  /// `x` with its dims permuted.
  mlir::Value transpose(mlir::Value x, llvm::ArrayRef<int64_t> permutation);
  mlir::Value reshape(mlir::Value x, llvm::ArrayRef<int64_t> shape) { return ops.reshape(x, shape); }
  /// `x` with `before` and `after` elements of `value` around dimension
  /// `dim` (a static shape: the padding is a constant joined on).
  mlir::Value pad(mlir::Value x, int64_t dim, int64_t before, int64_t after, double value);
  /// Throws Unsupported unless `v` is float32 or float64.
  void requireFloat(mlir::Value v, llvm::StringRef what) const;

private:
  Importer &importer_;
  const onnx::NodeProto &proto_;

public:
  mlir::OpBuilder &b;
  mlir::Location loc;
  GraphOpBuilder ops;
};

using Converter = std::function<void(Node &)>;
using ConverterTable = llvm::StringMap<Converter>;

/// Each op family's converters, by ONNX op type (default domain).
void addElementwiseConverters(ConverterTable &table);
void addNeuralNetworkConverters(ConverterTable &table);
void addShapeConverters(ConverterTable &table);
void addReductionConverters(ConverterTable &table);
void addLossConverters(ConverterTable &table);

class Importer {
public:
  explicit Importer(mlir::MLIRContext *context) : context(context) {}

  mlir::MLIRContext *context;
  int opset = 17;
  llvm::StringMap<mlir::Value> values;
  llvm::StringMap<mlir::DenseElementsAttr> constants;
};

/// The element type of an ONNX TensorProto data type, or null for one the
/// graph dialect does not have (float16, uint8, strings, ...).
mlir::Type elementType(mlir::MLIRContext *context, int32_t onnxType);
/// A TensorProto's value as an attribute; throws Unsupported for a type the
/// dialect does not have or external data.
mlir::DenseElementsAttr tensorValue(mlir::MLIRContext *context, const onnx::TensorProto &tensor);

} // namespace graphc::onnx_import

#endif // GRAPHC_LIB_IMPORT_ONNX_IMPORTER_H
