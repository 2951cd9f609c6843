//===- GradientRules.cpp - one gradient rule per primitive op -------------===//
//
// Reverse-mode rules, read as a table: `dy` is the gradient of the result,
// `y` the result, and each rule pushes one gradient per operand (or a null
// Value where an operand gets none). Broadcasting operands get their
// gradient summed back to their own shape (unbroadcast), as autograd does.
// Formulas follow PyTorch's derivatives.yaml, ties included (maximum splits
// the gradient between equal operands; abs and relu give 0 at 0).
//
//===----------------------------------------------------------------------===//

#include "graphc/Dialect/Graph/BatchMultiples.h"
#include "graphc/Dialect/Graph/GraphOps.h"
#include "graphc/Dialect/Graph/ShapeRules.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <numeric>

using namespace mlir;
using namespace graphc::graph;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// Builds graph ops at one location so each rule reads like its formula.
class Grad {
public:
  Grad(OpBuilder &b, Operation *op) : b_(b), loc_(op->getLoc()) {}

  Value add(Value a, Value c) { return b_.create<AddOp>(loc_, a, c); }
  Value sub(Value a, Value c) { return b_.create<SubOp>(loc_, a, c); }
  Value mul(Value a, Value c) { return b_.create<MulOp>(loc_, a, c); }
  Value div(Value a, Value c) { return b_.create<DivOp>(loc_, a, c); }
  Value neg(Value a) { return b_.create<NegOp>(loc_, a.getType(), a); }
  Value log(Value a) { return b_.create<LogOp>(loc_, a.getType(), a); }
  Value pow(Value a, Value c) { return b_.create<PowOp>(loc_, a, c); }
  Value gt(Value a, Value c) { return b_.create<GtOp>(loc_, a, c); }
  Value lt(Value a, Value c) { return b_.create<LtOp>(loc_, a, c); }
  Value le(Value a, Value c) { return b_.create<LeOp>(loc_, a, c); }
  Value ge(Value a, Value c) { return b_.create<GeOp>(loc_, a, c); }
  Value eq(Value a, Value c) { return b_.create<EqOp>(loc_, a, c); }
  Value select(Value c, Value a, Value d) { return b_.create<SelectOp>(loc_, c, a, d); }
  Value matmul(Value a, Value c) { return b_.create<MatmulOp>(loc_, a, c); }
  Value transpose(Value a, ArrayRef<int64_t> perm) {
    return b_.create<TransposeOp>(loc_, a, perm);
  }
  Value reduceSum(Value a, ArrayRef<int64_t> dims, bool keepdim) {
    return b_.create<ReduceSumOp>(loc_, a, dims, keepdim);
  }
  Value cast(Value a, Type elementType) {
    auto t = typeOf(a);
    return b_.create<CastOp>(loc_, RankedTensorType::get(t.getShape(), elementType), a);
  }

  /// A rank-0 constant of `like`'s element type.
  Value scalar(double value, Value like) {
    Type element = typeOf(like).getElementType();
    auto type = RankedTensorType::get({}, element);
    Attribute a = isa<FloatType>(element) ? (Attribute)b_.getFloatAttr(element, value)
                                          : (Attribute)b_.getIntegerAttr(element, (int64_t)value);
    return b_.create<ConstantOp>(loc_, DenseElementsAttr::get(type, a));
  }

  /// `value` with the type `type` (same elements; only static vs dynamic
  /// sizes may differ), so gradients carry their operand's exact type.
  Value fitTo(Value value, Type type) {
    if (value.getType() == type)
      return value;
    return b_.create<ReshapeOp>(loc_, type, value);
  }

  /// Sums a gradient of a broadcast result back to the operand's shape.
  Value unbroadcast(Value grad, Value operand) {
    auto g = typeOf(grad).getShape(), s = typeOf(operand).getShape();
    int64_t lead = g.size() - s.size();
    SmallVector<int64_t> dims;
    for (int64_t i = 0; i < (int64_t)g.size(); ++i)
      if (i < lead || (s[i - lead] == 1 && g[i] != 1))
        dims.push_back(i);
    Value summed = dims.empty() ? grad : reduceSum(grad, dims, /*keepdim=*/true);
    return fitTo(summed, operand.getType());
  }

  /// Broadcasts `value` to `like`'s type, sizing dynamic dims from `like`.
  Value expandLike(Value value, Value like) {
    auto type = typeOf(like);
    if (value.getType() == type)
      return value;
    return b_.create<BroadcastToOp>(loc_, type, value, type.hasStaticShape() ? Value() : like);
  }

  /// A reduction's result with its reduced dims put back as size 1.
  Value keepDims(Value reduced, Value input, ArrayRef<int64_t> dims) {
    auto in = typeOf(input).getShape();
    SmallVector<int64_t> shape(in.begin(), in.end());
    for (int64_t d : dims)
      shape[d] = 1;
    auto type = RankedTensorType::get(shape, typeOf(reduced).getElementType());
    return fitTo(reduced, type);
  }

private:
  OpBuilder &b_;
  Location loc_;
};

bool isFloat(Value v) { return isa<FloatType>(typeOf(v).getElementType()); }

/// The normalized dims of a reduction op (verified, so this cannot fail).
template <typename OpTy>
SmallVector<int64_t> reducedDims(OpTy op) {
  std::string why;
  return *normalizeDims(op.getDims(), typeOf(op.getInput()).getRank(), why);
}

} // namespace

//===----------------------------------------------------------------------===//
// Elementwise unary
//===----------------------------------------------------------------------===//

LogicalResult NegOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                    SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this);
  dxs.push_back(isFloat(getInput()) ? g.neg(dys[0]) : Value());
  return success();
}

LogicalResult ExpOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                    SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this);
  dxs.push_back(g.mul(dys[0], getResult())); // d exp(x) = exp(x)
  return success();
}

LogicalResult LogOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                    SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this);
  dxs.push_back(g.div(dys[0], getInput())); // d log(x) = 1/x
  return success();
}

LogicalResult SqrtOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                     SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this);
  dxs.push_back(g.div(dys[0], g.mul(getResult(), g.scalar(2, getResult())))); // 1/(2 sqrt(x))
  return success();
}

LogicalResult RsqrtOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                      SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this);
  Value y = getResult(); // d x^-1/2 = -1/2 x^-3/2 = -1/2 y^3
  Value y3 = g.mul(g.mul(y, y), y);
  dxs.push_back(g.mul(dys[0], g.mul(y3, g.scalar(-0.5, y))));
  return success();
}

LogicalResult AbsOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                    SmallVectorImpl<Value> &dxs) {
  if (!isFloat(getInput())) {
    dxs.push_back(Value());
    return success();
  }
  Grad g(b, *this);
  Value x = getInput(), zero = g.scalar(0, x);
  // sign(x): +1, -1, or 0 at 0.
  Value sign = g.select(g.gt(x, zero), g.scalar(1, x),
                        g.select(g.lt(x, zero), g.scalar(-1, x), zero));
  dxs.push_back(g.mul(dys[0], sign));
  return success();
}

LogicalResult ReluOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                     SmallVectorImpl<Value> &dxs) {
  if (!isFloat(getInput())) {
    dxs.push_back(Value());
    return success();
  }
  Grad g(b, *this);
  // From the result, as PyTorch's threshold_backward(grad, result, 0):
  // `y <= 0 ? 0 : dy`, so dy passes where x > 0 and where x is NaN (y is
  // then NaN, and NaN <= 0 is false). The forward pass need not keep x.
  Value y = getResult(), zero = g.scalar(0, y);
  dxs.push_back(g.select(g.le(y, zero), zero, dys[0])); // 0 at x <= 0
  return success();
}

LogicalResult SigmoidOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                        SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this);
  Value y = getResult(); // y (1 - y)
  dxs.push_back(g.mul(dys[0], g.mul(y, g.sub(g.scalar(1, y), y))));
  return success();
}

LogicalResult TanhOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                     SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this);
  Value y = getResult(); // 1 - y^2
  dxs.push_back(g.mul(dys[0], g.sub(g.scalar(1, y), g.mul(y, y))));
  return success();
}

LogicalResult DetachOp::buildGradients(OpBuilder &, ArrayRef<Value>,
                                       SmallVectorImpl<Value> &dxs) {
  dxs.push_back(Value()); // the point of the op
  return success();
}

LogicalResult ErfOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                    SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this);
  Value x = getInput(); // 2/sqrt(pi) e^(-x^2)
  Value gaussian = b.create<ExpOp>(getLoc(), x.getType(), g.neg(g.mul(x, x)));
  dxs.push_back(g.mul(dys[0], g.mul(gaussian, g.scalar(1.1283791670955126, x))));
  return success();
}

/// Rounding is flat almost everywhere: PyTorch's gradient is zero.
#define GRAPHC_ZERO_GRADIENT(Op)                                                            \
  LogicalResult Op::buildGradients(OpBuilder &, ArrayRef<Value>,                          \
                                   SmallVectorImpl<Value> &dxs) {                         \
    dxs.push_back(Value());                                                               \
    return success();                                                                     \
  }
GRAPHC_ZERO_GRADIENT(FloorOp)
GRAPHC_ZERO_GRADIENT(CeilOp)
GRAPHC_ZERO_GRADIENT(RoundOp)
#undef GRAPHC_ZERO_GRADIENT

LogicalResult SinOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                    SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this); // cos x
  dxs.push_back(g.mul(dys[0], b.create<CosOp>(getLoc(), getType(), getInput())));
  return success();
}

LogicalResult CosOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                    SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this); // -sin x
  dxs.push_back(g.neg(g.mul(dys[0], b.create<SinOp>(getLoc(), getType(), getInput()))));
  return success();
}

LogicalResult TanOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                    SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this); // 1 + tan^2 x
  Value y = getResult();
  dxs.push_back(g.mul(dys[0], g.add(g.scalar(1, y), g.mul(y, y))));
  return success();
}

LogicalResult AsinOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                     SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this); // 1 / sqrt(1 - x^2)
  Value x = getInput();
  Value root = b.create<SqrtOp>(getLoc(), x.getType(), g.sub(g.scalar(1, x), g.mul(x, x)));
  dxs.push_back(g.div(dys[0], root));
  return success();
}

LogicalResult AcosOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                     SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this); // -1 / sqrt(1 - x^2)
  Value x = getInput();
  Value root = b.create<SqrtOp>(getLoc(), x.getType(), g.sub(g.scalar(1, x), g.mul(x, x)));
  dxs.push_back(g.neg(g.div(dys[0], root)));
  return success();
}

LogicalResult AtanOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                     SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this); // 1 / (1 + x^2)
  Value x = getInput();
  dxs.push_back(g.div(dys[0], g.add(g.scalar(1, x), g.mul(x, x))));
  return success();
}

LogicalResult SinhOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                     SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this); // cosh x
  dxs.push_back(g.mul(dys[0], b.create<CoshOp>(getLoc(), getType(), getInput())));
  return success();
}

LogicalResult CoshOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                     SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this); // sinh x
  dxs.push_back(g.mul(dys[0], b.create<SinhOp>(getLoc(), getType(), getInput())));
  return success();
}

LogicalResult AsinhOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                      SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this); // 1 / sqrt(x^2 + 1)
  Value x = getInput();
  Value root = b.create<SqrtOp>(getLoc(), x.getType(), g.add(g.mul(x, x), g.scalar(1, x)));
  dxs.push_back(g.div(dys[0], root));
  return success();
}

LogicalResult AcoshOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                      SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this); // 1 / sqrt(x^2 - 1)
  Value x = getInput();
  Value root = b.create<SqrtOp>(getLoc(), x.getType(), g.sub(g.mul(x, x), g.scalar(1, x)));
  dxs.push_back(g.div(dys[0], root));
  return success();
}

LogicalResult AtanhOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                      SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this); // 1 / (1 - x^2)
  Value x = getInput();
  dxs.push_back(g.div(dys[0], g.sub(g.scalar(1, x), g.mul(x, x))));
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise binary
//===----------------------------------------------------------------------===//

LogicalResult AddOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                    SmallVectorImpl<Value> &dxs) {
  if (!isFloat(getLhs()))
    return dxs.append({Value(), Value()}), success();
  Grad g(b, *this);
  dxs.push_back(g.unbroadcast(dys[0], getLhs()));
  dxs.push_back(g.unbroadcast(dys[0], getRhs()));
  return success();
}

LogicalResult SubOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                    SmallVectorImpl<Value> &dxs) {
  if (!isFloat(getLhs()))
    return dxs.append({Value(), Value()}), success();
  Grad g(b, *this);
  dxs.push_back(g.unbroadcast(dys[0], getLhs()));
  dxs.push_back(g.unbroadcast(g.neg(dys[0]), getRhs()));
  return success();
}

LogicalResult MulOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                    SmallVectorImpl<Value> &dxs) {
  if (!isFloat(getLhs()))
    return dxs.append({Value(), Value()}), success();
  Grad g(b, *this);
  dxs.push_back(g.unbroadcast(g.mul(dys[0], getRhs()), getLhs()));
  dxs.push_back(g.unbroadcast(g.mul(dys[0], getLhs()), getRhs()));
  return success();
}

LogicalResult DivOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                    SmallVectorImpl<Value> &dxs) {
  if (!isFloat(getLhs()))
    return dxs.append({Value(), Value()}), success();
  Grad g(b, *this);
  Value dy = dys[0], rhs = getRhs();
  dxs.push_back(g.unbroadcast(g.div(dy, rhs), getLhs()));                     // 1/b
  dxs.push_back(g.unbroadcast(g.neg(g.div(g.mul(dy, getResult()), rhs)), rhs)); // -a/b^2
  return success();
}

LogicalResult PowOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                    SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this);
  Value x = getLhs(), p = getRhs(), y = getResult(), dy = dys[0];
  Value zero = g.scalar(0, x);
  // d/dx = p x^(p-1); d/dp = y log(x), taken as 0 where x == 0 and p >= 0 (torch's mask).
  dxs.push_back(g.unbroadcast(g.mul(dy, g.mul(p, g.pow(x, g.sub(p, g.scalar(1, p))))), x));
  Value dp = g.mul(y, g.log(x));
  dp = g.select(g.eq(x, zero), g.select(g.ge(p, zero), zero, dp), dp);
  dxs.push_back(g.unbroadcast(g.mul(dy, dp), p));
  return success();
}

/// maximum/minimum: the winner takes the gradient, ties split it in half.
static void minMaxGradients(Grad &g, Value dy, Value lhs, Value rhs, bool isMax,
                            SmallVectorImpl<Value> &dxs) {
  Value zero = g.scalar(0, lhs), half = g.scalar(0.5, lhs), one = g.scalar(1, lhs);
  Value lhsWins = isMax ? g.gt(lhs, rhs) : g.lt(lhs, rhs);
  Value rhsWins = isMax ? g.gt(rhs, lhs) : g.lt(rhs, lhs);
  Value tie = g.eq(lhs, rhs);
  Value lhsShare = g.select(lhsWins, one, g.select(tie, half, zero));
  Value rhsShare = g.select(rhsWins, one, g.select(tie, half, zero));
  dxs.push_back(g.unbroadcast(g.mul(dy, lhsShare), lhs));
  dxs.push_back(g.unbroadcast(g.mul(dy, rhsShare), rhs));
}

LogicalResult MaxOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                    SmallVectorImpl<Value> &dxs) {
  if (!isFloat(getLhs()))
    return dxs.append({Value(), Value()}), success();
  Grad g(b, *this);
  minMaxGradients(g, dys[0], getLhs(), getRhs(), /*isMax=*/true, dxs);
  return success();
}

LogicalResult MinOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                    SmallVectorImpl<Value> &dxs) {
  if (!isFloat(getLhs()))
    return dxs.append({Value(), Value()}), success();
  Grad g(b, *this);
  minMaxGradients(g, dys[0], getLhs(), getRhs(), /*isMax=*/false, dxs);
  return success();
}

// Comparisons are piecewise constant: no gradient flows through them.
#define GRAPHC_NO_GRADIENT(OP)                                                    \
  LogicalResult OP::buildGradients(OpBuilder &, ArrayRef<Value>,               \
                                   SmallVectorImpl<Value> &dxs) {              \
    dxs.append({Value(), Value()});                                            \
    return success();                                                          \
  }
GRAPHC_NO_GRADIENT(EqOp)
GRAPHC_NO_GRADIENT(NeOp)
GRAPHC_NO_GRADIENT(LtOp)
GRAPHC_NO_GRADIENT(LeOp)
GRAPHC_NO_GRADIENT(GtOp)
GRAPHC_NO_GRADIENT(GeOp)
#undef GRAPHC_NO_GRADIENT

LogicalResult SelectOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                       SmallVectorImpl<Value> &dxs) {
  dxs.push_back(Value()); // the condition
  if (!isFloat(getTrueValue()))
    return dxs.append({Value(), Value()}), success();
  Grad g(b, *this);
  Value zero = g.scalar(0, dys[0]);
  dxs.push_back(g.unbroadcast(g.select(getCondition(), dys[0], zero), getTrueValue()));
  dxs.push_back(g.unbroadcast(g.select(getCondition(), zero, dys[0]), getFalseValue()));
  return success();
}

//===----------------------------------------------------------------------===//
// Matmul, convolution, pooling
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                       SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this);
  Value a = getLhs(), w = getRhs(), dy = dys[0];
  int64_t aRank = typeOf(a).getRank(), wRank = typeOf(w).getRank();
  if (aRank == 2) { // dA = dY W^T, dW = A^T dY
    dxs.push_back(g.matmul(dy, g.transpose(w, {1, 0})));
    dxs.push_back(g.matmul(g.transpose(a, {1, 0}), dy));
  } else if (wRank == 3) { // batched: transpose the two inner dims
    dxs.push_back(g.matmul(dy, g.transpose(w, {0, 2, 1})));
    dxs.push_back(g.matmul(g.transpose(a, {0, 2, 1}), dy));
  } else { // [B,M,K] x [K,N]: the shared rhs sums over the batch
    dxs.push_back(g.matmul(dy, g.transpose(w, {1, 0})));
    auto aShape = typeOf(a).getShape(), dyShape = typeOf(dy).getShape();
    auto dynamic = [](int64_t d) { return ShapedType::isDynamic(d); };
    // As one [B*M, K]^T x [B*M, N] matmul when B*M is a size of the model
    // (at most one of B and M dynamic) and K and N are static; otherwise
    // per batch element and summed: sum_b A[b]^T dY[b].
    bool rowsFit = !(dynamic(aShape[0]) && dynamic(aShape[1])) && !dynamic(aShape[2]) &&
                   !dynamic(dyShape[2]);
    if (rowsFit) {
      auto rows = [&](int64_t batch, int64_t m) {
        return dynamic(batch) || dynamic(m) ? ShapedType::kDynamic : batch * m;
      };
      Value a2 = g.fitTo(a, RankedTensorType::get({rows(aShape[0], aShape[1]), aShape[2]},
                                                   typeOf(a).getElementType()));
      Value dy2 = g.fitTo(dy, RankedTensorType::get({rows(dyShape[0], dyShape[1]), dyShape[2]},
                                                     typeOf(dy).getElementType()));
      dxs.push_back(g.fitTo(g.matmul(g.transpose(a2, {1, 0}), dy2), w.getType()));
    } else {
      Value perBatch = g.matmul(g.transpose(a, {0, 2, 1}), dy);
      dxs.push_back(g.fitTo(g.reduceSum(perBatch, {0}, /*keepdim=*/false), w.getType()));
    }
  }
  return success();
}

LogicalResult Conv2DOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                       SmallVectorImpl<Value> &dxs) {
  Value dy = dys[0];
  dxs.push_back(b.create<Conv2DInputGradOp>(getLoc(), getInput().getType(), dy, getWeight(),
                                            getStrideAttr(), getPaddingAttr(), getDilationAttr(),
                                            getGroupsAttr()));
  dxs.push_back(b.create<Conv2DWeightGradOp>(getLoc(), getWeight().getType(), dy, getInput(),
                                             getStrideAttr(), getPaddingAttr(),
                                             getDilationAttr(), getGroupsAttr()));
  return success();
}

LogicalResult MaxPool2DOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                          SmallVectorImpl<Value> &dxs) {
  dxs.push_back(b.create<MaxPool2DGradOp>(getLoc(), getInput().getType(), dys[0], getInput(),
                                          getKernelSizeAttr(), getStrideAttr(),
                                          getPaddingAttr()));
  return success();
}

LogicalResult AvgPool2DOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                          SmallVectorImpl<Value> &dxs) {
  dxs.push_back(b.create<AvgPool2DGradOp>(getLoc(), getInput().getType(), dys[0], getInput(),
                                          getKernelSizeAttr(), getStrideAttr(),
                                          getPaddingAttr()));
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

LogicalResult ReduceSumOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                          SmallVectorImpl<Value> &dxs) {
  if (!isFloat(getInput()))
    return dxs.push_back(Value()), success();
  Grad g(b, *this);
  Value x = getInput();
  dxs.push_back(g.expandLike(g.keepDims(dys[0], x, reducedDims(*this)), x));
  return success();
}

LogicalResult ReduceMeanOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                           SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this);
  Value x = getInput();
  SmallVector<int64_t> dims = reducedDims(*this);
  Value spread = g.expandLike(g.keepDims(dys[0], x, dims), x);
  // Divide by the element count; a dynamic count is counted at run time.
  auto shape = typeOf(x).getShape();
  bool staticCount = llvm::all_of(dims, [&](int64_t d) { return !ShapedType::isDynamic(shape[d]); });
  Value count;
  if (staticCount) {
    int64_t n = 1;
    for (int64_t d : dims)
      n *= shape[d];
    count = g.scalar((double)n, x);
  } else {
    count = g.reduceSum(g.expandLike(g.scalar(1, x), x), dims, /*keepdim=*/true);
  }
  dxs.push_back(g.div(spread, count));
  return success();
}

LogicalResult ReduceMaxOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                          SmallVectorImpl<Value> &dxs) {
  if (!isFloat(getInput()))
    return dxs.push_back(Value()), success();
  Grad g(b, *this);
  Value x = getInput();
  SmallVector<int64_t> dims = reducedDims(*this);
  // As torch.amax: the gradient is shared evenly among the maxima.
  Value isMax = g.eq(x, g.expandLike(g.keepDims(getResult(), x, dims), x));
  Value mask = g.cast(isMax, typeOf(x).getElementType());
  Value ties = g.reduceSum(mask, dims, /*keepdim=*/true);
  Value spread = g.expandLike(g.keepDims(dys[0], x, dims), x);
  dxs.push_back(g.div(g.mul(spread, mask), ties));
  return success();
}

//===----------------------------------------------------------------------===//
// Shape and data movement
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                        SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this);
  dxs.push_back(isFloat(getInput()) ? g.fitTo(dys[0], getInput().getType()) : Value());
  return success();
}

LogicalResult TransposeOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                          SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this);
  ArrayRef<int64_t> perm = getPermutation();
  SmallVector<int64_t> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i)
    inverse[perm[i] < 0 ? perm[i] + perm.size() : perm[i]] = i;
  dxs.push_back(isFloat(getInput()) ? g.transpose(dys[0], inverse) : Value());
  return success();
}

LogicalResult BroadcastToOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                            SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this);
  dxs.push_back(isFloat(getInput()) ? g.unbroadcast(dys[0], getInput()) : Value());
  if (getLike())
    dxs.push_back(Value()); // only its shape is read
  return success();
}

LogicalResult SliceOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                      SmallVectorImpl<Value> &dxs) {
  if (!isFloat(getInput()))
    return dxs.push_back(Value()), success();
  dxs.push_back(b.create<SliceGradOp>(getLoc(), getInput().getType(), dys[0], getStartAttr(),
                                      getStopAttr(), getStepAttr()));
  return success();
}

LogicalResult ConcatOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                       SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this);
  auto resultType = typeOf(getResult());
  int64_t rank = resultType.getRank();
  int64_t dim = static_cast<int64_t>(getDim());
  dim = dim < 0 ? dim + rank : dim;
  Value dy = dys[0];
  // Along a dynamic dim every operand is k_i*B (the verifier refuses k*B + n),
  // laid out one after the other: viewed as [.., K, B, ..] with K = sum k_i,
  // operand i is the static slice [S_i, S_i + k_i) of the K axis, where S_i
  // sums the multiples before it. The multiples come from the static sizes
  // of the other dims and the element counts; that view keeps the tensor in
  // the dynamic-size model only when `dim` is its one dynamic dim.
  bool alongBatch = ShapedType::isDynamic(resultType.getDimSize(dim));
  SmallVector<int64_t> multiples;
  if (alongBatch) {
    if (llvm::count(resultType.getShape(), ShapedType::kDynamic) != 1)
      return emitOpError("has no gradient along a dynamic dimension when another dimension "
                         "is dynamic too");
    FailureOr<BatchMultipleAnalysis> analysis =
        BatchMultipleAnalysis::run((*this)->getParentOfType<FunctionOpInterface>());
    if (failed(analysis))
      return failure();
    for (Value input : getInputs())
      multiples.push_back(analysis->of(input)[dim]);
    int64_t total = 0;
    for (int64_t k : multiples)
      total += k;
    SmallVector<int64_t> split(resultType.getShape());
    split[dim] = total;
    split.insert(split.begin() + dim + 1, ShapedType::kDynamic);
    dy = g.fitTo(dy, RankedTensorType::get(split, resultType.getElementType()));
  }
  int64_t offset = 0;
  for (auto [i, input] : llvm::enumerate(getInputs())) {
    auto shape = typeOf(input).getShape();
    int64_t size = alongBatch ? multiples[i] : shape[dim];
    int64_t sliceRank = typeOf(dy).getRank();
    SmallVector<int64_t> start(sliceRank, 0), stop(sliceRank, std::numeric_limits<int64_t>::max()),
        step(sliceRank, 1);
    start[dim] = offset;
    stop[dim] = offset + size;
    offset += size;
    if (!isFloat(input)) {
      dxs.push_back(Value());
      continue;
    }
    Value slice = b.create<SliceOp>(getLoc(), dy, start, stop, step);
    dxs.push_back(g.fitTo(slice, input.getType()));
  }
  return success();
}

LogicalResult ConstantOp::buildGradients(OpBuilder &, ArrayRef<Value>,
                                         SmallVectorImpl<Value> &) {
  return success(); // no operands
}

LogicalResult GatherOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                       SmallVectorImpl<Value> &dxs) {
  if (!isFloat(getTable()))
    return dxs.append({Value(), Value()}), success();
  auto table = typeOf(getTable());
  // Scatter-add back into the table's rows; the indices get none.
  dxs.push_back(b.create<GatherGradOp>(getLoc(), table, dys[0], getIndices(),
                                       b.getI64IntegerAttr(table.getDimSize(0)),
                                       getPaddingIdxAttr()));
  dxs.push_back(Value());
  return success();
}

LogicalResult RandomUniformOp::buildGradients(OpBuilder &, ArrayRef<Value>,
                                              SmallVectorImpl<Value> &dxs) {
  // `like` gives sizes only, `state` is integral: nothing flows back.
  dxs.append({Value(), Value()});
  return success();
}

LogicalResult CastOp::buildGradients(OpBuilder &b, ArrayRef<Value> dys,
                                     SmallVectorImpl<Value> &dxs) {
  Grad g(b, *this);
  bool differentiable = isFloat(getInput()) && isFloat(getResult());
  dxs.push_back(differentiable ? g.cast(dys[0], typeOf(getInput()).getElementType()) : Value());
  return success();
}
