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
// With the pass's for-weight-gradients (the CPU target), a convolution
// padded in its columns whose input has a weight gradient (LeNet's conv1,
// 28 columns padded to 32) is also unfolded where that pays (see
// unfoldingPays): its input padded first, in rows and columns (a slice's
// gradient: zeros with the input placed in them), and the unfolded
// convolution has no padding. Its rows have
// no garbage columns either, and its weight gradient reads the output
// gradient as it is, instead of a copy widened to the padded rows.
//
//===----------------------------------------------------------------------===//

#include "graphc/Dialect/Graph/GraphOps.h"
#include "graphc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"

#include "llvm/ADT/SmallPtrSet.h"

#include <limits>

namespace graphc {
#define GEN_PASS_DEF_UNFOLDWINDOWCOLUMNS
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;
namespace graph = graphc::graph;

namespace {

/// Whether unfolding a convolution over [C, H, W] images with a [O, C, KH,
/// KW] kernel and padding (PH, PW) pays. Either of:
///   - no column padding, and the garbage columns are at least a quarter of
///     the flat rows: LeNet's conv2, 4 of 14 (its forward pass and weight
///     gradient then compute 100 positions an image instead of 140, for a
///     copy of its input 5 times over, 4.3 MB at batch 256);
///   - column padding, the input has a weight gradient, and the unfolded
///     input (padded first) is no larger than the output gradient widened to
///     the padded rows, which the flat
///     weight gradient reads otherwise (a copy, or a zero fill it is
///     computed into): LeNet's conv1, one input channel, 5 x 32 x 28 floats
///     an image against 6 x 28 x 32. Its weight gradient went from 2.72 /
///     3.01 to 2.13 / 2.08 ms at batch 256 (22-24 % -> 31-32 % of the FMA
///     peak; OMP_NUM_THREADS=1 build/bin/op_bench --num-threads=1 --reps=40
///     --only=conv1, two alternating runs). Its 4 garbage columns of 32 alone
///     do not pay for the copy: its forward pass alone, unfolded, went from
///     1.58 to 1.96 / 2.46 ms.
bool unfoldingPays(ArrayRef<int64_t> image, ArrayRef<int64_t> kernel, ArrayRef<int64_t> padding,
                   bool hasWeightGradient) {
  int64_t channels = image[0], paddedRows = image[1] + 2 * padding[0],
          paddedWidth = image[2] + 2 * padding[1];
  int64_t outputs = kernel[0], kernelRows = kernel[2], kernelWidth = kernel[3];
  int64_t outputRows = paddedRows - kernelRows + 1, outputWidth = paddedWidth - kernelWidth + 1;
  if (padding[1] == 0)
    return 4 * (kernelWidth - 1) >= paddedWidth;
  return hasWeightGradient &&
         kernelWidth * channels * paddedRows * outputWidth <= outputs * outputRows * paddedWidth;
}

/// The inputs of the function's weight gradients. Every op's decision is
/// taken before any op is rewritten, so a convolution and the weight
/// gradient of one input decide alike and read the same unfolded input.
using WeightGradientInputs = llvm::SmallPtrSet<Value, 4>;

/// Whether `op`, a convolution or weight gradient with a `kernel` ([O, C,
/// KH, KW]), can be unfolded (stride 1, dilation 1, one group, static
/// channels, rows and kernel, padding no larger than the image: the zeros
/// are shaped like its first rows and columns) and it pays.
template <typename ConvolutionOp>
bool unfolds(ConvolutionOp op, ArrayRef<int64_t> kernel,
             const WeightGradientInputs &weightGradientInputs) {
  Value input = op.getInput();
  auto type = dyn_cast<RankedTensorType>(input.getType());
  if (!type || type.getRank() != 4 || kernel.size() != 4 ||
      ShapedType::isDynamicShape(type.getShape().drop_front()) ||
      ShapedType::isDynamicShape(kernel))
    return false;
  ArrayRef<int64_t> image = type.getShape().drop_front(), padding = op.getPadding();
  return op.getStride() == ArrayRef<int64_t>{1, 1} && op.getDilation() == ArrayRef<int64_t>{1, 1} &&
         op.getGroups() == 1 && kernel[3] > 1 && image[2] + 2 * padding[1] >= kernel[3] &&
         padding[0] <= image[1] && padding[1] <= image[2] &&
         unfoldingPays(image, kernel, padding, weightGradientInputs.contains(input));
}

/// A slice's stop that keeps a dim whole (the batch may be dynamic).
constexpr int64_t kWholeDim = std::numeric_limits<int64_t>::max();

/// `input` ([N, C, H, W]) in zeros, `padding` (PH, PW) of them on both
/// sides of its rows and columns: a slice's gradient placed at [PH, PH + H)
/// and [PW, PW + W), which the lowering writes as one zero fill with the
/// input copied into it. Two concats with zeros (rows, then columns) made
/// LeNet's conv1 write its padded input twice and zeros of their own
/// (perf on train_bench, batch 256).
Value padWithZeros(RewriterBase &rewriter, Location loc, Value input, ArrayRef<int64_t> padding) {
  auto type = cast<RankedTensorType>(input.getType());
  ArrayRef<int64_t> shape = type.getShape();
  auto paddedType = RankedTensorType::get(
      {shape[0], shape[1], shape[2] + 2 * padding[0], shape[3] + 2 * padding[1]},
      type.getElementType());
  return rewriter.create<graph::SliceGradOp>(
      loc, paddedType, input, rewriter.getDenseI64ArrayAttr({0, 0, padding[0], padding[1]}),
      rewriter.getDenseI64ArrayAttr(
          {kWholeDim, shape[1], padding[0] + shape[2], padding[1] + shape[3]}),
      rewriter.getDenseI64ArrayAttr({1, 1, 1, 1}));
}

/// X'[n, kw*C + c, h, w] = X[n, c, h, w + kw], each copy OW wide: the
/// column slices of every kw, joined along the channels.
Value unfoldColumns(RewriterBase &rewriter, Location loc, Value input, int64_t kernelWidth) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t outputWidth = type.getDimSize(3) - kernelWidth + 1;
  SmallVector<Value> columns;
  for (int64_t kw = 0; kw < kernelWidth; ++kw)
    columns.push_back(rewriter.create<graph::SliceOp>(
        loc, input, rewriter.getDenseI64ArrayAttr({0, 0, 0, kw}),
        rewriter.getDenseI64ArrayAttr({kWholeDim, kWholeDim, kWholeDim, kw + outputWidth}),
        rewriter.getDenseI64ArrayAttr({1, 1, 1, 1})));
  return rewriter.create<graph::ConcatOp>(loc, columns, rewriter.getI64IntegerAttr(1));
}

/// The unfolded kernel's type: [F, C, KH, KW] -> [F, KW*C, KH, 1].
RankedTensorType unfoldedKernelType(RankedTensorType type) {
  ArrayRef<int64_t> k = type.getShape();
  return RankedTensorType::get({k[0], k[3] * k[1], k[2], 1}, type.getElementType());
}

/// K'[f, kw*C + c, kh, 0] = K[f, c, kh, kw].
Value unfoldKernel(RewriterBase &rewriter, Location loc, Value kernel) {
  Value columnsFirst =
      rewriter.create<graph::TransposeOp>(loc, kernel, ArrayRef<int64_t>{0, 3, 1, 2});
  return rewriter.create<graph::ReshapeOp>(
      loc, unfoldedKernelType(cast<RankedTensorType>(kernel.getType())), columnsFirst);
}

/// The inverse: [F, KW*C, KH, 1] -> [F, C, KH, KW].
Value foldKernel(RewriterBase &rewriter, Location loc, Value unfolded, RankedTensorType type) {
  ArrayRef<int64_t> k = type.getShape();
  Value columnsFirst = rewriter.create<graph::ReshapeOp>(
      loc, RankedTensorType::get({k[0], k[3], k[1], k[2]}, type.getElementType()), unfolded);
  return rewriter.create<graph::TransposeOp>(loc, columnsFirst, ArrayRef<int64_t>{0, 2, 3, 1});
}

/// The input an unfolded convolution reads, and its padding.
struct UnfoldedInput {
  Value input;
  DenseI64ArrayAttr padding;
};

/// Without column padding, the column slices of the input, and the unfolded
/// convolution keeps the row padding. With it, those of the input padded in
/// rows and columns first (every slice then has its zeros), and the unfolded
/// convolution has none: padded there, the unfolded input (conv1's 4.6 MB
/// at batch 256) would be copied once more into its padded rows.
UnfoldedInput unfoldInput(RewriterBase &rewriter, Location loc, Value input, int64_t kernelWidth,
                          ArrayRef<int64_t> padding) {
  if (padding[1] == 0)
    return {unfoldColumns(rewriter, loc, input, kernelWidth),
            rewriter.getDenseI64ArrayAttr({padding[0], 0})};
  Value padded = padWithZeros(rewriter, loc, input, padding);
  return {unfoldColumns(rewriter, loc, padded, kernelWidth), rewriter.getDenseI64ArrayAttr({0, 0})};
}

/// conv2d(X, K) = conv2d(X', K').
void unfoldConvolution(RewriterBase &rewriter, graph::Conv2DOp conv) {
  auto kernel = cast<RankedTensorType>(conv.getWeight().getType());
  Location loc = conv.getLoc();
  UnfoldedInput unfolded =
      unfoldInput(rewriter, loc, conv.getInput(), kernel.getDimSize(3), conv.getPadding());
  Value weight = unfoldKernel(rewriter, loc, conv.getWeight());
  rewriter.replaceOpWithNewOp<graph::Conv2DOp>(conv, conv.getType(), unfolded.input, weight,
                                               conv.getStrideAttr(), unfolded.padding,
                                               conv.getDilationAttr(), conv.getGroupsAttr());
}

/// The weight gradient over X', taken back to K's layout.
void unfoldWeightGradient(RewriterBase &rewriter, graph::Conv2DWeightGradOp grad) {
  auto type = cast<RankedTensorType>(grad.getType());
  Location loc = grad.getLoc();
  UnfoldedInput input =
      unfoldInput(rewriter, loc, grad.getInput(), type.getDimSize(3), grad.getPadding());
  Value unfolded = rewriter.create<graph::Conv2DWeightGradOp>(
      loc, unfoldedKernelType(type), grad.getGradOutput(), input.input, grad.getStrideAttr(),
      input.padding, grad.getDilationAttr(), grad.getGroupsAttr());
  rewriter.replaceOp(grad, foldKernel(rewriter, loc, unfolded, type));
}

struct UnfoldWindowColumnsPass : graphc::impl::UnfoldWindowColumnsBase<UnfoldWindowColumnsPass> {
  using UnfoldWindowColumnsBase::UnfoldWindowColumnsBase;

  void runOnOperation() override {
    WeightGradientInputs weightGradientInputs;
    if (forWeightGradients)
      getOperation()->walk(
          [&](graph::Conv2DWeightGradOp grad) { weightGradientInputs.insert(grad.getInput()); });
    // Every decision first, on the graph as it is; then the rewrites (a
    // rewritten op makes no new candidate: its kernel is one column wide).
    SmallVector<graph::Conv2DOp> convolutions;
    SmallVector<graph::Conv2DWeightGradOp> weightGradients;
    getOperation()->walk([&](Operation *op) {
      if (auto conv = dyn_cast<graph::Conv2DOp>(op)) {
        if (unfolds(conv, cast<RankedTensorType>(conv.getWeight().getType()).getShape(),
                    weightGradientInputs))
          convolutions.push_back(conv);
      } else if (auto grad = dyn_cast<graph::Conv2DWeightGradOp>(op)) {
        if (unfolds(grad, grad.getType().getShape(), weightGradientInputs))
          weightGradients.push_back(grad);
      }
    });
    IRRewriter rewriter(&getContext());
    for (graph::Conv2DOp conv : convolutions) {
      rewriter.setInsertionPoint(conv);
      unfoldConvolution(rewriter, conv);
    }
    for (graph::Conv2DWeightGradOp grad : weightGradients) {
      rewriter.setInsertionPoint(grad);
      unfoldWeightGradient(rewriter, grad);
    }
  }
};

} // namespace
