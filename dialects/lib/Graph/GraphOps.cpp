//===- GraphOps.cpp - verifiers, shape rules and folders ------------------===//
//
// The shape rules themselves live in ShapeRules.cpp so that the builder DSL
// can report the same message at the user's call site; this file adapts them
// to the ops.
//
//===----------------------------------------------------------------------===//

#include "graphc/Dialect/Graph/GraphOps.h"
#include "graphc/Dialect/Graph/ShapeRules.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace graphc::graph;

namespace {

/// Reports a shape-rule failure at `loc` (when there is one) and fails.
LogicalResult inferenceError(std::optional<Location> loc, StringRef opName,
                             const std::string &why) {
  if (loc)
    emitError(*loc) << "'graph." << opName << "' " << why;
  return failure();
}

RankedTensorType rankedType(Value v) { return cast<RankedTensorType>(v.getType()); }

std::string typeString(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

/// Element type shared by `values`, or failure with a message naming them.
FailureOr<Type> commonElementType(ValueRange values, std::string &why) {
  Type element = rankedType(values.front()).getElementType();
  for (Value v : values.drop_front())
    if (rankedType(v).getElementType() != element) {
      why = "operands must have the same element type, got " +
            typeString(values.front().getType()) + " and " + typeString(v.getType());
      return failure();
    }
  return element;
}

LogicalResult inferBroadcast(std::optional<Location> loc, StringRef opName,
                             ValueRange operands, Type resultElement,
                             SmallVectorImpl<Type> &results) {
  std::string why;
  Shape shape(rankedType(operands.front()).getShape());
  for (Value v : operands.drop_front()) {
    auto next = broadcastShapes(shape, rankedType(v).getShape(), why);
    if (failed(next))
      return inferenceError(loc, opName, why);
    shape = *next;
  }
  results.push_back(RankedTensorType::get(shape, resultElement));
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Elementwise binary, compare, select
//===----------------------------------------------------------------------===//

#define GRAPHC_BINARY_OP_RULES(OP, NAME, RESULT_ELEMENT)                          \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *context, std::optional<Location> loc, ValueRange operands,  \
      DictionaryAttr, OpaqueProperties, RegionRange,                           \
      SmallVectorImpl<Type> &results) {                                        \
    std::string why;                                                           \
    auto element = commonElementType(operands, why);                           \
    if (failed(element))                                                       \
      return inferenceError(loc, NAME, why);                                   \
    Type resultElement = RESULT_ELEMENT;                                       \
    return inferBroadcast(loc, NAME, operands, resultElement, results);        \
  }                                                                            \
  LogicalResult OP::verify() { return success(); }

GRAPHC_BINARY_OP_RULES(AddOp, "add", *element)
GRAPHC_BINARY_OP_RULES(SubOp, "sub", *element)
GRAPHC_BINARY_OP_RULES(MulOp, "mul", *element)
GRAPHC_BINARY_OP_RULES(DivOp, "div", *element)
GRAPHC_BINARY_OP_RULES(PowOp, "pow", *element)
GRAPHC_BINARY_OP_RULES(MaxOp, "max", *element)
GRAPHC_BINARY_OP_RULES(MinOp, "min", *element)
GRAPHC_BINARY_OP_RULES(EqOp, "eq", IntegerType::get(context, 1))
GRAPHC_BINARY_OP_RULES(NeOp, "ne", IntegerType::get(context, 1))
GRAPHC_BINARY_OP_RULES(LtOp, "lt", IntegerType::get(context, 1))
GRAPHC_BINARY_OP_RULES(LeOp, "le", IntegerType::get(context, 1))
GRAPHC_BINARY_OP_RULES(GtOp, "gt", IntegerType::get(context, 1))
GRAPHC_BINARY_OP_RULES(GeOp, "ge", IntegerType::get(context, 1))
#undef GRAPHC_BINARY_OP_RULES

LogicalResult SelectOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr,
                                         OpaqueProperties, RegionRange,
                                         SmallVectorImpl<Type> &results) {
  std::string why;
  auto element = commonElementType(operands.drop_front(), why);
  if (failed(element))
    return inferenceError(loc, "select", why);
  return inferBroadcast(loc, "select", operands, *element, results);
}
LogicalResult SelectOp::verify() { return success(); }

//===----------------------------------------------------------------------===//
// Matmul, conv, pooling
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr,
                                         OpaqueProperties, RegionRange,
                                         SmallVectorImpl<Type> &results) {
  std::string why;
  auto element = commonElementType(operands, why);
  if (failed(element))
    return inferenceError(loc, "matmul", why);
  auto shape = matmulShape(rankedType(operands[0]).getShape(),
                           rankedType(operands[1]).getShape(), why);
  if (failed(shape))
    return inferenceError(loc, "matmul", why);
  results.push_back(RankedTensorType::get(*shape, *element));
  return success();
}
LogicalResult MatmulOp::verify() { return success(); }

LogicalResult Conv2DOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr attributes,
                                         OpaqueProperties properties, RegionRange regions,
                                         SmallVectorImpl<Type> &results) {
  Adaptor adaptor(operands, attributes, properties, regions);
  std::string why;
  auto element = commonElementType(operands, why);
  if (failed(element))
    return inferenceError(loc, "conv2d", why);
  auto shape = conv2dShape(rankedType(adaptor.getInput()).getShape(),
                           rankedType(adaptor.getWeight()).getShape(), adaptor.getStride(),
                           adaptor.getPadding(), adaptor.getDilation(),
                           adaptor.getGroups(), why);
  if (failed(shape))
    return inferenceError(loc, "conv2d", why);
  results.push_back(RankedTensorType::get(*shape, *element));
  return success();
}
LogicalResult Conv2DOp::verify() { return success(); }

#define GRAPHC_POOL_OP_RULES(OP, NAME)                                            \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, ValueRange operands,         \
      DictionaryAttr attributes, OpaqueProperties properties,                  \
      RegionRange regions, SmallVectorImpl<Type> &results) {                   \
    Adaptor adaptor(operands, attributes, properties, regions);                \
    std::string why;                                                           \
    auto input = rankedType(adaptor.getInput());                               \
    auto shape = pool2dShape(input.getShape(), adaptor.getKernelSize(),        \
                             adaptor.getStride(), adaptor.getPadding(), why);  \
    if (failed(shape))                                                         \
      return inferenceError(loc, NAME, why);                                   \
    results.push_back(RankedTensorType::get(*shape, input.getElementType()));  \
    return success();                                                          \
  }                                                                            \
  LogicalResult OP::verify() { return success(); }

GRAPHC_POOL_OP_RULES(MaxPool2DOp, "max_pool2d")
GRAPHC_POOL_OP_RULES(AvgPool2DOp, "avg_pool2d")
#undef GRAPHC_POOL_OP_RULES

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

#define GRAPHC_REDUCTION_OP_RULES(OP, NAME)                                       \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, ValueRange operands,         \
      DictionaryAttr attributes, OpaqueProperties properties,                  \
      RegionRange regions, SmallVectorImpl<Type> &results) {                   \
    Adaptor adaptor(operands, attributes, properties, regions);                \
    std::string why;                                                           \
    auto input = rankedType(adaptor.getInput());                               \
    auto shape = reductionShape(input.getShape(), adaptor.getDims(),          \
                                adaptor.getKeepdim(), why);                    \
    if (failed(shape))                                                         \
      return inferenceError(loc, NAME, why);                                   \
    results.push_back(RankedTensorType::get(*shape, input.getElementType()));  \
    return success();                                                          \
  }                                                                            \
  LogicalResult OP::verify() {                                                 \
    if (getDims().empty())                                                     \
      return emitOpError("needs at least one dimension to reduce");           \
    return success();                                                          \
  }

GRAPHC_REDUCTION_OP_RULES(ReduceSumOp, "reduce_sum")
GRAPHC_REDUCTION_OP_RULES(ReduceMeanOp, "reduce_mean")
GRAPHC_REDUCTION_OP_RULES(ReduceMaxOp, "reduce_max")
#undef GRAPHC_REDUCTION_OP_RULES

//===----------------------------------------------------------------------===//
// Shape and data movement
//===----------------------------------------------------------------------===//

static LogicalResult verifySameElementType(Operation *op, Type in, Type out) {
  if (getElementTypeOrSelf(in) != getElementTypeOrSelf(out))
    return op->emitOpError("result element type ")
           << getElementTypeOrSelf(out) << " differs from the input's "
           << getElementTypeOrSelf(in);
  return success();
}

LogicalResult ReshapeOp::verify() {
  if (failed(verifySameElementType(*this, getInput().getType(), getType())))
    return failure();
  std::string why;
  if (failed(checkReshape(rankedType(getInput()).getShape(), getType().getShape(), why)))
    return emitOpError() << why;
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto dense = llvm::dyn_cast_if_present<DenseElementsAttr>(adaptor.getInput()))
    if (getType().hasStaticShape())
      return dense.reshape(getType());
  return {};
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            ValueRange operands, DictionaryAttr attributes,
                                            OpaqueProperties properties, RegionRange regions,
                                            SmallVectorImpl<Type> &results) {
  Adaptor adaptor(operands, attributes, properties, regions);
  std::string why;
  auto input = rankedType(adaptor.getInput());
  auto shape = transposeShape(input.getShape(), adaptor.getPermutation(), why);
  if (failed(shape))
    return inferenceError(loc, "transpose", why);
  results.push_back(RankedTensorType::get(*shape, input.getElementType()));
  return success();
}
LogicalResult TransposeOp::verify() { return success(); }

LogicalResult BroadcastToOp::verify() {
  if (failed(verifySameElementType(*this, getInput().getType(), getType())))
    return failure();
  auto from = rankedType(getInput()).getShape();
  ArrayRef<int64_t> to = getType().getShape();
  if (!isBroadcastableTo(from, to))
    return emitOpError() << "cannot broadcast " << formatShape(from) << " to "
                         << formatShape(to);
  if (Value like = getLike()) {
    auto likeShape = rankedType(like).getShape();
    if (likeShape.size() != to.size())
      return emitOpError() << "'like' operand " << formatShape(likeShape)
                           << " must have the result's rank " << to.size();
    for (size_t i = 0; i < to.size(); ++i)
      if (likeShape[i] != to[i])
        return emitOpError() << "'like' operand " << formatShape(likeShape)
                             << " disagrees with the result " << formatShape(to);
    return success();
  }
  // Without 'like', every dynamic result dim must come from a dynamic operand dim.
  int64_t lead = to.size() - from.size();
  for (int64_t i = 0; i < (int64_t)to.size(); ++i)
    if (ShapedType::isDynamic(to[i]) &&
        (i < lead || !ShapedType::isDynamic(from[i - lead])))
      return emitOpError() << "dynamic result dimension " << i << " of "
                           << formatShape(to) << " needs a 'like' operand to size it";
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                        ValueRange operands, DictionaryAttr attributes,
                                        OpaqueProperties properties, RegionRange regions,
                                        SmallVectorImpl<Type> &results) {
  Adaptor adaptor(operands, attributes, properties, regions);
  std::string why;
  auto input = rankedType(adaptor.getInput());
  auto shape = sliceShape(input.getShape(), adaptor.getStart(), adaptor.getStop(),
                          adaptor.getStep(), why);
  if (failed(shape))
    return inferenceError(loc, "slice", why);
  results.push_back(RankedTensorType::get(*shape, input.getElementType()));
  return success();
}
LogicalResult SliceOp::verify() { return success(); }

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr attributes,
                                         OpaqueProperties properties, RegionRange regions,
                                         SmallVectorImpl<Type> &results) {
  Adaptor adaptor(operands, attributes, properties, regions);
  std::string why;
  if (operands.empty())
    return inferenceError(loc, "concat", "needs at least one operand");
  auto element = commonElementType(operands, why);
  if (failed(element))
    return inferenceError(loc, "concat", why);
  SmallVector<SmallVector<int64_t>> shapes;
  for (Value v : operands)
    shapes.emplace_back(rankedType(v).getShape());
  auto shape = concatShape(shapes, adaptor.getDim(), why);
  if (failed(shape))
    return inferenceError(loc, "concat", why);
  results.push_back(RankedTensorType::get(*shape, *element));
  return success();
}
LogicalResult ConcatOp::verify() { return success(); }

LogicalResult GatherOp::verify() {
  auto table = cast<RankedTensorType>(getTable().getType());
  auto indices = cast<RankedTensorType>(getIndices().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  std::string why;
  auto shape = gatherShape(table.getShape(), indices.getShape(), why);
  if (failed(shape))
    return emitOpError(why);
  if (result.getShape() != ArrayRef<int64_t>(*shape) ||
      result.getElementType() != table.getElementType())
    return emitOpError("result must be ") << formatShape(*shape) << " of the table's element type, got "
                                          << result;
  if (auto pad = getPaddingIdx(); pad && (*pad < 0 || *pad >= table.getDimSize(0)))
    return emitOpError("padding_idx must be a row of the table, in [0, ")
           << table.getDimSize(0) << "), got " << *pad;
  return success();
}

LogicalResult GatherGradOp::verify() {
  auto grad = cast<RankedTensorType>(getGradOutput().getType());
  auto indices = cast<RankedTensorType>(getIndices().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  if (getRows() <= 0 || result.getRank() < 1 || result.getDimSize(0) != getRows())
    return emitOpError("result must have `rows` (") << getRows() << ") rows, got " << result;
  std::string why;
  auto shape = gatherShape(result.getShape(), indices.getShape(), why);
  if (failed(shape) || grad.getShape() != ArrayRef<int64_t>(*shape) ||
      grad.getElementType() != result.getElementType())
    return emitOpError("grad_output must be the gather's result type for these indices and rows");
  return success();
}

LogicalResult RandomUniformOp::verify() {
  auto state = cast<RankedTensorType>(getState().getType());
  if (state.getRank() != 1 || state.getDimSize(0) != 2)
    return emitOpError("takes the generator state as tensor<2xi64> [seed, calls], got ")
           << state;
  if (getStream() < 0 || getStream() > UINT32_MAX)
    return emitOpError("stream must be in [0, 2^32), got ") << getStream();
  // The shape rule: the result has `like`'s sizes.
  auto like = cast<RankedTensorType>(getLike().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  if (like.getShape() != result.getShape())
    return emitOpError("result must have the sizes of its first operand, ")
           << formatShape(like.getShape()) << ", got " << formatShape(result.getShape());
  return success();
}

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                           ValueRange operands, DictionaryAttr attributes,
                                           OpaqueProperties properties, RegionRange regions,
                                           SmallVectorImpl<Type> &results) {
  Adaptor adaptor(operands, attributes, properties, regions);
  results.push_back(adaptor.getValue().getType());
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

OpFoldResult CastOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// Gradient primitives
//===----------------------------------------------------------------------===//

/// Same sizes, dynamic where the other is (a dynamic size is a multiple of
/// the batch and never stands for a static one).
static bool compatibleShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b) { return a == b; }

/// The forward op's output shape `forward` must match the gradient operand.
static LogicalResult checkGradShape(Operation *op, FailureOr<Shape> forward,
                                    const std::string &why, Value gradOutput) {
  if (failed(forward))
    return op->emitOpError() << why;
  auto given = rankedType(gradOutput).getShape();
  if (!compatibleShapes(*forward, given))
    return op->emitOpError() << "grad_output " << formatShape(given)
                             << " does not match the forward result " << formatShape(*forward);
  return success();
}

LogicalResult Conv2DInputGradOp::verify() {
  std::string why;
  auto forward = conv2dShape(getType().getShape(), rankedType(getWeight()).getShape(),
                             getStride(), getPadding(), getDilation(), getGroups(), why);
  return checkGradShape(*this, forward, why, getGradOutput());
}

LogicalResult Conv2DWeightGradOp::verify() {
  std::string why;
  auto forward = conv2dShape(rankedType(getInput()).getShape(), getType().getShape(),
                             getStride(), getPadding(), getDilation(), getGroups(), why);
  return checkGradShape(*this, forward, why, getGradOutput());
}

template <typename OpTy>
static LogicalResult verifyPoolGrad(OpTy op) {
  if (op.getType() != op.getInput().getType())
    return op.emitOpError("result type must be the forward input's type");
  std::string why;
  auto forward = pool2dShape(rankedType(op.getInput()).getShape(), op.getKernelSize(),
                             op.getStride(), op.getPadding(), why);
  return checkGradShape(op, forward, why, op.getGradOutput());
}

LogicalResult MaxPool2DGradOp::verify() { return verifyPoolGrad(*this); }
LogicalResult AvgPool2DGradOp::verify() { return verifyPoolGrad(*this); }

LogicalResult SliceGradOp::verify() {
  std::string why;
  auto forward = sliceShape(getType().getShape(), getStart(), getStop(), getStep(), why);
  if (failed(verifySameElementType(*this, getGradOutput().getType(), getType())))
    return failure();
  return checkGradShape(*this, forward, why, getGradOutput());
}

#define GET_OP_CLASSES
#include "graphc/Dialect/Graph/GraphOps.cpp.inc"
