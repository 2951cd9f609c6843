//===- Activations.cpp - F.leaky_relu, gelu, silu, softplus, elu ----------===//

#include "Tracer.h"
#include "graphc/Builder/Functional.h"

#include <cmath>

namespace graphc {

Tensor leaky_relu(const Tensor &x, double negativeSlope, SourceLoc loc) {
  requireFloat(x, loc, "leaky_relu");
  // PyTorch's rule, including its gradient at 0 (the slope).
  return where(gt(x, 0.0, loc), x, mul(x, negativeSlope, loc), loc);
}

Tensor gelu(const Tensor &x, GeluApproximation approximate, SourceLoc loc) {
  requireFloat(x, loc, "gelu");
  Tensor cdf2; // 1 + erf(x / sqrt 2), or its tanh approximation
  if (approximate == GeluApproximation::None) {
    cdf2 = add(erf(mul(x, M_SQRT1_2, loc), loc), 1.0, loc);
  } else {
    // PyTorch's constants: kBeta = sqrt(2) * 2/sqrt(pi) / 2, kKappa = 0.044715.
    const double beta = M_SQRT2 * M_2_SQRTPI * 0.5;
    Tensor cube = mul(mul(x, x, loc), x, loc);
    Tensor inner = mul(add(x, mul(cube, 0.044715, loc), loc), beta, loc);
    cdf2 = add(tanh(inner, loc), 1.0, loc);
  }
  return mul(mul(x, 0.5, loc), cdf2, loc);
}

Tensor silu(const Tensor &x, SourceLoc loc) {
  return mul(requireFloat(x, loc, "silu"), sigmoid(x, loc), loc);
}

Tensor softplus(const Tensor &x, double beta, double threshold, SourceLoc loc) {
  requireFloat(x, loc, "softplus");
  Tensor scaled = mul(x, beta, loc);
  // log(1 + e^z) = max(z, 0) + log(1 + e^-|z|): no overflow for large z, and
  // the gradient at z = 0 is 1/2 as PyTorch's (max shares a tie evenly).
  Tensor smooth = add(maximum(scaled, 0.0, loc),
                      log(add(exp(neg(abs(scaled, loc), loc), loc), 1.0, loc), loc), loc);
  return where(gt(scaled, threshold, loc), x, div(smooth, beta, loc), loc);
}

Tensor elu(const Tensor &x, double alpha, SourceLoc loc) {
  requireFloat(x, loc, "elu");
  Tensor positive = gt(x, 0.0, loc);
  // exp only sees x <= 0, so the branch not taken cannot overflow and poison
  // the gradient with inf * 0.
  Tensor negativePart = where(positive, 0.0, x, loc);
  Tensor negative = mul(sub(exp(negativePart, loc), 1.0, loc), alpha, loc);
  return where(positive, x, negative, loc);
}

} // namespace graphc
