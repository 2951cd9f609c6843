//===- Elementwise.cpp - ONNX elementwise ops and activations -------------===//
//
// Arithmetic, comparisons and logic with NumPy broadcasting, the unary
// functions the graph dialect has, and the activations ONNX defines as
// functions of them (LeakyRelu, Elu, Selu, HardSigmoid, Softplus, ...),
// written out as graph ops so that each gets its gradient from theirs.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "graphc/Dialect/Graph/ShapeRules.h"

#include <limits>

using namespace mlir;

namespace graphc::onnx_import {
namespace {


/// Integer arithmetic on constants (shapes being computed) is folded: same
/// shapes, or one side a single value.
std::optional<DenseElementsAttr> foldIntegers(Node &n, llvm::function_ref<int64_t(int64_t, int64_t)> f) {
  std::optional<DenseElementsAttr> a = n.constantInput(0), b = n.constantInput(1);
  if (!a || !b || !isa<IntegerType>(a->getElementType()) || a->getElementType().isInteger(1) ||
      a->getElementType() != b->getElementType())
    return std::nullopt;
  bool sameShape = a->getType().getShape() == b->getType().getShape();
  if (!sameShape && a->getNumElements() != 1 && b->getNumElements() != 1)
    return std::nullopt;
  SmallVector<int64_t> x, y;
  for (const APInt &v : a->getValues<APInt>())
    x.push_back(v.getSExtValue());
  for (const APInt &v : b->getValues<APInt>())
    y.push_back(v.getSExtValue());
  auto shape = x.size() >= y.size() && (sameShape || b->getNumElements() == 1) ? a->getType() : b->getType();
  size_t count = std::max(x.size(), y.size());
  SmallVector<APInt> out;
  unsigned width = a->getElementType().getIntOrFloatBitWidth();
  for (size_t k = 0; k < count; ++k)
    out.push_back(APInt(width, f(x[x.size() == 1 ? 0 : k], y[y.size() == 1 ? 0 : k]), true));
  return DenseElementsAttr::get(cast<ShapedType>(shape), out);
}

template <class Op>
Converter binaryConverter(bool floatOnly = false) {
  return [floatOnly](Node &n) {
    auto fold = [&](llvm::function_ref<int64_t(int64_t, int64_t)> f) {
      if (std::optional<DenseElementsAttr> folded = foldIntegers(n, f)) {
        n.setConstantOutput(0, *folded);
        return true;
      }
      return false;
    };
    if constexpr (std::is_same_v<Op, graph::AddOp>)
      if (fold([](int64_t a, int64_t b) { return a + b; }))
        return;
    if constexpr (std::is_same_v<Op, graph::SubOp>)
      if (fold([](int64_t a, int64_t b) { return a - b; }))
        return;
    if constexpr (std::is_same_v<Op, graph::MulOp>)
      if (fold([](int64_t a, int64_t b) { return a * b; }))
        return;
    if constexpr (std::is_same_v<Op, graph::DivOp>)
      if (fold([](int64_t a, int64_t b) { return b == 0 ? 0 : a / b; }))
        return;
    if (floatOnly)
      n.requireFloat(n.input(0), "its input");
    if (!isa<FloatType>(n.typeOf(n.input(0)).getElementType()) && std::is_same_v<Op, graph::DivOp>)
      throw Unsupported("integer division (ONNX truncates) is not supported");
    n.setOutput(0, n.binary<Op>(n.input(0), n.input(1)));
  };
}

/// Max, Min, Sum, Mean: any number of inputs, folded left to right.
template <class Op>
Converter variadicConverter(bool mean = false) {
  return [mean](Node &n) {
    Value acc = n.input(0);
    for (int i = 1; i < n.numInputs(); ++i)
      acc = n.binary<Op>(acc, n.input(i));
    if (mean) {
      n.requireFloat(acc, "Mean's inputs");
      acc = n.binary<graph::DivOp>(acc, n.scalarLike(acc, n.numInputs()));
    }
    n.setOutput(0, acc);
  };
}

template <class Op>
Converter unaryConverter(bool floatOnly = true) {
  return [floatOnly](Node &n) {
    Value x = n.input(0);
    if (floatOnly)
      n.requireFloat(x, "its input");
    n.setOutput(0, n.create1<Op>(x));
  };
}

Value boolConstant(Node &n, bool value) {
  auto type = RankedTensorType::get({}, n.b.getI1Type());
  return n.b.create<graph::ConstantOp>(n.loc, DenseElementsAttr::get(type, value));
}

Value bothBool(Node &n, Value x, Value y) {
  if (!n.typeOf(x).getElementType().isInteger(1) || !n.typeOf(y).getElementType().isInteger(1))
    throw Unsupported("its operands must be bool");
  return x;
}

/// select(c, a, b) with broadcasting of all three, checked first.
Value where(Node &n, Value c, Value a, Value b) {
  std::string why;
  auto ab = graph::broadcastShapes(n.typeOf(a).getShape(), n.typeOf(b).getShape(), why);
  if (failed(ab) || failed(graph::broadcastShapes(n.typeOf(c).getShape(), *ab, why)))
    throw Unsupported(why);
  if (n.typeOf(a).getElementType() != n.typeOf(b).getElementType())
    throw Unsupported("its branches have different element types");
  return n.b.create<graph::SelectOp>(n.loc, c, a, b);
}

Value softplus(Node &n, Value x) {
  // log(1 + exp(x)), computed as max(x, 0) + log(1 + exp(-|x|)) so that
  // large inputs do not overflow.
  Value zero = n.scalarLike(x, 0), one = n.scalarLike(x, 1);
  Value tail = n.create1<graph::LogOp>(
      n.binary<graph::AddOp>(one, n.create1<graph::ExpOp>(n.create1<graph::NegOp>(n.create1<graph::AbsOp>(x)))));
  return n.binary<graph::AddOp>(n.binary<graph::MaxOp>(x, zero), tail);
}

/// max(lo, min(hi, x)).
Value clamp(Node &n, Value x, Value lo, Value hi) {
  if (hi)
    x = n.binary<graph::MinOp>(x, hi);
  if (lo)
    x = n.binary<graph::MaxOp>(x, lo);
  return x;
}

Value hardSigmoid(Node &n, Value x, double alpha, double beta) {
  Value y = n.binary<graph::AddOp>(n.binary<graph::MulOp>(x, n.scalarLike(x, alpha)),
                                 n.scalarLike(x, beta));
  return clamp(n, y, n.scalarLike(x, 0), n.scalarLike(x, 1));
}

/// x < 0 ? negative : x.
Value negativePart(Node &n, Value x, Value negative) {
  Value isNegative = n.binary<graph::LtOp>(x, n.scalarLike(x, 0));
  return where(n, isNegative, negative, x);
}

} // namespace

void addElementwiseConverters(ConverterTable &t) {
  t["Add"] = binaryConverter<graph::AddOp>();
  t["Sub"] = binaryConverter<graph::SubOp>();
  t["Mul"] = binaryConverter<graph::MulOp>();
  t["Div"] = binaryConverter<graph::DivOp>();
  t["Pow"] = [](Node &n) {
    Value x = n.input(0), y = n.input(1);
    n.requireFloat(x, "Pow's base");
    if (n.typeOf(y).getElementType() != n.typeOf(x).getElementType())
      y = n.ops.to(y, n.typeOf(x).getElementType());
    n.setOutput(0, n.binary<graph::PowOp>(x, y));
  };
  t["Max"] = variadicConverter<graph::MaxOp>();
  t["Min"] = variadicConverter<graph::MinOp>();
  t["Sum"] = variadicConverter<graph::AddOp>();
  t["Mean"] = variadicConverter<graph::AddOp>(/*mean=*/true);
  t["Equal"] = binaryConverter<graph::EqOp>();
  t["Less"] = binaryConverter<graph::LtOp>();
  t["LessOrEqual"] = binaryConverter<graph::LeOp>();
  t["Greater"] = binaryConverter<graph::GtOp>();
  t["GreaterOrEqual"] = binaryConverter<graph::GeOp>();
  t["Not"] = [](Node &n) {
    Value x = n.input(0);
    bothBool(n, x, x);
    n.setOutput(0, where(n, x, boolConstant(n, false), boolConstant(n, true)));
  };
  t["And"] = [](Node &n) {
    Value x = bothBool(n, n.input(0), n.input(1));
    n.setOutput(0, where(n, x, n.input(1), boolConstant(n, false)));
  };
  t["Or"] = [](Node &n) {
    Value x = bothBool(n, n.input(0), n.input(1));
    n.setOutput(0, where(n, x, boolConstant(n, true), n.input(1)));
  };
  t["Xor"] = [](Node &n) {
    bothBool(n, n.input(0), n.input(1));
    // ne on bools is not in the dialect's numeric ops: x ? !y : y.
    Value y = n.input(1);
    Value notY = where(n, y, boolConstant(n, false), boolConstant(n, true));
    n.setOutput(0, where(n, n.input(0), notY, y));
  };
  t["Where"] = [](Node &n) {
    Value c = n.input(0);
    if (!n.typeOf(c).getElementType().isInteger(1))
      throw Unsupported("its condition must be bool");
    n.setOutput(0, where(n, c, n.input(1), n.input(2)));
  };

  t["Neg"] = unaryConverter<graph::NegOp>(/*floatOnly=*/false);
  t["Abs"] = unaryConverter<graph::AbsOp>(/*floatOnly=*/false);
  t["Exp"] = unaryConverter<graph::ExpOp>();
  t["Log"] = unaryConverter<graph::LogOp>();
  t["Sqrt"] = unaryConverter<graph::SqrtOp>();
  t["Relu"] = unaryConverter<graph::ReluOp>();
  t["Sigmoid"] = unaryConverter<graph::SigmoidOp>();
  t["Tanh"] = unaryConverter<graph::TanhOp>();
  t["Erf"] = unaryConverter<graph::ErfOp>();
  t["Floor"] = unaryConverter<graph::FloorOp>();
  t["Ceil"] = unaryConverter<graph::CeilOp>();
  t["Round"] = unaryConverter<graph::RoundOp>();
  t["Sin"] = unaryConverter<graph::SinOp>();
  t["Cos"] = unaryConverter<graph::CosOp>();
  t["Tan"] = unaryConverter<graph::TanOp>();
  t["Asin"] = unaryConverter<graph::AsinOp>();
  t["Acos"] = unaryConverter<graph::AcosOp>();
  t["Atan"] = unaryConverter<graph::AtanOp>();
  t["Sinh"] = unaryConverter<graph::SinhOp>();
  t["Cosh"] = unaryConverter<graph::CoshOp>();
  t["Asinh"] = unaryConverter<graph::AsinhOp>();
  t["Acosh"] = unaryConverter<graph::AcoshOp>();
  t["Atanh"] = unaryConverter<graph::AtanhOp>();
  t["Reciprocal"] = [](Node &n) {
    Value x = n.input(0);
    n.requireFloat(x, "its input");
    n.setOutput(0, n.binary<graph::DivOp>(n.scalarLike(x, 1), x));
  };
  t["Sign"] = [](Node &n) {
    Value x = n.input(0);
    Value zero = n.scalarLike(x, 0);
    Value positive = where(n, n.binary<graph::GtOp>(x, zero), n.scalarLike(x, 1), zero);
    n.setOutput(0, where(n, n.binary<graph::LtOp>(x, zero), n.scalarLike(x, -1), positive));
  };
  t["IsNaN"] = [](Node &n) {
    Value x = n.input(0);
    n.requireFloat(x, "its input");
    n.setOutput(0, n.b.create<graph::NeOp>(n.loc, x, x));
  };
  t["IsInf"] = [](Node &n) {
    Value x = n.input(0);
    n.requireFloat(x, "its input");
    double inf = std::numeric_limits<double>::infinity();
    Value positive = n.binary<graph::EqOp>(x, n.scalarLike(x, inf));
    Value negative = n.binary<graph::EqOp>(x, n.scalarLike(x, -inf));
    bool detectPositive = n.i("detect_positive", 1), detectNegative = n.i("detect_negative", 1);
    Value no = boolConstant(n, false);
    Value p = detectPositive ? positive : no, q = detectNegative ? negative : no;
    n.setOutput(0, where(n, p, boolConstant(n, true), q));
  };
  t["Identity"] = [](Node &n) {
    if (auto c = n.constantInput(0))
      return n.setConstantOutput(0, *c);
    n.setOutput(0, n.input(0));
  };
  t["Dropout"] = [](Node &n) {
    // Inference: the identity, and a mask of ones (training_mode, an
    // input since opset 12, must be false).
    if (n.hasInput(2)) {
      SmallVector<int64_t> training = n.integers(2);
      if (!training.empty() && training[0])
        throw Unsupported("training_mode=true is not supported (graphc's Dropout is the DSL's)");
    }
    Value x = n.input(0);
    n.setOutput(0, x);
    if (n.hasOutput(1)) {
      auto type = RankedTensorType::get(n.typeOf(x).getShape(), n.b.getI1Type());
      if (!type.hasStaticShape())
        throw Unsupported("its mask needs a static shape");
      n.setOutput(1, n.b.create<graph::ConstantOp>(n.loc, DenseElementsAttr::get(type, true)));
    }
  };
  t["Cast"] = [](Node &n) {
    Type to = elementType(n.b.getContext(), static_cast<int32_t>(n.i("to", 0)));
    if (!to)
      throw Unsupported("casts to a type graphc does not have (it takes float32, float64, "
                        "int32, int64 and bool)");
    if (auto c = n.constantInput(0)) {
      // Shapes computed in integers stay foldable.
      if (isa<IntegerType>(to) && isa<IntegerType>(c->getElementType()) && !to.isInteger(1)) {
        SmallVector<APInt> values;
        for (const APInt &v : c->getValues<APInt>())
          values.push_back(v.sextOrTrunc(to.getIntOrFloatBitWidth()));
        return n.setConstantOutput(
            0, DenseElementsAttr::get(RankedTensorType::get(c->getType().getShape(), to), values));
      }
    }
    n.setOutput(0, n.ops.to(n.input(0), to));
  };
  t["Clip"] = [](Node &n) {
    Value x = n.input(0);
    Value lo, hi;
    if (n.opset() < 11) {
      if (n.has("min"))
        lo = n.scalarLike(x, n.f("min", 0));
      if (n.has("max"))
        hi = n.scalarLike(x, n.f("max", 0));
    } else {
      if (n.hasInput(1))
        lo = n.input(1);
      if (n.hasInput(2))
        hi = n.input(2);
    }
    n.setOutput(0, clamp(n, x, lo, hi));
  };

  // Activations ONNX defines in terms of the above.
  t["LeakyRelu"] = [](Node &n) {
    Value x = n.input(0);
    n.requireFloat(x, "its input");
    n.setOutput(0, negativePart(n, x, n.binary<graph::MulOp>(x, n.scalarLike(x, n.f("alpha", 0.01f)))));
  };
  t["PRelu"] = [](Node &n) {
    Value x = n.input(0);
    n.requireFloat(x, "its input");
    Value slope = n.input(1);
    // A slope per channel, [C], as PyTorch's nn.PReLU exports it to old
    // opsets: over dimension 1.
    auto shape = n.typeOf(x).getShape();
    std::string why;
    if (n.rankOf(slope) == 1 && shape.size() > 2 && n.typeOf(slope).getDimSize(0) == shape[1] &&
        failed(graph::broadcastShapes(shape, n.typeOf(slope).getShape(), why))) {
      SmallVector<int64_t> perChannel(shape.size() - 1, 1);
      perChannel[0] = shape[1];
      slope = n.reshape(slope, perChannel);
    }
    n.setOutput(0, negativePart(n, x, n.binary<graph::MulOp>(x, slope)));
  };
  t["Elu"] = [](Node &n) {
    Value x = n.input(0);
    n.requireFloat(x, "its input");
    Value expm1 = n.binary<graph::SubOp>(n.create1<graph::ExpOp>(x), n.scalarLike(x, 1));
    n.setOutput(0, negativePart(n, x, n.binary<graph::MulOp>(expm1, n.scalarLike(x, n.f("alpha", 1)))));
  };
  t["Celu"] = [](Node &n) {
    Value x = n.input(0);
    n.requireFloat(x, "its input");
    double alpha = n.f("alpha", 1);
    // max(0, x) + min(0, alpha * (exp(x / alpha) - 1))
    Value scaled = n.binary<graph::DivOp>(x, n.scalarLike(x, alpha));
    Value expm1 = n.binary<graph::SubOp>(n.create1<graph::ExpOp>(scaled), n.scalarLike(x, 1));
    Value negative = n.binary<graph::MinOp>(n.binary<graph::MulOp>(expm1, n.scalarLike(x, alpha)),
                                          n.scalarLike(x, 0));
    n.setOutput(0, n.binary<graph::AddOp>(n.binary<graph::MaxOp>(x, n.scalarLike(x, 0)), negative));
  };
  t["Selu"] = [](Node &n) {
    Value x = n.input(0);
    n.requireFloat(x, "its input");
    double alpha = n.f("alpha", 1.67326319217681884765625f);
    double gamma = n.f("gamma", 1.05070102214813232421875f);
    Value expm1 = n.binary<graph::SubOp>(n.create1<graph::ExpOp>(x), n.scalarLike(x, 1));
    Value y = negativePart(n, x, n.binary<graph::MulOp>(expm1, n.scalarLike(x, alpha)));
    n.setOutput(0, n.binary<graph::MulOp>(y, n.scalarLike(x, gamma)));
  };
  t["Shrink"] = [](Node &n) {
    Value x = n.input(0);
    n.requireFloat(x, "its input");
    double bias = n.f("bias", 0), lambd = n.f("lambd", 0.5f);
    Value below = n.binary<graph::LtOp>(x, n.scalarLike(x, -lambd));
    Value above = n.binary<graph::GtOp>(x, n.scalarLike(x, lambd));
    Value shifted = where(n, above, n.binary<graph::SubOp>(x, n.scalarLike(x, bias)), n.scalarLike(x, 0));
    n.setOutput(0, where(n, below, n.binary<graph::AddOp>(x, n.scalarLike(x, bias)), shifted));
  };
  t["ThresholdedRelu"] = [](Node &n) {
    Value x = n.input(0);
    n.requireFloat(x, "its input");
    Value above = n.binary<graph::GtOp>(x, n.scalarLike(x, n.f("alpha", 1)));
    n.setOutput(0, where(n, above, x, n.scalarLike(x, 0)));
  };
  t["HardSigmoid"] = [](Node &n) {
    Value x = n.input(0);
    n.requireFloat(x, "its input");
    n.setOutput(0, hardSigmoid(n, x, n.f("alpha", 0.2f), n.f("beta", 0.5f)));
  };
  t["HardSwish"] = [](Node &n) {
    Value x = n.input(0);
    n.requireFloat(x, "its input");
    n.setOutput(0, n.binary<graph::MulOp>(x, hardSigmoid(n, x, 1.0 / 6, 0.5)));
  };
  t["Softplus"] = [](Node &n) {
    Value x = n.input(0);
    n.requireFloat(x, "its input");
    n.setOutput(0, softplus(n, x));
  };
  t["Softsign"] = [](Node &n) {
    Value x = n.input(0);
    n.requireFloat(x, "its input");
    Value denominator = n.binary<graph::AddOp>(n.create1<graph::AbsOp>(x), n.scalarLike(x, 1));
    n.setOutput(0, n.binary<graph::DivOp>(x, denominator));
  };
  t["Mish"] = [](Node &n) {
    Value x = n.input(0);
    n.requireFloat(x, "its input");
    n.setOutput(0, n.binary<graph::MulOp>(x, n.create1<graph::TanhOp>(softplus(n, x))));
  };
}

} // namespace graphc::onnx_import
