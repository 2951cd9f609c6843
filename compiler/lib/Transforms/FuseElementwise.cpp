//===- FuseElementwise.cpp - --graphc-fuse-elementwise --------------------===//
//
// The lowering gives every graph op its own linalg op, so a training step is
// hundreds of small loop nests (the MLP's train_step at batch 256: 164), each
// reading its operands from memory and, once parallel, paying a fork and a
// join. This pass merges producer/consumer chains of elementwise generics into
// one loop nest with MLIR's elementwise fusion (linalg::fuseElementwiseOps),
// in a pattern of our own that differs from upstream's
// --linalg-fuse-elementwise-ops in four ways:
//
// - A producer with several uses is fused too: training reads forward
//   activations again in the backward pass, and a bias add feeds both the
//   ReLU and the ReLU's mask. The fused op then also yields the producer's
//   result for its other users (upstream's fuseElementwiseOps does that);
//   since the fused op takes the consumer's place, it is done only when every
//   other user comes after the consumer in the same block.
// - Nothing is fused into the multiply-accumulate generics (matmuls and
//   convolutions): graphc-tile-matmuls and graphc-tile-convolutions take only
//   their plain bodies, and a producer fused into them would be recomputed
//   for every reduction step.
// - A producer is not fused into a consumer that reads it through a broadcast
//   (a bias read for every row), which would compute each of its elements
//   once per row.
// - A producer that reads an argument updated in place (an optimizer's
//   parameter) is not fused into a consumer after the argument's update: the
//   read would follow the write, and the update could not be in place.
//
// linalg.reduce ops are generalized first, so that a single-use elementwise
// producer (the cross-entropy's product with the one-hot target, the
// softmax's exp) runs inside the reduction's loop. Fusion does not reorder
// any operation of an element's computation and adds no contraction flags,
// so results stay bitwise the same.
//
// Each fused op's location is the fused location of its parts' locations,
// which graphc-convert-graph-to-linalg names after the graph op they came
// from: `graphc --emit=fusion-report` lists them per loop nest.
//
//===----------------------------------------------------------------------===//

#include "graphc/Transforms/Passes.h"

#include "graphc/Transforms/Epilogues.h"
#include "graphc/Dialect/Graph/GraphDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace graphc {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

/// Whether `producer` reads an argument of its function that an update in
/// place (a result marked graph.updates_argument) computes before
/// `consumer`. Fused there, the read would come after the write, and the
/// argument could not be updated in place: an SGD step whose parameter
/// only a comparison read (zero gradient), the comparison fused into the
/// loss's gradient after the parameter's update, failed to compile with
/// "1 of 6 updated arguments could not be updated in place"
/// (graphc_difftest seeds 1027, 1031, 1126, 2026, 2095, 2143, 2177).
bool readsArgumentUpdatedBefore(linalg::GenericOp producer, linalg::GenericOp consumer) {
  auto func = dyn_cast<func::FuncOp>(consumer->getParentOp());
  if (!func)
    return false;
  auto ret = dyn_cast<func::ReturnOp>(func.getBody().back().getTerminator());
  if (!ret)
    return false;
  for (unsigned i = 0; i < func.getNumResults(); ++i) {
    auto target = func.getResultAttrOfType<IntegerAttr>(
        i, graphc::graph::GraphDialect::getUpdatesArgumentAttrName());
    if (!target)
      continue;
    Value argument = func.getArgument(target.getInt());
    if (!llvm::is_contained(producer->getOperands(), argument))
      continue;
    // The producer's own update (Adam's moment, read and written per
    // element by one loop) moves with it.
    Operation *update = ret.getOperand(i).getDefiningOp();
    if (update && update != producer.getOperation() &&
        update->getBlock() == consumer->getBlock() && update->isBeforeInBlock(consumer))
      return true;
  }
  return false;
}

/// True when fusing `operand`'s producer into its consumer (both generics
/// that linalg::areElementwiseOpsFusable accepted) keeps every fused
/// element's computation done once, the IR's dominance intact and every
/// read of an argument updated in place before its update.
bool shouldFuse(OpOperand *operand) {
  auto producer = operand->get().getDefiningOp<linalg::GenericOp>();
  auto consumer = cast<linalg::GenericOp>(operand->getOwner());
  if (readsArgumentUpdatedBefore(producer, consumer))
    return false;
  if (!consumer.getMatchingIndexingMap(operand).isPermutation())
    return false;
  bool reduces = consumer.getNumReductionLoops() > 0;
  if (reduces && graphc::isMultiplyAccumulate(consumer))
    return false;
  for (Operation *user : producer->getUsers()) {
    if (user == consumer.getOperation())
      continue;
    // A reduction cannot also yield the producer's full result, whose
    // elements its reduction loops would index.
    if (reduces)
      return false;
    if (user->getBlock() != consumer->getBlock() || !consumer->isBeforeInBlock(user))
      return false;
  }
  return true;
}

/// linalg's FuseElementwiseOps pattern, but under shouldFuse, with the
/// producer's other users moved to the fused op's copy of its result, and
/// with the fused op's location made of both parts' locations (upstream's
/// keeps only the consumer's).
struct FuseElementwiseWithLocations : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp consumer,
                                PatternRewriter &rewriter) const override {
    for (OpOperand &operand : consumer->getOpOperands()) {
      if (!linalg::areElementwiseOpsFusable(&operand) || !shouldFuse(&operand))
        continue;
      Operation *producer = operand.get().getDefiningOp();
      FailureOr<linalg::ElementwiseOpFusionResult> fused =
          linalg::fuseElementwiseOps(rewriter, &operand);
      if (failed(fused))
        return rewriter.notifyMatchFailure(consumer, "fusion failed");
      fused->fusedOp->setLoc(
          FusedLoc::get(getContext(), {producer->getLoc(), consumer->getLoc()}));
      // Unlike upstream's pattern, which keeps the producer for its other
      // users (computing its elements twice), those users read the fused
      // op's copy of its result (shouldFuse checked that they come after the
      // fused op), and the producer dies. The fused op itself still reads
      // what the consumer read of the producer through its other operands
      // (`mul %x, %x` fuses one operand at a time): replacing that would make
      // it read its own result, and the next round fuses it.
      Operation *fusedOp = fused->fusedOp;
      for (auto [original, replacement] : fused->replacements)
        rewriter.replaceUsesWithIf(original, replacement,
                                   [&](OpOperand &use) { return use.getOwner() != fusedOp; });
      rewriter.eraseOp(consumer);
      return success();
    }
    return failure();
  }
};

struct FuseElementwisePass : graphc::impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::ReduceOp> reductions;
    func.walk([&](linalg::ReduceOp reduce) { reductions.push_back(reduce); });
    for (linalg::ReduceOp reduce : reductions) {
      rewriter.setInsertionPoint(reduce);
      if (failed(linalg::generalizeNamedOp(rewriter, reduce)))
        return signalPassFailure();
    }

    RewritePatternSet patterns(&getContext());
    patterns.add<FuseElementwiseWithLocations>(&getContext());
    // What fusion leaves unused (a producer's result only the consumer read)
    // or duplicated (an operand both parts read) is dropped. Not the other
    // companions of upstream's fusion pattern: folding a splat constant into
    // the body gives the new op the locations of all its inputs' producers,
    // which would list ops that it only reads as fused into it.
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    if (failed(applyPatternsAndFoldGreedily(func, std::move(patterns))))
      return signalPassFailure();
    // A producer fused twice into one consumer (through two operands) left
    // its body twice in the fused op's.
    DominanceInfo dominance(func);
    mlir::eliminateCommonSubExpressions(rewriter, dominance, func);
  }
};

} // namespace
