//===- Elementwise.cpp - elementwise graph ops to linalg.generic ----------===//
//
// Every elementwise op (unary, broadcasting binary, compare, select, cast and
// broadcast_to) becomes one linalg.generic whose indexing maps implement the
// broadcast; only the scalar body differs per op (buildScalar overloads).
//
//===----------------------------------------------------------------------===//

#include "graphc/Conversion/GraphToLinalg/GraphToLinalg.h"
#include "graphc/Dialect/Graph/GraphOps.h"

#include "Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace graphc;
using namespace graphc::lowering;

namespace {

bool isFloat(Value v) { return isa<FloatType>(v.getType()); }

/// Picks the float or the (signed) integer form of an arith op.
template <typename FloatOp, typename IntOp>
Value floatOrInt(OpBuilder &b, Location loc, ValueRange args) {
  if (isFloat(args[0]))
    return b.create<FloatOp>(loc, args);
  return b.create<IntOp>(loc, args);
}

// Scalar bodies, one per op. `args` are the operand elements.
Value buildScalar(graph::NegOp, OpBuilder &b, Location loc, ValueRange args, Type) {
  if (isFloat(args[0]))
    return b.create<arith::NegFOp>(loc, args[0]);
  Value zero = scalarConstant(b, loc, args[0].getType(), 0);
  return b.create<arith::SubIOp>(loc, zero, args[0]);
}
Value buildScalar(graph::ExpOp, OpBuilder &b, Location loc, ValueRange args, Type) {
  return b.create<math::ExpOp>(loc, args[0]);
}
Value buildScalar(graph::LogOp, OpBuilder &b, Location loc, ValueRange args, Type) {
  return b.create<math::LogOp>(loc, args[0]);
}
Value buildScalar(graph::SqrtOp, OpBuilder &b, Location loc, ValueRange args, Type) {
  return b.create<math::SqrtOp>(loc, args[0]);
}
Value buildScalar(graph::RsqrtOp, OpBuilder &b, Location loc, ValueRange args, Type) {
  return b.create<math::RsqrtOp>(loc, args[0]);
}
Value buildScalar(graph::AbsOp, OpBuilder &b, Location loc, ValueRange args, Type) {
  if (isFloat(args[0]))
    return b.create<math::AbsFOp>(loc, args[0]);
  return b.create<math::AbsIOp>(loc, args[0]);
}
Value buildScalar(graph::ReluOp, OpBuilder &b, Location loc, ValueRange args, Type) {
  Value zero = scalarConstant(b, loc, args[0].getType(), 0);
  // x when x > 0 or x is NaN (torch.relu propagates NaN), else +0: the
  // value of maximumf(x, 0), -0 included, as a compare and a select, which
  // LLVM vectorizes; maximumf becomes llvm.maximum, which x86 has no
  // instruction for and LLVM left scalar (vmaxss, vcmpunordss per element):
  // LeNet's conv1 bias + ReLU was 4.7 % of a training step's samples (perf,
  // batch 256, one thread).
  if (isFloat(args[0])) {
    Value positiveOrNaN = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UGT, args[0], zero);
    return b.create<arith::SelectOp>(loc, positiveOrNaN, args[0], zero);
  }
  return b.create<arith::MaxSIOp>(loc, args[0], zero);
}
Value buildScalar(graph::SigmoidOp, OpBuilder &b, Location loc, ValueRange args, Type) {
  Type t = args[0].getType();
  Value one = scalarConstant(b, loc, t, 1);
  Value negated = b.create<arith::NegFOp>(loc, args[0]);
  Value denominator = b.create<arith::AddFOp>(loc, one, b.create<math::ExpOp>(loc, negated));
  return b.create<arith::DivFOp>(loc, one, denominator);
}
Value buildScalar(graph::TanhOp, OpBuilder &b, Location loc, ValueRange args, Type) {
  return b.create<math::TanhOp>(loc, args[0]);
}
Value buildScalar(graph::ErfOp, OpBuilder &b, Location loc, ValueRange args, Type) {
  return b.create<math::ErfOp>(loc, args[0]);
}
// The math dialect's functions: LLVM intrinsics (floor, ceil, roundeven,
// sin, cos) or libm (the others) on the CPU, libdevice on the GPU.
#define GRAPHC_MATH_FUNCTION(GraphOp, MathOp)                                               \
  Value buildScalar(graph::GraphOp, OpBuilder &b, Location loc, ValueRange args, Type) {    \
    return b.create<math::MathOp>(loc, args[0]);                                            \
  }
GRAPHC_MATH_FUNCTION(FloorOp, FloorOp)
GRAPHC_MATH_FUNCTION(CeilOp, CeilOp)
GRAPHC_MATH_FUNCTION(RoundOp, RoundEvenOp)
GRAPHC_MATH_FUNCTION(SinOp, SinOp)
GRAPHC_MATH_FUNCTION(CosOp, CosOp)
GRAPHC_MATH_FUNCTION(TanOp, TanOp)
GRAPHC_MATH_FUNCTION(AsinOp, AsinOp)
GRAPHC_MATH_FUNCTION(AcosOp, AcosOp)
GRAPHC_MATH_FUNCTION(AtanOp, AtanOp)
GRAPHC_MATH_FUNCTION(SinhOp, SinhOp)
GRAPHC_MATH_FUNCTION(CoshOp, CoshOp)
GRAPHC_MATH_FUNCTION(AsinhOp, AsinhOp)
GRAPHC_MATH_FUNCTION(AcoshOp, AcoshOp)
GRAPHC_MATH_FUNCTION(AtanhOp, AtanhOp)
#undef GRAPHC_MATH_FUNCTION
Value buildScalar(graph::AddOp, OpBuilder &b, Location loc, ValueRange args, Type) {
  return floatOrInt<arith::AddFOp, arith::AddIOp>(b, loc, args);
}
Value buildScalar(graph::SubOp, OpBuilder &b, Location loc, ValueRange args, Type) {
  return floatOrInt<arith::SubFOp, arith::SubIOp>(b, loc, args);
}
Value buildScalar(graph::MulOp, OpBuilder &b, Location loc, ValueRange args, Type) {
  return floatOrInt<arith::MulFOp, arith::MulIOp>(b, loc, args);
}
Value buildScalar(graph::DivOp, OpBuilder &b, Location loc, ValueRange args, Type) {
  return floatOrInt<arith::DivFOp, arith::DivSIOp>(b, loc, args);
}
Value buildScalar(graph::PowOp, OpBuilder &b, Location loc, ValueRange args, Type) {
  return b.create<math::PowFOp>(loc, args[0], args[1]);
}
Value buildScalar(graph::MaxOp, OpBuilder &b, Location loc, ValueRange args, Type) {
  return floatOrInt<arith::MaximumFOp, arith::MaxSIOp>(b, loc, args);
}
Value buildScalar(graph::MinOp, OpBuilder &b, Location loc, ValueRange args, Type) {
  return floatOrInt<arith::MinimumFOp, arith::MinSIOp>(b, loc, args);
}

Value compare(OpBuilder &b, Location loc, ValueRange args, arith::CmpFPredicate fp,
              arith::CmpIPredicate ip) {
  if (isFloat(args[0]))
    return b.create<arith::CmpFOp>(loc, fp, args[0], args[1]);
  return b.create<arith::CmpIOp>(loc, ip, args[0], args[1]);
}
Value buildScalar(graph::EqOp, OpBuilder &b, Location loc, ValueRange args, Type) {
  return compare(b, loc, args, arith::CmpFPredicate::OEQ, arith::CmpIPredicate::eq);
}
Value buildScalar(graph::NeOp, OpBuilder &b, Location loc, ValueRange args, Type) {
  return compare(b, loc, args, arith::CmpFPredicate::UNE, arith::CmpIPredicate::ne);
}
Value buildScalar(graph::LtOp, OpBuilder &b, Location loc, ValueRange args, Type) {
  return compare(b, loc, args, arith::CmpFPredicate::OLT, arith::CmpIPredicate::slt);
}
Value buildScalar(graph::LeOp, OpBuilder &b, Location loc, ValueRange args, Type) {
  return compare(b, loc, args, arith::CmpFPredicate::OLE, arith::CmpIPredicate::sle);
}
Value buildScalar(graph::GtOp, OpBuilder &b, Location loc, ValueRange args, Type) {
  return compare(b, loc, args, arith::CmpFPredicate::OGT, arith::CmpIPredicate::sgt);
}
Value buildScalar(graph::GeOp, OpBuilder &b, Location loc, ValueRange args, Type) {
  return compare(b, loc, args, arith::CmpFPredicate::OGE, arith::CmpIPredicate::sge);
}
Value buildScalar(graph::SelectOp, OpBuilder &b, Location loc, ValueRange args, Type) {
  return b.create<arith::SelectOp>(loc, args[0], args[1], args[2]);
}

/// Conversions follow torch's `.to(dtype)`: i1 widens to 0/1, anything
/// narrowed to i1 is `!= 0`, floats truncate toward zero into integers.
Value buildScalar(graph::CastOp, OpBuilder &b, Location loc, ValueRange args, Type to) {
  Value x = args[0];
  Type from = x.getType();
  if (from == to)
    return x;
  bool fromFloat = isa<FloatType>(from), toFloat = isa<FloatType>(to);
  if (to.isInteger(1)) {
    Value zero = scalarConstant(b, loc, from, 0);
    if (fromFloat)
      return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNE, x, zero);
    return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, x, zero);
  }
  if (fromFloat && toFloat) {
    if (from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth())
      return b.create<arith::ExtFOp>(loc, to, x);
    return b.create<arith::TruncFOp>(loc, to, x);
  }
  if (fromFloat)
    return b.create<arith::FPToSIOp>(loc, to, x);
  if (toFloat) {
    if (from.isInteger(1))
      return b.create<arith::UIToFPOp>(loc, to, x);
    return b.create<arith::SIToFPOp>(loc, to, x);
  }
  if (from.isInteger(1))
    return b.create<arith::ExtUIOp>(loc, to, x);
  if (from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth())
    return b.create<arith::ExtSIOp>(loc, to, x);
  return b.create<arith::TruncIOp>(loc, to, x);
}

template <typename OpTy>
struct ElementwiseLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;

  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    ValueRange operands = adaptor.getOperands();
    MLIRContext *ctx = rewriter.getContext();

    SmallVector<AffineMap> maps;
    for (Value v : operands)
      maps.push_back(broadcastMap(ctx, cast<RankedTensorType>(v.getType()).getShape(),
                                  resultType.getShape()));
    maps.push_back(rewriter.getMultiDimIdentityMap(resultType.getRank()));
    SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                               utils::IteratorType::parallel);

    Value init = createBroadcastEmpty(rewriter, loc, resultType, operands);
    Type resultElement = resultType.getElementType();
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, resultType, operands, init, maps, iterators,
        [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
          Value result = buildScalar(op, b, bodyLoc, args.drop_back(), resultElement);
          b.create<linalg::YieldOp>(bodyLoc, result);
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

/// broadcast_to: a copy through the broadcast indexing map. Dynamic sizes
/// come from the operand where it has them, otherwise from `like`.
struct BroadcastToLowering : OpConversionPattern<graph::BroadcastToOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(graph::BroadcastToOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    Value input = adaptor.getInput(), like = adaptor.getLike();
    auto inputType = cast<RankedTensorType>(input.getType());
    int64_t rank = resultType.getRank(), lead = rank - inputType.getRank();
    Value init = createEmpty(rewriter, loc, resultType, [&](int64_t i) -> Value {
      if (i >= lead && inputType.isDynamicDim(i - lead))
        return rewriter.create<tensor::DimOp>(loc, input, i - lead);
      return rewriter.create<tensor::DimOp>(loc, like, i);
    });
    SmallVector<AffineMap> maps{
        broadcastMap(rewriter.getContext(), inputType.getShape(), resultType.getShape()),
        rewriter.getMultiDimIdentityMap(rank)};
    SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, resultType, input, init, maps, iterators,
        [](OpBuilder &b, Location l, ValueRange args) { b.create<linalg::YieldOp>(l, args[0]); });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

} // namespace

void graphc::populateGraphToLinalgElementwisePatterns(RewritePatternSet &patterns) {
  patterns.add<ElementwiseLowering<graph::NegOp>, ElementwiseLowering<graph::ExpOp>,
               ElementwiseLowering<graph::LogOp>, ElementwiseLowering<graph::SqrtOp>,
               ElementwiseLowering<graph::RsqrtOp>, ElementwiseLowering<graph::AbsOp>,
               ElementwiseLowering<graph::ReluOp>, ElementwiseLowering<graph::SigmoidOp>,
               ElementwiseLowering<graph::TanhOp>, ElementwiseLowering<graph::ErfOp>,
               ElementwiseLowering<graph::FloorOp>, ElementwiseLowering<graph::CeilOp>,
               ElementwiseLowering<graph::RoundOp>, ElementwiseLowering<graph::SinOp>,
               ElementwiseLowering<graph::CosOp>, ElementwiseLowering<graph::TanOp>,
               ElementwiseLowering<graph::AsinOp>, ElementwiseLowering<graph::AcosOp>,
               ElementwiseLowering<graph::AtanOp>, ElementwiseLowering<graph::SinhOp>,
               ElementwiseLowering<graph::CoshOp>, ElementwiseLowering<graph::AsinhOp>,
               ElementwiseLowering<graph::AcoshOp>, ElementwiseLowering<graph::AtanhOp>,
               ElementwiseLowering<graph::AddOp>,
               ElementwiseLowering<graph::SubOp>, ElementwiseLowering<graph::MulOp>,
               ElementwiseLowering<graph::DivOp>, ElementwiseLowering<graph::PowOp>,
               ElementwiseLowering<graph::MaxOp>, ElementwiseLowering<graph::MinOp>,
               ElementwiseLowering<graph::EqOp>, ElementwiseLowering<graph::NeOp>,
               ElementwiseLowering<graph::LtOp>, ElementwiseLowering<graph::LeOp>,
               ElementwiseLowering<graph::GtOp>, ElementwiseLowering<graph::GeOp>,
               ElementwiseLowering<graph::SelectOp>, ElementwiseLowering<graph::CastOp>,
               BroadcastToLowering>(patterns.getContext());
}
