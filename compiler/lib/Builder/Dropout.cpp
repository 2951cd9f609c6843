//===- Dropout.cpp - torch.rand_like and F.dropout ------------------------===//

#include "Tracer.h"
#include "graphc/Builder/Functional.h"

#include <string>

namespace graphc {

Tensor rand_like(const Tensor &x, SourceLoc loc) {
  Tracer *tracer = Tracer::active();
  if (!tracer)
    throw TraceError(loc, "rand_like", "ops can only be recorded inside trace()");
  graphc_dtype_t dtype = x.dtype() == GRAPHC_DTYPE_F64 ? GRAPHC_DTYPE_F64 : GRAPHC_DTYPE_F32;
  return tracer->randomUniform(x, elementTypeFor(tracer->context(), dtype), loc);
}

Tensor dropout(const Tensor &x, double p, bool training, SourceLoc loc) {
  if (!(p >= 0 && p <= 1))
    throw TraceError(loc, "dropout",
                     "dropout probability has to be between 0 and 1, but got " + std::to_string(p));
  requireFloat(x, loc, "dropout");
  if (!training || p == 0)
    return x;
  if (p == 1) // PyTorch multiplies by zero: no draw
    return mul(x, 0.0, loc);
  // Kept where u >= p (probability 1 - p); the mask scaled by 1 / (1 - p)
  // multiplies x, as PyTorch's noise.bernoulli_(1 - p).div_(1 - p).
  Tensor keep = ge(rand_like(x, loc), p, loc).to(x.dtype(), loc);
  return mul(x, mul(keep, 1.0 / (1.0 - p), loc), loc);
}

} // namespace graphc
