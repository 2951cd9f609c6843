//===- Reduction.cpp - ONNX reductions ------------------------------------===//
//
// ReduceSum, ReduceMean, ReduceMax and the reductions ONNX defines from
// them (ReduceMin, ReduceL1, ReduceL2, ReduceSumSquare, ReduceLogSum,
// ReduceLogSumExp). Axes come from the attribute, or (ReduceSum since opset
// 13) from a constant input; none means every axis unless
// noop_with_empty_axes.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "graphc/Dialect/Graph/ShapeRules.h"

using namespace mlir;

namespace graphc::onnx_import {
namespace {

enum class Kind { Sum, Mean, Max, Min, L1, L2, SumSquare, LogSum, LogSumExp };

void convertReduction(Node &n, Kind kind) {
  Value x = n.input(0);
  int64_t rank = n.rankOf(x);
  SmallVector<int64_t> axes = n.hasInput(1) ? n.integers(1) : n.ints("axes");
  if (axes.empty()) {
    if (n.i("noop_with_empty_axes", 0))
      return n.setOutput(0, x);
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  std::string why;
  FailureOr<SmallVector<int64_t>> dims = graph::normalizeDims(axes, rank, why);
  if (failed(dims))
    throw Unsupported(why);
  bool keep = n.i("keepdims", 1) != 0;
  if (kind != Kind::Sum && kind != Kind::Max && kind != Kind::Min)
    n.requireFloat(x, "its input");
  auto sum = [&](Value v) { return n.ops.sum(v, *dims, keep); };
  Value y;
  switch (kind) {
  case Kind::Sum:
    y = sum(x);
    break;
  case Kind::Mean:
    y = n.ops.reduce<graph::ReduceMeanOp>(x, *dims, keep);
    break;
  case Kind::Max:
    y = n.ops.amax(x, *dims, keep);
    break;
  case Kind::Min:
    y = n.ops.neg(n.ops.amax(n.ops.neg(x), *dims, keep));
    break;
  case Kind::L1:
    y = sum(n.ops.abs(x));
    break;
  case Kind::L2:
    y = n.ops.sqrt(sum(n.ops.mul(x, x)));
    break;
  case Kind::SumSquare:
    y = sum(n.ops.mul(x, x));
    break;
  case Kind::LogSum:
    y = n.ops.log(sum(x));
    break;
  case Kind::LogSumExp: {
    Value max = n.ops.amax(x, *dims, true);
    Value shifted = n.ops.exp(n.ops.sub(x, max));
    Value logSum = n.ops.log(n.ops.sum(shifted, *dims, true));
    y = n.ops.add(logSum, max);
    if (!keep)
      y = n.reshape(y, n.typeOf(sum(x)).getShape());
    break;
  }
  }
  n.setOutput(0, y);
}

/// Where the maximum of `values` along `axis` is: the positions equal to the
/// maximum keep a code of their index (an iota constant: k for the last
/// maximum, -k for the first, so that the wanted one is the largest), the
/// others a code that loses, and a max reduction picks the winner. Returns
/// the winning code and sets `codes` to the iota (to compare with it).
struct ExtremeIndex {
  Value code, codes;
};
ExtremeIndex extremeIndex(Node &n, Value values, int64_t axis, bool last, bool keep) {
  int64_t rank = n.rankOf(values), size = n.typeOf(values).getDimSize(axis);
  if (ShapedType::isDynamic(size))
    throw Unsupported("the reduced axis must be static");
  Value extreme = n.ops.amax(values, {axis}, true);
  Value isExtreme = n.b.create<graph::EqOp>(n.loc, values, extreme);
  SmallVector<int64_t> iotaShape(rank, 1);
  iotaShape[axis] = size;
  SmallVector<int64_t> indices;
  for (int64_t k = 0; k < size; ++k)
    indices.push_back(last ? k : -k);
  Type i64 = n.b.getI64Type();
  Value iota = n.b.create<graph::ConstantOp>(
      n.loc, DenseElementsAttr::get(RankedTensorType::get(iotaShape, i64), ArrayRef<int64_t>(indices)));
  Value losing = n.ops.constant(last ? -1.0 : -double(size), i64);
  Value candidates = n.b.create<graph::SelectOp>(n.loc, isExtreme, iota, losing);
  return {n.ops.amax(candidates, {axis}, keep), iota};
}

/// ArgMax / ArgMin: the index of the first (or, with select_last_index,
/// the last) extreme value along `axis`, as int64.
void convertArgExtreme(Node &n, bool min) {
  Value x = n.input(0);
  int64_t axis = n.normalizeAxis(n.i("axis", 0), n.rankOf(x));
  bool keep = n.i("keepdims", 1) != 0, last = n.i("select_last_index", 0) != 0;
  ExtremeIndex best = extremeIndex(n, min ? n.ops.neg(x) : x, axis, last, keep);
  n.setOutput(0, last ? best.code : n.ops.neg(best.code));
}

Converter reduction(Kind kind) {
  return [kind](Node &n) { convertReduction(n, kind); };
}

} // namespace

void addReductionConverters(ConverterTable &t) {
  t["ReduceSum"] = reduction(Kind::Sum);
  t["ReduceMean"] = reduction(Kind::Mean);
  t["ReduceMax"] = reduction(Kind::Max);
  t["ReduceMin"] = reduction(Kind::Min);
  t["ReduceL1"] = reduction(Kind::L1);
  t["ReduceL2"] = reduction(Kind::L2);
  t["ReduceSumSquare"] = reduction(Kind::SumSquare);
  t["ReduceLogSum"] = reduction(Kind::LogSum);
  t["ReduceLogSumExp"] = reduction(Kind::LogSumExp);
  t["ArgMax"] = [](Node &n) { convertArgExtreme(n, /*min=*/false); };
  t["Hardmax"] = [](Node &n) {
    // 1 at the first maximum along the axis, 0 elsewhere.
    Value x = n.input(0);
    n.requireFloat(x, "its input");
    int64_t axis = n.normalizeAxis(n.i("axis", -1), n.rankOf(x));
    ExtremeIndex first = extremeIndex(n, x, axis, /*last=*/false, /*keep=*/true);
    Value hot = n.b.create<graph::EqOp>(n.loc, first.codes, first.code);
    n.setOutput(0, n.ops.to(hot, n.typeOf(x).getElementType()));
  };

  t["ArgMin"] = [](Node &n) { convertArgExtreme(n, /*min=*/true); };
}

} // namespace graphc::onnx_import
