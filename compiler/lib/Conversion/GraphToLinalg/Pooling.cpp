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

struct MaxPool2DLowering : OpConversionPattern<graph::MaxPool2DOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(graph::MaxPool2DOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    Value lowest = lowestValue(rewriter, loc, resultType.getElementType());
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

} // namespace

void graphc::populateGraphToLinalgPoolingPatterns(RewritePatternSet &patterns) {
  patterns.add<MaxPool2DLowering, AvgPool2DLowering>(patterns.getContext());
}
