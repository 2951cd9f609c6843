//===- Random.cpp - PyTorch-compatible seeded generator -------------------===//

#include "graphc/Builder/Random.h"

#include <stdexcept>

namespace graphc {

void Generator::uniform(rt::Tensor &tensor, double from, double to) {
  // torch's uniform_real_distribution: the low `digits` bits of one draw
  // (24 for float from a 32-bit draw, 53 for double from a 64-bit one),
  // scaled to [0, 1) in double, then x * (to - from) + from with from/to
  // first rounded to the tensor's type.
  if (tensor.dtype() == GRAPHC_DTYPE_F32) {
    float f = static_cast<float>(from), t = static_cast<float>(to);
    float *data = tensor.data<float>();
    for (int64_t i = 0, n = tensor.numel(); i < n; ++i) {
      double x = (random() & ((1u << 24) - 1)) * (1.0 / (1u << 24));
      data[i] = static_cast<float>(x * (static_cast<double>(t) - f) + f);
    }
    return;
  }
  if (tensor.dtype() == GRAPHC_DTYPE_F64) {
    double *data = tensor.data<double>();
    for (int64_t i = 0, n = tensor.numel(); i < n; ++i) {
      double x = (random64() & ((1ull << 53) - 1)) * (1.0 / (1ull << 53));
      data[i] = x * (to - from) + from;
    }
    return;
  }
  throw std::invalid_argument(std::string("uniform_ needs a float tensor, got ") +
                              graphc_dtype_name(tensor.dtype()));
}

Generator &defaultGenerator() {
  static Generator generator;
  return generator;
}

void manualSeed(uint64_t seed) { defaultGenerator().manualSeed(seed); }

rt::Tensor rand(const std::vector<int64_t> &shape) {
  rt::Tensor t = rt::Tensor::zeros(shape);
  defaultGenerator().uniform(t, 0.0, 1.0);
  return t;
}

} // namespace graphc
