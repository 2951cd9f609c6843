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
#include "llvm/ADT/SetVector.h"

using namespace mlir;

namespace graphc::register_tiling {

/// True when `sizes` tile one of `op`'s reduction loops.
static bool tilesReduction(linalg::LinalgOp op, ArrayRef<int64_t> sizes) {
  for (auto [size, iterator] : llvm::zip(sizes, op.getIteratorTypesArray()))
    if (size != 0 && iterator == utils::IteratorType::reduction)
      return true;
  return false;
}

/// Tiles `op` as tileFusingFill says, also fusing `fusedProducer` (when
/// not null) where `op` reads it, and the zero fill it accumulates into.
static FailureOr<scf::SCFTileAndFuseResult>
tileFusing(RewriterBase &rewriter, Operation *op, ArrayRef<int64_t> sizes,
           ArrayRef<int64_t> interchange, linalg::GenericOp fusedProducer) {
  // The fused producer's fill is no destination of the tile loops (those
  // carry the epilogue's result): it is fused by name.
  SmallVector<Operation *> fused;
  if (fusedProducer) {
    fused.push_back(fusedProducer);
    if (auto fill = fusedProducer.getDpsInitOperand(0)->get().getDefiningOp<linalg::FillOp>())
      fused.push_back(fill);
  }
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(getAsIndexOpFoldResult(rewriter.getContext(), sizes));
  tiling.setInterchange(interchange);
  tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
  scf::SCFTileAndFuseOptions options;
  options.setTilingOptions(tiling);
  // A fill fused into a loop over a reduction would restart the sum at
  // every iteration: it stays outside when a reduction loop is tiled.
  bool fillsFuse = !tilesReduction(cast<linalg::LinalgOp>(op), sizes);
  options.setFusionControlFn(
      [fillsFuse, &fused](tensor::ExtractSliceOp, OpResult producer, bool isDestination) {
        bool fuse = isDestination ? fillsFuse && isa<linalg::FillOp>(producer.getOwner())
                                  : llvm::is_contained(fused, producer.getOwner());
        return std::make_tuple(fuse, false);
      });
  FailureOr<scf::SCFTileAndFuseResult> result =
      scf::tileConsumerAndFuseProducersUsingSCF(rewriter, cast<TilingInterface>(op), options);
  if (failed(result))
    return failure();
  for (OpResult value : op->getResults())
    rewriter.replaceAllUsesWith(value, result->replacements.lookup(value));
  rewriter.eraseOp(op);
  // The producer and its fill, computed in the tiles, are dead now.
  for (Operation *producer : fused)
    if (producer->use_empty())
      rewriter.eraseOp(producer);
  return result;
}

FailureOr<scf::SCFTileAndFuseResult> tileFusingFill(RewriterBase &rewriter, Operation *op,
                                                    ArrayRef<int64_t> sizes,
                                                    ArrayRef<int64_t> interchange) {
  return tileFusing(rewriter, op, sizes, interchange, /*fusedProducer=*/{});
}

FailureOr<scf::SCFTileAndFuseResult> tileWithEpilogue(RewriterBase &rewriter,
                                                      linalg::GenericOp mac,
                                                      ArrayRef<int64_t> sizes,
                                                      ArrayRef<int64_t> interchange) {
  linalg::GenericOp epilogue = epilogueOf(mac);
  if (!epilogue || tilesReduction(mac, sizes))
    return tileFusingFill(rewriter, mac, sizes, interchange);
  // The epilogue's loop i is the accumulator's dim i, mac's loop
  // outputMap(i); the tile loops keep mac's order (or `interchange`'s)
  // when outputMap is increasing (a matmul's (m, n), a flat convolution's
  // (n, f, p)).
  AffineMap outputMap = mac.getMatchingIndexingMap(mac.getDpsInitOperand(0));
  SmallVector<int64_t> epilogueSizes;
  int64_t previous = -1;
  for (unsigned i = 0; i < outputMap.getNumResults(); ++i) {
    int64_t dim = outputMap.getDimPosition(i);
    if (dim <= previous)
      return tileFusingFill(rewriter, mac, sizes, interchange);
    previous = dim;
    epilogueSizes.push_back(sizes[dim]);
  }
  // mac's loop order, as the epilogue's loops: no reduction is tiled, so
  // the order of mac's output dims is the whole order of the tile loops.
  SmallVector<int64_t> epilogueInterchange;
  for (int64_t dim : interchange)
    if (std::optional<unsigned> result =
            outputMap.getResultPosition(getAffineDimExpr(dim, rewriter.getContext())))
      epilogueInterchange.push_back(*result);
  rewriter.setInsertionPoint(epilogue);
  return tileFusing(rewriter, epilogue, epilogueSizes, epilogueInterchange, mac);
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
  // in the canonicalization after the tiling. The remainder may hold
  // several tiles (a matmul's full row tiles and its rows left over, with
  // column tiles outermost): each one's own remainder is split in turn.
  SmallVector<scf::ForOp> remainders = {remainder};
  for (int64_t size = tileSize / 2; size >= 1 && !remainders.empty(); size /= 2) {
    SmallVector<scf::ForOp> next;
    for (scf::ForOp partial : remainders) {
      for (linalg::GenericOp op : tilesOf(partial)) {
        SmallVector<int64_t> sizes(op.getNumLoops(), 0);
        sizes[dim] = size;
        rewriter.setInsertionPoint(op);
        FailureOr<scf::SCFTileAndFuseResult> tiled = tileWithEpilogue(rewriter, op, sizes);
        if (failed(tiled))
          return op.emitError("splitting a partial register tile by ") << size << " failed";
        if (size == 1)
          continue;
        if (scf::ForOp rest =
                peelPartialTile(rewriter, cast<scf::ForOp>(tiled->loops.front().getOperation())))
          next.push_back(rest);
      }
    }
    remainders = std::move(next);
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

/// The zero fill `tile` accumulates into, or null. Once the tile's unit
/// loops are dropped it reads a rank-reduced slice of the fill: the tile
/// then accumulates into a fill of that slice of the fill's destination
/// (upstream's swap pattern, which wants the fill to have no other user,
/// and it has the unit dims' insert_slice), so that the fill is vectorized
/// with the tile and its zeros, forwarded to the accumulator, never reach
/// memory. Left as it was, the fill wrote every output tile (under an
/// epilogue, a whole temporary) before the tile read it back.
static linalg::FillOp fillOfInit(RewriterBase &rewriter, linalg::GenericOp tile) {
  OpOperand *init = tile.getDpsInitOperand(0);
  if (auto fill = init->get().getDefiningOp<linalg::FillOp>())
    return fill;
  auto slice = init->get().getDefiningOp<tensor::ExtractSliceOp>();
  if (!slice)
    return nullptr;
  auto fill = slice.getSource().getDefiningOp<linalg::FillOp>();
  if (!fill)
    return nullptr;
  rewriter.setInsertionPoint(slice);
  auto destination = rewriter.create<tensor::ExtractSliceOp>(
      slice.getLoc(), slice.getType(), fill.getDpsInitOperand(0)->get(), slice.getMixedOffsets(),
      slice.getMixedSizes(), slice.getMixedStrides());
  auto sliceFill = rewriter.create<linalg::FillOp>(fill.getLoc(), fill.getDpsInputs(),
                                                   ValueRange{destination.getResult()});
  rewriter.modifyOpInPlace(tile, [&] { init->set(sliceFill.getResult(0)); });
  // The tile's result is inserted back over the whole old fill: into the
  // fill's destination instead, and the old fill dies.
  auto all = [](ArrayRef<OpFoldResult> values, int64_t value) {
    return llvm::all_of(values, [&](OpFoldResult v) { return isConstantIntValue(v, value); });
  };
  for (OpOperand &use : llvm::make_early_inc_range(fill->getUses())) {
    auto insert = dyn_cast<tensor::InsertSliceOp>(use.getOwner());
    if (insert && use.get() == insert.getDest() && all(insert.getMixedOffsets(), 0) &&
        all(insert.getMixedStrides(), 1) && insert.getDestType().hasStaticShape() &&
        getConstantIntValues(insert.getMixedSizes()) ==
            std::optional(llvm::to_vector(insert.getDestType().getShape())))
      rewriter.modifyOpInPlace(insert, [&] { use.set(fill.getDpsInitOperand(0)->get()); });
  }
  if (fill->use_empty())
    rewriter.eraseOp(fill);
  return sliceFill;
}

LogicalResult vectorizeRegisterTiles(func::FuncOp func, ArrayRef<linalg::GenericOp> tiles,
                                     bool dropUnitLoops) {
  MLIRContext *ctx = func.getContext();
  IRRewriter rewriter(ctx);
  // A set: two tiles may accumulate into one fill (two static matmuls no
  // larger than a tile, their tile loops folded away, whose fills CSE
  // made one), which is vectorized, and erased, once.
  llvm::SetVector<Operation *> toVectorize;
  for (linalg::GenericOp tile : tiles) {
    // A tile one lane wide stays scalar loops: dropping its lane loop would
    // vectorize it across rows, strided, which the vector lowering got
    // wrong (the conv2d gradient check caught it).
    if (tile.getStaticLoopRanges().back() == 1)
      continue;
    // Taken before the tile is rewritten: the epilogue then reads the
    // tile's result through the unit dims' insert_slice.
    linalg::GenericOp epilogue = epilogueOf(tile);
    if (epilogue && dropUnitLoops) {
      FailureOr<linalg::GenericOp> dropped = dropUnitLoopsOf(rewriter, epilogue);
      if (failed(dropped))
        return failure();
      epilogue = *dropped;
    }
    if (epilogue)
      toVectorize.insert(epilogue);
    if (dropUnitLoops) {
      // Before the reduction loops are tiled, so that they carry the output
      // tile without its unit dimensions: the same type as the vector that
      // accumulates it, which the hoisting below needs.
      FailureOr<linalg::GenericOp> dropped = dropUnitLoopsOf(rewriter, tile);
      if (failed(dropped))
        return failure();
      tile = *dropped;
    }
    if (linalg::FillOp fill = fillOfInit(rewriter, tile))
      toVectorize.insert(fill);
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
    toVectorize.insert(innermost);
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
