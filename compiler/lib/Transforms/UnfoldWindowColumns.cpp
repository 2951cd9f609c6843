//===- UnfoldWindowColumns.cpp - --graphc-unfold-window-columns ------------===//
//
// The lowering computes a stride-1 convolution over flattened rows
// (GraphToLinalg/Linear.cpp): every output row at the input's full width W,
// its last KW - 1 columns garbage. Narrow rows make that a large share of
// the work: LeNet's conv2 (14 columns, 5 wide kernel) computes 140
// positions an image for 100 outputs, in its forward pass and its weight
// gradient alike.
//
// A convolution with a kernel KW wide over rows W wide is also one with a
// kernel one column wide over KW column-shifted copies of the input, each
// OW = W - KW + 1 wide:
//   X'[n, kw*C + c, h, w] = X[n, c, h, w + kw]
//   K'[f, kw*C + c, kh, 0] = K[f, c, kh, kw]
//   conv2d(X, K) = conv2d(X', K')
// and its rows have no garbage columns. Here a conv2d and a
// conv2d_weight_grad that read the same input get the same X' (CSE keeps
// one, written once a step), the weight gradient's result taken back to
// K's layout. Each output element is the same products; their sums run in
// another order (channels before columns), so results change by rounding.
// The input gradient is left as it is: it reads K, not X.
//
//===----------------------------------------------------------------------===//

#include "graphc/Dialect/Graph/GraphOps.h"
#include "graphc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <limits>

namespace graphc {
#define GEN_PASS_DEF_UNFOLDWINDOWCOLUMNS
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;
namespace graph = graphc::graph;

namespace {

/// The unfolding pays when the garbage columns are at least a quarter of
/// the flat rows: LeNet's conv2, 4 of 14 (its forward pass and weight
/// gradient then compute 100 positions an image instead of 140, for a copy
/// of its input 5 times over, 4.3 MB at batch 256), not conv1, 4 of 32.
bool unfoldingPays(int64_t width, int64_t kernelWidth) { return 4 * (kernelWidth - 1) >= width; }

/// Whether a convolution of `input` with a `kernel` ([O, C, KH, KW]) and
/// these attributes can be unfolded (stride 1, dilation 1, one group, no
/// column padding, static channels, rows and kernel) and it pays.
bool unfolds(Value input, ArrayRef<int64_t> kernel, ArrayRef<int64_t> stride,
             ArrayRef<int64_t> padding, ArrayRef<int64_t> dilation, int64_t groups) {
  auto type = dyn_cast<RankedTensorType>(input.getType());
  if (!type || type.getRank() != 4 || kernel.size() != 4 ||
      ShapedType::isDynamicShape(type.getShape().drop_front()) ||
      ShapedType::isDynamicShape(kernel))
    return false;
  return stride == ArrayRef<int64_t>{1, 1} && dilation == ArrayRef<int64_t>{1, 1} && groups == 1 &&
         padding[1] == 0 && kernel[3] > 1 && type.getDimSize(3) >= kernel[3] &&
         unfoldingPays(type.getDimSize(3), kernel[3]);
}

/// X'[n, kw*C + c, h, w] = X[n, c, h, w + kw], each copy OW wide: the
/// column slices of every kw, joined along the channels.
Value unfoldColumns(PatternRewriter &rewriter, Location loc, Value input, int64_t kernelWidth) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t outputWidth = type.getDimSize(3) - kernelWidth + 1;
  constexpr int64_t whole = std::numeric_limits<int64_t>::max();
  SmallVector<Value> columns;
  for (int64_t kw = 0; kw < kernelWidth; ++kw)
    columns.push_back(rewriter.create<graph::SliceOp>(
        loc, input, rewriter.getDenseI64ArrayAttr({0, 0, 0, kw}),
        rewriter.getDenseI64ArrayAttr({whole, whole, whole, kw + outputWidth}),
        rewriter.getDenseI64ArrayAttr({1, 1, 1, 1})));
  return rewriter.create<graph::ConcatOp>(loc, columns, rewriter.getI64IntegerAttr(1));
}

/// The unfolded kernel's type: [F, C, KH, KW] -> [F, KW*C, KH, 1].
RankedTensorType unfoldedKernelType(RankedTensorType type) {
  ArrayRef<int64_t> k = type.getShape();
  return RankedTensorType::get({k[0], k[3] * k[1], k[2], 1}, type.getElementType());
}

/// K'[f, kw*C + c, kh, 0] = K[f, c, kh, kw].
Value unfoldKernel(PatternRewriter &rewriter, Location loc, Value kernel) {
  Value columnsFirst =
      rewriter.create<graph::TransposeOp>(loc, kernel, ArrayRef<int64_t>{0, 3, 1, 2});
  return rewriter.create<graph::ReshapeOp>(
      loc, unfoldedKernelType(cast<RankedTensorType>(kernel.getType())), columnsFirst);
}

/// The inverse: [F, KW*C, KH, 1] -> [F, C, KH, KW].
Value foldKernel(PatternRewriter &rewriter, Location loc, Value unfolded, RankedTensorType type) {
  ArrayRef<int64_t> k = type.getShape();
  Value columnsFirst = rewriter.create<graph::ReshapeOp>(
      loc, RankedTensorType::get({k[0], k[3], k[1], k[2]}, type.getElementType()), unfolded);
  return rewriter.create<graph::TransposeOp>(loc, columnsFirst, ArrayRef<int64_t>{0, 2, 3, 1});
}

DenseI64ArrayAttr rowPaddingOnly(PatternRewriter &rewriter, ArrayRef<int64_t> padding) {
  return rewriter.getDenseI64ArrayAttr({padding[0], 0});
}

struct UnfoldConvolution : OpRewritePattern<graph::Conv2DOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(graph::Conv2DOp conv, PatternRewriter &rewriter) const override {
    auto kernel = cast<RankedTensorType>(conv.getWeight().getType());
    if (!unfolds(conv.getInput(), kernel.getShape(), conv.getStride(), conv.getPadding(),
                 conv.getDilation(), conv.getGroups()))
      return failure();
    Location loc = conv.getLoc();
    Value input = unfoldColumns(rewriter, loc, conv.getInput(), kernel.getDimSize(3));
    Value weight = unfoldKernel(rewriter, loc, conv.getWeight());
    rewriter.replaceOpWithNewOp<graph::Conv2DOp>(
        conv, conv.getType(), input, weight, conv.getStrideAttr(),
        rowPaddingOnly(rewriter, conv.getPadding()), conv.getDilationAttr(), conv.getGroupsAttr());
    return success();
  }
};

struct UnfoldWeightGradient : OpRewritePattern<graph::Conv2DWeightGradOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(graph::Conv2DWeightGradOp grad,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(grad.getType());
    if (!unfolds(grad.getInput(), type.getShape(), grad.getStride(), grad.getPadding(),
                 grad.getDilation(), grad.getGroups()))
      return failure();
    Location loc = grad.getLoc();
    Value input = unfoldColumns(rewriter, loc, grad.getInput(), type.getDimSize(3));
    Value unfolded = rewriter.create<graph::Conv2DWeightGradOp>(
        loc, unfoldedKernelType(type), grad.getGradOutput(), input, grad.getStrideAttr(),
        rowPaddingOnly(rewriter, grad.getPadding()), grad.getDilationAttr(), grad.getGroupsAttr());
    rewriter.replaceOp(grad, foldKernel(rewriter, loc, unfolded, type));
    return success();
  }
};

struct UnfoldWindowColumnsPass : graphc::impl::UnfoldWindowColumnsBase<UnfoldWindowColumnsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<UnfoldConvolution, UnfoldWeightGradient>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
