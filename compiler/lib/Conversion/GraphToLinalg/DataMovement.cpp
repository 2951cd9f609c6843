//===- DataMovement.cpp - reshape, transpose, slice, concat, constant -----===//

#include "graphc/Conversion/GraphToLinalg/GraphToLinalg.h"
#include "graphc/Dialect/Graph/GraphOps.h"

#include "Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace graphc;
using namespace graphc::lowering;

namespace {

/// Reshape goes through a 1-D view: collapse everything, then expand to the
/// result. Both are views after bufferization, and one path covers every
/// reshape, including the dynamic batch (its size is the element count
/// divided by the static dims).
/// The groups of `type`'s dims around its dynamic ones: each group holds one
/// dynamic dim with the static dims after it (the first also those before).
SmallVector<ReassociationIndices> groupsAroundDynamicDims(RankedTensorType type) {
  SmallVector<ReassociationIndices> groups;
  for (int64_t i = 0; i < type.getRank(); ++i) {
    if (type.isDynamicDim(i) && !groups.empty() &&
        llvm::any_of(groups.back(), [&](int64_t d) { return type.isDynamicDim(d); }))
      groups.emplace_back();
    if (groups.empty())
      groups.emplace_back();
    groups.back().push_back(i);
  }
  return groups;
}

/// A reshape with several dynamic dims keeps each one in place (the
/// verifier's rule), so it collapses to one dim per dynamic dim and expands
/// from there: no group has two dynamic dims, whose sizes expand_shape could
/// not tell apart (MLIR 19's bufferization of such an expand_shape crashes).
Value reshapeKeepingDynamicDims(OpBuilder &b, Location loc, Value input,
                                RankedTensorType resultType) {
  auto inputType = cast<RankedTensorType>(input.getType());
  SmallVector<ReassociationIndices> inGroups = groupsAroundDynamicDims(inputType);
  SmallVector<ReassociationIndices> outGroups = groupsAroundDynamicDims(resultType);
  SmallVector<int64_t> dynamicInputDims;
  for (int64_t i = 0; i < inputType.getRank(); ++i)
    if (inputType.isDynamicDim(i))
      dynamicInputDims.push_back(i);
  auto middleType = RankedTensorType::get(
      SmallVector<int64_t>(inGroups.size(), ShapedType::kDynamic), inputType.getElementType());
  Value middle = b.create<tensor::CollapseShapeOp>(loc, middleType, input, inGroups);
  return expandTo(b, loc, middle, resultType, outGroups, [&](int64_t dim) -> Value {
    int64_t nth = 0;
    for (int64_t i = 0; i < dim; ++i)
      nth += resultType.isDynamicDim(i);
    return b.create<tensor::DimOp>(loc, input, dynamicInputDims[nth]);
  });
}

struct ReshapeLowering : OpConversionPattern<graph::ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(graph::ReshapeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    Type element = inputType.getElementType();
    int64_t inRank = inputType.getRank(), outRank = resultType.getRank();
    if (llvm::count(inputType.getShape(), ShapedType::kDynamic) > 1) {
      rewriter.replaceOp(op, reshapeKeepingDynamicDims(rewriter, loc, input, resultType));
      return success();
    }

    Value flat = input;
    if (inRank == 0) {
      flat = rewriter.create<tensor::ExpandShapeOp>(loc, RankedTensorType::get({1}, element),
                                                    input, ArrayRef<ReassociationIndices>{});
    } else if (inRank > 1) {
      ReassociationIndices all;
      for (int64_t i = 0; i < inRank; ++i)
        all.push_back(i);
      int64_t count = inputType.hasStaticShape() ? inputType.getNumElements()
                                                 : ShapedType::kDynamic;
      flat = rewriter.create<tensor::CollapseShapeOp>(
          loc, RankedTensorType::get({count}, element), input,
          ArrayRef<ReassociationIndices>{all});
    }
    // expand_shape wants a dynamic source dim exactly when a result dim is dynamic.
    int64_t flatSize = resultType.hasStaticShape()
                           ? resultType.getNumElements()
                           : ShapedType::kDynamic;
    auto flatType = RankedTensorType::get({flatSize}, element);
    if (flat.getType() != flatType)
      flat = rewriter.create<tensor::CastOp>(loc, flatType, flat);

    Value result;
    if (outRank == 0) {
      result = rewriter.create<tensor::CollapseShapeOp>(loc, resultType, flat,
                                                        ArrayRef<ReassociationIndices>{});
    } else if (outRank == 1) {
      result = flat;
    } else {
      ReassociationIndices all;
      int64_t staticProduct = 1;
      for (int64_t i = 0; i < outRank; ++i) {
        all.push_back(i);
        if (!resultType.isDynamicDim(i))
          staticProduct *= resultType.getDimSize(i);
      }
      result = expandTo(rewriter, loc, flat, resultType, {all}, [&](int64_t) -> Value {
        Value total = rewriter.create<tensor::DimOp>(loc, flat, 0);
        Value known = rewriter.create<arith::ConstantIndexOp>(loc, staticProduct);
        return rewriter.create<arith::DivUIOp>(loc, total, known);
      });
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct TransposeLowering : OpConversionPattern<graph::TransposeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(graph::TransposeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto resultType = cast<RankedTensorType>(op.getType());
    int64_t rank = resultType.getRank();
    SmallVector<int64_t> permutation;
    for (int64_t p : op.getPermutation())
      permutation.push_back(p < 0 ? p + rank : p);
    Value init = createEmpty(rewriter, loc, resultType, [&](int64_t dim) {
      return dimSize(rewriter, loc, input, permutation[dim]);
    });
    auto transpose = rewriter.create<linalg::TransposeOp>(loc, input, init, permutation);
    rewriter.replaceOp(op, transpose.getResult());
    return success();
  }
};

struct SliceLowering : OpConversionPattern<graph::SliceOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(graph::SliceOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto resultType = cast<RankedTensorType>(op.getType());
    SmallVector<OpFoldResult> offsets, sizes, strides;
    for (int64_t i = 0; i < resultType.getRank(); ++i) {
      offsets.push_back(rewriter.getIndexAttr(op.getStart()[i]));
      strides.push_back(rewriter.getIndexAttr(op.getStep()[i]));
      if (resultType.isDynamicDim(i)) // kept whole (the verifier guarantees it)
        sizes.push_back(rewriter.create<tensor::DimOp>(loc, input, i).getResult());
      else
        sizes.push_back(rewriter.getIndexAttr(resultType.getDimSize(i)));
    }
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(op, resultType, input, offsets, sizes,
                                                        strides);
    return success();
  }
};

/// slice_grad: zeros with the slice's gradient inserted at the sliced positions.
struct SliceGradLowering : OpConversionPattern<graph::SliceGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(graph::SliceGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value grad = adaptor.getGradOutput();
    auto resultType = cast<RankedTensorType>(op.getType());
    Value zero = scalarConstant(rewriter, loc, resultType.getElementType(), 0);
    // Dynamic dims were kept whole by the slice: the gradient has their size.
    Value zeros = createFilled(rewriter, loc, resultType, zero,
                               [&](int64_t dim) { return dimSize(rewriter, loc, grad, dim); });
    SmallVector<OpFoldResult> offsets, sizes, strides;
    auto gradType = cast<RankedTensorType>(grad.getType());
    for (int64_t i = 0; i < resultType.getRank(); ++i) {
      offsets.push_back(rewriter.getIndexAttr(op.getStart()[i]));
      strides.push_back(rewriter.getIndexAttr(op.getStep()[i]));
      sizes.push_back(gradType.isDynamicDim(i)
                          ? OpFoldResult(dimSize(rewriter, loc, grad, i))
                          : OpFoldResult(rewriter.getIndexAttr(gradType.getDimSize(i))));
    }
    rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(op, grad, zeros, offsets, sizes, strides);
    return success();
  }
};

struct ConcatLowering : OpConversionPattern<graph::ConcatOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(graph::ConcatOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    int64_t rank = resultType.getRank();
    // I64Attr getters return uint64_t: read the dim back as signed first.
    int64_t requested = static_cast<int64_t>(op.getDim());
    int64_t dim = requested < 0 ? requested + rank : requested;
    ValueRange inputs = adaptor.getInputs();

    auto sizeOf = [&](Value v, int64_t d) -> OpFoldResult {
      auto t = cast<RankedTensorType>(v.getType());
      if (t.isDynamicDim(d))
        return rewriter.create<tensor::DimOp>(loc, v, d).getResult();
      return rewriter.getIndexAttr(t.getDimSize(d));
    };
    Value result = createEmpty(rewriter, loc, resultType, [&](int64_t d) -> Value {
      if (d != dim) {
        for (Value v : inputs)
          if (cast<RankedTensorType>(v.getType()).isDynamicDim(d))
            return rewriter.create<tensor::DimOp>(loc, v, d);
      }
      Value total = rewriter.create<arith::ConstantIndexOp>(loc, 0);
      for (Value v : inputs)
        total = rewriter.create<arith::AddIOp>(
            loc, total, getValueOrCreateConstantIndexOp(rewriter, loc, sizeOf(v, d)));
      return total;
    });

    OpFoldResult offset = rewriter.getIndexAttr(0);
    for (Value v : inputs) {
      SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0)), sizes,
          strides(rank, rewriter.getIndexAttr(1));
      offsets[dim] = offset;
      for (int64_t d = 0; d < rank; ++d)
        sizes.push_back(sizeOf(v, d));
      result = rewriter.create<tensor::InsertSliceOp>(loc, v, result, offsets, sizes, strides);
      std::optional<int64_t> a = getConstantIntValue(offset), b = getConstantIntValue(sizes[dim]);
      if (a && b)
        offset = rewriter.getIndexAttr(*a + *b);
      else
        offset = rewriter
                     .create<arith::AddIOp>(
                         loc, getValueOrCreateConstantIndexOp(rewriter, loc, offset),
                         getValueOrCreateConstantIndexOp(rewriter, loc, sizes[dim]))
                     .getResult();
    }
    if (result.getType() != resultType)
      result = rewriter.create<tensor::CastOp>(loc, resultType, result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ConstantLowering : OpConversionPattern<graph::ConstantOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(graph::ConstantOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto value = dyn_cast<TypedAttr>(op.getValue());
    if (!value)
      return rewriter.notifyMatchFailure(op, "constant value is not a typed attribute");
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, value);
    return success();
  }
};

} // namespace

namespace {

/// Whether `index` (i32 or i64) is a row of a table of `rows` rows, and the
/// row as an index value clamped into the table (so every load stays in bounds).
std::pair<Value, Value> rowOf(OpBuilder &b, Location loc, Value index, int64_t rows) {
  Value wide = index.getType().isInteger(64)
                   ? index
                   : b.create<arith::ExtSIOp>(loc, b.getI64Type(), index).getResult();
  Value zero = b.create<arith::ConstantIntOp>(loc, 0, 64);
  Value count = b.create<arith::ConstantIntOp>(loc, rows, 64);
  Value inRange = b.create<arith::AndIOp>(
      loc, b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, wide, zero),
      b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, wide, count));
  Value clamped = b.create<arith::SelectOp>(loc, inRange, wide, zero);
  return {inRange, b.create<arith::IndexCastOp>(loc, b.getIndexType(), clamped)};
}

/// detach: the value itself (only autodiff treats it differently).
struct DetachLowering : OpConversionPattern<graph::DetachOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(graph::DetachOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};

/// gather: one parallel linalg.generic over the result reading the index
/// through its map and the table row with tensor.extract (a gather in the
/// body, as torch-mlir lowers embedding).
struct GatherLowering : OpConversionPattern<graph::GatherOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(graph::GatherOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    Value table = adaptor.getTable(), indices = adaptor.getIndices();
    int64_t indexRank = cast<RankedTensorType>(indices.getType()).getRank();
    int64_t rank = resultType.getRank();
    int64_t rows = cast<RankedTensorType>(table.getType()).getDimSize(0);
    Value init = createEmpty(rewriter, loc, resultType, [&](int64_t d) {
      return d < indexRank ? dimSize(rewriter, loc, indices, d)
                           : dimSize(rewriter, loc, table, d - indexRank + 1);
    });
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineExpr> indexDims;
    for (int64_t d = 0; d < indexRank; ++d)
      indexDims.push_back(getAffineDimExpr(d, ctx));
    SmallVector<AffineMap> maps{AffineMap::get(rank, 0, indexDims, ctx),
                                rewriter.getMultiDimIdentityMap(rank)};
    SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
    Type element = resultType.getElementType();
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, resultType, ValueRange{indices}, ValueRange{init}, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          auto [inRange, row] = rowOf(b, l, args[0], rows);
          SmallVector<Value> at{row};
          for (int64_t d = indexRank; d < rank; ++d)
            at.push_back(b.create<linalg::IndexOp>(l, d));
          Value value = b.create<tensor::ExtractOp>(l, table, at);
          Value zero = scalarConstant(b, l, element, 0);
          b.create<linalg::YieldOp>(l, ValueRange{b.create<arith::SelectOp>(l, inRange, value, zero)});
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// gather_grad: out[r, j...] = sum over the index positions i... of
/// (indices[i...] == r ? dy[i..., j...] : 0), a reduction over the index
/// dims with the rows and the trailing dims parallel. It costs rows x
/// indices x row size (a one-hot product), not indices x row size as a
/// sequential scatter would; see docs/dsl.md.
struct GatherGradLowering : OpConversionPattern<graph::GatherGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(graph::GatherGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    Value grad = adaptor.getGradOutput(), indices = adaptor.getIndices();
    int64_t indexRank = cast<RankedTensorType>(indices.getType()).getRank();
    int64_t rank = resultType.getRank(); // rows, then the row's dims
    int64_t loops = rank + indexRank;    // (r, j..., i...)
    MLIRContext *ctx = rewriter.getContext();
    Type element = resultType.getElementType();
    Value zero = scalarConstant(rewriter, loc, element, 0);
    Value init = createFilled(rewriter, loc, resultType, zero, [&](int64_t d) {
      return dimSize(rewriter, loc, grad, d - 1 + indexRank);
    });
    SmallVector<AffineExpr> indexDims, gradDims, outDims;
    for (int64_t d = 0; d < indexRank; ++d)
      indexDims.push_back(getAffineDimExpr(rank + d, ctx));
    gradDims = indexDims;
    for (int64_t d = 1; d < rank; ++d)
      gradDims.push_back(getAffineDimExpr(d, ctx));
    for (int64_t d = 0; d < rank; ++d)
      outDims.push_back(getAffineDimExpr(d, ctx));
    SmallVector<AffineMap> maps{AffineMap::get(loops, 0, indexDims, ctx),
                                AffineMap::get(loops, 0, gradDims, ctx),
                                AffineMap::get(loops, 0, outDims, ctx)};
    SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
    iterators.append(indexRank, utils::IteratorType::reduction);
    std::optional<int64_t> padding = op.getPaddingIdx();
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, resultType, ValueRange{indices, grad}, ValueRange{init}, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value row = b.create<arith::IndexCastOp>(l, b.getI64Type(), b.create<linalg::IndexOp>(l, 0));
          Value index = args[0].getType().isInteger(64)
                            ? args[0]
                            : b.create<arith::ExtSIOp>(l, b.getI64Type(), args[0]).getResult();
          Value hit = b.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, index, row);
          if (padding) // the padding row's gradient stays zero
            hit = b.create<arith::AndIOp>(
                l, hit,
                b.create<arith::CmpIOp>(l, arith::CmpIPredicate::ne, row,
                                        b.create<arith::ConstantIntOp>(l, *padding, 64)));
          Value term = b.create<arith::SelectOp>(l, hit, args[1], scalarConstant(b, l, element, 0));
          b.create<linalg::YieldOp>(l, ValueRange{b.create<arith::AddFOp>(l, args[2], term)});
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void graphc::populateGraphToLinalgDataMovementPatterns(RewritePatternSet &patterns) {
  patterns.add<ReshapeLowering, TransposeLowering, SliceLowering, SliceGradLowering,
               ConcatLowering, ConstantLowering, GatherLowering, GatherGradLowering,
               DetachLowering>(
      patterns.getContext());
}
