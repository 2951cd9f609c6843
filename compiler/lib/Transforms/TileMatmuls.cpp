//===- TileMatmuls.cpp - --graphc-tile-matmuls -----------------------------===//
//
// Register tiling of graphc's matmuls on tensors, before bufferization.
//
// The lowering writes every matmul (and the dense gradients) as one
// linalg.generic over (m, k, n), innermost n contiguous. Lowered to loops,
// C[m, :] += A[m, k] * B[k, :] loads and stores a row of C for every k: about
// 40 GFLOP/s on this machine's 116 GFLOP/s FMA limit per core. Here each
// MR x NR tile of C stays in vector registers through the whole k loop:
//   1. tile m and n by MR x NR (scf.for), fusing only the zero fill of C,
//      rows outermost, or columns where A is the smaller operand and they
//      share out as well between threads (columnTilesOutermost);
//   2. peel the partial last tiles, so the main loops have static full tiles
//      (a static m remainder of r rows becomes r x NR tiles; that of a
//      dynamic batch a full tile shifted back over the last rows);
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

#include "RegisterTiling.h"

#include "graphc/Transforms/Epilogues.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

namespace graphc {
#define GEN_PASS_DEF_TILEMATMULS
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

SmallVector<linalg::GenericOp> matmulsIn(Operation *root) {
  SmallVector<linalg::GenericOp> found;
  root->walk([&](linalg::GenericOp generic) {
    if (graphc::isLoweredMatmul(generic))
      found.push_back(generic);
  });
  return found;
}

/// The last rows of a dynamic batch (fewer than a tile's) as one full row
/// tile shifted back to end at the last row, where there are rows enough:
/// a clone of the full tiles' loop running once, from `end - rows`. The
/// rows it shares with the last full tile are computed again, the same
/// products in the same order: the same values. With fewer rows than a
/// tile, the remainder as it was (rows of 1). As rows of 1, each column
/// vector was one chain of dependent FMAs, at a quarter of the FMA rate:
/// the MLP's last 4 of 256 rows of fc1 took 2.7 % of its step on one
/// thread (docs/performance.md).
void shiftLastRowTile(RewriterBase &rewriter, scf::ForOp fullTiles, scf::ForOp remainder,
                      int64_t rows) {
  Location loc = remainder.getLoc();
  rewriter.setInsertionPoint(remainder);
  Value start = remainder.getLowerBound(), end = remainder.getUpperBound();
  Value tileRows = rewriter.create<arith::ConstantIndexOp>(loc, rows);
  Value partial = rewriter.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, start, end);
  Value enough = rewriter.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, end, tileRows);
  Value shiftable = rewriter.create<arith::AndIOp>(loc, partial, enough);
  auto choice = rewriter.create<scf::IfOp>(loc, remainder.getResultTypes(), shiftable,
                                           /*withElseRegion=*/true);
  rewriter.setInsertionPointToStart(choice.thenBlock());
  Value shiftedStart = rewriter.create<arith::SubIOp>(loc, end, tileRows);
  auto shifted = cast<scf::ForOp>(rewriter.clone(*fullTiles));
  shifted.getLowerBoundMutable().assign(shiftedStart);
  shifted.getUpperBoundMutable().assign(end);
  shifted.getInitArgsMutable().assign(remainder.getInitArgs());
  // One iteration, after the full tiles: nothing for threads to share.
  shifted->removeAttr(graphc::graph::GraphDialect::getIndependentIterationsAttrName());
  rewriter.setInsertionPointAfter(shifted);
  rewriter.create<scf::YieldOp>(loc, shifted.getResults());
  rewriter.replaceAllUsesWith(remainder.getResults(), choice.getResults());
  rewriter.setInsertionPointToStart(choice.elseBlock());
  auto yield = rewriter.create<scf::YieldOp>(loc, remainder.getResults());
  remainder->moveBefore(yield);
}

/// Whether C's column tiles are the outer tile loop, its row tiles inner.
/// Each row tile reads all of B (k x n) and each column tile all of A
/// (m x k): the inner loop reads the outer tile's panel again and again
/// (from L1 when it fits) and streams the other operand once per outer
/// tile. So the operand streamed again is to be the smaller one, which
/// stays in L2: A when m < n. Weight gradients are that case: the MLP's
/// fc1 weight gradient (dY^T x X, 128 x 256 x 784 at batch 256) streamed
/// all of X (784 KB) from beyond L2 for each of its 21 row tiles: 0.67 /
/// 0.66 ms against 0.59 / 0.60 with columns outermost (op_bench), and in a
/// C model of the tiles 66-70 GFLOP/s against 88-92 (docs/performance.md).
/// The outer loop's full tiles are the ones threads share and its partial
/// tile runs after them on one thread, so columns go outermost only where
/// they share out no worse (balancedTileSteps): fc1's 49 column tiles of
/// 16 split 25:24, its 21 row tiles of 6 split 11:10 and the last 2 rows
/// ran alone; LeNet's fc2 weight gradient (84 x 120) keeps its 14 row tiles
/// (7:7) over 7 column tiles and 8 columns left. A dynamic m or n (a batch)
/// keeps rows outermost.
bool columnTilesOutermost(linalg::GenericOp matmul, int64_t rows, int64_t columns) {
  using graphc::register_tiling::balancedTileSteps;
  SmallVector<int64_t> loops = matmul.getStaticLoopRanges(); // m, k, n
  int64_t m = loops[0], n = loops[2];
  if (ShapedType::isDynamic(m) || ShapedType::isDynamic(n) || m >= n)
    return false;
  // Elements of C a thread computes, the busier thread's, in either order.
  int64_t rowsOuter = (balancedTileSteps(m / rows) * rows + m % rows) * n;
  int64_t columnsOuter = (balancedTileSteps(n / columns) * columns + n % columns) * m;
  return columnsOuter <= rowsOuter;
}

/// Reads A^T in place where A is a 2-D transpose (a weight gradient's
/// dY^T): the tile broadcasts A's elements one at a time either way, and
/// A^T[k, m:m+MR] is MR contiguous floats where A[m:m+MR, k] is MR strided
/// ones, so the transpose (a loop over the batch before the product) is
/// not needed. The MLP's fc3 weight gradient (dY^T x X, dY 256 x 10) spent
/// about a fifth of its time transposing dY, in blocks of 16 x 10 that the
/// 16 x 16 shuffle network does not take. The products and their order
/// are unchanged. (graphc-fold-transposes-into-consumers does this for any
/// generic, on buffers, for the GPU; here it must happen on tensors, before
/// the tiling, and only for A: B's rows are the tile's vectors, which a
/// transposed read would gather.)
void readTransposedLhsInPlace(RewriterBase &rewriter, linalg::GenericOp matmul) {
  auto transpose = matmul.getDpsInputs()[0].getDefiningOp<linalg::TransposeOp>();
  if (!transpose || transpose.getPermutation() != ArrayRef<int64_t>{1, 0})
    return;
  // transposed[i] = input[permutation[i]]: A's indices, permuted back.
  SmallVector<AffineMap> maps = matmul.getIndexingMapsArray();
  SmallVector<AffineExpr> inputIndices = llvm::to_vector(maps[0].getResults());
  applyPermutationToVector(inputIndices, invertPermutationVector(transpose.getPermutation()));
  maps[0] = AffineMap::get(maps[0].getNumDims(), 0, inputIndices, matmul.getContext());
  rewriter.modifyOpInPlace(matmul, [&] {
    matmul.setOperand(0, transpose.getInput());
    matmul.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
  });
  if (transpose->use_empty())
    rewriter.eraseOp(transpose);
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

  /// The rows of C per tile: `rows`, or all of a static m of at most
  /// `maxRows`. Split at `rows`, such an m is a full tile and a thin one:
  /// the MLP's fc3 weight gradient (10 x 256 x 64) was an 8 x 32 tile and a
  /// 2 x 32 one, whose 4 accumulators and 2 loads a k step kept the FMA
  /// pipes half idle; as one 10 x 32 tile (20 accumulators, 2 B vectors and
  /// a broadcast: 23 of AVX-512's 32 registers), with dY read in place,
  /// 0.0043-0.0050 -> 0.0036-0.0042 ms on a Zen 4 (docs/performance.md).
  int64_t rowTile(linalg::GenericOp matmul) {
    int64_t m = matmul.getStaticLoopRanges()[0];
    return !ShapedType::isDynamic(m) && m > rows && m <= maxRows ? m : rows;
  }

  /// The columns of C per tile: `columns` (two registers' worth), or all
  /// of a static n that fills more than half of one register and less than
  /// all of it. Split into power-of-two tiles, such an n took two vector
  /// FMAs per row and k for one register's columns: the MLP's fc3 forward
  /// (256 x 64 x 10) was an 8 x 8 tile and an 8 x 2 one; as 8 x 10 tiles,
  /// one 16-lane FMA (LLVM widens the 10 lanes) per row and k,
  /// 0.0071 -> 0.0061 ms on a Zen 4 (docs/performance.md).
  int64_t columnTile(linalg::GenericOp matmul) {
    int64_t n = matmul.getStaticLoopRanges()[2];
    int64_t lanes = columns / 2;
    return !ShapedType::isDynamic(n) && n > lanes / 2 && n < lanes ? n : columns;
  }

  LogicalResult tileRegisters(func::FuncOp func) {
    using namespace graphc::register_tiling;
    MLIRContext *ctx = func.getContext();
    IRRewriter rewriter(ctx);
    // 1-2. m and n tiles, partial tiles peeled.
    for (linalg::GenericOp matmul : matmulsIn(func)) {
      readTransposedLhsInPlace(rewriter, matmul);
      rewriter.setInsertionPoint(matmul);
      int64_t tileRows = rowTile(matmul);
      int64_t tileColumns = columnTile(matmul);
      bool columnsOutermost = columnTilesOutermost(matmul, tileRows, tileColumns);
      SmallVector<int64_t> interchange;
      if (columnsOutermost)
        interchange = {2, 0, 1};
      FailureOr<scf::SCFTileAndFuseResult> tiled =
          tileWithEpilogue(rewriter, matmul, {tileRows, 0, tileColumns}, interchange);
      if (failed(tiled))
        return matmul.emitError("tiling the matmul by ")
               << tileRows << "x" << tileColumns << " failed";
      auto outer = cast<scf::ForOp>(tiled->loops[0].getOperation());
      auto inner = cast<scf::ForOp>(tiled->loops[1].getOperation());
      scf::ForOp mLoop = columnsOutermost ? inner : outer;
      // The inner loop is peeled first: the outer loop's remainder then
      // holds the inner loop peeled (and a column remainder split) already.
      // The rows left over are kept; the columns left over are split into
      // power-of-two tiles.
      scf::ForOp mRemainder;
      for (scf::ForOp loop : {inner, outer}) {
        scf::ForOp remainder = peelPartialTile(rewriter, loop);
        if (loop == mLoop)
          mRemainder = remainder;
        else if (remainder &&
                 failed(splitPartialTile(rewriter, remainder, /*dim=*/2, columns, matmulsIn)))
          return failure();
      }
      // Each full tile of the outer loop writes its own rows or columns of
      // C: threads may share them. Under columns, that includes the rows
      // left over, in each column tile.
      outer->setAttr(graphc::graph::GraphDialect::getIndependentIterationsAttrName(),
                     rewriter.getUnitAttr());
      // A static remainder (LeNet's and the MLP's 256 rows: 42 tiles of 6
      // and one of 4) is one tile of its own height, with a register per
      // row: as 1 x NR rows it ran one chain of dependent FMAs per column
      // vector, at a quarter of the FMA rate. A dynamic one (a batch known
      // at run time) is a full tile shifted back over the last rows, or
      // with fewer rows than a tile, rows of 1 (shiftLastRowTile).
      bool staticRemainder = mRemainder &&
                             getConstantIntValue(mRemainder.getLowerBound()) &&
                             getConstantIntValue(mRemainder.getUpperBound());
      if (mRemainder && !staticRemainder) {
        for (linalg::GenericOp rest : matmulsIn(mRemainder)) {
          rewriter.setInsertionPoint(rest);
          if (failed(tileWithEpilogue(rewriter, rest, {1, 0, 0})))
            return rest.emitError("tiling the last rows of the matmul failed");
        }
        shiftLastRowTile(rewriter, mLoop, mRemainder, tileRows);
      }
    }
    // The peeled bounds fold: tiles become static (tensor<?x32> to tensor<8x32>).
    if (failed(canonicalize(func, RewritePatternSet(ctx))))
      return failure();
    // 3-5. k by 1, vectorized, C tile hoisted out of the k loop, FMAs.
    return vectorizeRegisterTiles(func, matmulsIn(func), /*dropUnitLoops=*/false);
  }
};

} // namespace
