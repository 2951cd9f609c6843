//===- CollapseContiguousDims.cpp - --graphc-collapse-contiguous-dims -----===//
//
// An elementwise generic on buffers whose trailing loop dims every operand
// reads contiguously (a ReLU's gradient over [N, 6, 28, 28]) runs them as
// one loop over collapsed views: the innermost loop then covers 784
// contiguous elements instead of a row of 28, and LLVM vectorizes it with
// full AVX-512 vectors. Over rows of 28 (or 10, 14, 5: LeNet's widths) it
// chose 4- or 8-wide vectors so that no remainder was left, or left the loop
// scalar: LeNet's ReLU gradients, padding copies and pooling inputs ran as
// xmm loops (perf on the LeNet training executable, batch 256, one thread).
//
// Only all-parallel generics with no linalg.index: each element's
// arithmetic is unchanged, and so are the results. The group is the
// longest suffix of the loop dims that every operand reads as consecutive
// dims of a memref whose layout lets them collapse (an operand that does not
// read them, such as a per-channel bias, is broadcast over the whole group);
// a slice of rows (the convolutions' outputs without their garbage columns)
// keeps its dims.
//
// A linalg.fill of a buffer whose dims past the first collapse (the
// zero padding around the input gradient of LeNet's conv2, [N, 16, 19, 14])
// fills it as [N, rest]: it was a store loop over rows of 14 that LLVM left
// scalar, 2.2 % of the one-thread training step's samples at batch 256 and
// 2.9 % of the two threads' (perf on train_bench).
//
//===----------------------------------------------------------------------===//

#include "graphc/Transforms/Passes.h"

#include "CollapsibleDims.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

#include <numeric>

namespace graphc {
#define GEN_PASS_DEF_COLLAPSECONTIGUOUSDIMS
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;
using namespace graphc::collapsible_dims;

namespace {

/// The longest suffix of `generic`'s loop dims, at least two and never the
/// outermost, that collapses into one loop; empty when none does. The
/// outermost dim (the batch, in LeNet's nests) stays the loop the threads
/// share, as in every other nest.
SmallVector<unsigned> collapsibleSuffix(linalg::GenericOp generic) {
  unsigned loops = generic.getNumLoops();
  if (!generic.hasPureBufferSemantics() || loops < 3 || generic.getNumParallelLoops() != loops)
    return {};
  // collapseOpIterationDims (MLIR 19) rewrote a scalar's map (d0, d1, d2,
  // d3) -> (0, 0, 0) into (d0, d1) -> (d0, d0, d0): only dims in the maps.
  if (!llvm::all_of(generic.getIndexingMapsArray(),
                    [](AffineMap map) { return map.isProjectedPermutation(); }))
    return {};
  SmallVector<OpOperand *> operands;
  for (OpOperand &operand : generic->getOpOperands())
    operands.push_back(&operand);
  SmallVector<unsigned> best;
  for (unsigned first = loops - 1; first-- > 1;) {
    SmallVector<unsigned> group(loops - first);
    std::iota(group.begin(), group.end(), first);
    if (!canCollapse(generic, group, operands))
      break;
    best = group;
  }
  return best;
}

/// Fills `fill`'s buffer through a view of it as [first dim, the others
/// collapsed], when it has more than two dims and those collapse. A fill
/// takes its own path: collapseOpIterationDims (MLIR 19) collapses generics
/// and copies only.
void collapseFill(IRRewriter &rewriter, linalg::FillOp fill) {
  if (!fill.hasPureBufferSemantics())
    return;
  Value buffer = fill.getDpsInitOperand(0)->get();
  auto type = cast<MemRefType>(buffer.getType());
  if (type.getRank() < 3)
    return;
  SmallVector<ReassociationIndices> reassociation =
      collapsing(type.getRank(), 1, type.getRank() - 1);
  if (!memref::CollapseShapeOp::isGuaranteedCollapsible(type, reassociation))
    return;
  rewriter.setInsertionPoint(fill);
  Value view = rewriter.create<memref::CollapseShapeOp>(fill.getLoc(), buffer, reassociation);
  rewriter.create<linalg::FillOp>(fill.getLoc(), fill.getDpsInputOperand(0)->get(), view);
  rewriter.eraseOp(fill);
}

struct CollapseContiguousDimsPass
    : graphc::impl::CollapseContiguousDimsBase<CollapseContiguousDimsPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::FillOp> fills;
    getOperation().walk([&](linalg::FillOp fill) { fills.push_back(fill); });
    for (linalg::FillOp fill : fills)
      collapseFill(rewriter, fill);
    SmallVector<std::pair<linalg::GenericOp, SmallVector<unsigned>>> collapsible;
    getOperation().walk([&](linalg::GenericOp generic) {
      SmallVector<unsigned> group = collapsibleSuffix(generic);
      if (!group.empty())
        collapsible.emplace_back(generic, std::move(group));
    });
    for (auto &[generic, group] : collapsible) {
      SmallVector<ReassociationIndices> loops;
      for (unsigned d = 0; d < group.front(); ++d)
        loops.push_back({int64_t(d)});
      loops.push_back(ReassociationIndices(group.begin(), group.end()));
      rewriter.setInsertionPoint(generic);
      FailureOr<linalg::CollapseResult> collapsed = linalg::collapseOpIterationDims(
          cast<linalg::LinalgOp>(generic.getOperation()), loops, rewriter);
      // collapseOpIterationDims (MLIR 19) refuses some views that
      // isGuaranteedCollapsible accepts (a contiguous slice with a static
      // offset, found by graphc_difftest): the nest then keeps its dims,
      // which is correct, only not faster.
      if (failed(collapsed))
        continue;
      rewriter.replaceOp(generic, collapsed->results);
    }
  }
};

} // namespace
