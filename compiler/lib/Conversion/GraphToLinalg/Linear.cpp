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

} // namespace

void graphc::populateGraphToLinalgLinearPatterns(RewritePatternSet &patterns) {
  patterns.add<MatmulLowering, Conv2DLowering>(patterns.getContext());
}
