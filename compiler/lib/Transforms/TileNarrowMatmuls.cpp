//===- TileNarrowMatmuls.cpp - --graphc-tile-narrow-matmuls ---------------===//
//
// A matmul whose C has fewer columns than a vector register has lanes (the
// MLP's fc3 forward: 256 x 64 x 10) fills n of each register when it is
// tiled over its columns (graphc-tile-matmuls): 10 of AVX-512's 16 lanes,
// which bounds it at 62.5 % of the FMA peak (op_bench measured 37 % on a
// Zen 5, 53 % on a Zen 4; docs/performance.md). Here such a matmul is
// computed over its rows instead, C^T = B^T A^T, 16 rows of C in each
// vector:
//   - each 16 x 16 block of A is read and transposed in registers (the
//     16 x 16 shuffle network of upstream's vector.transpose lowering), so
//     that each of its 16 columns is a vector over 16 rows;
//   - each column is multiplied by n broadcast elements of B (read in place
//     from B^T where B is a transpose, as a linear layer's weight is) into n
//     accumulators of 16 rows each;
//   - after the k loop the n accumulators are transposed back the same way
//     and written as 16 rows of n columns.
// A^T never goes through memory: transposing X and C^T there cost more than
// the product gained (session 24, docs/performance.md). Each element of C
// is the same FMAs over k in the same order from the same fill, so results
// are bitwise those of graphc-tile-matmuls.
//
//===----------------------------------------------------------------------===//

#include "graphc/Dialect/Graph/GraphDialect.h"
#include "graphc/Transforms/Epilogues.h"
#include "graphc/Transforms/Passes.h"

#include "RegisterTiling.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace graphc {
#define GEN_PASS_DEF_TILENARROWMATMULS
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

/// Rows of C per vector: the 16 f32 lanes of an AVX-512 register, the shape
/// the upstream shuffle lowering transposes in registers.
constexpr int64_t kLanes = 16;

/// A matmul generic this pass computes over its rows, and what it reads.
struct NarrowMatmul {
  linalg::GenericOp matmul;
  /// A, [m, k].
  Value lhs;
  /// B, [k, n]; or B^T, [n, k], when `rhsTransposed`.
  Value rhs;
  bool rhsTransposed = false;
  /// The fill's destination and value: every element of C is written.
  Value destination;
  Value fillValue;
  int64_t m = 0, k = 0, n = 0;
};

bool isF32Tensor(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && type.getElementType().isF32() && type.hasStaticShape();
}

/// `generic` as a NarrowMatmul: a lowered matmul (loops (m, k, n), A read as
/// [m, k]) on static f32 tensors, m a multiple of kLanes, n at most
/// `maxColumns`, C a fill.
std::optional<NarrowMatmul> matchNarrowMatmul(linalg::GenericOp generic, int64_t maxColumns) {
  if (!graphc::isLoweredMatmul(generic) || !generic.hasPureTensorSemantics())
    return std::nullopt;
  AffineMap lhsMap = generic.getIndexingMapsArray()[0];
  if (lhsMap.getResult(0) != getAffineDimExpr(0, generic.getContext()))
    return std::nullopt; // A read from A^T: graphc-tile-matmuls' form.
  NarrowMatmul narrow;
  narrow.matmul = generic;
  narrow.lhs = generic.getDpsInputs()[0];
  narrow.rhs = generic.getDpsInputs()[1];
  Value init = generic.getDpsInits()[0];
  if (!isF32Tensor(narrow.lhs) || !isF32Tensor(narrow.rhs) || !isF32Tensor(init))
    return std::nullopt;
  SmallVector<int64_t> ranges = generic.getStaticLoopRanges();
  narrow.m = ranges[0];
  narrow.k = ranges[1];
  narrow.n = ranges[2];
  if (narrow.m % kLanes != 0 || narrow.n > maxColumns)
    return std::nullopt;
  auto fill = init.getDefiningOp<linalg::FillOp>();
  if (!fill)
    return std::nullopt;
  narrow.destination = fill.getDpsInits()[0];
  narrow.fillValue = fill.getDpsInputs()[0];
  if (auto transpose = narrow.rhs.getDefiningOp<linalg::TransposeOp>();
      transpose && transpose.getPermutation() == ArrayRef<int64_t>{1, 0}) {
    narrow.rhs = transpose.getInput();
    narrow.rhsTransposed = true;
  }
  return narrow;
}

/// The accumulators `accumulators` (C^T's n rows over the kLanes rows of C
/// from `row`) after the `depth` columns of A from `k0`: A's block read and
/// transposed in registers (padded with zeros past k when `depth` is
/// short), then per column of the block, one FMA per column of C with its
/// element of B broadcast. Returns the accumulators; appends the block's
/// vector.transpose to `transposes`, for the shuffle lowering.
SmallVector<Value> accumulateBlock(OpBuilder &b, Location loc, const NarrowMatmul &narrow,
                                   Value row, Value k0, int64_t depth, ValueRange accumulators,
                                   SmallVectorImpl<Operation *> &transposes) {
  Type f32 = b.getF32Type();
  auto block = VectorType::get({kLanes, kLanes}, f32);
  auto lanes = VectorType::get({kLanes}, f32);
  Value padding = b.create<arith::ConstantOp>(loc, b.getZeroAttr(f32));
  bool fullBlock = depth == kLanes;
  Value rowsOfA = b.create<vector::TransferReadOp>(loc, block, narrow.lhs, ValueRange{row, k0},
                                                   padding, ArrayRef<bool>{true, fullBlock});
  auto columnsOfA = b.create<vector::TransposeOp>(loc, rowsOfA, ArrayRef<int64_t>{1, 0});
  transposes.push_back(columnsOfA);
  SmallVector<Value> sums(accumulators);
  for (int64_t kk = 0; kk < depth; ++kk) {
    Value column = b.create<vector::ExtractOp>(loc, columnsOfA, kk);
    Value kIndex = b.create<arith::AddIOp>(loc, k0, b.create<arith::ConstantIndexOp>(loc, kk));
    for (int64_t j = 0; j < narrow.n; ++j) {
      Value jIndex = b.create<arith::ConstantIndexOp>(loc, j);
      SmallVector<Value, 2> indices{kIndex, jIndex};
      if (narrow.rhsTransposed)
        std::swap(indices[0], indices[1]);
      Value element = b.create<tensor::ExtractOp>(loc, narrow.rhs, indices);
      Value broadcast = b.create<vector::BroadcastOp>(loc, lanes, element);
      sums[j] = b.create<vector::FMAOp>(loc, column, broadcast, sums[j]);
    }
  }
  return sums;
}

/// Replaces `narrow`'s matmul (and its fill) with the loop over blocks of
/// kLanes rows of C; appends its vector.transposes to `transposes`.
void computeOverRows(RewriterBase &rewriter, const NarrowMatmul &narrow,
                     SmallVectorImpl<Operation *> &transposes) {
  linalg::GenericOp matmul = narrow.matmul;
  Location loc = matmul.getLoc();
  rewriter.setInsertionPoint(matmul);
  Type f32 = rewriter.getF32Type();
  auto lanes = VectorType::get({kLanes}, f32);
  auto block = VectorType::get({kLanes, kLanes}, f32);
  Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
  Value step = rewriter.create<arith::ConstantIndexOp>(loc, kLanes);
  Value rows = rewriter.create<arith::ConstantIndexOp>(loc, narrow.m);
  int64_t wholeBlocksDepth = narrow.k - narrow.k % kLanes;
  Value filled = rewriter.create<vector::BroadcastOp>(loc, lanes, narrow.fillValue);
  auto rowLoop = rewriter.create<scf::ForOp>(
      loc, zero, rows, step, ValueRange{narrow.destination},
      [&](OpBuilder &b, Location loc, Value row, ValueRange result) {
        SmallVector<Value> sums(narrow.n, filled);
        if (wholeBlocksDepth > 0) {
          Value depth = b.create<arith::ConstantIndexOp>(loc, wholeBlocksDepth);
          auto kLoop = b.create<scf::ForOp>(
              loc, zero, depth, step, sums,
              [&](OpBuilder &b, Location loc, Value k0, ValueRange accumulators) {
                b.create<scf::YieldOp>(loc, accumulateBlock(b, loc, narrow, row, k0, kLanes,
                                                            accumulators, transposes));
              });
          sums.assign(kLoop.getResults().begin(), kLoop.getResults().end());
        }
        if (int64_t rest = narrow.k % kLanes) {
          Value k0 = b.create<arith::ConstantIndexOp>(loc, wholeBlocksDepth);
          sums = accumulateBlock(b, loc, narrow, row, k0, rest, ValueRange(sums), transposes);
        }
        // C^T's n rows, padded to a square block, back to C's kLanes rows.
        Value transposedTile =
            b.create<arith::ConstantOp>(loc, DenseElementsAttr::get(block, 0.0f));
        for (auto [j, sum] : llvm::enumerate(sums))
          transposedTile = b.create<vector::InsertOp>(loc, sum, transposedTile, int64_t(j));
        auto tile = b.create<vector::TransposeOp>(loc, transposedTile, ArrayRef<int64_t>{1, 0});
        transposes.push_back(tile);
        // Each row's first n lanes: a masked store per row. (Sliced to
        // vector<16xn> first, the transpose and the stores became a mix of
        // 128- and 256-bit shuffles and stores: about 150 instructions a
        // block.)
        Value written = b.create<vector::TransferWriteOp>(loc, tile, result[0],
                                                          ValueRange{row, zero},
                                                          ArrayRef<bool>{true, false})
                            .getResult();
        b.create<scf::YieldOp>(loc, written);
      });
  // Each block of rows writes its own rows of C: threads may share them.
  rowLoop->setAttr(graphc::graph::GraphDialect::getIndependentIterationsAttrName(),
                   rewriter.getUnitAttr());
  Operation *fill = matmul.getDpsInits()[0].getDefiningOp();
  Operation *transpose = narrow.rhsTransposed ? matmul.getDpsInputs()[1].getDefiningOp() : nullptr;
  rewriter.replaceOp(matmul, rowLoop.getResults());
  for (Operation *unused : {fill, transpose})
    if (unused && unused->use_empty())
      rewriter.eraseOp(unused);
}

struct TileNarrowMatmulsPass : graphc::impl::TileNarrowMatmulsBase<TileNarrowMatmulsPass> {
  using TileNarrowMatmulsBase::TileNarrowMatmulsBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<NarrowMatmul> narrows;
    func.walk([&](linalg::GenericOp generic) {
      if (std::optional<NarrowMatmul> narrow = matchNarrowMatmul(generic, maxColumns))
        narrows.push_back(*narrow);
    });
    if (narrows.empty())
      return;
    MLIRContext *ctx = &getContext();
    IRRewriter rewriter(ctx);
    SmallVector<Operation *> transposes;
    for (const NarrowMatmul &narrow : narrows)
      computeOverRows(rewriter, narrow, transposes);
    // Only this pass's transposes, through the shuffle network.
    if (failed(
            graphc::register_tiling::lowerTransposesToShuffles(transposes, RewritePatternSet(ctx))))
      signalPassFailure();
  }
};

} // namespace
