//===- Pooling.cpp - max_pool2d and avg_pool2d to linalg pooling ----------===//

#include "graphc/Conversion/GraphToLinalg/GraphToLinalg.h"
#include "graphc/Dialect/Graph/GraphOps.h"

#include "Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace graphc;
using namespace graphc::lowering;

namespace {

/// Pads with `padValue`, then runs the linalg pooling op `PoolOp` over a
/// window tensor of the kernel's shape, starting from `initValue`.
template <typename PoolOp>
Value pool(ConversionPatternRewriter &rewriter, Location loc, Value input,
           RankedTensorType resultType, ArrayRef<int64_t> kernel, ArrayRef<int64_t> stride,
           ArrayRef<int64_t> padding, Value padValue, Value initValue) {
  Value padded = padSpatial(rewriter, loc, input, padding, padValue);
  Value init = createFilled(rewriter, loc, resultType, initValue,
                            [&](int64_t dim) { return dimSize(rewriter, loc, input, dim); });
  Value window = rewriter.create<tensor::EmptyOp>(loc, kernel, resultType.getElementType());
  return rewriter
      .create<PoolOp>(loc, TypeRange{resultType}, ValueRange{padded, window}, ValueRange{init},
                      rewriter.getI64VectorAttr(stride), rewriter.getI64VectorAttr({1, 1}))
      .getResult(0);
}

/// Where window position (kh, kw) of every window lies in a [N, C, H, W]
/// tensor `source` of non-overlapping windows: [N, C, OH, OW] (the shape
/// of `windowsType`) from (0, 0, kh, kw) with strides (1, 1, KH, KW).
struct WindowSlice {
  SmallVector<OpFoldResult> offsets, sizes, strides;
};

WindowSlice windowSlice(OpBuilder &b, Location loc, Value source, RankedTensorType windowsType,
                        ArrayRef<int64_t> kernel, int64_t kh, int64_t kw) {
  ArrayRef<int64_t> out = windowsType.getShape();
  OpFoldResult batch = windowsType.isDynamicDim(0) ? OpFoldResult(dimSize(b, loc, source, 0))
                                                   : OpFoldResult(b.getIndexAttr(out[0]));
  return {{b.getIndexAttr(0), b.getIndexAttr(0), b.getIndexAttr(kh), b.getIndexAttr(kw)},
          {batch, b.getIndexAttr(out[1]), b.getIndexAttr(out[2]), b.getIndexAttr(out[3])},
          {b.getIndexAttr(1), b.getIndexAttr(1), b.getIndexAttr(kernel[0]),
           b.getIndexAttr(kernel[1])}};
}

/// Window position (kh, kw) of every window of `source`, as a tensor.
Value extractWindowSlice(OpBuilder &b, Location loc, Value source, RankedTensorType windowsType,
                         ArrayRef<int64_t> kernel, int64_t kh, int64_t kw) {
  WindowSlice slice = windowSlice(b, loc, source, windowsType, kernel, kh, kw);
  return b.create<tensor::ExtractSliceOp>(loc, windowsType, source, slice.offsets, slice.sizes,
                                          slice.strides);
}

/// Writes `value` ([N, C, OH, OW]) into window position (kh, kw) of `dest`.
Value insertWindowSlice(OpBuilder &b, Location loc, Value value, Value dest,
                        ArrayRef<int64_t> kernel, int64_t kh, int64_t kw) {
  WindowSlice slice =
      windowSlice(b, loc, dest, cast<RankedTensorType>(value.getType()), kernel, kh, kw);
  return b.create<tensor::InsertSliceOp>(loc, value, dest, slice.offsets, slice.sizes,
                                         slice.strides);
}

/// Whether `x` takes over from `max` as a window's maximum in (kh, kw)
/// order: PyTorch's rule, `x > max || isnan(x)` (ties keep the first, a NaN
/// wins, the last of several). The forward pass and the gradient share it,
/// so the position that gets a window's gradient holds exactly the value
/// the forward pass took (graphc-mask-pooled-gradients relies on that).
Value takesOverMaximum(OpBuilder &b, Location loc, Value x, Value max) {
  Value greater = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, x, max);
  Value isNaN = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, x, x);
  return b.create<arith::OrIOp>(loc, greater, isNaN);
}

/// Non-overlapping windows without padding (LeNet's 2x2/2): one strided
/// slice of the input per window position (kh, kw), and an elementwise
/// maximum over them in (kh, kw) order from `lowest`, elementwise over the
/// output so that its column loop is innermost. The maximum is PyTorch's
/// (takesOverMaximum) as a compare and a select, which LLVM vectorizes; arith.maximumf (the named
/// pooling op's) becomes llvm.maximum, expanded per element on x86 (vmaxss,
/// vcmpunordss), and the named op also reduces each window innermost. The
/// two differ only in the sign of a zero maximum.
Value maxOfWindowSlices(OpBuilder &b, Location loc, Value input, RankedTensorType resultType,
                        ArrayRef<int64_t> kernel, Value lowest) {
  SmallVector<Value> windows;
  for (int64_t kh = 0; kh < kernel[0]; ++kh)
    for (int64_t kw = 0; kw < kernel[1]; ++kw)
      windows.push_back(extractWindowSlice(b, loc, input, resultType, kernel, kh, kw));
  Value init =
      createEmpty(b, loc, resultType, [&](int64_t dim) { return dimSize(b, loc, input, dim); });
  SmallVector<AffineMap> maps(windows.size() + 1, b.getMultiDimIdentityMap(4));
  SmallVector<utils::IteratorType> parallel(4, utils::IteratorType::parallel);
  return b
      .create<linalg::GenericOp>(loc, resultType, windows, init, maps, parallel,
                                 [&](OpBuilder &nb, Location l, ValueRange args) {
                                   Value acc = lowest;
                                   for (Value x : args.drop_back())
                                     acc = nb.create<arith::SelectOp>(
                                         l, takesOverMaximum(nb, l, x, acc), x, acc);
                                   nb.create<linalg::YieldOp>(l, acc);
                                 })
      .getResult(0);
}

struct MaxPool2DLowering : OpConversionPattern<graph::MaxPool2DOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(graph::MaxPool2DOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    Value lowest = lowestValue(rewriter, loc, resultType.getElementType());
    ArrayRef<int64_t> kernel = op.getKernelSize(), stride = op.getStride(),
                      padding = op.getPadding();
    if (kernel == stride && padding[0] == 0 && padding[1] == 0) {
      rewriter.replaceOp(op, maxOfWindowSlices(rewriter, loc, adaptor.getInput(), resultType,
                                               kernel, lowest));
      return success();
    }
    rewriter.replaceOp(op, pool<linalg::PoolingNchwMaxOp>(
                               rewriter, loc, adaptor.getInput(), resultType,
                               op.getKernelSize(), op.getStride(), op.getPadding(), lowest,
                               lowest));
    return success();
  }
};

struct AvgPool2DLowering : OpConversionPattern<graph::AvgPool2DOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(graph::AvgPool2DOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    Type element = resultType.getElementType();
    Value zero = scalarConstant(rewriter, loc, element, 0);
    Value sums = pool<linalg::PoolingNchwSumOp>(rewriter, loc, adaptor.getInput(), resultType,
                                                op.getKernelSize(), op.getStride(),
                                                op.getPadding(), zero, zero);
    // count_include_pad=True (PyTorch's default): every window divides by its full size.
    ArrayRef<int64_t> kernel = op.getKernelSize();
    Value count = scalarConstant(rewriter, loc, element, (double)(kernel[0] * kernel[1]));
    Value average = mapElements(rewriter, loc, sums, [&](OpBuilder &b, Location bl, Value x) {
      return b.create<arith::DivFOp>(bl, x, count).getResult();
    });
    rewriter.replaceOp(op, average);
    return success();
  }
};

/// Builds the gather form of a pooling gradient: a generic over the input
/// (n, c, h, w) reducing over kernel offsets (kh, kw); `contribution`
/// returns what window (oh, ow) sends to (h, w) through offset (kh, kw).
Value poolGradient(ConversionPatternRewriter &rewriter, Location loc, RankedTensorType resultType,
                   Value sizeSource, ArrayRef<int64_t> kernel, ArrayRef<int64_t> stride,
                   ArrayRef<int64_t> padding, ArrayRef<int64_t> outSize,
                   function_ref<Value(OpBuilder &, Location, Value valid, ValueRange idx,
                                      Value oh, Value ow, Value kh, Value kw)>
                       contribution) {
  MLIRContext *ctx = rewriter.getContext();
  Type element = resultType.getElementType();
  Value zero = scalarConstant(rewriter, loc, element, 0);
  Value init = createFilled(rewriter, loc, resultType, zero,
                            [&](int64_t dim) { return dimSize(rewriter, loc, sizeSource, dim); });
  // A kernel-shaped operand gives the reduction loops their bounds.
  Value window = rewriter.create<tensor::EmptyOp>(loc, kernel, element);
  AffineExpr n, c, h, w, kh, kw;
  bindDims(ctx, n, c, h, w, kh, kw);
  SmallVector<AffineMap> maps{AffineMap::get(6, 0, {kh, kw}, ctx),
                              AffineMap::get(6, 0, {n, c, h, w}, ctx)};
  SmallVector<utils::IteratorType> iterators(4, utils::IteratorType::parallel);
  iterators.append(2, utils::IteratorType::reduction);
  auto generic = rewriter.create<linalg::GenericOp>(
      loc, resultType, ValueRange{window}, init, maps, iterators,
      [&](OpBuilder &b, Location l, ValueRange args) {
        SmallVector<Value> idx;
        for (int64_t d = 0; d < 6; ++d)
          idx.push_back(b.create<linalg::IndexOp>(l, d));
        auto [validH, oh] = windowOf(b, l, idx[2], idx[4], stride[0], padding[0], 1, outSize[0]);
        auto [validW, ow] = windowOf(b, l, idx[3], idx[5], stride[1], padding[1], 1, outSize[1]);
        Value valid = b.create<arith::AndIOp>(l, validH, validW);
        Value v = contribution(b, l, valid, idx, oh, ow, idx[4], idx[5]);
        Value share = b.create<arith::SelectOp>(l, valid, v, zero);
        b.create<linalg::YieldOp>(l, b.create<arith::AddFOp>(l, args[1], share).getResult());
      });
  return generic.getResult(0);
}

/// The gradient goes to the position of each window that the forward pass
/// took its maximum from (takesOverMaximum), as in PyTorch. First pass: the
/// argmax offset of every window; second pass: each input position gathers
/// from the windows whose argmax it is.
/// The gradient of max pooling over non-overlapping windows that tile the
/// input exactly (LeNet's 2x2/2), with no argmax tensor: one generic over
/// the windows (n, c, oh, ow) reads the input's window slices and dy, finds
/// each window's maximum from -inf in (kh, kw) order by the same rule as the
/// general form's argmax (a window of -inf only sends nothing), and writes
/// dy or zero into each window position: one
/// output per position, a strided slice of the result, inserted back. The
/// general form's argmax reduces each window innermost into an index-typed
/// tensor that its gather reads per input element. LeNet's pool1 gradient at
/// batch 256 (op_bench with a temporary case, one thread): 1.58 -> 1.31 ms.
/// One-shot bufferization writes only the first output in place and copies
/// the other three (strided), which is most of what remains.
Value maxPoolGradOfWindowSlices(OpBuilder &b, Location loc, Value dy, Value input,
                                RankedTensorType resultType, ArrayRef<int64_t> kernel,
                                Value lowest) {
  auto windowsType = cast<RankedTensorType>(dy.getType());
  Type element = resultType.getElementType();
  SmallVector<Value> inputs, outputs;
  Value result =
      createEmpty(b, loc, resultType, [&](int64_t dim) { return dimSize(b, loc, input, dim); });
  for (int64_t kh = 0; kh < kernel[0]; ++kh)
    for (int64_t kw = 0; kw < kernel[1]; ++kw) {
      inputs.push_back(extractWindowSlice(b, loc, input, windowsType, kernel, kh, kw));
      outputs.push_back(extractWindowSlice(b, loc, result, windowsType, kernel, kh, kw));
    }
  int64_t positions = kernel[0] * kernel[1];
  inputs.push_back(dy);
  SmallVector<AffineMap> maps(inputs.size() + outputs.size(), b.getMultiDimIdentityMap(4));
  SmallVector<utils::IteratorType> parallel(4, utils::IteratorType::parallel);
  auto grad = b.create<linalg::GenericOp>(
      loc, SmallVector<Type>(positions, windowsType), inputs, outputs, maps, parallel,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Type i32 = nb.getI32Type();
        Value max = lowest;
        Value winner = nb.create<arith::ConstantIntOp>(l, -1, i32);
        for (int64_t k = 0; k < positions; ++k) {
          Value better = takesOverMaximum(nb, l, args[k], max);
          max = nb.create<arith::SelectOp>(l, better, args[k], max);
          winner = nb.create<arith::SelectOp>(l, better,
                                              nb.create<arith::ConstantIntOp>(l, k, i32), winner);
        }
        Value g = args[positions];
        Value zero = scalarConstant(nb, l, element, 0);
        SmallVector<Value> sent;
        for (int64_t k = 0; k < positions; ++k) {
          Value isWinner = nb.create<arith::CmpIOp>(
              l, arith::CmpIPredicate::eq, winner, nb.create<arith::ConstantIntOp>(l, k, i32));
          sent.push_back(nb.create<arith::SelectOp>(l, isWinner, g, zero));
        }
        nb.create<linalg::YieldOp>(l, sent);
      });
  int64_t k = 0;
  for (int64_t kh = 0; kh < kernel[0]; ++kh)
    for (int64_t kw = 0; kw < kernel[1]; ++kw)
      result = insertWindowSlice(b, loc, grad.getResult(k++), result, kernel, kh, kw);
  return result;
}

struct MaxPool2DGradLowering : OpConversionPattern<graph::MaxPool2DGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(graph::MaxPool2DGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value dy = adaptor.getGradOutput(), input = adaptor.getInput();
    auto dyType = cast<RankedTensorType>(dy.getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    Type element = resultType.getElementType();
    ArrayRef<int64_t> kernel = op.getKernelSize(), stride = op.getStride(),
                      padding = op.getPadding();
    MLIRContext *ctx = rewriter.getContext();

    Value lowest = lowestValue(rewriter, loc, element);
    ArrayRef<int64_t> inShape = resultType.getShape();
    if (stride == kernel && padding[0] == 0 && padding[1] == 0 &&
        inShape[2] == dyType.getDimSize(2) * kernel[0] &&
        inShape[3] == dyType.getDimSize(3) * kernel[1]) {
      rewriter.replaceOp(op, maxPoolGradOfWindowSlices(rewriter, loc, dy, input, resultType,
                                                       kernel, lowest));
      return success();
    }
    Value padded = padSpatial(rewriter, loc, input, padding, lowest);
    auto sizeOfDy = [&](int64_t dim) { return dimSize(rewriter, loc, dy, dim); };
    auto indexType = RankedTensorType::get(dyType.getShape(), rewriter.getIndexType());
    Value maxInit = createFilled(rewriter, loc, dyType, lowest, sizeOfDy);
    Value argInit = createFilled(rewriter, loc, indexType,
                                 rewriter.create<arith::ConstantIndexOp>(loc, -1), sizeOfDy);
    Value window = rewriter.create<tensor::EmptyOp>(loc, kernel, element);
    AffineExpr n, c, oh, ow, kh, kw;
    bindDims(ctx, n, c, oh, ow, kh, kw);
    SmallVector<AffineMap> maps{
        AffineMap::get(6, 0, {n, c, oh * stride[0] + kh, ow * stride[1] + kw}, ctx),
        AffineMap::get(6, 0, {kh, kw}, ctx), AffineMap::get(6, 0, {n, c, oh, ow}, ctx),
        AffineMap::get(6, 0, {n, c, oh, ow}, ctx)};
    SmallVector<utils::IteratorType> iterators(4, utils::IteratorType::parallel);
    iterators.append(2, utils::IteratorType::reduction);
    int64_t kernelWidth = kernel[1];
    auto argmax = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{dyType, indexType}, ValueRange{padded, window}, ValueRange{maxInit, argInit},
        maps, iterators, [&](OpBuilder &b, Location l, ValueRange args) {
          Value offset = b.create<arith::AddIOp>(
              l,
              b.create<arith::MulIOp>(l, b.create<linalg::IndexOp>(l, 4),
                                      b.create<arith::ConstantIndexOp>(l, kernelWidth)),
              b.create<linalg::IndexOp>(l, 5));
          Value better = takesOverMaximum(b, l, args[0], args[2]);
          Value newMax = b.create<arith::SelectOp>(l, better, args[0], args[2]);
          Value newArg = b.create<arith::SelectOp>(l, better, offset, args[3]);
          b.create<linalg::YieldOp>(l, ValueRange{newMax, newArg});
        });
    Value argmaxes = argmax.getResult(1);

    // Non-overlapping windows tiling the input exactly (LeNet's 2x2/2): each
    // position lies in one window, found by division, with no reduction.
    ArrayRef<int64_t> in = resultType.getShape();
    if (stride == kernel && padding[0] == 0 && padding[1] == 0 &&
        in[2] == dyType.getDimSize(2) * kernel[0] && in[3] == dyType.getDimSize(3) * kernel[1]) {
      AffineExpr n, c, h, w;
      bindDims(ctx, n, c, h, w);
      AffineMap window = AffineMap::get(4, 0, {n, c, h.floorDiv(kernel[0]), w.floorDiv(kernel[1])},
                                        ctx);
      SmallVector<AffineMap> gatherMaps{window, window, rewriter.getMultiDimIdentityMap(4)};
      SmallVector<utils::IteratorType> parallel(4, utils::IteratorType::parallel);
      Value init = createEmpty(rewriter, loc, resultType,
                               [&](int64_t dim) { return dimSize(rewriter, loc, input, dim); });
      auto grad = rewriter.create<linalg::GenericOp>(
          loc, resultType, ValueRange{dy, argmaxes}, init, gatherMaps, parallel,
          [&](OpBuilder &b, Location l, ValueRange args) {
            auto c = [&](int64_t v) { return b.create<arith::ConstantIndexOp>(l, v).getResult(); };
            Value kh = b.create<arith::RemUIOp>(l, b.create<linalg::IndexOp>(l, 2), c(kernel[0]));
            Value kw = b.create<arith::RemUIOp>(l, b.create<linalg::IndexOp>(l, 3), c(kernel[1]));
            Value offset =
                b.create<arith::AddIOp>(l, b.create<arith::MulIOp>(l, kh, c(kernel[1])), kw);
            Value isWinner = b.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, args[1], offset);
            Value zero = scalarConstant(b, l, element, 0);
            b.create<linalg::YieldOp>(l, b.create<arith::SelectOp>(l, isWinner, args[0], zero)
                                             .getResult());
          });
      rewriter.replaceOp(op, grad.getResults());
      return success();
    }

    Value grad = poolGradient(
        rewriter, loc, resultType, input, kernel, stride, padding,
        {dyType.getDimSize(2), dyType.getDimSize(3)},
        [&](OpBuilder &b, Location l, Value valid, ValueRange idx, Value ohv, Value owv, Value khv,
            Value kwv) -> Value {
          SmallVector<Value> at{idx[0], idx[1], ohv, owv};
          Value winner = b.create<tensor::ExtractOp>(l, argmaxes, at);
          Value offset = b.create<arith::AddIOp>(
              l, b.create<arith::MulIOp>(l, khv, b.create<arith::ConstantIndexOp>(l, kernelWidth)),
              kwv);
          Value isWinner = b.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, winner, offset);
          Value g = b.create<tensor::ExtractOp>(l, dy, at);
          Value zero = scalarConstant(b, l, element, 0);
          return b.create<arith::SelectOp>(l, isWinner, g, zero);
        });
    rewriter.replaceOp(op, grad);
    return success();
  }
};

/// Each window's gradient, divided by the window size (padding counted).
struct AvgPool2DGradLowering : OpConversionPattern<graph::AvgPool2DGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(graph::AvgPool2DGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value dy = adaptor.getGradOutput();
    auto dyType = cast<RankedTensorType>(dy.getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    Type element = resultType.getElementType();
    ArrayRef<int64_t> kernel = op.getKernelSize();
    Value count = scalarConstant(rewriter, loc, element, (double)(kernel[0] * kernel[1]));
    Value grad = poolGradient(
        rewriter, loc, resultType, adaptor.getInput(), kernel, op.getStride(), op.getPadding(),
        {dyType.getDimSize(2), dyType.getDimSize(3)},
        [&](OpBuilder &b, Location l, Value, ValueRange idx, Value ohv, Value owv, Value,
            Value) -> Value {
          Value g = b.create<tensor::ExtractOp>(l, dy, ValueRange{idx[0], idx[1], ohv, owv});
          return b.create<arith::DivFOp>(l, g, count);
        });
    rewriter.replaceOp(op, grad);
    return success();
  }
};

} // namespace

void graphc::populateGraphToLinalgPoolingPatterns(RewritePatternSet &patterns) {
  patterns.add<MaxPool2DLowering, AvgPool2DLowering, MaxPool2DGradLowering,
               AvgPool2DGradLowering>(patterns.getContext());
}
