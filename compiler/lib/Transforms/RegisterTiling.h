//===- RegisterTiling.h - shared steps of the register-tiling passes -------===//
//
// graphc-tile-matmuls and graphc-tile-convolutions share one recipe (IREE's
// LLVMCPU strategy, checked on this machine first): tile the parallel loops
// into register-sized output tiles with the zero fill fused, peel partial
// tiles, tile the remaining reduction loops by 1, vectorize the static tiles,
// hoist each output tile's read and write out of its reduction loops (the
// accumulator then lives in vector registers) and lower to FMAs. The passes
// differ only in which generics they take and the tile sizes.
//
//===----------------------------------------------------------------------===//

#ifndef GRAPHC_TRANSFORMS_REGISTERTILING_H
#define GRAPHC_TRANSFORMS_REGISTERTILING_H

#include "graphc/Transforms/Epilogues.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/MathExtras.h"

namespace graphc::register_tiling {

/// The threads a shared tile loop is balanced for: the thread count is
/// only known at run time, and this product's machines have two cores
/// (with one thread, every choice runs the same tiles).
constexpr int64_t kBalancedThreads = 2;

/// Tiles the busiest of kBalancedThreads threads runs of `tiles` shared
/// tiles.
inline int64_t balancedTileSteps(int64_t tiles) {
  return llvm::divideCeil(tiles, kBalancedThreads);
}

/// Tiles `op` by `sizes` with scf.for loops, nested in the order
/// `interchange` gives (the op's loop order when empty), fusing only a
/// linalg.fill that produces its destination (fusing more would recompute a
/// producer, such as a transpose of the weight, for every tile), and
/// replaces `op`.
mlir::FailureOr<mlir::scf::SCFTileAndFuseResult>
tileFusingFill(mlir::RewriterBase &rewriter, mlir::Operation *op, llvm::ArrayRef<int64_t> sizes,
               llvm::ArrayRef<int64_t> interchange = {});

/// Tiles multiply-accumulate `mac` by `sizes` as tileFusingFill does;
/// when it has an epilogue (epilogueOf), no reduction loop is tiled and
/// `mac`'s output map is increasing (a matmul's (m, n), a flat convolution's
/// (n, f, p)), tiles the epilogue instead (its loops are `mac`'s output dims,
/// `sizes` and `interchange` projected on them), with `mac` and its fill
/// fused into each tile, so that the vectorized tile's accumulator goes
/// through the epilogue in registers. The result's loops are `mac`'s tiled
/// parallel loops in the order `interchange` gives.
mlir::FailureOr<mlir::scf::SCFTileAndFuseResult>
tileWithEpilogue(mlir::RewriterBase &rewriter, mlir::linalg::GenericOp mac,
                 llvm::ArrayRef<int64_t> sizes, llvm::ArrayRef<int64_t> interchange = {});

/// Peels the partial last iteration of `loop` (nothing when its step divides
/// its trip count); returns the remainder loop, or null.
mlir::scf::ForOp peelPartialTile(mlir::RewriterBase &rewriter, mlir::scf::ForOp loop);

/// Splits the partial tile that `remainder` (the peeled last iteration of a
/// tile loop over loop `dim` of the multiply-accumulates `tilesOf` finds,
/// tiled by tileWithEpilogue) computes into full tiles of halving powers of
/// two, `tileSize / 2` down to 1, so that every vector the tiles become is a power of two long: a vector<28xf32>
/// or vector<6x28xf32> is legalized into shuffles that made LeNet's conv2
/// input gradient 5x slower than its full tiles.
mlir::LogicalResult splitPartialTile(
    mlir::RewriterBase &rewriter, mlir::scf::ForOp remainder, unsigned dim, int64_t tileSize,
    llvm::function_ref<llvm::SmallVector<mlir::linalg::GenericOp>(mlir::Operation *)> tilesOf);

/// Applies every loaded dialect's and operation's canonicalization patterns,
/// with `patterns`, to `root`.
mlir::LogicalResult canonicalize(mlir::Operation *root, mlir::RewritePatternSet &&patterns);

/// The inner steps, for the output tiles `tiles` of the outer tiling: when
/// `dropUnitLoops`, drops each tile's unit loops; tiles its reduction loops
/// by 1 (innermost, in order) and drops the new unit loops again (a
/// convolution's window offset `p + kh*W + kw` is a projected permutation
/// only once kh and kw are gone); vectorizes every static tile and its fill;
/// hoists each accumulator out of its reduction loops and lowers the
/// arithmetic to FMAs. A tile's epilogue is vectorized with it (its unit
/// loops dropped too), and reads the accumulator the tile writes. Tiles
/// that stayed dynamic keep their loops (correct, only slower).
mlir::LogicalResult vectorizeRegisterTiles(mlir::func::FuncOp func,
                                           llvm::ArrayRef<mlir::linalg::GenericOp> tiles,
                                           bool dropUnitLoops);

} // namespace graphc::register_tiling

#endif // GRAPHC_TRANSFORMS_REGISTERTILING_H
