//===- Normalization.cpp - F.layer_norm -----------------------------------===//

#include "graphc/Builder/Functional.h"

#include <string>

namespace graphc {

namespace {
std::string shapeList(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + (shape[i] == kDynamic ? std::string("?") : std::to_string(shape[i]));
  return text + "]";
}
} // namespace

Tensor layer_norm(const Tensor &x, const std::vector<int64_t> &normalizedShape,
                  const Tensor &weight, const Tensor &bias, double eps, SourceLoc loc) {
  if (x.dtype() != GRAPHC_DTYPE_F32 && x.dtype() != GRAPHC_DTYPE_F64)
    throw TraceError(loc, "layer_norm", std::string("expects a float tensor, got ") +
                                            graphc_dtype_name(x.dtype()));
  int64_t k = static_cast<int64_t>(normalizedShape.size()), rank = x.dim();
  std::vector<int64_t> xShape = x.shape();
  bool matches = k >= 1 && k <= rank;
  for (int64_t i = 0; matches && i < k; ++i)
    matches = xShape[rank - k + i] == normalizedShape[i];
  if (!matches)
    throw TraceError(loc, "layer_norm",
                     "normalized_shape " + shapeList(normalizedShape) +
                         " must equal the input's last dimensions, got input " +
                         shapeList(xShape));
  for (const Tensor *t : {&weight, &bias})
    if (t->defined() && t->shape() != normalizedShape)
      throw TraceError(loc, "layer_norm",
                       std::string(t == &weight ? "weight" : "bias") + " must have shape " +
                           shapeList(normalizedShape) + ", got " + shapeList(t->shape()));
  std::vector<int64_t> dims;
  for (int64_t i = rank - k; i < rank; ++i)
    dims.push_back(i);
  // The biased variance, as PyTorch normalizes with.
  Tensor centered = sub(x, mean(x, dims, true, loc), loc);
  Tensor variance = mean(mul(centered, centered, loc), dims, true, loc);
  Tensor y = mul(centered, rsqrt(add(variance, eps, loc), loc), loc);
  if (weight.defined())
    y = mul(y, weight, loc);
  if (bias.defined())
    y = add(y, bias, loc);
  return y;
}

} // namespace graphc
