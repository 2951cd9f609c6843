//===- TileNarrowMatmuls.cpp - --graphc-tile-narrow-matmuls ---------------===//
//
// A matmul whose C has fewer columns than a vector register has lanes (the
// MLP's fc3 forward: 256 x 64 x 10) fills n of each register when it is
// tiled over its columns (graphc-tile-matmuls): 10 of AVX-512's 16 lanes,
// which bounds it at 62.5 % of the FMA peak (op_bench measured 37 % on a
// Zen 5, 53 % on a Zen 4; docs/performance.md). Here such a matmul is
// computed over its rows instead, 4 rows of C in each quad (128-bit lane)
// of a vector, and 16 columns of A (k) across its 4 quads:
//   - 4 rows of A at a time are read in 16-column blocks and transposed
//     within quads (unpcklps / unpckhps / unpcklpd / unpckhpd): vector c
//     holds, in quad q, the 4 rows' elements at column 4q + c of the block;
//   - B is packed once per call to match: for column j of C and each c, a
//     vector whose quad q holds B[4q + c, j] four times;
//   - each of the 4 vectors of A is multiplied by n such vectors of B into
//     n accumulators per 4 rows (two groups of 4 rows per step share B's
//     loads);
//   - after the k loop each accumulator's 4 quads hold partial sums over
//     k, added up four columns at a time (lane-crossing shuffles, but once
//     per 4 rows and not per block of k), then written as the 4 rows' n
//     elements.
// A full 16 x 16 transpose of A in registers (session 29) spends 4 shuffles
// per element of A, half of them lane-crossing; this layout spends 2, all
// within lanes, and fc3's forward went from 63-69 % to 75-81 % of the peak
// (docs/performance.md, session 30). Each element of C is the fill plus
// four partial sums over k, so it rounds differently from the column tiles
// (within the usual bound of a dot product's rounding); any thread count
// gives the same bits, as each row is computed the same way wherever it is.
//
//===----------------------------------------------------------------------===//

#include "graphc/Dialect/Graph/GraphDialect.h"
#include "graphc/Transforms/Epilogues.h"
#include "graphc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"

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
  /// C's epilogue (a bias add, an activation; epilogueOf), computed on each
  /// row's elements before they are written, so that C itself is never
  /// stored; null when C has none.
  linalg::GenericOp epilogue;
  int64_t m = 0, k = 0, n = 0;
};

bool isF32Tensor(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && type.getElementType().isF32() && type.hasStaticShape();
}

/// How an epilogue's input other than C is read for one row's columns
/// [j0, j0 + w): as C is (a [m, n] tensor), per column (a bias, [n]), per
/// row ([m]) or once (rank 0).
enum class EpilogueRead { LikeC, PerColumn, PerRow, Once };

/// How the epilogue reads `input`, if this pass can compute it on a row's
/// elements: none for a transposed read.
std::optional<EpilogueRead> epilogueRead(linalg::GenericOp epilogue, OpOperand *input) {
  AffineMap map = epilogue.getMatchingIndexingMap(input);
  MLIRContext *ctx = epilogue.getContext();
  if (map.isIdentity())
    return EpilogueRead::LikeC;
  if (map.getNumResults() == 0)
    return EpilogueRead::Once;
  if (map.getNumResults() == 1 && map.getResult(0) == getAffineDimExpr(1, ctx))
    return EpilogueRead::PerColumn;
  if (map.getNumResults() == 1 && map.getResult(0) == getAffineDimExpr(0, ctx))
    return EpilogueRead::PerRow;
  return std::nullopt;
}

/// Whether `epilogue` (epilogueOf C's matmul) can be computed on vectors of
/// a row's elements: each input read in a way epilogueRead knows, its
/// outputs' block arguments unused, and its body elementwise-mappable ops
/// alone (arith, math: linalg's vectorizer maps them the same way), which
/// use nothing from outside the body but scalars.
bool computableOnRows(linalg::GenericOp epilogue) {
  for (OpOperand *input : epilogue.getDpsInputOperands())
    if (!epilogueRead(epilogue, input))
      return false;
  Block &body = epilogue.getRegion().front();
  for (BlockArgument output : body.getArguments().drop_front(epilogue.getNumDpsInputs()))
    if (!output.use_empty())
      return false;
  for (Operation &op : body.without_terminator()) {
    if (!OpTrait::hasElementwiseMappableTraits(&op) || op.getNumRegions() != 0)
      return false;
    for (Value operand : op.getOperands())
      if (operand.getParentBlock() != &body && !operand.getType().isIntOrIndexOrFloat())
        return false;
  }
  return true;
}

/// `generic` as a NarrowMatmul: a lowered matmul (loops (m, k, n), A read as
/// [m, k]) on static f32 tensors, m a multiple of 4, n at most `maxColumns`,
/// C a fill, and any epilogue computable on rows (else graphc-tile-matmuls
/// computes it in its tiles, as the fusion report says).
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
  if (narrow.m % 4 != 0 || narrow.n > maxColumns)
    return std::nullopt;
  auto fill = init.getDefiningOp<linalg::FillOp>();
  if (!fill)
    return std::nullopt;
  narrow.destination = fill.getDpsInits()[0];
  narrow.fillValue = fill.getDpsInputs()[0];
  narrow.epilogue = graphc::epilogueOf(generic);
  if (narrow.epilogue && !computableOnRows(narrow.epilogue))
    return std::nullopt;
  if (auto transpose = narrow.rhs.getDefiningOp<linalg::TransposeOp>();
      transpose && transpose.getPermutation() == ArrayRef<int64_t>{1, 0}) {
    narrow.rhs = transpose.getInput();
    narrow.rhsTransposed = true;
  }
  return narrow;
}

/// The vectors of one column of C^T over the rows of a quad-transposed
/// group: in quad q (lanes 4q .. 4q + 3), the 4 rows' elements at column
/// 4q + c of a 16-column block of A, for c = 0 .. 3.
constexpr int64_t kQuads = kLanes / 4;

/// `mask` as the shuffle of `a` and `b` (lanes of `b` numbered from
/// kLanes).
Value shuffle(OpBuilder &b, Location loc, Value first, Value second, ArrayRef<int64_t> mask) {
  return b.create<vector::ShuffleOp>(loc, first, second, mask);
}

/// The in-lane 4 x 4 transposes of `rows`, four 16-element rows of A: the
/// result's vector c holds, in quad q, the four rows' elements at column
/// 4q + c. The masks are AVX-512's unpcklps / unpckhps and unpcklpd /
/// unpckhpd, which stay within 128-bit lanes (the cheap shuffles: the
/// lane-crossing half of a full 16 x 16 transpose is what this layout
/// avoids).
SmallVector<Value, 4> transposeQuads(OpBuilder &b, Location loc, ArrayRef<Value> rows) {
  auto interleave = [&](Value x, Value y, int64_t offset, int64_t width) {
    // For each quad: `width` elements of x then of y from `offset`, twice
    // (width 1: unpck*ps; width 2: unpck*pd).
    SmallVector<int64_t, kLanes> mask;
    for (int64_t q = 0; q < kQuads; ++q)
      for (int64_t half = 0; half < 4 / (2 * width); ++half)
        for (int64_t source : {int64_t(0), kLanes})
          for (int64_t e = 0; e < width; ++e)
            mask.push_back(source + 4 * q + offset + half * width + e);
    return shuffle(b, loc, x, y, mask);
  };
  Value low01 = interleave(rows[0], rows[1], 0, 1), high01 = interleave(rows[0], rows[1], 2, 1);
  Value low23 = interleave(rows[2], rows[3], 0, 1), high23 = interleave(rows[2], rows[3], 2, 1);
  return {interleave(low01, low23, 0, 2), interleave(low01, low23, 2, 2),
          interleave(high01, high23, 0, 2), interleave(high01, high23, 2, 2)};
}

/// B packed for the quad layout, [n, 4 * blocks, 16] for the k / 16 blocks
/// (rounded up) of 16 k's: vector [j, 4 * block + c] holds in quad q the
/// element B[16 * block + 4q + c, j] four times, 0 past k. Built once per
/// call from `bt` (B^T, [n, k]), a row at a time.
Value packB(OpBuilder &b, Location loc, const NarrowMatmul &narrow, Value bt) {
  Type f32 = b.getF32Type();
  auto lanes = VectorType::get({kLanes}, f32);
  int64_t blocks = llvm::divideCeil(narrow.k, kLanes);
  Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
  Value one = b.create<arith::ConstantIndexOp>(loc, 1);
  Value padding = b.create<arith::ConstantOp>(loc, b.getZeroAttr(f32));
  Value empty =
      b.create<tensor::EmptyOp>(loc, ArrayRef<int64_t>{narrow.n, 4 * blocks, kLanes}, f32);
  bool wholeBlocks = narrow.k % kLanes == 0;
  auto columns = b.create<scf::ForOp>(
      loc, zero, b.create<arith::ConstantIndexOp>(loc, narrow.n), one, ValueRange{empty},
      [&](OpBuilder &b, Location loc, Value j, ValueRange packed) {
        auto blockLoop = b.create<scf::ForOp>(
            loc, zero, b.create<arith::ConstantIndexOp>(loc, blocks), one, packed,
            [&](OpBuilder &b, Location loc, Value block, ValueRange packed) {
              Value k0 = b.create<arith::MulIOp>(loc, block,
                                                 b.create<arith::ConstantIndexOp>(loc, kLanes));
              // Masked past k in the last block when k is no multiple of 16.
              Value row = b.create<vector::TransferReadOp>(loc, lanes, bt, ValueRange{j, k0},
                                                           padding, ArrayRef<bool>{wholeBlocks});
              Value result = packed[0];
              for (int64_t c = 0; c < 4; ++c) {
                SmallVector<int64_t, kLanes> mask;
                for (int64_t q = 0; q < kQuads; ++q)
                  mask.append(4, 4 * q + c);
                Value spread = shuffle(b, loc, row, row, mask);
                Value slot = b.create<arith::AddIOp>(
                    loc,
                    b.create<arith::MulIOp>(loc, block, b.create<arith::ConstantIndexOp>(loc, 4)),
                    b.create<arith::ConstantIndexOp>(loc, c));
                result = b.create<vector::TransferWriteOp>(
                              loc, spread, result, ValueRange{j, slot, zero}, ArrayRef<bool>{true})
                             .getResult();
              }
              b.create<scf::YieldOp>(loc, result);
            });
        b.create<scf::YieldOp>(loc, blockLoop.getResults());
      });
  return columns.getResult(0);
}

/// The accumulators (per group of 4 rows from `row`, one per column of C)
/// after the 16 columns of A from `k0` (padded with zeros past k when
/// `wholeBlock` is false): the block's rows read and quad-transposed, then
/// per c, one FMA per column of C and group with B's packed vector.
SmallVector<Value> accumulateBlock(OpBuilder &b, Location loc, const NarrowMatmul &narrow,
                                   Value packed, int64_t groups, Value row, Value k0,
                                   bool wholeBlock, ValueRange accumulators) {
  Type f32 = b.getF32Type();
  auto lanes = VectorType::get({kLanes}, f32);
  Value padding = b.create<arith::ConstantOp>(loc, b.getZeroAttr(f32));
  auto block = VectorType::get({4 * groups, kLanes}, f32);
  Value rowsOfA = b.create<vector::TransferReadOp>(loc, block, narrow.lhs, ValueRange{row, k0},
                                                   padding, ArrayRef<bool>{true, wholeBlock});
  SmallVector<SmallVector<Value, 4>> quads;
  for (int64_t g = 0; g < groups; ++g) {
    SmallVector<Value, 4> rows;
    for (int64_t r = 0; r < 4; ++r)
      rows.push_back(b.create<vector::ExtractOp>(loc, rowsOfA, 4 * g + r));
    quads.push_back(transposeQuads(b, loc, rows));
  }
  Value slot0 = b.create<arith::DivUIOp>(loc, k0, b.create<arith::ConstantIndexOp>(loc, 4));
  Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
  SmallVector<Value> sums(accumulators);
  for (int64_t c = 0; c < 4; ++c) {
    Value slot = b.create<arith::AddIOp>(loc, slot0, b.create<arith::ConstantIndexOp>(loc, c));
    for (int64_t j = 0; j < narrow.n; ++j) {
      Value jIndex = b.create<arith::ConstantIndexOp>(loc, j);
      Value weights = b.create<vector::TransferReadOp>(
          loc, lanes, packed, ValueRange{jIndex, slot, zero}, padding, ArrayRef<bool>{true});
      for (int64_t g = 0; g < groups; ++g) {
        Value &sum = sums[g * narrow.n + j];
        sum = b.create<vector::FMAOp>(loc, quads[g][c], weights, sum);
      }
    }
  }
  return sums;
}

/// The epilogue's results for `elements`, the elements of C at row `row`
/// and the columns from `column` (as many as it has lanes): each input read
/// for those elements, and its body's ops on vectors of them.
SmallVector<Value> computeEpilogue(OpBuilder &b, Location loc, const NarrowMatmul &narrow,
                                   Value elements, Value row, Value column) {
  linalg::GenericOp epilogue = narrow.epilogue;
  int64_t width = cast<VectorType>(elements.getType()).getNumElements();
  auto vectorOf = [&](Type scalar) { return VectorType::get({width}, scalar); };
  Block &body = epilogue.getRegion().front();
  IRMapping vectors;
  for (OpOperand *input : epilogue.getDpsInputOperands()) {
    BlockArgument argument = body.getArgument(input->getOperandNumber());
    Value source = input->get();
    if (source == narrow.matmul->getResult(0)) {
      vectors.map(argument, elements);
      continue;
    }
    Type scalar = argument.getType();
    Value padding = b.create<arith::ConstantOp>(loc, b.getZeroAttr(scalar));
    Value value;
    switch (*epilogueRead(epilogue, input)) {
    case EpilogueRead::LikeC:
      value = b.create<vector::TransferReadOp>(
          loc, vectorOf(scalar), source, ValueRange{row, column}, padding, ArrayRef<bool>{true});
      break;
    case EpilogueRead::PerColumn:
      value = b.create<vector::TransferReadOp>(loc, vectorOf(scalar), source, ValueRange{column},
                                               padding, ArrayRef<bool>{true});
      break;
    case EpilogueRead::PerRow:
      value = b.create<vector::BroadcastOp>(loc, vectorOf(scalar),
                                            b.create<tensor::ExtractOp>(loc, source, row));
      break;
    case EpilogueRead::Once:
      value = b.create<vector::BroadcastOp>(loc, vectorOf(scalar),
                                            b.create<tensor::ExtractOp>(loc, source));
      break;
    }
    vectors.map(argument, value);
  }
  for (Operation &op : body.without_terminator()) {
    SmallVector<Value> operands;
    for (Value operand : op.getOperands()) {
      if (Value vector = vectors.lookupOrNull(operand))
        operands.push_back(vector);
      else // a scalar from outside the body (computableOnRows)
        operands.push_back(
            b.create<vector::BroadcastOp>(loc, vectorOf(operand.getType()), operand));
    }
    SmallVector<Type> types;
    for (Type type : op.getResultTypes())
      types.push_back(vectorOf(type));
    Operation *vectorized =
        b.create(loc, op.getName().getIdentifier(), operands, types, op.getAttrs());
    vectors.map(op.getResults(), vectorized->getResults());
  }
  SmallVector<Value> results;
  for (Value yielded : body.getTerminator()->getOperands()) {
    if (Value vector = vectors.lookupOrNull(yielded))
      results.push_back(vector);
    else // a block argument or outside value yielded as it is
      results.push_back(b.create<vector::BroadcastOp>(loc, vectorOf(yielded.getType()), yielded));
  }
  return results;
}

/// Writes the 4 rows of C from `row` whose accumulators are `sums` (one
/// per column, quads holding partial sums over k): the quads added up, four
/// columns to a vector (two lane-crossing shuffles and an add a halving),
/// the fill added unless it is +0 (the sums start at +0), then per row its
/// n elements gathered by one shuffle per 8 columns and written: into C, or
/// through the epilogue into its results. Returns the tensors written,
/// `outputs` updated.
SmallVector<Value> writeRows(OpBuilder &b, Location loc, const NarrowMatmul &narrow,
                             ArrayRef<Value> sums, Value row, SmallVector<Value> outputs) {
  Type f32 = b.getF32Type();
  auto lanes = VectorType::get({kLanes}, f32);
  Value zeros = b.create<arith::ConstantOp>(loc, DenseElementsAttr::get(lanes, 0.0f));
  int64_t columnQuads = llvm::divideCeil(narrow.n, 4);
  auto halves = [&](Value x, Value y, int64_t width) {
    // Each 2 * width lanes of x, then of y, summed in halves: x's sums
    // before y's.
    SmallVector<int64_t, kLanes> low, high;
    int64_t piecesPerSource = kLanes / (2 * width);
    for (int64_t piece = 0; piece < 2 * piecesPerSource; ++piece)
      for (int64_t e = 0; e < width; ++e) {
        int64_t source = piece < piecesPerSource ? 0 : kLanes;
        int64_t base = (piece % piecesPerSource) * 2 * width;
        low.push_back(source + base + e);
        high.push_back(source + base + width + e);
      }
    return b.create<arith::AddFOp>(loc, shuffle(b, loc, x, y, low), shuffle(b, loc, x, y, high));
  };
  bool zeroFill = matchPattern(narrow.fillValue, m_PosZeroFloat());
  Value fill = zeroFill ? Value() : b.create<vector::BroadcastOp>(loc, lanes, narrow.fillValue);
  SmallVector<Value> columnSums;
  for (int64_t t = 0; t < columnQuads; ++t) {
    auto at = [&](int64_t j) { return j < narrow.n ? sums[j] : zeros; };
    // Quads (q0 + q2, q1 + q3) of columns 4t, 4t + 1, then 4t + 2, 4t + 3.
    Value first = halves(at(4 * t), at(4 * t + 1), 8);
    Value second = halves(at(4 * t + 2), at(4 * t + 3), 8);
    // Quad i: column 4t + i, lanes the 4 rows.
    Value total = halves(first, second, 4);
    columnSums.push_back(zeroFill ? total : b.create<arith::AddFOp>(loc, total, fill).getResult());
  }
  for (int64_t r = 0; r < 4; ++r) {
    Value rowIndex = b.create<arith::AddIOp>(loc, row, b.create<arith::ConstantIndexOp>(loc, r));
    for (int64_t t = 0; t < columnQuads; t += 2) {
      int64_t width = std::min<int64_t>(8, narrow.n - 4 * t);
      SmallVector<int64_t, 8> mask;
      for (int64_t i = 0; i < width; ++i)
        mask.push_back((i / 4) * kLanes + (i % 4) * 4 + r);
      Value second = t + 1 < columnQuads ? columnSums[t + 1] : columnSums[t];
      Value elements = shuffle(b, loc, columnSums[t], second, mask);
      Value column = b.create<arith::ConstantIndexOp>(loc, 4 * t);
      SmallVector<Value> written{elements};
      if (narrow.epilogue)
        written = computeEpilogue(b, loc, narrow, elements, rowIndex, column);
      for (auto [output, value] : llvm::zip_equal(outputs, written))
        output = b.create<vector::TransferWriteOp>(loc, value, output, ValueRange{rowIndex, column},
                                                   ArrayRef<bool>{true})
                     .getResult();
    }
  }
  return outputs;
}

/// Groups of 4 rows per step of the row loop: two when their accumulators,
/// 8 rows of A and B's vector fit AVX-512's 32 registers, else one.
int64_t groupsPerStep(const NarrowMatmul &narrow) {
  return narrow.m % 8 == 0 && 2 * narrow.n + 8 + 1 <= 32 ? 2 : 1;
}

/// Replaces `narrow`'s matmul (and its fill) with B's packing and the loop
/// over steps of 4 or 8 rows of C.
void computeOverRows(RewriterBase &rewriter, NarrowMatmul narrow) {
  linalg::GenericOp matmul = narrow.matmul;
  Location loc = matmul.getLoc();
  // At the epilogue when there is one: what it reads besides C (a bias)
  // may be computed after the matmul.
  rewriter.setInsertionPoint(narrow.epilogue ? narrow.epilogue.getOperation()
                                             : matmul.getOperation());
  Type f32 = rewriter.getF32Type();
  auto lanes = VectorType::get({kLanes}, f32);
  Value bt = narrow.rhs;
  if (!narrow.rhsTransposed) {
    // B^T's rows are what the packing reads: a small [n, k] copy.
    Value empty = rewriter.create<tensor::EmptyOp>(loc, ArrayRef<int64_t>{narrow.n, narrow.k}, f32);
    bt = rewriter.create<linalg::TransposeOp>(loc, narrow.rhs, empty, ArrayRef<int64_t>{1, 0})
             ->getResult(0);
  }
  Value packed = packB(rewriter, loc, narrow, bt);
  int64_t groups = groupsPerStep(narrow);
  Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
  Value blockStep = rewriter.create<arith::ConstantIndexOp>(loc, kLanes);
  Value rowStep = rewriter.create<arith::ConstantIndexOp>(loc, 4 * groups);
  Value rows = rewriter.create<arith::ConstantIndexOp>(loc, narrow.m);
  int64_t wholeBlocksDepth = narrow.k - narrow.k % kLanes;
  Value zeros = rewriter.create<arith::ConstantOp>(loc, DenseElementsAttr::get(lanes, 0.0f));
  // What the loop writes: C, or the epilogue's results in its place.
  SmallVector<Value> destinations{narrow.destination};
  if (linalg::GenericOp epilogue = narrow.epilogue)
    destinations = epilogue.getDpsInits();
  auto rowLoop = rewriter.create<scf::ForOp>(
      loc, zero, rows, rowStep, destinations,
      [&](OpBuilder &b, Location loc, Value row, ValueRange result) {
        SmallVector<Value> sums(groups * narrow.n, zeros);
        if (wholeBlocksDepth > 0) {
          Value depth = b.create<arith::ConstantIndexOp>(loc, wholeBlocksDepth);
          auto kLoop = b.create<scf::ForOp>(
              loc, zero, depth, blockStep, sums,
              [&](OpBuilder &b, Location loc, Value k0, ValueRange accumulators) {
                b.create<scf::YieldOp>(loc, accumulateBlock(b, loc, narrow, packed, groups, row, k0,
                                                            /*wholeBlock=*/true, accumulators));
              });
          sums.assign(kLoop.getResults().begin(), kLoop.getResults().end());
        }
        if (narrow.k % kLanes) {
          Value k0 = b.create<arith::ConstantIndexOp>(loc, wholeBlocksDepth);
          sums = accumulateBlock(b, loc, narrow, packed, groups, row, k0, /*wholeBlock=*/false,
                                 ValueRange(sums));
        }
        SmallVector<Value> outputs(result);
        for (int64_t g = 0; g < groups; ++g) {
          Value groupRow =
              b.create<arith::AddIOp>(loc, row, b.create<arith::ConstantIndexOp>(loc, 4 * g));
          outputs = writeRows(b, loc, narrow, ArrayRef<Value>(sums).slice(g * narrow.n, narrow.n),
                              groupRow, outputs);
        }
        b.create<scf::YieldOp>(loc, outputs);
      });
  // Each step writes its own rows: threads may share them.
  rowLoop->setAttr(graphc::graph::GraphDialect::getIndependentIterationsAttrName(),
                   rewriter.getUnitAttr());
  Operation *fill = matmul.getDpsInits()[0].getDefiningOp();
  Operation *transpose = narrow.rhsTransposed ? matmul.getDpsInputs()[1].getDefiningOp() : nullptr;
  if (narrow.epilogue) {
    // The epilogue's results come out of the loop; C, its only reader's
    // input, goes with it.
    rewriter.replaceOp(narrow.epilogue, rowLoop.getResults());
    rewriter.eraseOp(matmul);
  } else {
    rewriter.replaceOp(matmul, rowLoop.getResults());
  }
  for (Operation *unused : {fill, transpose})
    if (unused && unused->use_empty())
      rewriter.eraseOp(unused);
}

struct TileNarrowMatmulsPass : graphc::impl::TileNarrowMatmulsBase<TileNarrowMatmulsPass> {
  using TileNarrowMatmulsBase::TileNarrowMatmulsBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<linalg::GenericOp> matmuls;
    func.walk([&](linalg::GenericOp generic) {
      if (matchNarrowMatmul(generic, maxColumns))
        matmuls.push_back(generic);
    });
    IRRewriter rewriter(&getContext());
    // Matched again just before each rewrite: an earlier one may have
    // replaced what this one reads (its result, as A or through an
    // epilogue). Only the rewritten matmul is erased, so the others stay
    // valid.
    for (linalg::GenericOp matmul : matmuls)
      if (std::optional<NarrowMatmul> narrow = matchNarrowMatmul(matmul, maxColumns))
        computeOverRows(rewriter, *narrow);
  }
};

} // namespace
