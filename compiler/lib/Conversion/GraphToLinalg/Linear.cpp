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

    Value result;
    if (lhsRank == 2) {
      result = rewriter.create<linalg::MatmulOp>(loc, resultType, ValueRange{lhs, rhs}, init)
                   .getResult(0);
    } else if (rhsRank == 3) {
      result = rewriter
                   .create<linalg::BatchMatmulOp>(loc, resultType, ValueRange{lhs, rhs}, init)
                   .getResult(0);
    } else {
      // [B,M,K] x [K,N]: no named op shares the rhs across the batch.
      MLIRContext *ctx = rewriter.getContext();
      AffineExpr b, m, n, k;
      bindDims(ctx, b, m, n, k);
      SmallVector<AffineMap> maps{AffineMap::get(4, 0, {b, m, k}, ctx),
                                  AffineMap::get(4, 0, {k, n}, ctx),
                                  AffineMap::get(4, 0, {b, m, n}, ctx)};
      SmallVector<utils::IteratorType> iterators(3, utils::IteratorType::parallel);
      iterators.push_back(utils::IteratorType::reduction);
      result = rewriter
                   .create<linalg::GenericOp>(
                       loc, resultType, ValueRange{lhs, rhs}, init, maps, iterators,
                       [](OpBuilder &nb, Location nloc, ValueRange args) {
                         Value product = nb.create<arith::MulFOp>(nloc, args[0], args[1]);
                         Value sum = nb.create<arith::AddFOp>(nloc, args[2], product);
                         nb.create<linalg::YieldOp>(nloc, sum);
                       })
                   .getResult(0);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct Conv2DLowering : OpConversionPattern<graph::Conv2DOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(graph::Conv2DOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    Type element = resultType.getElementType();
    Value zero = scalarConstant(rewriter, loc, element, 0);
    Value unpadded = adaptor.getInput();
    Value input = padSpatial(rewriter, loc, unpadded, op.getPadding(), zero);
    Value weight = adaptor.getWeight();
    Attribute strides = rewriter.getI64VectorAttr(op.getStride());
    Attribute dilations = rewriter.getI64VectorAttr(op.getDilation());
    // Sizes come from the unpadded input: bufferization materializes the pad
    // after its users' size queries otherwise.
    auto batchSize = [&](int64_t) { return dimSize(rewriter, loc, unpadded, 0); };
    int64_t groups = op.getGroups();

    if (groups == 1) {
      Value init = createFilled(rewriter, loc, resultType, zero, batchSize);
      Value conv = rewriter
                       .create<linalg::Conv2DNchwFchwOp>(loc, TypeRange{resultType},
                                                         ValueRange{input, weight},
                                                         ValueRange{init}, strides, dilations)
                       .getResult(0);
      rewriter.replaceOp(op, conv);
      return success();
    }

    // Grouped: split the channel dims into (group, channel-in-group) and use
    // the grouped named op, then merge the output channels back.
    auto inputType = cast<RankedTensorType>(input.getType());
    auto weightType = cast<RankedTensorType>(weight.getType());
    ArrayRef<int64_t> in = inputType.getShape(), w = weightType.getShape();
    auto groupedInputType = RankedTensorType::get(
        {in[0], groups, in[1] / groups, in[2], in[3]}, element);
    auto groupedWeightType = RankedTensorType::get(
        {groups, w[0] / groups, w[1], w[2], w[3]}, element);
    ArrayRef<int64_t> out = resultType.getShape();
    auto groupedResultType = RankedTensorType::get(
        {out[0], groups, out[1] / groups, out[2], out[3]}, element);

    SmallVector<ReassociationIndices> splitChannels{{0}, {1, 2}, {3}, {4}};
    SmallVector<OpFoldResult> inputShape{
        inputType.isDynamicDim(0) ? OpFoldResult(dimSize(rewriter, loc, unpadded, 0))
                                  : OpFoldResult(rewriter.getIndexAttr(in[0])),
        rewriter.getIndexAttr(groups), rewriter.getIndexAttr(in[1] / groups),
        rewriter.getIndexAttr(in[2]), rewriter.getIndexAttr(in[3])};
    Value groupedInput = rewriter.create<tensor::ExpandShapeOp>(
        loc, groupedInputType, input, splitChannels, inputShape);
    Value groupedWeight = rewriter.create<tensor::ExpandShapeOp>(
        loc, groupedWeightType, weight,
        SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}, {4}});
    Value init = createFilled(rewriter, loc, groupedResultType, zero, batchSize);
    Value conv = rewriter
                     .create<linalg::Conv2DNgchwGfchwOp>(
                         loc, TypeRange{groupedResultType},
                         ValueRange{groupedInput, groupedWeight}, ValueRange{init}, strides,
                         dilations)
                     .getResult(0);
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(op, resultType, conv, splitChannels);
    return success();
  }
};

/// dX[n,c,h,w] = sum over the output channels o of c's group and kernel
/// offsets (kh,kw) of dY[n,o,oh,ow] * W[o,c%Cg,kh,kw], where (oh,ow) is the
/// window that puts (kh,kw) on (h,w), if any. Written as a gather (dY read
/// with tensor.extract at computed indices) so that no scatter is needed.
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

    // Loops (n, c, h, w | og, kh, kw); W[(c floordiv Cg) * Og + og, c mod Cg, kh, kw].
    AffineExpr n, c, h, x, o, kh, kw;
    bindDims(ctx, n, c, h, x, o, kh, kw);
    // The group-relative output channel appears only inside an expression,
    // so an empty [Og, KH, KW] operand gives the reduction loops their bounds.
    Value bounds = rewriter.create<tensor::EmptyOp>(loc, ArrayRef<int64_t>{og, w[2], w[3]},
                                                    resultType.getElementType());
    SmallVector<AffineMap> maps{
        AffineMap::get(7, 0, {o, kh, kw}, ctx),
        AffineMap::get(7, 0, {c.floorDiv(cg) * og + o, c % cg, kh, kw}, ctx),
        AffineMap::get(7, 0, {n, c, h, x}, ctx)};
    SmallVector<utils::IteratorType> iterators(4, utils::IteratorType::parallel);
    iterators.append(3, utils::IteratorType::reduction);
    Type element = resultType.getElementType();
    Value zero = scalarConstant(rewriter, loc, element, 0);
    Value init = createFilled(rewriter, loc, resultType, zero,
                              [&](int64_t dim) { return dimSize(rewriter, loc, dy, dim); });
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, resultType, ValueRange{bounds, weight}, init, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          auto idx = [&](int64_t d) { return b.create<linalg::IndexOp>(l, d).getResult(); };
          auto [validH, oh] = windowOf(b, l, idx(2), idx(5), stride[0], pad[0], dil[0],
                                       dyType.getDimSize(2));
          auto [validW, ow] = windowOf(b, l, idx(3), idx(6), stride[1], pad[1], dil[1],
                                       dyType.getDimSize(3));
          Value group = b.create<arith::DivUIOp>(l, idx(1),
                                                 b.create<arith::ConstantIndexOp>(l, cg));
          Value outChannel = b.create<arith::AddIOp>(
              l, b.create<arith::MulIOp>(l, group, b.create<arith::ConstantIndexOp>(l, og)),
              idx(4));
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
    Value input = padSpatial(rewriter, loc, adaptor.getInput(), op.getPadding(), zero);
    ArrayRef<int64_t> w = resultType.getShape();
    int64_t groups = op.getGroups(), cg = w[1], og = w[0] / groups;
    ArrayRef<int64_t> stride = op.getStride(), dil = op.getDilation();
    MLIRContext *ctx = rewriter.getContext();

    AffineExpr o, c, kh, kw, n, oh, ow;
    bindDims(ctx, o, c, kh, kw, n, oh, ow);
    SmallVector<AffineMap> maps{
        AffineMap::get(7, 0, {n, o, oh, ow}, ctx),
        AffineMap::get(7, 0,
                       {n, o.floorDiv(og) * cg + c, oh * stride[0] + kh * dil[0],
                        ow * stride[1] + kw * dil[1]},
                       ctx),
        AffineMap::get(7, 0, {o, c, kh, kw}, ctx)};
    SmallVector<utils::IteratorType> iterators(4, utils::IteratorType::parallel);
    iterators.append(3, utils::IteratorType::reduction);
    Value init = createFilled(rewriter, loc, resultType, zero, [](int64_t) -> Value {
      llvm_unreachable("a weight gradient has a static shape");
    });
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, resultType, ValueRange{dy, input}, init, maps, iterators,
        [](OpBuilder &b, Location l, ValueRange args) {
          Value product = b.create<arith::MulFOp>(l, args[0], args[1]);
          b.create<linalg::YieldOp>(l, b.create<arith::AddFOp>(l, args[2], product).getResult());
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
