//===- Ops.cpp - the DSL's ops: shape checks at the call site, then record ===//
//
// Each function checks its operands with the dialect's shape rules (the same
// functions the verifiers use) before creating the op, so a bad shape is a
// TraceError naming the user's file:line rather than a verifier failure or
// an abort inside MLIR's builders.
//
//===----------------------------------------------------------------------===//

#include "Tracer.h"
#include "graphc/Builder/Functional.h"
#include "graphc/Builder/Tensor.h"
#include "graphc/Dialect/Graph/GraphOps.h"
#include "graphc/Dialect/Graph/ShapeRules.h"
#include "graphc/JIT/Jit.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

#include <algorithm>
#include <numeric>

using namespace mlir;

namespace graphc {

TraceError::TraceError(const SourceLoc &loc, const std::string &op, const std::string &reason)
    : std::runtime_error(std::string(loc.file ? loc.file : "<unknown>") + ":" +
                         std::to_string(loc.line) + ": error: in " + op + ": " + reason),
      op_(op), reason_(reason), file_(loc.file), line_(loc.line) {}

graph::Shape toMlir(const std::vector<int64_t> &shape) {
  graph::Shape out;
  for (int64_t d : shape)
    out.push_back(d == kDynamic ? ShapedType::kDynamic : d);
  return out;
}

std::string shapeText(const std::vector<int64_t> &shape) {
  return graph::formatShape(toMlir(shape));
}

Tensor requireFloat(const Tensor &x, const SourceLoc &loc, const char *op) {
  if (x.dtype() != GRAPHC_DTYPE_F32 && x.dtype() != GRAPHC_DTYPE_F64)
    throw TraceError(loc, op, std::string("expects a float tensor, got ") +
                                  graphc_dtype_name(x.dtype()));
  return x;
}

namespace {

RankedTensorType typeOf(Value v) { return llvm::cast<RankedTensorType>(v.getType()); }

std::vector<int64_t> toDsl(ArrayRef<int64_t> shape) {
  std::vector<int64_t> out;
  for (int64_t d : shape)
    out.push_back(ShapedType::isDynamic(d) ? kDynamic : d);
  return out;
}

Tracer &tracerFor(const SourceLoc &loc, const char *op) {
  Tracer *t = Tracer::active();
  if (!t)
    throw TraceError(loc, op, "ops can only be recorded inside trace()");
  return *t;
}

template <class OpTy, class... Args>
Tensor record(const SourceLoc &loc, Type resultType, Args &&...args) {
  Tracer &t = tracerFor(loc, OpTy::getOperationName().data());
  auto op = t.builder().create<OpTy>(t.location(loc), resultType, std::forward<Args>(args)...);
  return t.wrap(op->getResult(0));
}

template <class T>
T check(FailureOr<T> result, const SourceLoc &loc, const char *op, const std::string &why) {
  if (failed(result))
    throw TraceError(loc, op, why);
  return *result;
}

bool isFloat(graphc_dtype_t d) { return d == GRAPHC_DTYPE_F32 || d == GRAPHC_DTYPE_F64; }

/// PyTorch's promotion order within graphc's dtypes: bool < int32 < int64 < float32 < float64.
int promotionRank(graphc_dtype_t d) {
  switch (d) {
  case GRAPHC_DTYPE_BOOL:
    return 0;
  case GRAPHC_DTYPE_I32:
    return 1;
  case GRAPHC_DTYPE_I64:
    return 2;
  case GRAPHC_DTYPE_F32:
    return 3;
  case GRAPHC_DTYPE_F64:
    return 4;
  }
  return 0;
}

graphc_dtype_t promote(graphc_dtype_t a, graphc_dtype_t b) {
  return promotionRank(a) >= promotionRank(b) ? a : b;
}

/// The dtype a Python-style scalar takes next to a tensor of dtype `t`: the
/// tensor's, unless a fractional scalar meets an integer tensor (float32).
graphc_dtype_t scalarDtype(graphc_dtype_t t, const Operand &s) {
  if (isFloat(t) || s.isIntegral)
    return t == GRAPHC_DTYPE_BOOL && s.isIntegral ? GRAPHC_DTYPE_I64 : t;
  return GRAPHC_DTYPE_F32;
}

/// Turns the operands of a binary op into two tensors of one dtype.
std::pair<Tensor, Tensor> promoted(const Tensor &a, const Operand &b, const SourceLoc &loc,
                                   bool needFloat) {
  valueOf(a, loc, "binary op");
  Tensor rhs = b.isScalar ? scalar(b.scalar, scalarDtype(a.dtype(), b), loc) : b.tensor;
  valueOf(rhs, loc, "binary op");
  graphc_dtype_t common = promote(a.dtype(), rhs.dtype());
  if (needFloat && !isFloat(common))
    common = GRAPHC_DTYPE_F32;
  return {cast(a, common, loc), cast(rhs, common, loc)};
}

template <class OpTy>
Tensor binary(const char *name, const Tensor &a, const Operand &b, const SourceLoc &loc,
              bool needFloat = false, bool compare = false) {
  auto [lhs, rhs] = promoted(a, b, loc, needFloat);
  Value l = valueOf(lhs, loc, name), r = valueOf(rhs, loc, name);
  std::string why;
  auto shape = check(graph::broadcastShapes(typeOf(l).getShape(), typeOf(r).getShape(), why), loc,
                     name, why);
  Type element = compare ? IntegerType::get(l.getContext(), 1) : typeOf(l).getElementType();
  return record<OpTy>(loc, RankedTensorType::get(shape, element), l, r);
}

/// Unary ops defined only on floats promote integer inputs to float32, as torch does.
template <class OpTy>
Tensor unary(const char *name, const Tensor &x, const SourceLoc &loc, bool needFloat) {
  Value v = valueOf(x, loc, name);
  if (needFloat && !isFloat(x.dtype()))
    v = valueOf(cast(x, GRAPHC_DTYPE_F32, loc), loc, name);
  else if (x.dtype() == GRAPHC_DTYPE_BOOL)
    throw TraceError(loc, name, "not defined for bool tensors");
  return record<OpTy>(loc, v.getType(), v);
}

std::vector<int64_t> allDims(const Tensor &x) {
  std::vector<int64_t> dims(x.dim());
  std::iota(dims.begin(), dims.end(), 0);
  return dims;
}

} // namespace

//===----------------------------------------------------------------------===//
// Tensor methods
//===----------------------------------------------------------------------===//

std::vector<int64_t> Tensor::shape() const {
  if (!impl_)
    throw std::logic_error("shape() of an undefined Tensor");
  return toDsl(typeOf(impl_->value).getShape());
}

int64_t Tensor::size(int64_t d) const {
  std::vector<int64_t> s = shape();
  int64_t n = d < 0 ? d + (int64_t)s.size() : d;
  if (n < 0 || n >= (int64_t)s.size())
    throw std::out_of_range("size(" + std::to_string(d) + ") of a tensor of rank " +
                            std::to_string(s.size()));
  return s[n];
}

graphc_dtype_t Tensor::dtype() const {
  if (!impl_)
    throw std::logic_error("dtype() of an undefined Tensor");
  return dtypeOf(typeOf(impl_->value).getElementType());
}

Tensor Tensor::view(std::vector<int64_t> shape, SourceLoc loc) const {
  return graphc::reshape(*this, std::move(shape), loc);
}
Tensor Tensor::reshape(std::vector<int64_t> shape, SourceLoc loc) const {
  return graphc::reshape(*this, std::move(shape), loc);
}
Tensor Tensor::t(SourceLoc loc) const {
  if (dim() != 2)
    throw TraceError(loc, "t", "expects a 2-D tensor, got rank " + std::to_string(dim()));
  return transpose(*this, 0, 1, loc);
}
Tensor Tensor::to(graphc_dtype_t dtype, SourceLoc loc) const { return cast(*this, dtype, loc); }
Tensor Tensor::sum(SourceLoc loc) const { return graphc::sum(*this, allDims(*this), false, loc); }
Tensor Tensor::mean(SourceLoc loc) const {
  return graphc::mean(*this, allDims(*this), false, loc);
}

//===----------------------------------------------------------------------===//
// Operators
//===----------------------------------------------------------------------===//

Tensor operator+(const Tensor &a, const Operand &b) { return add(a, b, b.loc); }
Tensor operator-(const Tensor &a, const Operand &b) { return sub(a, b, b.loc); }
Tensor operator*(const Tensor &a, const Operand &b) { return mul(a, b, b.loc); }
Tensor operator/(const Tensor &a, const Operand &b) { return div(a, b, b.loc); }
Tensor operator-(const Tensor &a) { return neg(a, SourceLoc{"<operator->", 0}); }

namespace {
/// `scalar OP tensor`: the scalar becomes a constant of the tensor's dtype.
Tensor scalarFirst(const Operand &lhs, const Operand &b,
                   Tensor (*fn)(const Tensor &, const Operand &, SourceLoc)) {
  double a = lhs.scalar;
  if (b.isScalar)
    throw TraceError(b.loc, "operator", "needs at least one tensor operand");
  Tensor s = scalar(a, scalarDtype(b.tensor.dtype(), lhs), b.loc);
  return fn(s, b, b.loc);
}
} // namespace

Tensor operator+(double a, const Operand &b) { return scalarFirst(Operand(a, b.loc), b, &add); }
Tensor operator-(double a, const Operand &b) { return scalarFirst(Operand(a, b.loc), b, &sub); }
Tensor operator*(double a, const Operand &b) { return scalarFirst(Operand(a, b.loc), b, &mul); }
Tensor operator/(double a, const Operand &b) { return scalarFirst(Operand(a, b.loc), b, &div); }
Tensor operator+(int a, const Operand &b) { return scalarFirst(Operand(a, b.loc), b, &add); }
Tensor operator-(int a, const Operand &b) { return scalarFirst(Operand(a, b.loc), b, &sub); }
Tensor operator*(int a, const Operand &b) { return scalarFirst(Operand(a, b.loc), b, &mul); }
Tensor operator/(int a, const Operand &b) { return scalarFirst(Operand(a, b.loc), b, &div); }

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

Tensor neg(const Tensor &x, SourceLoc loc) { return unary<graph::NegOp>("neg", x, loc, false); }
Tensor exp(const Tensor &x, SourceLoc loc) { return unary<graph::ExpOp>("exp", x, loc, true); }
Tensor log(const Tensor &x, SourceLoc loc) { return unary<graph::LogOp>("log", x, loc, true); }
Tensor sqrt(const Tensor &x, SourceLoc loc) { return unary<graph::SqrtOp>("sqrt", x, loc, true); }
Tensor rsqrt(const Tensor &x, SourceLoc loc) {
  return unary<graph::RsqrtOp>("rsqrt", x, loc, true);
}
Tensor abs(const Tensor &x, SourceLoc loc) { return unary<graph::AbsOp>("abs", x, loc, false); }
Tensor relu(const Tensor &x, SourceLoc loc) { return unary<graph::ReluOp>("relu", x, loc, false); }
Tensor sigmoid(const Tensor &x, SourceLoc loc) {
  return unary<graph::SigmoidOp>("sigmoid", x, loc, true);
}
Tensor tanh(const Tensor &x, SourceLoc loc) { return unary<graph::TanhOp>("tanh", x, loc, true); }
Tensor erf(const Tensor &x, SourceLoc loc) { return unary<graph::ErfOp>("erf", x, loc, true); }
Tensor floor(const Tensor &x, SourceLoc loc) { return unary<graph::FloorOp>("floor", x, loc, true); }
Tensor ceil(const Tensor &x, SourceLoc loc) { return unary<graph::CeilOp>("ceil", x, loc, true); }
Tensor round(const Tensor &x, SourceLoc loc) { return unary<graph::RoundOp>("round", x, loc, true); }
Tensor sin(const Tensor &x, SourceLoc loc) { return unary<graph::SinOp>("sin", x, loc, true); }
Tensor cos(const Tensor &x, SourceLoc loc) { return unary<graph::CosOp>("cos", x, loc, true); }
Tensor tan(const Tensor &x, SourceLoc loc) { return unary<graph::TanOp>("tan", x, loc, true); }
Tensor asin(const Tensor &x, SourceLoc loc) { return unary<graph::AsinOp>("asin", x, loc, true); }
Tensor acos(const Tensor &x, SourceLoc loc) { return unary<graph::AcosOp>("acos", x, loc, true); }
Tensor atan(const Tensor &x, SourceLoc loc) { return unary<graph::AtanOp>("atan", x, loc, true); }
Tensor sinh(const Tensor &x, SourceLoc loc) { return unary<graph::SinhOp>("sinh", x, loc, true); }
Tensor cosh(const Tensor &x, SourceLoc loc) { return unary<graph::CoshOp>("cosh", x, loc, true); }
Tensor asinh(const Tensor &x, SourceLoc loc) { return unary<graph::AsinhOp>("asinh", x, loc, true); }
Tensor acosh(const Tensor &x, SourceLoc loc) { return unary<graph::AcoshOp>("acosh", x, loc, true); }
Tensor atanh(const Tensor &x, SourceLoc loc) { return unary<graph::AtanhOp>("atanh", x, loc, true); }

Tensor add(const Tensor &a, const Operand &b, SourceLoc loc) {
  return binary<graph::AddOp>("add", a, b, loc);
}
Tensor sub(const Tensor &a, const Operand &b, SourceLoc loc) {
  return binary<graph::SubOp>("sub", a, b, loc);
}
Tensor mul(const Tensor &a, const Operand &b, SourceLoc loc) {
  return binary<graph::MulOp>("mul", a, b, loc);
}
/// True division, as torch's `/`: integers divide as float32.
Tensor div(const Tensor &a, const Operand &b, SourceLoc loc) {
  return binary<graph::DivOp>("div", a, b, loc, /*needFloat=*/true);
}
Tensor pow(const Tensor &a, const Operand &b, SourceLoc loc) {
  return binary<graph::PowOp>("pow", a, b, loc, /*needFloat=*/true);
}
Tensor maximum(const Tensor &a, const Operand &b, SourceLoc loc) {
  return binary<graph::MaxOp>("maximum", a, b, loc);
}
Tensor minimum(const Tensor &a, const Operand &b, SourceLoc loc) {
  return binary<graph::MinOp>("minimum", a, b, loc);
}
Tensor eq(const Tensor &a, const Operand &b, SourceLoc loc) {
  return binary<graph::EqOp>("eq", a, b, loc, false, true);
}
Tensor ne(const Tensor &a, const Operand &b, SourceLoc loc) {
  return binary<graph::NeOp>("ne", a, b, loc, false, true);
}
Tensor lt(const Tensor &a, const Operand &b, SourceLoc loc) {
  return binary<graph::LtOp>("lt", a, b, loc, false, true);
}
Tensor le(const Tensor &a, const Operand &b, SourceLoc loc) {
  return binary<graph::LeOp>("le", a, b, loc, false, true);
}
Tensor gt(const Tensor &a, const Operand &b, SourceLoc loc) {
  return binary<graph::GtOp>("gt", a, b, loc, false, true);
}
Tensor ge(const Tensor &a, const Operand &b, SourceLoc loc) {
  return binary<graph::GeOp>("ge", a, b, loc, false, true);
}

Tensor where(const Tensor &condition, const Operand &a, const Operand &b, SourceLoc loc) {
  Value c = valueOf(condition, loc, "where");
  if (condition.dtype() != GRAPHC_DTYPE_BOOL)
    throw TraceError(loc, "where", std::string("condition must be bool, got ") +
                                       graphc_dtype_name(condition.dtype()));
  if (a.isScalar && b.isScalar)
    throw TraceError(loc, "where", "needs at least one tensor value");
  Tensor ta = a.isScalar ? Tensor() : a.tensor, tb = b.isScalar ? Tensor() : b.tensor;
  graphc_dtype_t common = !ta.defined() ? tb.dtype()
                          : !tb.defined() ? ta.dtype()
                                          : promote(ta.dtype(), tb.dtype());
  if (!ta.defined())
    ta = scalar(a.scalar, scalarDtype(common, a), loc);
  if (!tb.defined())
    tb = scalar(b.scalar, scalarDtype(common, b), loc);
  common = promote(ta.dtype(), tb.dtype());
  Value va = valueOf(cast(ta, common, loc), loc, "where");
  Value vb = valueOf(cast(tb, common, loc), loc, "where");
  std::string why;
  auto shape = check(graph::broadcastShapes(typeOf(c).getShape(), typeOf(va).getShape(), why),
                     loc, "where", why);
  shape = check(graph::broadcastShapes(shape, typeOf(vb).getShape(), why), loc, "where", why);
  return record<graph::SelectOp>(loc, RankedTensorType::get(shape, typeOf(va).getElementType()),
                                 c, va, vb);
}

//===----------------------------------------------------------------------===//
// Linear algebra, convolution, pooling
//===----------------------------------------------------------------------===//

Tensor matmul(const Tensor &a, const Tensor &b, SourceLoc loc) {
  auto [lhs, rhs] = promoted(a, Operand(b, loc), loc, /*needFloat=*/true);
  Value l = valueOf(lhs, loc, "matmul"), r = valueOf(rhs, loc, "matmul");
  std::string why;
  auto shape = check(graph::matmulShape(typeOf(l).getShape(), typeOf(r).getShape(), why), loc,
                     "matmul", why);
  return record<graph::MatmulOp>(loc, RankedTensorType::get(shape, typeOf(l).getElementType()),
                                 l, r);
}

Tensor conv2d(const Tensor &input, const Tensor &weight, const Tensor &bias, Pair stride,
              Pair padding, Pair dilation, int64_t groups, SourceLoc loc) {
  Value x = valueOf(requireFloat(input, loc, "conv2d"), loc, "conv2d");
  Value w = valueOf(weight, loc, "conv2d");
  if (input.dtype() != weight.dtype())
    throw TraceError(loc, "conv2d", std::string("input is ") + graphc_dtype_name(input.dtype()) +
                                        " but weight is " + graphc_dtype_name(weight.dtype()));
  std::vector<int64_t> s{stride.h, stride.w}, p{padding.h, padding.w}, d{dilation.h, dilation.w};
  std::string why;
  auto shape = check(graph::conv2dShape(typeOf(x).getShape(), typeOf(w).getShape(), s, p, d,
                                        groups, why),
                     loc, "conv2d", why);
  Tracer &t = tracerFor(loc, "conv2d");
  OpBuilder &b = t.builder();
  auto op = b.create<graph::Conv2DOp>(t.location(loc),
                                      RankedTensorType::get(shape, typeOf(x).getElementType()), x,
                                      w, b.getDenseI64ArrayAttr(s), b.getDenseI64ArrayAttr(p),
                                      b.getDenseI64ArrayAttr(d), b.getI64IntegerAttr(groups));
  Tensor out = t.wrap(op.getResult());
  if (!bias.defined())
    return out;
  if (bias.dim() != 1 || bias.size(0) != shape[1])
    throw TraceError(loc, "conv2d", "bias must have shape [" + std::to_string(shape[1]) +
                                        "], got " + graph::formatShape(toMlir(bias.shape())));
  return add(out, reshape(bias, {shape[1], 1, 1}, loc), loc);
}

namespace {
template <class OpTy>
Tensor pool(const char *name, const Tensor &input, Pair kernel, Pair stride, Pair padding,
            const SourceLoc &loc) {
  Value x = valueOf(requireFloat(input, loc, name), loc, name);
  if (stride == Pair(0))
    stride = kernel;
  std::vector<int64_t> k{kernel.h, kernel.w}, s{stride.h, stride.w}, p{padding.h, padding.w};
  std::string why;
  auto shape =
      check(graph::pool2dShape(typeOf(x).getShape(), k, s, p, why), loc, name, why);
  Tracer &t = tracerFor(loc, name);
  OpBuilder &b = t.builder();
  auto op = b.create<OpTy>(t.location(loc), RankedTensorType::get(shape, typeOf(x).getElementType()),
                           x, b.getDenseI64ArrayAttr(k), b.getDenseI64ArrayAttr(s),
                           b.getDenseI64ArrayAttr(p));
  return t.wrap(op.getResult());
}

template <class OpTy>
Tensor reduction(const char *name, const Tensor &x, const std::vector<int64_t> &dims,
                 bool keepdim, const SourceLoc &loc) {
  Value v = valueOf(x, loc, name);
  std::string why;
  auto shape = check(graph::reductionShape(typeOf(v).getShape(), dims, keepdim, why), loc, name,
                     why);
  if (dims.empty())
    throw TraceError(loc, name, "needs at least one dimension to reduce");
  Tracer &t = tracerFor(loc, name);
  OpBuilder &b = t.builder();
  auto op = b.create<OpTy>(t.location(loc), RankedTensorType::get(shape, typeOf(v).getElementType()),
                           v, b.getDenseI64ArrayAttr(dims), b.getBoolAttr(keepdim));
  return t.wrap(op.getResult());
}
} // namespace

Tensor max_pool2d(const Tensor &input, Pair kernel, Pair stride, Pair padding, SourceLoc loc) {
  return pool<graph::MaxPool2DOp>("max_pool2d", input, kernel, stride, padding, loc);
}
Tensor avg_pool2d(const Tensor &input, Pair kernel, Pair stride, Pair padding, SourceLoc loc) {
  return pool<graph::AvgPool2DOp>("avg_pool2d", input, kernel, stride, padding, loc);
}

Tensor sum(const Tensor &x, std::vector<int64_t> dims, bool keepdim, SourceLoc loc) {
  Tensor in = x.defined() && x.dtype() == GRAPHC_DTYPE_BOOL ? cast(x, GRAPHC_DTYPE_I64, loc) : x;
  return reduction<graph::ReduceSumOp>("sum", in, dims, keepdim, loc);
}
Tensor mean(const Tensor &x, std::vector<int64_t> dims, bool keepdim, SourceLoc loc) {
  return reduction<graph::ReduceMeanOp>("mean", requireFloat(x, loc, "mean"), dims, keepdim, loc);
}
Tensor amax(const Tensor &x, std::vector<int64_t> dims, bool keepdim, SourceLoc loc) {
  return reduction<graph::ReduceMaxOp>("amax", x, dims, keepdim, loc);
}

//===----------------------------------------------------------------------===//
// Shape and data movement
//===----------------------------------------------------------------------===//

Tensor reshape(const Tensor &x, std::vector<int64_t> shape, SourceLoc loc) {
  Value v = valueOf(x, loc, "reshape");
  auto in = typeOf(v);
  int64_t inferred = std::count(shape.begin(), shape.end(), int64_t(-1));
  if (inferred > 1)
    throw TraceError(loc, "reshape", "only one dimension can be -1, got " +
                                         graph::formatShape(toMlir(shape)));
  if (inferred == 1 && in.hasStaticShape()) {
    int64_t known = 1;
    for (int64_t d : shape)
      if (d != -1)
        known *= d;
    if (known == 0 || in.getNumElements() % known != 0)
      throw TraceError(loc, "reshape", "shape " + graph::formatShape(toMlir(shape)) +
                                           " is invalid for input of size " +
                                           std::to_string(in.getNumElements()));
    std::replace(shape.begin(), shape.end(), int64_t(-1), in.getNumElements() / known);
  }
  graph::Shape out = toMlir(shape);
  std::string why;
  if (failed(graph::checkReshape(in.getShape(), out, why)))
    throw TraceError(loc, "reshape", why);
  if (ArrayRef<int64_t>(out) == in.getShape())
    return x;
  return record<graph::ReshapeOp>(loc, RankedTensorType::get(out, in.getElementType()), v);
}

Tensor permute(const Tensor &x, std::vector<int64_t> dims, SourceLoc loc) {
  Value v = valueOf(x, loc, "permute");
  std::string why;
  auto shape =
      check(graph::transposeShape(typeOf(v).getShape(), dims, why), loc, "permute", why);
  Tracer &t = tracerFor(loc, "permute");
  auto op = t.builder().create<graph::TransposeOp>(
      t.location(loc), RankedTensorType::get(shape, typeOf(v).getElementType()), v,
      t.builder().getDenseI64ArrayAttr(dims));
  return t.wrap(op.getResult());
}

Tensor transpose(const Tensor &x, int64_t dim0, int64_t dim1, SourceLoc loc) {
  int64_t rank = x.dim();
  std::string why;
  auto dims = graph::normalizeDims({dim0}, rank, why);
  auto dims1 = graph::normalizeDims({dim1}, rank, why);
  if (failed(dims) || failed(dims1))
    throw TraceError(loc, "transpose", why);
  std::vector<int64_t> permutation = allDims(x);
  std::swap(permutation[(*dims)[0]], permutation[(*dims1)[0]]);
  return permute(x, permutation, loc);
}

Tensor broadcast_to(const Tensor &x, std::vector<int64_t> shape, SourceLoc loc) {
  Value v = valueOf(x, loc, "broadcast_to");
  auto in = typeOf(v);
  // -1 keeps the input's size, as in torch.Tensor.expand.
  int64_t lead = (int64_t)shape.size() - in.getRank();
  for (int64_t i = 0; i < (int64_t)shape.size(); ++i)
    if (shape[i] == -1 && i >= lead)
      shape[i] = ShapedType::isDynamic(in.getDimSize(i - lead)) ? kDynamic : in.getDimSize(i - lead);
  graph::Shape out = toMlir(shape);
  if (!graph::isBroadcastableTo(in.getShape(), out))
    throw TraceError(loc, "broadcast_to", "cannot broadcast " + graph::formatShape(in.getShape()) +
                                              " to " + graph::formatShape(out));
  if (ArrayRef<int64_t>(out) == in.getShape())
    return x;
  return record<graph::BroadcastToOp>(loc, RankedTensorType::get(out, in.getElementType()), v);
}

Tensor slice(const Tensor &x, int64_t dim, int64_t start, int64_t stop, int64_t step,
             SourceLoc loc) {
  Value v = valueOf(x, loc, "slice");
  auto in = typeOf(v);
  std::string why;
  auto d = graph::normalizeDims({dim}, in.getRank(), why);
  if (failed(d))
    throw TraceError(loc, "slice", why);
  int64_t n = (*d)[0];
  int64_t size = in.getDimSize(n);
  if (!ShapedType::isDynamic(size)) {
    // Python's rules: negative bounds count from the end, then clamp.
    if (start < 0)
      start = std::max<int64_t>(0, start + size);
    if (stop < 0)
      stop = std::max<int64_t>(0, stop + size);
    start = std::min(start, size);
    stop = std::max(std::min(stop, size), start);
  }
  std::vector<int64_t> starts(in.getRank(), 0), stops(in.getRank(), kEnd),
      steps(in.getRank(), 1);
  starts[n] = start;
  stops[n] = stop;
  steps[n] = step;
  auto shape = check(graph::sliceShape(in.getShape(), starts, stops, steps, why), loc, "slice", why);
  Tracer &t = tracerFor(loc, "slice");
  OpBuilder &b = t.builder();
  auto op = b.create<graph::SliceOp>(t.location(loc),
                                     RankedTensorType::get(shape, in.getElementType()), v,
                                     b.getDenseI64ArrayAttr(starts), b.getDenseI64ArrayAttr(stops),
                                     b.getDenseI64ArrayAttr(steps));
  return t.wrap(op.getResult());
}

Tensor cat(const std::vector<Tensor> &tensors, int64_t dim, SourceLoc loc) {
  if (tensors.empty())
    throw TraceError(loc, "cat", "needs at least one tensor");
  graphc_dtype_t common = tensors[0].dtype();
  for (const Tensor &t : tensors)
    common = promote(common, t.dtype());
  SmallVector<Value> values;
  SmallVector<SmallVector<int64_t>> shapes;
  for (const Tensor &t : tensors) {
    values.push_back(valueOf(cast(t, common, loc), loc, "cat"));
    shapes.emplace_back(typeOf(values.back()).getShape());
  }
  std::string why;
  auto shape = check(graph::concatShape(shapes, dim, why), loc, "cat", why);
  Tracer &t = tracerFor(loc, "cat");
  auto op = t.builder().create<graph::ConcatOp>(
      t.location(loc), RankedTensorType::get(shape, typeOf(values[0]).getElementType()), values,
      t.builder().getI64IntegerAttr(dim));
  return t.wrap(op.getResult());
}

Tensor flatten(const Tensor &x, int64_t startDim, int64_t endDim, SourceLoc loc) {
  std::vector<int64_t> in = x.shape();
  int64_t rank = in.size();
  if (rank == 0)
    return reshape(x, {1}, loc);
  std::string why;
  auto s = graph::normalizeDims({startDim}, rank, why);
  auto e = graph::normalizeDims({endDim}, rank, why);
  if (failed(s) || failed(e) || (*s)[0] > (*e)[0])
    throw TraceError(loc, "flatten", why.empty() ? "start_dim comes after end_dim" : why);
  std::vector<int64_t> out(in.begin(), in.begin() + (*s)[0]);
  int64_t product = 1;
  for (int64_t i = (*s)[0]; i <= (*e)[0]; ++i)
    product = (in[i] == kDynamic || product == kDynamic) ? kDynamic : product * in[i];
  out.push_back(product);
  out.insert(out.end(), in.begin() + (*e)[0] + 1, in.end());
  return reshape(x, out, loc);
}

Tensor cast(const Tensor &x, graphc_dtype_t dtype, SourceLoc loc) {
  Value v = valueOf(x, loc, "cast");
  if (x.dtype() == dtype)
    return x;
  auto in = typeOf(v);
  return record<graph::CastOp>(
      loc, RankedTensorType::get(in.getShape(), elementTypeFor(v.getContext(), dtype)), v);
}

Tensor constant(const rt::Tensor &value, SourceLoc loc) {
  Tracer &t = tracerFor(loc, "constant");
  std::vector<int64_t> shape = value.shape();
  auto type = RankedTensorType::get(shape, elementTypeFor(t.context(), value.dtype()));
  return record<graph::ConstantOp>(loc, type, denseElementsOf(type, value));
}

Tensor scalar(double value, graphc_dtype_t dtype, SourceLoc loc) {
  Tracer &t = tracerFor(loc, "scalar");
  Type element = elementTypeFor(t.context(), dtype);
  auto type = RankedTensorType::get({}, element);
  Attribute a = isa<FloatType>(element)
                    ? (Attribute)FloatAttr::get(element, value)
                    : (Attribute)IntegerAttr::get(element, static_cast<int64_t>(value));
  return record<graph::ConstantOp>(loc, type, DenseElementsAttr::get(type, a));
}

//===----------------------------------------------------------------------===//
// Composites
//===----------------------------------------------------------------------===//

Tensor embedding(const Tensor &indices, const Tensor &weight, std::optional<int64_t> paddingIdx,
                 SourceLoc loc) {
  if (indices.dtype() != GRAPHC_DTYPE_I64 && indices.dtype() != GRAPHC_DTYPE_I32)
    throw TraceError(loc, "embedding", std::string("expects integer indices, got ") +
                                           graphc_dtype_name(indices.dtype()));
  Value table = valueOf(weight, loc, "embedding"), ids = valueOf(indices, loc, "embedding");
  std::string why;
  auto shape = check(graph::gatherShape(typeOf(table).getShape(), typeOf(ids).getShape(), why),
                     loc, "embedding", why);
  int64_t rows = typeOf(table).getDimSize(0);
  if (paddingIdx && *paddingIdx < 0)
    *paddingIdx += rows; // PyTorch counts a negative padding_idx from the end
  if (paddingIdx && (*paddingIdx < 0 || *paddingIdx >= rows))
    throw TraceError(loc, "embedding",
                     "padding_idx must be within the " + std::to_string(rows) + " rows");
  Builder b(table.getContext());
  IntegerAttr padding = paddingIdx ? b.getI64IntegerAttr(*paddingIdx) : IntegerAttr();
  return record<graph::GatherOp>(loc, RankedTensorType::get(shape, typeOf(table).getElementType()),
                                 table, ids, padding);
}

Tensor linear(const Tensor &x, const Tensor &weight, const Tensor &bias, SourceLoc loc) {
  if (weight.dim() != 2)
    throw TraceError(loc, "linear", "weight must be 2-D [out, in], got " +
                                        graph::formatShape(toMlir(weight.shape())));
  Tensor y = matmul(x, transpose(weight, 0, 1, loc), loc);
  return bias.defined() ? add(y, bias, loc) : y;
}

Tensor softmax(const Tensor &x, int64_t dim, SourceLoc loc) {
  Tensor shifted = sub(requireFloat(x, loc, "softmax"), amax(x, {dim}, true, loc), loc);
  Tensor e = exp(shifted, loc);
  return div(e, sum(e, {dim}, true, loc), loc);
}

Tensor log_softmax(const Tensor &x, int64_t dim, SourceLoc loc) {
  Tensor shifted = sub(requireFloat(x, loc, "log_softmax"), amax(x, {dim}, true, loc), loc);
  return sub(shifted, log(sum(exp(shifted, loc), {dim}, true, loc), loc), loc);
}

} // namespace graphc
