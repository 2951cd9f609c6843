//===- Random.cpp - seeded generators for the DSL -------------------------===//

#include "graphc/Builder/Random.h"

namespace graphc {

Generator &Generator::global() {
  static Generator generator(graphc_default_generator());
  return generator;
}

rt::Tensor rand(const std::vector<int64_t> &shape) {
  graphc_tensor_t *tensor = nullptr;
  rt::check(graphc_tensor_rand(GRAPHC_DTYPE_F32, static_cast<int32_t>(shape.size()), shape.data(),
                               nullptr, &tensor));
  return rt::Tensor::adopt(tensor);
}

rt::Tensor randn(const std::vector<int64_t> &shape) {
  graphc_tensor_t *tensor = nullptr;
  rt::check(graphc_tensor_randn(GRAPHC_DTYPE_F32, static_cast<int32_t>(shape.size()),
                                shape.data(), nullptr, &tensor));
  return rt::Tensor::adopt(tensor);
}

} // namespace graphc
