//===- Linear.cpp - matmul and conv2d to named linalg ops -----------------===//

#include "graphc/Conversion/GraphToLinalg/GraphToLinalg.h"
#include "graphc/Dialect/Graph/GraphOps.h"

#include "Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace graphc;
using namespace graphc::lowering;

namespace {

/// The loop order of every convolution generic: (batch, channel, three
/// reduction loops, row, column), the output row innermost.
SmallVector<utils::IteratorType> convolutionIterators() {
  return {utils::IteratorType::parallel,  utils::IteratorType::parallel,
          utils::IteratorType::reduction, utils::IteratorType::reduction,
          utils::IteratorType::reduction, utils::IteratorType::parallel,
          utils::IteratorType::parallel};
}

/// An input gradient's group-relative output channel appears only inside
/// expressions, so an empty [Og, KH, KW] operand gives the reduction loops
/// their bounds (`weightShape` is [O, C/G, KH, KW]).
Value reductionBounds(OpBuilder &b, Location loc, int64_t outputsPerGroup,
                      ArrayRef<int64_t> weightShape, Type element) {
  return b.create<tensor::EmptyOp>(
      loc, ArrayRef<int64_t>{outputsPerGroup, weightShape[2], weightShape[3]}, element);
}

/// Stride 1 and dilation 1 turn a convolution over rows of width W into a
/// 1-D one over the flattened image, out[p] += in[p + kh*W + kw], when every
/// output row is computed at the full width W (its last W - OW columns are
/// garbage, dropped afterwards, or zero when they are read). The innermost
/// loop then runs over OH*W contiguous elements instead of one row of OW:
/// LeNet's rows are 10 to 28 wide, shorter than or barely over the 16 lanes
/// of an AVX-512 vector, and the flat loop vectorizes where the row loop did
/// not. One extra zero row below the image keeps the garbage columns of the
/// last output row inside it.
bool flattensRows(ArrayRef<int64_t> stride, ArrayRef<int64_t> dilation) {
  return stride[0] == 1 && stride[1] == 1 && dilation[0] == 1 && dilation[1] == 1;
}

/// The zero rows a convolution over flattened rows adds below its padded
/// input (see flattensRows): one, which the last output row's garbage
/// columns read, or none when a kernel one column wide leaves no garbage
/// columns (graphc-unfold-window-columns: the output is as wide as the
/// padded rows), so that an unpadded input needs no copy.
int64_t extraRowsBelow(int64_t kernelWidth) { return kernelWidth == 1 ? 0 : 1; }

/// The zero columns to the right of each row of a convolution's operand
/// over flattened rows, `width` columns of data padded by `padding` on each
/// side for a kernel `kernel` wide: none where the rows can wrap instead. A
/// window running past a row's right end (by at most padding - 1 columns:
/// the output is width + 2*padding - kernel + 1 wide) then reads the next
/// row's left padding, the zeros right padding would have given, and each
/// row is width + padding wide instead of width + 2*padding, so fewer garbage
/// columns are computed and dropped (conv2's input gradient: 14 instead of 18
/// per 14). That
/// needs the output no wider than a wrapped row (padding <= kernel - 1) and
/// the last row's overrun, up to kernel - 2 past its end, inside the extra
/// row below.
int64_t rightPadding(int64_t width, int64_t padding, int64_t kernel) {
  bool wraps = padding <= kernel - 1 && kernel - 2 < width + padding;
  return wraps ? 0 : padding;
}

/// The most weights times flat positions a weight gradient over flattened
/// rows may have (4M): the size its partial sums had before they were taken
/// in lanes, kept as the bound of that form until the flat form is measured
/// on large layers. LeNet's have at most 336k; a large layer (3x3, 64 -> 64
/// channels at 56x56: 120M) keeps the row form.
constexpr int64_t kMaxWeightsTimesPositions = int64_t(1) << 22;

/// The lanes of a weight gradient's partial sums over flattened rows: the
/// positions p = block * kPartialSumLanes + lane, each lane's sum carried
/// through every image and block. 16, one AVX-512 vector of float32.
constexpr int64_t kPartialSumLanes = 16;

/// The loop order of the flattened convolutions: (batch, channel, three
/// reduction loops, flat position).
SmallVector<utils::IteratorType> flatConvolutionIterators() {
  return {utils::IteratorType::parallel,  utils::IteratorType::parallel,
          utils::IteratorType::reduction, utils::IteratorType::reduction,
          utils::IteratorType::reduction, utils::IteratorType::parallel};
}

/// [N, C, H, W] -> [N, C, H*W].
Value collapseRows(OpBuilder &b, Location loc, Value image) {
  return b.create<tensor::CollapseShapeOp>(loc, image,
                                           ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
}

/// [N, C, H*W] -> [N, C, H, width]: the first `width` columns of each row.
Value expandRows(OpBuilder &b, Location loc, Value flat, int64_t rows, int64_t width) {
  auto type = cast<RankedTensorType>(flat.getType());
  int64_t fullWidth = type.getDimSize(2) / rows;
  auto expandedType = RankedTensorType::get(
      {type.getDimSize(0), type.getDimSize(1), rows, fullWidth}, type.getElementType());
  Value expanded = b.create<tensor::ExpandShapeOp>(
      loc, expandedType, flat, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
  if (width == fullWidth)
    return expanded;
  SmallVector<OpFoldResult> offsets(4, b.getIndexAttr(0)), strides(4, b.getIndexAttr(1));
  SmallVector<OpFoldResult> sizes{
      type.isDynamicDim(0) ? OpFoldResult(dimSize(b, loc, flat, 0))
                           : OpFoldResult(b.getIndexAttr(type.getDimSize(0))),
      b.getIndexAttr(type.getDimSize(1)), b.getIndexAttr(rows), b.getIndexAttr(width)};
  return b.create<tensor::ExtractSliceOp>(loc, expanded, offsets,
                                          sizes, strides);
}

/// A stride-1, dilation-1 convolution over flattened rows (see
/// flattensRows): out[n, f, oh, ow] = sum over (c, kh, kw) of
/// image[n, ch, oh + kh, ow + kw] * kernel[f, c, kh, kw], `image` zero-padded
/// already, with extraRowsBelow more rows below. `ch` is c, or with groups the channel
/// of f's group. Loops (n, f, c, kh, kw, p); the result is [N, F, OH, OW].
Value flatConvolution(OpBuilder &b, Location loc, Value image, Value kernel, int64_t groups,
                      RankedTensorType resultType) {
  MLIRContext *ctx = b.getContext();
  Type element = resultType.getElementType();
  ArrayRef<int64_t> k = cast<RankedTensorType>(kernel.getType()).getShape();
  int64_t width = cast<RankedTensorType>(image.getType()).getDimSize(3);
  int64_t perGroup = k[0] / groups;
  AffineExpr n, f, c, kh, kw, p;
  bindDims(ctx, n, f, c, kh, kw, p);
  AffineExpr channel = groups == 1 ? c : f.floorDiv(perGroup) * k[1] + c;
  SmallVector<AffineMap> maps{AffineMap::get(6, 0, {n, channel, p + kh * width + kw}, ctx),
                              AffineMap::get(6, 0, {f, c, kh, kw}, ctx),
                              AffineMap::get(6, 0, {n, f, p}, ctx)};
  ArrayRef<int64_t> out = resultType.getShape();
  auto flatType = RankedTensorType::get({out[0], out[1], out[2] * width}, element);
  Value init = createFilled(b, loc, flatType, scalarConstant(b, loc, element, 0),
                            [&](int64_t) { return dimSize(b, loc, image, 0); });
  auto conv = b.create<linalg::GenericOp>(
      loc, flatType, ValueRange{collapseRows(b, loc, image), kernel}, init, maps,
      flatConvolutionIterators(), [](OpBuilder &nb, Location l, ValueRange args) {
        nb.create<linalg::YieldOp>(l, multiplyAccumulate(nb, l, args[2], args[0], args[1]));
      });
  return expandRows(b, loc, conv.getResult(0), out[2], out[3]);
}

struct MatmulLowering : OpConversionPattern<graph::MatmulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(graph::MatmulOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    auto resultType = cast<RankedTensorType>(op.getType());
    int64_t lhsRank = cast<RankedTensorType>(lhs.getType()).getRank();
    int64_t rhsRank = cast<RankedTensorType>(rhs.getType()).getRank();
    Value zero = scalarConstant(rewriter, loc, resultType.getElementType(), 0);
    Value init = createFilled(rewriter, loc, resultType, zero, [&](int64_t dim) -> Value {
      int64_t resultRank = resultType.getRank();
      if (dim == resultRank - 1)
        return dimSize(rewriter, loc, rhs, rhsRank - 1);
      if (dim == resultRank - 2)
        return dimSize(rewriter, loc, lhs, lhsRank - 2);
      // The batch: take it from whichever operand knows it.
      if (cast<RankedTensorType>(lhs.getType()).isDynamicDim(0) || rhsRank == 2)
        return dimSize(rewriter, loc, lhs, 0);
      return dimSize(rewriter, loc, rhs, 0);
    });

    // One generic for every form, with the reduction loop k outside the
    // output column loop n: the innermost loop then walks rows of the rhs
    // and the result contiguously, which LLVM vectorizes.
    MLIRContext *ctx = rewriter.getContext();
    bool batched = lhsRank == 3;
    SmallVector<AffineMap> maps;
    SmallVector<utils::IteratorType> iterators;
    if (batched) {
      AffineExpr bb, m, k, n;
      bindDims(ctx, bb, m, k, n);
      maps = {AffineMap::get(4, 0, {bb, m, k}, ctx),
              rhsRank == 3 ? AffineMap::get(4, 0, {bb, k, n}, ctx)
                           : AffineMap::get(4, 0, {k, n}, ctx),
              AffineMap::get(4, 0, {bb, m, n}, ctx)};
      iterators = {utils::IteratorType::parallel, utils::IteratorType::parallel,
                   utils::IteratorType::reduction, utils::IteratorType::parallel};
    } else {
      AffineExpr m, k, n;
      bindDims(ctx, m, k, n);
      maps = {AffineMap::get(3, 0, {m, k}, ctx), AffineMap::get(3, 0, {k, n}, ctx),
              AffineMap::get(3, 0, {m, n}, ctx)};
      iterators = {utils::IteratorType::parallel, utils::IteratorType::reduction,
                   utils::IteratorType::parallel};
    }
    Value result = rewriter
                       .create<linalg::GenericOp>(
                           loc, resultType, ValueRange{lhs, rhs}, init, maps, iterators,
                           [](OpBuilder &nb, Location nloc, ValueRange args) {
                             nb.create<linalg::YieldOp>(
                                 nloc, multiplyAccumulate(nb, nloc, args[2], args[0], args[1]));
                           })
                       .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// out[n,f,oh,ow] += in[n, g*Cg + c, oh*s + kh*d, ow*s + kw*d] * w[f,c,kh,kw]
/// with g = f floordiv Fg, as one generic whose loops run (n, f, c, kh, kw,
/// oh, ow): the output row is innermost and, at stride 1, so is a contiguous
/// input row, which LLVM vectorizes. Groups need no reshaping.
struct Conv2DLowering : OpConversionPattern<graph::Conv2DOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(graph::Conv2DOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    Type element = resultType.getElementType();
    Value zero = scalarConstant(rewriter, loc, element, 0);
    Value unpadded = adaptor.getInput();
    Value weight = adaptor.getWeight();
    ArrayRef<int64_t> w = cast<RankedTensorType>(weight.getType()).getShape();
    int64_t groups = op.getGroups(), cg = w[1], fg = w[0] / groups;
    ArrayRef<int64_t> stride = op.getStride(), dil = op.getDilation();
    MLIRContext *ctx = rewriter.getContext();

    if (flattensRows(stride, dil)) {
      ArrayRef<int64_t> pad = op.getPadding();
      // Both sides padded: LeNet's conv1 forward over rows wrapped to 30
      // columns (840 positions: 26 tiles of 32 and a tail of 8) took
      // 1.34 ms at batch 256 against 1.05 over 32 columns (28 whole tiles),
      // though it computes 6 % fewer positions (op_bench).
      Value padded = padSpatial(rewriter, loc, unpadded, pad,
                                {pad[0] + extraRowsBelow(w[3]), pad[1]}, zero);
      rewriter.replaceOp(op, flatConvolution(rewriter, loc, padded, weight, groups, resultType));
      return success();
    }

    AffineExpr n, f, c, kh, kw, oh, ow;
    bindDims(ctx, n, f, c, kh, kw, oh, ow);
    AffineExpr channel = groups == 1 ? c : f.floorDiv(fg) * cg + c;
    Value input = padSpatial(rewriter, loc, unpadded, op.getPadding(), zero);
    SmallVector<AffineMap> maps{
        AffineMap::get(7, 0,
                       {n, channel, oh * stride[0] + kh * dil[0], ow * stride[1] + kw * dil[1]},
                       ctx),
        AffineMap::get(7, 0, {f, c, kh, kw}, ctx), AffineMap::get(7, 0, {n, f, oh, ow}, ctx)};
    SmallVector<utils::IteratorType> iterators = convolutionIterators();
    // Sizes come from the unpadded input: bufferization materializes the pad
    // after its users' size queries otherwise.
    Value init = createFilled(rewriter, loc, resultType, zero,
                              [&](int64_t) { return dimSize(rewriter, loc, unpadded, 0); });
    auto conv = rewriter.create<linalg::GenericOp>(
        loc, resultType, ValueRange{input, weight}, init, maps, iterators,
        [](OpBuilder &b, Location l, ValueRange args) {
          b.create<linalg::YieldOp>(l, multiplyAccumulate(b, l, args[2], args[0], args[1]));
        });
    rewriter.replaceOp(op, conv.getResults());
    return success();
  }
};

/// dX[n,c,h,w] = sum over the output channels o of c's group and kernel
/// offsets (kh,kw) of dY[n,o,oh,ow] * W[o,c%Cg,kh,kw], where (oh,ow) is the
/// window that puts (kh,kw) on (h,w), if any. At stride 1 that window is an
/// affine function of (h,w) (a correlation with the flipped kernel);
/// otherwise it is a gather (dY read with tensor.extract at computed
/// indices), so that no scatter is needed.
struct Conv2DInputGradLowering : OpConversionPattern<graph::Conv2DInputGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(graph::Conv2DInputGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value dy = adaptor.getGradOutput(), weight = adaptor.getWeight();
    auto resultType = cast<RankedTensorType>(op.getType());
    auto dyType = cast<RankedTensorType>(dy.getType());
    ArrayRef<int64_t> w = cast<RankedTensorType>(weight.getType()).getShape();
    int64_t groups = op.getGroups(), cg = w[1], og = w[0] / groups;
    ArrayRef<int64_t> stride = op.getStride(), pad = op.getPadding(), dil = op.getDilation();
    MLIRContext *ctx = rewriter.getContext();

    // Stride 1, dilation 1, one group: a forward convolution over flattened
    // rows (see flattensRows) of the fully padded gradient with the kernel
    // flipped and its channels swapped, Wt[c, o, kh, kw] = W[o, c, KH-1-kh,
    // KW-1-kw], computed first: then every access is the forward's, which
    // LLVM vectorizes (the flip inside the loop nest kept it from doing so).
    if (flattensRows(stride, dil) && groups == 1 && w[2] - 1 >= pad[0] && w[3] - 1 >= pad[1]) {
      Type element = resultType.getElementType();
      Value zero = scalarConstant(rewriter, loc, element, 0);
      AffineExpr a, b2, c2, d;
      bindDims(ctx, a, b2, c2, d);
      auto flippedType = RankedTensorType::get({w[1], w[0], w[2], w[3]}, element);
      Value flippedInit = rewriter.create<tensor::EmptyOp>(loc, flippedType.getShape(), element);
      Value flipped =
          rewriter
              .create<linalg::GenericOp>(
                  loc, flippedType, ValueRange{weight}, flippedInit,
                  SmallVector<AffineMap>{
                      AffineMap::get(4, 0, {b2, a, (w[2] - 1) - c2, (w[3] - 1) - d}, ctx),
                      AffineMap::get(4, 0, {a, b2, c2, d}, ctx)},
                  SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
                  [](OpBuilder &b, Location l, ValueRange args) {
                    b.create<linalg::YieldOp>(l, args[0]);
                  })
              .getResult(0);
      SmallVector<int64_t> full{w[2] - 1 - pad[0], w[3] - 1 - pad[1]};
      // The gradient's rows wrap (see rightPadding): LeNet's conv2 computes
      // 14 x 14 positions instead of 14 x 18 of which 4 columns per row were
      // dropped, 22 % fewer FMAs; its input gradient at batch 256 on one
      // thread, 3.19 -> 2.46 ms (op_bench). On the CPU,
      // graphc-band-convolution-rows then skips the kernel rows that read
      // only the padding rows (2.46 -> 1.92 ms).
      Value padded = padSpatial(
          rewriter, loc, dy, full,
          {full[0] + 1, rightPadding(dyType.getDimSize(3), full[1], w[3])}, zero);
      rewriter.replaceOp(op, flatConvolution(rewriter, loc, padded, flipped, 1, resultType));
      return success();
    }
    // Stride 1: a plain correlation of the padded gradient with the flipped
    // kernel, every access affine (and the input row innermost).
    if (stride[0] == 1 && stride[1] == 1 && dil[0] * (w[2] - 1) >= pad[0] &&
        dil[1] * (w[3] - 1) >= pad[1]) {
      Type element = resultType.getElementType();
      Value zero = scalarConstant(rewriter, loc, element, 0);
      SmallVector<int64_t> full{dil[0] * (w[2] - 1) - pad[0], dil[1] * (w[3] - 1) - pad[1]};
      Value padded = padSpatial(rewriter, loc, dy, full, zero);
      AffineExpr n, c, o, kh, kw, h, x;
      bindDims(ctx, n, c, o, kh, kw, h, x);
      AffineExpr outChannel = c.floorDiv(cg) * og + o;
      SmallVector<AffineMap> maps{
          AffineMap::get(7, 0, {n, outChannel, h + kh * dil[0], x + kw * dil[1]}, ctx),
          AffineMap::get(7, 0, {outChannel, c % cg, (w[2] - 1) - kh, (w[3] - 1) - kw}, ctx),
          AffineMap::get(7, 0, {n, c, h, x}, ctx)};
      Value bounds = reductionBounds(rewriter, loc, og, w, element);
      maps.insert(maps.begin(), AffineMap::get(7, 0, {o, kh, kw}, ctx));
      SmallVector<utils::IteratorType> iterators = convolutionIterators();
      Value init = createFilled(rewriter, loc, resultType, zero,
                                [&](int64_t dim) { return dimSize(rewriter, loc, dy, dim); });
      auto generic = rewriter.create<linalg::GenericOp>(
          loc, resultType, ValueRange{bounds, padded, weight}, init, maps, iterators,
          [](OpBuilder &b, Location l, ValueRange args) {
            b.create<linalg::YieldOp>(l, multiplyAccumulate(b, l, args[3], args[1], args[2]));
          });
      rewriter.replaceOp(op, generic.getResults());
      return success();
    }

    // Loops (n, c, og, kh, kw, h, w), the input row innermost;
    // W[(c floordiv Cg) * Og + og, c mod Cg, kh, kw].
    AffineExpr n, c, o, kh, kw, h, x;
    bindDims(ctx, n, c, o, kh, kw, h, x);
    Value bounds = reductionBounds(rewriter, loc, og, w, resultType.getElementType());
    SmallVector<AffineMap> maps{
        AffineMap::get(7, 0, {o, kh, kw}, ctx),
        AffineMap::get(7, 0, {c.floorDiv(cg) * og + o, c % cg, kh, kw}, ctx),
        AffineMap::get(7, 0, {n, c, h, x}, ctx)};
    SmallVector<utils::IteratorType> iterators = convolutionIterators();
    Type element = resultType.getElementType();
    Value zero = scalarConstant(rewriter, loc, element, 0);
    Value init = createFilled(rewriter, loc, resultType, zero,
                              [&](int64_t dim) { return dimSize(rewriter, loc, dy, dim); });
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, resultType, ValueRange{bounds, weight}, init, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          auto idx = [&](int64_t d) { return b.create<linalg::IndexOp>(l, d).getResult(); };
          auto [validH, oh] = windowOf(b, l, idx(5), idx(3), stride[0], pad[0], dil[0],
                                       dyType.getDimSize(2));
          auto [validW, ow] = windowOf(b, l, idx(6), idx(4), stride[1], pad[1], dil[1],
                                       dyType.getDimSize(3));
          Value group = b.create<arith::DivUIOp>(l, idx(1),
                                                 b.create<arith::ConstantIndexOp>(l, cg));
          Value outChannel = b.create<arith::AddIOp>(
              l, b.create<arith::MulIOp>(l, group, b.create<arith::ConstantIndexOp>(l, og)),
              idx(2));
          Value g = b.create<tensor::ExtractOp>(l, dy, ValueRange{idx(0), outChannel, oh, ow});
          Value valid = b.create<arith::AndIOp>(l, validH, validW);
          Value product = b.create<arith::MulFOp>(l, g, args[1]);
          Value contribution = b.create<arith::SelectOp>(l, valid, product, zero);
          b.create<linalg::YieldOp>(l, b.create<arith::AddFOp>(l, args[2], contribution).getResult());
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

/// dW[o,c,kh,kw] = sum over n, oh, ow of dY[n,o,oh,ow] *
/// Xpad[n, (o floordiv Og) * Cg + c, oh*s + kh*d, ow*s + kw*d]: a plain
/// reduction, every access affine.
struct Conv2DWeightGradLowering : OpConversionPattern<graph::Conv2DWeightGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(graph::Conv2DWeightGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    Type element = resultType.getElementType();
    Value zero = scalarConstant(rewriter, loc, element, 0);
    Value dy = adaptor.getGradOutput();
    ArrayRef<int64_t> w = resultType.getShape();
    int64_t groups = op.getGroups(), cg = w[1], og = w[0] / groups;
    ArrayRef<int64_t> stride = op.getStride(), dil = op.getDilation(), pad = op.getPadding();
    MLIRContext *ctx = rewriter.getContext();
    Value init = createFilled(rewriter, loc, resultType, zero, [](int64_t) -> Value {
      llvm_unreachable("a weight gradient has a static shape");
    });

    // Stride 1, dilation 1: flattened rows (see flattensRows). The gradient's
    // rows are zero-padded to the input's width, so garbage columns add
    // nothing. A reduction innermost would keep its accumulator in memory
    // (LLVM cannot tell the output from the inputs apart) and not vectorize,
    // so the batch and the positions are reduced first into partial sums per
    // weight and lane (below), the lanes innermost and contiguous
    // everywhere, and a second generic adds up the lanes.
    auto dyType = cast<RankedTensorType>(dy.getType());
    // The input is padded on both sides, as the forward pads it, so that it
    // is the forward's padded input (CSE); with wrapped rows (see
    // rightPadding) it was a second fill and copy per step, two more kernels
    // on the GPU.
    int64_t paddedWidth = cast<RankedTensorType>(adaptor.getInput().getType()).getDimSize(3) +
                          2 * pad[1];
    int64_t positions = dyType.getDimSize(2) * paddedWidth;
    if (flattensRows(stride, dil) &&
        w[0] * w[1] * w[2] * w[3] * positions <= kMaxWeightsTimesPositions) {
      Value input = padSpatial(
          rewriter, loc, adaptor.getInput(), pad,
          {pad[0] + extraRowsBelow(w[3]), pad[1]}, zero);
      int64_t width = paddedWidth;
      Value widened = padSpatial(rewriter, loc, dy, {0, 0}, {0, width - dyType.getDimSize(3)}, zero);
      Value flatGrad = collapseRows(rewriter, loc, widened);
      Value flatInput = collapseRows(rewriter, loc, input);
      // The positions in blocks of kPartialSumLanes: one partial sum per
      // weight and lane, carried through every image and block (the blocks
      // of an image are contiguous: a register tile streams its rows), then
      // the positions past the last whole block in the row form below.
      int64_t blocks = positions / kPartialSumLanes;
      int64_t tail = positions % kPartialSumLanes;
      // into + the sum of `partial` over its last dim.
      auto reduceLast = [&](Value partial, Value into) {
        AffineExpr a0, a1, a2, a3, position;
        bindDims(ctx, a0, a1, a2, a3, position);
        SmallVector<utils::IteratorType> sumIterators(4, utils::IteratorType::parallel);
        sumIterators.push_back(utils::IteratorType::reduction);
        return rewriter
            .create<linalg::GenericOp>(
                loc, resultType, ValueRange{partial}, into,
                SmallVector<AffineMap>{AffineMap::get(5, 0, {a0, a1, a2, a3, position}, ctx),
                                       AffineMap::get(5, 0, {a0, a1, a2, a3}, ctx)},
                sumIterators,
                [](OpBuilder &b, Location l, ValueRange args) {
                  // Reassociable like every convolution sum, so the lanes add up in
                  // vectors.
                  auto flags = arith::FastMathFlagsAttr::get(
                      b.getContext(),
                      arith::FastMathFlags::reassoc | arith::FastMathFlags::contract);
                  b.create<linalg::YieldOp>(
                      l, b.create<arith::AddFOp>(l, args[1], args[0], flags).getResult());
                })
            .getResult(0);
      };
      auto inputChannel = [&](AffineExpr o, AffineExpr c) {
        return groups == 1 ? c : o.floorDiv(og) * cg + c;
      };
      // Zero-initialized partial sums [O, C/groups, KH, KW, lanes] of
      // dY * X over `maps` (dY's, X's, the sums'), whose loops are (o, c,
      // kh, kw) and then `reductions`, then the lane loop.
      auto partialSums = [&](Value grad, Value image, ArrayRef<AffineMap> maps,
                             int64_t reductions, int64_t lanes) {
        using utils::IteratorType;
        SmallVector<IteratorType> iterators(4, IteratorType::parallel);
        iterators.append(reductions, IteratorType::reduction);
        iterators.push_back(IteratorType::parallel);
        auto type = RankedTensorType::get({w[0], w[1], w[2], w[3], lanes}, element);
        Value zeros = createFilled(rewriter, loc, type, zero, [](int64_t) -> Value {
          llvm_unreachable("partial sums have a static shape");
        });
        return rewriter
            .create<linalg::GenericOp>(
                loc, type, ValueRange{grad, image}, zeros, maps, iterators,
                [](OpBuilder &b, Location l, ValueRange args) {
                  b.create<linalg::YieldOp>(l,
                                            multiplyAccumulate(b, l, args[2], args[0], args[1]));
                })
            .getResult(0);
      };
      // flat[:, :, first : first + size].
      auto slice = [&](Value flat, int64_t first, int64_t size) {
        auto type = cast<RankedTensorType>(flat.getType());
        SmallVector<OpFoldResult> offsets{rewriter.getIndexAttr(0), rewriter.getIndexAttr(0),
                                          rewriter.getIndexAttr(first)};
        SmallVector<OpFoldResult> sizes{
            tensor::getMixedSize(rewriter, loc, flat, 0),
            rewriter.getIndexAttr(type.getDimSize(1)), rewriter.getIndexAttr(size)};
        SmallVector<OpFoldResult> strides(3, rewriter.getIndexAttr(1));
        return rewriter.create<tensor::ExtractSliceOp>(loc, flat, offsets, sizes, strides)
            .getResult();
      };
      Value result = init;
      if (blocks > 0) {
        AffineExpr o, c, kh, kw, n, block, lane;
        bindDims(ctx, o, c, kh, kw, n, block, lane);
        AffineExpr position = block * kPartialSumLanes + lane;
        // dY as [N, O, blocks, lanes]: every loop's size is then a dim of an
        // operand.
        Value blockedGrad = flatGrad;
        if (tail > 0)
          blockedGrad = slice(flatGrad, 0, blocks * kPartialSumLanes);
        auto blockedType = RankedTensorType::get(
            {dyType.getDimSize(0), dyType.getDimSize(1), blocks, kPartialSumLanes}, element);
        blockedGrad = rewriter.create<tensor::ExpandShapeOp>(
            loc, blockedType, blockedGrad, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
        SmallVector<AffineMap> maps{
            AffineMap::get(7, 0, {n, o, block, lane}, ctx),
            AffineMap::get(7, 0, {n, inputChannel(o, c), position + kh * width + kw}, ctx),
            AffineMap::get(7, 0, {o, c, kh, kw, lane}, ctx)};
        result = reduceLast(
            partialSums(blockedGrad, flatInput, maps, /*reductions=*/2, kPartialSumLanes), result);
      }
      if (tail > 0) {
        // The row form over the last positions: slices of both operands
        // starting at the first position past the whole blocks.
        int64_t first = blocks * kPartialSumLanes;
        int64_t inputLength = cast<RankedTensorType>(flatInput.getType()).getDimSize(2);
        Value gradTail = slice(flatGrad, first, tail);
        Value inputTail = slice(flatInput, first, inputLength - first);
        AffineExpr o, c, kh, kw, n, p;
        bindDims(ctx, o, c, kh, kw, n, p);
        SmallVector<AffineMap> maps{
            AffineMap::get(6, 0, {n, o, p}, ctx),
            AffineMap::get(6, 0, {n, inputChannel(o, c), p + kh * width + kw}, ctx),
            AffineMap::get(6, 0, {o, c, kh, kw, p}, ctx)};
        result = reduceLast(partialSums(gradTail, inputTail, maps, /*reductions=*/1, tail), result);
      }
      rewriter.replaceOp(op, result);
      return success();
    }
    Value input = padSpatial(rewriter, loc, adaptor.getInput(), pad, zero);

    AffineExpr o, c, kh, kw, n, oh, ow;
    bindDims(ctx, o, c, kh, kw, n, oh, ow);
    SmallVector<AffineMap> maps{
        AffineMap::get(7, 0, {n, o, oh, ow}, ctx),
        AffineMap::get(7, 0,
                       {n, groups == 1 ? c : o.floorDiv(og) * cg + c,
                        oh * stride[0] + kh * dil[0], ow * stride[1] + kw * dil[1]},
                       ctx),
        AffineMap::get(7, 0, {o, c, kh, kw}, ctx)};
    SmallVector<utils::IteratorType> iterators(4, utils::IteratorType::parallel);
    iterators.append(3, utils::IteratorType::reduction);
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, resultType, ValueRange{dy, input}, init, maps, iterators,
        [](OpBuilder &b, Location l, ValueRange args) {
          b.create<linalg::YieldOp>(l, multiplyAccumulate(b, l, args[2], args[0], args[1]));
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

} // namespace

void graphc::populateGraphToLinalgLinearPatterns(RewritePatternSet &patterns) {
  patterns.add<MatmulLowering, Conv2DLowering, Conv2DInputGradLowering,
               Conv2DWeightGradLowering>(patterns.getContext());
}
