//===- RegisterTiling.cpp - shared steps of the register-tiling passes -----===//

#include "RegisterTiling.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

using namespace mlir;

namespace graphc::register_tiling {

FailureOr<scf::SCFTileAndFuseResult> tileFusingFill(RewriterBase &rewriter, Operation *op,
                                                    ArrayRef<int64_t> sizes,
                                                    ArrayRef<int64_t> interchange) {
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(getAsIndexOpFoldResult(rewriter.getContext(), sizes));
  tiling.setInterchange(interchange);
  tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
  scf::SCFTileAndFuseOptions options;
  options.setTilingOptions(tiling);
  // A fill fused into a loop over a reduction would restart the sum at
  // every iteration: it stays outside when a reduction loop is tiled.
  auto linalgOp = cast<linalg::LinalgOp>(op);
  bool tilesReduction = false;
  for (auto [size, iterator] : llvm::zip(sizes, linalgOp.getIteratorTypesArray()))
    tilesReduction |= size != 0 && iterator == utils::IteratorType::reduction;
  options.setFusionControlFn([tilesReduction](tensor::ExtractSliceOp, OpResult producer,
                                              bool isDestination) {
    return std::make_tuple(
        !tilesReduction && isDestination && isa<linalg::FillOp>(producer.getOwner()), false);
  });
  FailureOr<scf::SCFTileAndFuseResult> result =
      scf::tileConsumerAndFuseProducersUsingSCF(rewriter, cast<TilingInterface>(op), options);
  if (failed(result))
    return failure();
  for (OpResult value : op->getResults())
    rewriter.replaceAllUsesWith(value, result->replacements.lookup(value));
  rewriter.eraseOp(op);
  return result;
}

scf::ForOp peelPartialTile(RewriterBase &rewriter, scf::ForOp loop) {
  scf::ForOp remainder;
  // Peeling fails when the step divides the trip count: nothing to peel.
  if (failed(scf::peelForLoopAndSimplifyBounds(rewriter, loop, remainder)))
    return nullptr;
  return remainder;
}

LogicalResult splitPartialTile(RewriterBase &rewriter, scf::ForOp remainder, unsigned dim,
                               int64_t tileSize,
                               function_ref<SmallVector<linalg::GenericOp>(Operation *)> tilesOf) {
  // Loops that cannot run (a remainder shorter than their step) fold away
  // in the canonicalization after the tiling.
  for (int64_t size = tileSize / 2; size >= 1 && remainder; size /= 2) {
    scf::ForOp next;
    for (linalg::GenericOp op : tilesOf(remainder)) {
      SmallVector<int64_t> sizes(op.getNumLoops(), 0);
      sizes[dim] = size;
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTileAndFuseResult> tiled = tileFusingFill(rewriter, op, sizes);
      if (failed(tiled))
        return op.emitError("splitting a partial register tile by ") << size << " failed";
      if (size > 1)
        next = peelPartialTile(rewriter, cast<scf::ForOp>(tiled->loops.front().getOperation()));
    }
    remainder = next;
  }
  return success();
}

LogicalResult canonicalize(Operation *root, RewritePatternSet &&patterns) {
  MLIRContext *ctx = root->getContext();
  for (Dialect *dialect : ctx->getLoadedDialects())
    dialect->getCanonicalizationPatterns(patterns);
  for (RegisteredOperationName op : ctx->getRegisteredOperations())
    op.getCanonicalizationPatterns(patterns, ctx);
  return applyPatternsAndFoldGreedily(root, std::move(patterns));
}

bool isMultiplyAccumulate(linalg::GenericOp generic) {
  return generic.getNumDpsInputs() == 2 && generic.getNumDpsInits() == 1 &&
         linalg::detail::isContractionBody(
             generic.getRegion().front(), [](Operation *multiply, Operation *add) {
               return isa<arith::MulFOp>(multiply) && isa<arith::AddFOp>(add);
             });
}

/// Drops the unit loops of `generic` (the tiling folded their offsets into
/// the operands' slices) and returns its replacement.
static FailureOr<linalg::GenericOp> dropUnitLoopsOf(RewriterBase &rewriter,
                                                    linalg::GenericOp generic) {
  if (llvm::none_of(generic.getStaticLoopRanges(), [](int64_t size) { return size == 1; }))
    return generic;
  linalg::ControlDropUnitDims control;
  control.rankReductionStrategy =
      linalg::ControlDropUnitDims::RankReductionStrategy::ExtractInsertSlice;
  Block *block = generic->getBlock();
  Operation *next = generic->getNextNode();
  rewriter.setInsertionPoint(generic);
  if (failed(linalg::dropUnitDims(rewriter, generic, control)))
    return generic.emitError("dropping the register tile's unit loops failed");
  // The replacement sits right before the ops that took the old results.
  linalg::GenericOp replacement;
  for (Operation &op : *block) {
    if (&op == next)
      break;
    if (auto candidate = dyn_cast<linalg::GenericOp>(&op))
      replacement = candidate;
  }
  if (!replacement)
    return emitError(block->getParentOp()->getLoc(),
                     "a register tile vanished dropping its unit loops");
  return replacement;
}

LogicalResult vectorizeRegisterTiles(func::FuncOp func, ArrayRef<linalg::GenericOp> tiles,
                                     bool dropUnitLoops) {
  MLIRContext *ctx = func.getContext();
  IRRewriter rewriter(ctx);
  SmallVector<Operation *> toVectorize;
  for (linalg::GenericOp tile : tiles) {
    // A tile one lane wide stays scalar loops: dropping its lane loop would
    // vectorize it across rows, strided, which the vector lowering got
    // wrong (the conv2d gradient check caught it).
    if (tile.getStaticLoopRanges().back() == 1)
      continue;
    if (dropUnitLoops) {
      // Before the reduction loops are tiled, so that they carry the output
      // tile without its unit dimensions: the same type as the vector that
      // accumulates it, which the hoisting below needs.
      FailureOr<linalg::GenericOp> dropped = dropUnitLoopsOf(rewriter, tile);
      if (failed(dropped))
        return failure();
      tile = *dropped;
    }
    if (auto fill = tile.getDpsInitOperand(0)->get().getDefiningOp<linalg::FillOp>())
      toVectorize.push_back(fill);
    SmallVector<int64_t> reductionsByOne;
    for (utils::IteratorType iterator : tile.getIteratorTypesArray())
      reductionsByOne.push_back(iterator == utils::IteratorType::reduction ? 1 : 0);
    scf::SCFTilingOptions inner;
    inner.setTileSizes(getAsIndexOpFoldResult(ctx, reductionsByOne));
    rewriter.setInsertionPoint(tile);
    FailureOr<scf::SCFTilingResult> tiled =
        scf::tileUsingSCF(rewriter, cast<TilingInterface>(tile.getOperation()), inner);
    if (failed(tiled))
      return tile.emitError("tiling the register tile's reduction loops by 1 failed");
    rewriter.replaceOp(tile, tiled->replacements);
    auto innermost = cast<linalg::GenericOp>(tiled->tiledOps.back());
    if (dropUnitLoops && !innermost.hasDynamicShape()) {
      // A convolution's window offset p + kh*W + kw is a projected
      // permutation, which the vectorizer needs, only once kh and kw are gone.
      FailureOr<linalg::GenericOp> dropped = dropUnitLoopsOf(rewriter, innermost);
      if (failed(dropped))
        return failure();
      innermost = *dropped;
    }
    toVectorize.push_back(innermost);
  }
  for (Operation *op : toVectorize) {
    if (cast<linalg::LinalgOp>(op).hasDynamicShape())
      continue;
    rewriter.setInsertionPoint(op);
    (void)linalg::vectorize(rewriter, op);
  }
  {
    RewritePatternSet patterns(ctx);
    // mulf + multi_reduction into vector.contract (keeps fastmath: FMAs).
    vector::populateVectorReductionToContractPatterns(patterns);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateSinkVectorBroadcastPatterns(patterns);
    // Not tensor::populateFoldTensorSubsetIntoVectorTransferPatterns: in
    // MLIR 19 its insert_slice-of-transfer_write fold dropped the write of
    // an 8x8 tile followed by an 8x2 tile into the same rows (a second
    // run of these steps over vectorized tiles gave wrong LeNet losses;
    // test example.lenet_train.reads_no_uninitialized_arena). The
    // accumulators hoist as well without it.
    if (failed(canonicalize(func, std::move(patterns))))
      return failure();
  }
  DominanceInfo dominance;
  eliminateCommonSubExpressions(rewriter, dominance, func);
  // Each output tile's read and write leave its reduction loops: the
  // accumulator is carried in registers (innermost loops first: the walk is
  // post-order).
  func.walk([&](scf::ForOp loop) {
    auto loopLike = cast<LoopLikeOpInterface>(loop.getOperation());
    moveLoopInvariantCode(loopLike);
    hoistLoopInvariantSubsets(rewriter, loopLike);
  });
  // vector.contract to outer products to FMAs.
  RewritePatternSet patterns(ctx);
  vector::VectorTransformsOptions lowering;
  lowering.setVectorTransformsOptions(vector::VectorContractLowering::OuterProduct);
  vector::populateVectorContractLoweringPatterns(patterns, lowering);
  vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
  vector::populateVectorOuterProductLoweringPatterns(patterns);
  return canonicalize(func, std::move(patterns));
}

} // namespace graphc::register_tiling
