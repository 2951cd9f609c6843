//===- ComputeIntoPadding.cpp - --graphc-compute-into-padding
//--------------===//
//
// The lowering pads a tensor by inserting it into a zero fill of the padded
// shape (GraphToLinalg/Utils.cpp, padSpatial), created where the padded
// tensor's consumer is lowered: after the op that computes the value. So
// bufferization computes the value into a buffer of its own and copies it
// into the filled one. LeNet's conv1 weight gradient widens its output
// gradient (the pooling's gradient, masked by the ReLU) from rows of 28 to
// the padded input's 32: at batch 256 a copy that reads 4.8 MB and writes
// 5.5 MB a step. (The CPU target now unfolds conv1's input instead, and its
// weight gradient reads the output gradient as it is: graphc-unfold-window-
// columns' for-weight-gradients. The CUDA target, and a convolution that is
// not unfolded, still widen it.)
//
// Upstream's eliminate-empty-tensors computes such a value in place, into
// the subview of the destination it is inserted into, but only where the
// destination exists before the value's computation starts, and only
// pays where nothing else reads the value: another reader would then read
// the subview, with rows no longer contiguous (the bias gradient's sum over
// rows of 28 in rows of 32 ran scalar, 2.6 % of the step against 1.6).
// A sum over the padded dims is the same over the padded tensor (the
// padding adds zeros), so such readers are moved onto it.
//
// Here, for each zero fill (of a tensor.empty, used only by the insertion)
// that a computed value is inserted into, when every other reader of the
// value is such a sum: the fill moves before the op that computes the value,
// the insertion right after it, and the sums read the padded tensor. The
// pipeline then runs eliminate-empty-tensors. Results are unchanged but for
// the sums' order (their adds are reassociable, as every sum here).
//
// The fill still zeroes the whole padded tensor, the value's part too.
// Filling only the padding (conv1: 4 columns of each row of 32, a linalg.fill
// of a strided slice) was no faster than the 5.5 MB memset: a loop over
// (image, channel, row) with 4 stores each, its three indices recomputed
// from one by the OpenMP loop's division, and every other cache line still
// read for ownership (3.0 % of the step against the memset's 3.2 %).
//
//===----------------------------------------------------------------------===//

#include "graphc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/Matchers.h"

namespace graphc {
#define GEN_PASS_DEF_COMPUTEINTOPADDING
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

/// The zero fill of a tensor.empty that `insert` inserts into, when the
/// insertion is its only user.
linalg::FillOp zeroFillDestination(tensor::InsertSliceOp insert) {
  auto fill = insert.getDest().getDefiningOp<linalg::FillOp>();
  if (!fill || !fill->hasOneUse() || fill.getNumDpsInits() != 1 ||
      !matchPattern(fill.getDpsInputOperand(0)->get(), m_AnyZeroFloat()))
    return nullptr;
  auto empty = fill.getDpsInitOperand(0)->get().getDefiningOp<tensor::EmptyOp>();
  return empty && empty->hasOneUse() ? fill : nullptr;
}

/// For each dim of the padded tensor `insert` writes into `empty` (the
/// fill's tensor.empty), whether the value leaves padding along it; nothing
/// when that is not known: a dynamic offset or stride, or a dynamic dim
/// whose size is not the empty tensor's own (LeNet's batch, the same
/// tensor.dim for both).
std::optional<SmallVector<bool>> paddedDims(tensor::InsertSliceOp insert, tensor::EmptyOp empty) {
  RankedTensorType padded = insert.getDestType();
  SmallVector<bool> dims;
  for (int64_t dim = 0; dim < padded.getRank(); ++dim) {
    std::optional<int64_t> offset = getConstantIntValue(insert.getMixedOffsets()[dim]);
    std::optional<int64_t> stride = getConstantIntValue(insert.getMixedStrides()[dim]);
    OpFoldResult size = insert.getMixedSizes()[dim];
    if (!offset || stride != 1)
      return std::nullopt;
    if (padded.isDynamicDim(dim)) {
      if (*offset != 0 || size != OpFoldResult(empty.getDynamicSize(dim)))
        return std::nullopt;
      dims.push_back(false);
      continue;
    }
    std::optional<int64_t> staticSize = getConstantIntValue(size);
    if (!staticSize)
      return std::nullopt;
    dims.push_back(*offset != 0 || *staticSize != padded.getDimSize(dim));
  }
  return dims;
}

/// Whether `generic` sums its only input, `value`, read whole through the
/// identity map, over (at least) the `padded` dims: the same sum over the
/// padded tensor adds only zeros more.
bool sumsOverPadding(linalg::GenericOp generic, Value value, ArrayRef<bool> padded) {
  if (generic.getNumDpsInputs() != 1 || generic.getNumDpsInits() != 1 ||
      generic.getDpsInputOperand(0)->get() != value ||
      !generic.getMatchingIndexingMap(generic.getDpsInputOperand(0)).isIdentity())
    return false;
  Block &body = generic.getRegion().front();
  auto add = dyn_cast<arith::AddFOp>(body.front());
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (body.getOperations().size() != 2 || !add || yield.getValues()[0] != add.getResult())
    return false;
  Value in = body.getArgument(0), out = body.getArgument(1);
  if (!((add.getLhs() == in && add.getRhs() == out) || (add.getLhs() == out && add.getRhs() == in)))
    return false;
  SmallVector<utils::IteratorType> iterators = generic.getIteratorTypesArray();
  for (auto [dim, isPadded] : llvm::enumerate(padded))
    if (isPadded && iterators[dim] != utils::IteratorType::reduction)
      return false;
  return true;
}

struct ComputeIntoPaddingPass : graphc::impl::ComputeIntoPaddingBase<ComputeIntoPaddingPass> {
  void runOnOperation() override {
    SmallVector<tensor::InsertSliceOp> inserts;
    getOperation().walk([&](tensor::InsertSliceOp insert) { inserts.push_back(insert); });
    // Moving ops within a block keeps it valid: same-block queries follow
    // the block's current order.
    DominanceInfo dominance(getOperation());
    for (tensor::InsertSliceOp insert : inserts) {
      linalg::FillOp fill = zeroFillDestination(insert);
      Value value = insert.getSource();
      Operation *producer = value.getDefiningOp();
      if (!fill || !producer || producer->getBlock() != insert->getBlock() ||
          !producer->isBeforeInBlock(fill))
        continue;
      auto empty = fill.getDpsInitOperand(0)->get().getDefiningOp<tensor::EmptyOp>();
      std::optional<SmallVector<bool>> padded = paddedDims(insert, empty);
      if (!padded)
        continue;
      SmallVector<linalg::GenericOp> sums;
      bool onlySums = llvm::all_of(value.getUsers(), [&](Operation *user) {
        if (user == insert.getOperation())
          return true;
        auto generic = dyn_cast<linalg::GenericOp>(user);
        if (!generic || !sumsOverPadding(generic, value, *padded))
          return false;
        sums.push_back(generic);
        return true;
      });
      if (!onlySums)
        continue;
      // The fill and its tensor.empty go before the producer, the insertion
      // right after it: every operand must be defined there already.
      auto definedBefore = [&](Operation *op, Operation *point, ArrayRef<Operation *> moved) {
        return llvm::all_of(op->getOperands(), [&](Value operand) {
          return llvm::is_contained(moved, operand.getDefiningOp()) ||
                 dominance.properlyDominates(operand, point);
        });
      };
      if (!definedBefore(empty, producer, {}) || !definedBefore(fill, producer, {empty}) ||
          !definedBefore(insert, producer->getNextNode(), {empty, fill, producer}))
        continue;
      empty->moveBefore(producer);
      fill->moveBefore(producer);
      insert->moveAfter(producer);
      for (linalg::GenericOp sum : sums)
        sum.getDpsInputOperand(0)->set(insert.getResult());
    }
  }
};

} // namespace
