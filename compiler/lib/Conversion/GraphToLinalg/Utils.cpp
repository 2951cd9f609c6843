//===- Utils.cpp - helpers shared by the GraphToLinalg patterns -----------===//

#include "Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"

using namespace mlir;

namespace graphc::lowering {

Value dimSize(OpBuilder &b, Location loc, Value tensor, int64_t dim) {
  auto type = cast<RankedTensorType>(tensor.getType());
  if (!type.isDynamicDim(dim))
    return b.create<arith::ConstantIndexOp>(loc, type.getDimSize(dim));
  return b.create<tensor::DimOp>(loc, tensor, dim);
}

Value createEmpty(OpBuilder &b, Location loc, RankedTensorType type,
                  llvm::function_ref<Value(int64_t)> dynamicSize) {
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      sizes.push_back(dynamicSize(i));
  return b.create<tensor::EmptyOp>(loc, type.getShape(), type.getElementType(), sizes);
}

Value createBroadcastEmpty(OpBuilder &b, Location loc, RankedTensorType type,
                           ValueRange operands) {
  int64_t rank = type.getRank();
  return createEmpty(b, loc, type, [&](int64_t i) -> Value {
    for (Value v : operands) {
      auto t = cast<RankedTensorType>(v.getType());
      int64_t j = i - (rank - t.getRank());
      if (j >= 0 && t.isDynamicDim(j))
        return b.create<tensor::DimOp>(loc, v, j);
    }
    llvm_unreachable("a dynamic broadcast result dim comes from a dynamic operand dim");
  });
}

AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> operandShape,
                       ArrayRef<int64_t> resultShape) {
  int64_t lead = resultShape.size() - operandShape.size();
  SmallVector<AffineExpr> exprs;
  for (size_t j = 0; j < operandShape.size(); ++j) {
    bool stretched = operandShape[j] == 1 && resultShape[lead + j] != 1;
    exprs.push_back(stretched ? getAffineConstantExpr(0, ctx)
                              : getAffineDimExpr(lead + j, ctx));
  }
  return AffineMap::get(resultShape.size(), 0, exprs, ctx);
}

Value scalarConstant(OpBuilder &b, Location loc, Type type, double value) {
  if (auto f = dyn_cast<FloatType>(type))
    return b.create<arith::ConstantOp>(loc, b.getFloatAttr(f, value));
  return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(type, (int64_t)value));
}

Value lowestValue(OpBuilder &b, Location loc, Type type) {
  if (auto f = dyn_cast<FloatType>(type))
    return b.create<arith::ConstantOp>(
        loc, b.getFloatAttr(f, APFloat::getInf(f.getFloatSemantics(), /*Negative=*/true)));
  unsigned width = type.getIntOrFloatBitWidth();
  return b.create<arith::ConstantOp>(loc,
                                     b.getIntegerAttr(type, APInt::getSignedMinValue(width)));
}

Value createFilled(OpBuilder &b, Location loc, RankedTensorType type, Value value,
                   llvm::function_ref<Value(int64_t)> dynamicSize) {
  Value empty = createEmpty(b, loc, type, dynamicSize);
  return b.create<linalg::FillOp>(loc, value, empty).getResult(0);
}

Value padSpatial(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> padding,
                 Value padValue) {
  return padSpatial(b, loc, input, padding, padding, padValue);
}

Value padSpatial(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> low,
                 ArrayRef<int64_t> high, Value padValue) {
  if (low[0] == 0 && low[1] == 0 && high[0] == 0 && high[1] == 0)
    return input;
  // fill + insert_slice rather than tensor.pad: one-shot bufferization of a
  // tensor.pad with a dynamic batch queries the size of its own result.
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[2] += low[0] + high[0];
  shape[3] += low[1] + high[1];
  auto paddedType = RankedTensorType::get(shape, type.getElementType());
  Value padded = createFilled(b, loc, paddedType, padValue,
                              [&](int64_t dim) { return dimSize(b, loc, input, dim); });
  SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), b.getIndexAttr(0),
                                    b.getIndexAttr(low[0]), b.getIndexAttr(low[1])};
  SmallVector<OpFoldResult> sizes, strides(4, b.getIndexAttr(1));
  for (int64_t i = 0; i < 4; ++i)
    sizes.push_back(type.isDynamicDim(i) ? OpFoldResult(dimSize(b, loc, input, i))
                                         : OpFoldResult(b.getIndexAttr(type.getDimSize(i))));
  return b.create<tensor::InsertSliceOp>(loc, input, padded, offsets, sizes, strides);
}

Value elementCount(OpBuilder &b, Location loc, Value tensor, ArrayRef<int64_t> dims,
                   Type type) {
  auto tensorType = cast<RankedTensorType>(tensor.getType());
  int64_t staticCount = 1;
  Value dynamicCount;
  for (int64_t d : dims) {
    if (!tensorType.isDynamicDim(d)) {
      staticCount *= tensorType.getDimSize(d);
      continue;
    }
    Value size = b.create<tensor::DimOp>(loc, tensor, d);
    dynamicCount = dynamicCount ? b.create<arith::MulIOp>(loc, dynamicCount, size) : size;
  }
  Value count = scalarConstant(b, loc, type, (double)staticCount);
  if (!dynamicCount)
    return count;
  Value asInt = b.create<arith::IndexCastOp>(loc, b.getI64Type(), dynamicCount);
  Value converted = b.create<arith::SIToFPOp>(loc, type, asInt);
  return b.create<arith::MulFOp>(loc, count, converted);
}

Value mapElements(OpBuilder &b, Location loc, Value input,
                  llvm::function_ref<Value(OpBuilder &, Location, Value)> fn) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  SmallVector<AffineMap> maps(2, b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  Value init = createEmpty(b, loc, type, [&](int64_t dim) { return dimSize(b, loc, input, dim); });
  auto generic = b.create<linalg::GenericOp>(
      loc, type, input, init, maps, iterators, [&](OpBuilder &nb, Location nl, ValueRange args) {
        nb.create<linalg::YieldOp>(nl, fn(nb, nl, args[0]));
      });
  return generic.getResult(0);
}

Value expandTo(OpBuilder &b, Location loc, Value source, RankedTensorType resultType,
               ArrayRef<ReassociationIndices> groups,
               llvm::function_ref<Value(int64_t)> dynamicSize) {
  SmallVector<OpFoldResult> sizes;
  for (int64_t i = 0; i < resultType.getRank(); ++i)
    sizes.push_back(resultType.isDynamicDim(i) ? OpFoldResult(dynamicSize(i))
                                               : OpFoldResult(b.getIndexAttr(resultType.getDimSize(i))));
  return b.create<tensor::ExpandShapeOp>(loc, resultType, source, groups, sizes);
}

std::pair<Value, Value> windowOf(OpBuilder &b, Location loc, Value pos, Value k,
                                 int64_t stride, int64_t pad, int64_t dilation,
                                 int64_t outSize) {
  auto c = [&](int64_t v) { return b.create<arith::ConstantIndexOp>(loc, v).getResult(); };
  Value offset = b.create<arith::MulIOp>(loc, k, c(dilation));
  Value num = b.create<arith::SubIOp>(loc, b.create<arith::AddIOp>(loc, pos, c(pad)), offset);
  Value o = b.create<arith::DivSIOp>(loc, num, c(stride));
  Value nonNegative = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, num, c(0));
  Value aligned = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq,
                                          b.create<arith::RemSIOp>(loc, num, c(stride)), c(0));
  Value inside = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, o, c(outSize));
  Value valid = b.create<arith::AndIOp>(loc, b.create<arith::AndIOp>(loc, nonNegative, aligned),
                                        inside);
  return {valid, b.create<arith::SelectOp>(loc, valid, o, c(0)).getResult()};
}

Value multiplyAccumulate(OpBuilder &b, Location loc, Value acc, Value x, Value y) {
  auto flags = arith::FastMathFlagsAttr::get(
      b.getContext(), arith::FastMathFlags::reassoc | arith::FastMathFlags::contract);
  Value product = b.create<arith::MulFOp>(loc, x, y, flags);
  return b.create<arith::AddFOp>(loc, acc, product, flags);
}

} // namespace graphc::lowering
