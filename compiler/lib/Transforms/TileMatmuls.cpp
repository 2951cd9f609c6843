//===- TileMatmuls.cpp - --graphc-tile-matmuls -----------------------------===//
//
// Register tiling of graphc's matmuls on tensors, before bufferization.
//
// The lowering writes every matmul (and the dense gradients) as one
// linalg.generic over (m, k, n), innermost n contiguous. Lowered to loops,
// C[m, :] += A[m, k] * B[k, :] loads and stores a row of C for every k: about
// 40 GFLOP/s on this machine's 116 GFLOP/s FMA limit per core. Here each
// MR x NR tile of C stays in vector registers through the whole k loop:
//   1. tile m and n by MR x NR (scf.for), fusing only the zero fill of C;
//   2. peel the partial last tiles, so the main loops have static full tiles
//      (the m remainder, of a dynamic batch too, becomes 1 x NR row tiles);
//   3. tile k by 1, vectorize the static tiles and their fills, fold the
//      reductions into vector.contract;
//   4. hoist the C tile's read and write out of the k loop;
//   5. lower vector.contract to outer products, then FMAs.
// The per-element summation order over k is unchanged, so results are
// bitwise those of the untiled loops. The steps follow IREE's LLVMCPU
// matmul strategy and were checked on this machine first (docs/performance.md).
//
//===----------------------------------------------------------------------===//

#include "graphc/Transforms/Passes.h"
#include "graphc/Dialect/Graph/GraphDialect.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace graphc {
#define GEN_PASS_DEF_TILEMATMULS
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

/// The lowering's matmul: a contraction generic over (m, k, n) reading
/// A[m, k] and B[k, n] into C[m, n].
bool isMatmul(linalg::GenericOp generic) {
  if (generic.getNumDpsInputs() != 2 || generic.getNumDpsInits() != 1 ||
      generic.getNumLoops() != 3)
    return false;
  auto iterators = generic.getIteratorTypesArray();
  if (iterators[0] != utils::IteratorType::parallel ||
      iterators[1] != utils::IteratorType::reduction ||
      iterators[2] != utils::IteratorType::parallel)
    return false;
  MLIRContext *ctx = generic.getContext();
  AffineExpr m, k, n;
  bindDims(ctx, m, k, n);
  SmallVector<AffineMap> expected = {AffineMap::get(3, 0, {m, k}, ctx),
                                     AffineMap::get(3, 0, {k, n}, ctx),
                                     AffineMap::get(3, 0, {m, n}, ctx)};
  return generic.getIndexingMapsArray() == expected && linalg::isaContractionOpInterface(generic);
}

SmallVector<linalg::GenericOp> matmulsIn(Operation *root) {
  SmallVector<linalg::GenericOp> found;
  root->walk([&](linalg::GenericOp generic) {
    if (isMatmul(generic))
      found.push_back(generic);
  });
  return found;
}

/// Tiles `op` by `sizes` with scf.for loops, fusing only a linalg.fill that
/// produces its destination (fusing more would recompute a producer, such as
/// a transpose of the weight, for every tile).
FailureOr<scf::SCFTileAndFuseResult> tileFusingFill(RewriterBase &rewriter, Operation *op,
                                                    ArrayRef<int64_t> sizes) {
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(getAsIndexOpFoldResult(rewriter.getContext(), sizes));
  tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
  scf::SCFTileAndFuseOptions options;
  options.setTilingOptions(tiling);
  options.setFusionControlFn([](tensor::ExtractSliceOp, OpResult producer, bool isDestination) {
    return std::make_tuple(isDestination && isa<linalg::FillOp>(producer.getOwner()), false);
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

LogicalResult canonicalize(Operation *root, RewritePatternSet &&patterns) {
  MLIRContext *ctx = root->getContext();
  for (Dialect *dialect : ctx->getLoadedDialects())
    dialect->getCanonicalizationPatterns(patterns);
  for (RegisteredOperationName op : ctx->getRegisteredOperations())
    op.getCanonicalizationPatterns(patterns, ctx);
  return applyPatternsAndFoldGreedily(root, std::move(patterns));
}

struct TileMatmulsPass : graphc::impl::TileMatmulsBase<TileMatmulsPass> {
  using TileMatmulsBase::TileMatmulsBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (matmulsIn(func).empty())
      return;
    if (failed(tileRegisters(func)))
      return signalPassFailure();
  }

  LogicalResult tileRegisters(func::FuncOp func) {
    MLIRContext *ctx = func.getContext();
    IRRewriter rewriter(ctx);
    // 1-2. m and n tiles, partial tiles peeled.
    for (linalg::GenericOp matmul : matmulsIn(func)) {
      rewriter.setInsertionPoint(matmul);
      FailureOr<scf::SCFTileAndFuseResult> tiled =
          tileFusingFill(rewriter, matmul, {rows, 0, columns});
      if (failed(tiled))
        return matmul.emitError("tiling the matmul by ") << rows << "x" << columns << " failed";
      auto mLoop = cast<scf::ForOp>(tiled->loops[0].getOperation());
      auto nLoop = cast<scf::ForOp>(tiled->loops[1].getOperation());
      // Peeling fails when the tile divides the size: nothing to peel.
      scf::ForOp nRemainder, mRemainder;
      (void)scf::peelForLoopAndSimplifyBounds(rewriter, nLoop, nRemainder);
      bool peeled = succeeded(scf::peelForLoopAndSimplifyBounds(rewriter, mLoop, mRemainder));
      // Each full row tile writes its own rows of C: threads may share them.
      mLoop->setAttr(graphc::graph::GraphDialect::getIndependentIterationsAttrName(),
                     rewriter.getUnitAttr());
      if (peeled)
        for (linalg::GenericOp rest : matmulsIn(mRemainder)) {
          rewriter.setInsertionPoint(rest);
          if (failed(tileFusingFill(rewriter, rest, {1, 0, 0})))
            return rest.emitError("tiling the last rows of the matmul failed");
        }
    }
    // The peeled bounds fold: tiles become static (tensor<?x32> to tensor<8x32>).
    if (failed(canonicalize(func, RewritePatternSet(ctx))))
      return failure();
    // 3. k by 1, innermost; then the static tiles and their fills vectorized.
    SmallVector<Operation *> toVectorize;
    for (linalg::GenericOp tile : matmulsIn(func)) {
      if (auto fill = tile.getDpsInitOperand(0)->get().getDefiningOp<linalg::FillOp>())
        toVectorize.push_back(fill);
      scf::SCFTilingOptions kOptions;
      kOptions.setTileSizes(getAsIndexOpFoldResult(ctx, {0, 1, 0}));
      rewriter.setInsertionPoint(tile);
      FailureOr<scf::SCFTilingResult> kTiled =
          scf::tileUsingSCF(rewriter, cast<TilingInterface>(tile.getOperation()), kOptions);
      if (failed(kTiled))
        return tile.emitError("tiling the matmul's k loop failed");
      rewriter.replaceOp(tile, kTiled->replacements);
      toVectorize.push_back(kTiled->tiledOps.back());
    }
    for (Operation *op : toVectorize) {
      // A tile that stayed dynamic keeps its loops (correct, only slower).
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
      tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(patterns);
      if (failed(canonicalize(func, std::move(patterns))))
        return failure();
    }
    DominanceInfo dominance;
    eliminateCommonSubExpressions(rewriter, dominance, func);
    // 4. The C tile's read and write leave the k loop: its accumulator is
    // carried in registers (innermost loops first: the walk is post-order).
    func.walk([&](scf::ForOp loop) {
      auto loopLike = cast<LoopLikeOpInterface>(loop.getOperation());
      moveLoopInvariantCode(loopLike);
      hoistLoopInvariantSubsets(rewriter, loopLike);
    });
    // 5. vector.contract to outer products to FMAs.
    RewritePatternSet patterns(ctx);
    vector::VectorTransformsOptions lowering;
    lowering.setVectorTransformsOptions(vector::VectorContractLowering::OuterProduct);
    vector::populateVectorContractLoweringPatterns(patterns, lowering);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateVectorOuterProductLoweringPatterns(patterns);
    return canonicalize(func, std::move(patterns));
  }
};

} // namespace
