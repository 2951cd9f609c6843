//===- Reduction.cpp - reductions to linalg.reduce ------------------------===//

#include "graphc/Conversion/GraphToLinalg/GraphToLinalg.h"
#include "graphc/Dialect/Graph/GraphOps.h"
#include "graphc/Dialect/Graph/ShapeRules.h"

#include "Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace graphc;
using namespace graphc::lowering;

namespace {

enum class Combiner { Sum, Max };

/// Reduces `input` over the (normalized, sorted) `dims` without keeping them.
Value reduce(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> dims,
             Combiner combiner) {
  auto inputType = cast<RankedTensorType>(input.getType());
  Type element = inputType.getElementType();
  SmallVector<int64_t> shape;
  SmallVector<int64_t> keptDims;
  for (int64_t i = 0; i < inputType.getRank(); ++i)
    if (!llvm::is_contained(dims, i)) {
      shape.push_back(inputType.getDimSize(i));
      keptDims.push_back(i);
    }
  auto reducedType = RankedTensorType::get(shape, element);
  Value initValue = combiner == Combiner::Sum ? scalarConstant(b, loc, element, 0)
                                              : lowestValue(b, loc, element);
  Value init = createFilled(b, loc, reducedType, initValue, [&](int64_t dim) {
    return dimSize(b, loc, input, keptDims[dim]);
  });
  bool isFloat = isa<FloatType>(element);
  auto reduceOp = b.create<linalg::ReduceOp>(
      loc, ValueRange{input}, ValueRange{init}, dims,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value r;
        if (combiner == Combiner::Sum)
          r = isFloat ? (Value)nb.create<arith::AddFOp>(nl, args[0], args[1])
                      : (Value)nb.create<arith::AddIOp>(nl, args[0], args[1]);
        else // maximumf: a NaN anywhere makes the maximum NaN, as in torch.amax
          r = isFloat ? (Value)nb.create<arith::MaximumFOp>(nl, args[0], args[1])
                      : (Value)nb.create<arith::MaxSIOp>(nl, args[0], args[1]);
        nb.create<linalg::YieldOp>(nl, r);
      });
  return reduceOp.getResult(0);
}

/// Puts the reduced dims back with size 1 (keepdim=True).
Value keepDims(OpBuilder &b, Location loc, Value reduced, Value input,
               RankedTensorType resultType, ArrayRef<int64_t> dims) {
  int64_t rank = resultType.getRank();
  SmallVector<ReassociationIndices> groups;
  if (cast<RankedTensorType>(reduced.getType()).getRank() > 0) {
    // Each kept dim starts a group; reduced dims join the group before them
    // (or the first group when they lead).
    ReassociationIndices leading;
    for (int64_t i = 0; i < rank; ++i) {
      if (llvm::is_contained(dims, i)) {
        if (groups.empty())
          leading.push_back(i);
        else
          groups.back().push_back(i);
        continue;
      }
      ReassociationIndices group = leading;
      leading.clear();
      group.push_back(i);
      groups.push_back(group);
    }
  }
  return expandTo(b, loc, reduced, resultType, groups,
                  [&](int64_t dim) { return dimSize(b, loc, input, dim); });
}

template <typename OpTy, Combiner combiner, bool mean>
struct ReductionLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;

  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    std::string why;
    auto dims = graph::normalizeDims(op.getDims(), inputType.getRank(), why);
    if (failed(dims))
      return rewriter.notifyMatchFailure(op, why);
    Value result = reduce(rewriter, loc, input, *dims, combiner);
    if (mean) {
      Value count = elementCount(rewriter, loc, input, *dims, inputType.getElementType());
      result = mapElements(rewriter, loc, result, [&](OpBuilder &b, Location l, Value x) {
        return b.create<arith::DivFOp>(l, x, count).getResult();
      });
    }
    auto resultType = cast<RankedTensorType>(op.getType());
    if (op.getKeepdim())
      result = keepDims(rewriter, loc, result, input, resultType, *dims);
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void graphc::populateGraphToLinalgReductionPatterns(RewritePatternSet &patterns) {
  patterns.add<ReductionLowering<graph::ReduceSumOp, Combiner::Sum, false>,
               ReductionLowering<graph::ReduceMeanOp, Combiner::Sum, true>,
               ReductionLowering<graph::ReduceMaxOp, Combiner::Max, false>>(
      patterns.getContext());
}
