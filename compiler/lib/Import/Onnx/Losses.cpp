//===- Losses.cpp - ONNX's loss ops ---------------------------------------===//
//
// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (class weights,
// ignore_index, reductions none / sum / mean), written as graph ops: the
// target picks its class through a one-hot mask (target == class index), as
// the DSL's nll_loss does, so that the loss is differentiable in its input.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "graphc/Dialect/Graph/ShapeRules.h"

using namespace mlir;

namespace graphc::onnx_import {
namespace {

/// ONNX's NLL over `logProbabilities` [N, C, d...] and `target` [N, d...].
Value negativeLogLikelihood(Node &n, Value logProbabilities, Value target, Value weight) {
  auto type = n.typeOf(logProbabilities);
  if (type.getRank() < 2)
    throw Unsupported("the input must be [N, C, ...]");
  auto targetType = n.typeOf(target);
  if (!isa<IntegerType>(targetType.getElementType()) || targetType.getElementType().isInteger(1))
    throw Unsupported("the target must hold int32 or int64 class indices");
  if (targetType.getRank() != type.getRank() - 1)
    throw Unsupported("the target must be the input's shape without its class dimension");
  int64_t classes = type.getDimSize(1);
  if (ShapedType::isDynamic(classes))
    throw Unsupported("the number of classes must be static");
  Type element = type.getElementType();
  // target [N, 1, d...] == class index [1, C, 1...]: the one-hot mask.
  SmallVector<int64_t> targetShape(targetType.getShape());
  targetShape.insert(targetShape.begin() + 1, 1);
  Value unsqueezed = n.reshape(target, targetShape);
  SmallVector<int64_t> iotaShape(type.getRank(), 1);
  iotaShape[1] = classes;
  SmallVector<APInt> indices;
  unsigned width = targetType.getElementType().getIntOrFloatBitWidth();
  for (int64_t c = 0; c < classes; ++c)
    indices.push_back(APInt(width, c));
  Value iota = n.b.create<graph::ConstantOp>(
      n.loc, DenseElementsAttr::get(RankedTensorType::get(iotaShape, targetType.getElementType()), indices));
  Value oneHot = n.ops.to(n.binary<graph::EqOp>(unsqueezed, iota), element);
  Value picked = n.ops.sum(n.binary<graph::MulOp>(logProbabilities, oneHot), {1}, false);
  // Each element's weight: its class's, 0 for an ignored target.
  Value weights;
  if (weight) {
    SmallVector<int64_t> weightShape(type.getRank(), 1);
    weightShape[1] = classes;
    weights = n.ops.sum(n.binary<graph::MulOp>(oneHot, n.reshape(weight, weightShape)), {1}, false);
  } else {
    weights = n.ops.sum(oneHot, {1}, false);
  }
  if (const onnx::AttributeProto *ignore = n.attribute("ignore_index")) {
    Value ignored =
        n.binary<graph::NeOp>(target, n.ops.constant(ignore->i(), targetType.getElementType()));
    weights = n.binary<graph::MulOp>(weights, n.ops.to(ignored, element));
  }
  Value losses = n.ops.neg(n.binary<graph::MulOp>(picked, weights));
  std::string reduction = n.s("reduction", "mean");
  if (reduction == "none")
    return losses;
  if (reduction == "sum")
    return n.ops.sumAll(losses);
  if (reduction == "mean")
    return n.ops.div(n.ops.sumAll(losses), n.ops.sumAll(weights));
  throw Unsupported("reduction '" + reduction + "' (none, sum or mean)");
}

Value logSoftmaxOverClasses(Node &n, Value x) {
  Value max = n.ops.amax(x, {1}, true);
  Value shifted = n.ops.sub(x, max);
  return n.ops.sub(shifted, n.ops.log(n.ops.sum(n.ops.exp(shifted), {1}, true)));
}

} // namespace

void addLossConverters(ConverterTable &t) {
  t["NegativeLogLikelihoodLoss"] = [](Node &n) {
    Value input = n.input(0);
    n.requireFloat(input, "its input");
    n.setOutput(0, negativeLogLikelihood(n, input, n.input(1), n.hasInput(2) ? n.input(2) : Value()));
  };
  t["SoftmaxCrossEntropyLoss"] = [](Node &n) {
    Value scores = n.input(0);
    n.requireFloat(scores, "its scores");
    if (n.rankOf(scores) < 2)
      throw Unsupported("the scores must be [N, C, ...]");
    Value logProbabilities = logSoftmaxOverClasses(n, scores);
    n.setOutput(0, negativeLogLikelihood(n, logProbabilities, n.input(1),
                                         n.hasInput(2) ? n.input(2) : Value()));
    n.setOutput(1, logProbabilities);
  };
}

} // namespace graphc::onnx_import
