//===- FoldTransposedProducts.cpp - --graphc-fold-transposed-products -----===//
//
// The gradient of y = x . W^T with respect to W is the transpose of
// x^T . dy: autodiff writes transpose(matmul(transpose(x), dy)). Lowered as
// written, both transposes are copies (the MLP's step at batch 256 moved
// 300,000 elements through them for fc1 alone, with gathers: 6 % of its
// samples). Since (A . B)^T = B^T . A^T, the same gradient is
// matmul(transpose(dy), x): the input's transpose and the result's cancel,
// and what is left is dy's, 6 times smaller for fc1. Each element is the
// same sum of the same products in the same order (products commute
// exactly), so results are bitwise unchanged.
//
//===----------------------------------------------------------------------===//

#include "graphc/Dialect/Graph/GraphOps.h"
#include "graphc/Dialect/Graph/ShapeRules.h"
#include "graphc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <numeric>

namespace graphc {
#define GEN_PASS_DEF_FOLDTRANSPOSEDPRODUCTS
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;
namespace graph = graphc::graph;

namespace {

/// The permutation that swaps the last two of `rank` dimensions.
SmallVector<int64_t> lastTwoSwapped(int64_t rank) {
  SmallVector<int64_t> permutation(rank);
  std::iota(permutation.begin(), permutation.end(), 0);
  std::swap(permutation[rank - 1], permutation[rank - 2]);
  return permutation;
}

/// `value` with its last two dimensions swapped: the input of a transpose
/// that swapped them, else a new transpose.
Value swapLastTwo(PatternRewriter &rewriter, Location loc, Value value) {
  int64_t rank = cast<RankedTensorType>(value.getType()).getRank();
  SmallVector<int64_t> swap = lastTwoSwapped(rank);
  if (auto transpose = value.getDefiningOp<graph::TransposeOp>())
    if (transpose.getPermutation() == ArrayRef<int64_t>(swap))
      return transpose.getInput();
  return rewriter.create<graph::TransposeOp>(loc, value, swap);
}

/// transpose(matmul(a, b)), the last two dimensions swapped, becomes
/// matmul(transpose(b), transpose(a)) when the matmul has no other use and
/// both operands have the result's rank (2-D, or batched on both sides: a
/// shared rhs would become a shared lhs, which matmul does not take).
struct TransposedProduct : OpRewritePattern<graph::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(graph::TransposeOp transpose,
                                PatternRewriter &rewriter) const override {
    auto matmul = transpose.getInput().getDefiningOp<graph::MatmulOp>();
    if (!matmul || !matmul->hasOneUse())
      return failure();
    auto resultType = dyn_cast<RankedTensorType>(matmul.getType());
    auto lhsType = dyn_cast<RankedTensorType>(matmul.getLhs().getType());
    auto rhsType = dyn_cast<RankedTensorType>(matmul.getRhs().getType());
    if (!resultType || !lhsType || !rhsType || resultType.getRank() < 2 ||
        lhsType.getRank() != resultType.getRank() || rhsType.getRank() != resultType.getRank())
      return failure();
    SmallVector<int64_t> swap = lastTwoSwapped(resultType.getRank());
    if (transpose.getPermutation() != ArrayRef<int64_t>(swap))
      return failure();
    // The new product's shape by the ops' own shape rules: it must be the
    // transpose's exactly (a static size the other side left dynamic would
    // change the type).
    std::string why;
    FailureOr<graph::Shape> rhsTShape = graph::transposeShape(rhsType.getShape(), swap, why);
    FailureOr<graph::Shape> lhsTShape = graph::transposeShape(lhsType.getShape(), swap, why);
    if (failed(rhsTShape) || failed(lhsTShape))
      return failure();
    FailureOr<graph::Shape> productShape = graph::matmulShape(*rhsTShape, *lhsTShape, why);
    if (failed(productShape) ||
        ArrayRef<int64_t>(*productShape) != cast<RankedTensorType>(transpose.getType()).getShape())
      return rewriter.notifyMatchFailure(transpose, "the product's shape would differ");
    Location loc = transpose.getLoc();
    Value rhsT = swapLastTwo(rewriter, loc, matmul.getRhs());
    Value lhsT = swapLastTwo(rewriter, loc, matmul.getLhs());
    rewriter.replaceOpWithNewOp<graph::MatmulOp>(transpose, rhsT, lhsT);
    return success();
  }
};

struct FoldTransposedProductsPass
    : graphc::impl::FoldTransposedProductsBase<FoldTransposedProductsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<TransposedProduct>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
