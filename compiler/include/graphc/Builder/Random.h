//===- Random.h - seeded generators for the DSL -----------------*- C++ -*-===//
//
// A C++ face on the runtime's generator (graphc/runtime/random.h), which
// reproduces PyTorch's CPU generator for uniform draws: `manualSeed(0);
// nn::Linear(784, 128)` gets the same weights as `torch.manual_seed(0);
// nn.Linear(784, 128)`, and rand() equals torch.rand.
//
//===----------------------------------------------------------------------===//
#ifndef GRAPHC_BUILDER_RANDOM_H
#define GRAPHC_BUILDER_RANDOM_H

#include "graphc/runtime/random.h"
#include "graphc/runtime/runtime.hpp"

#include <cstdint>
#include <vector>

namespace graphc {

class Generator {
public:
  explicit Generator(uint64_t seed = GRAPHC_DEFAULT_SEED) {
    rt::check(graphc_generator_create(seed, &generator_));
  }
  ~Generator() {
    if (owned_)
      graphc_generator_release(generator_);
  }
  Generator(const Generator &) = delete;
  Generator &operator=(const Generator &) = delete;

  /// The process-wide generator, not owned.
  static Generator &global();

  void manualSeed(uint64_t seed) { graphc_generator_manual_seed(generator_, seed); }
  /// torch.initial_seed(): the seed last given.
  uint64_t initialSeed() const { return graphc_generator_initial_seed(generator_); }
  /// tensor.uniform_(from, to) on a float32 or float64 tensor.
  void uniform(rt::Tensor &tensor, double from, double to) {
    rt::check(graphc_tensor_uniform(tensor.get(), generator_, from, to));
  }
  /// tensor.normal_(mean, std).
  void normal(rt::Tensor &tensor, double mean, double stdDev) {
    rt::check(graphc_tensor_normal(tensor.get(), generator_, mean, stdDev));
  }
  graphc_generator_t *get() const { return generator_; }

private:
  explicit Generator(graphc_generator_t *borrowed) : generator_(borrowed), owned_(false) {}
  graphc_generator_t *generator_ = nullptr;
  bool owned_ = true;
};

/// torch's default CPU generator.
inline Generator &defaultGenerator() { return Generator::global(); }
/// torch.manual_seed.
inline void manualSeed(uint64_t seed) { defaultGenerator().manualSeed(seed); }

/// torch.rand: U(0, 1) float32 from the default generator.
rt::Tensor rand(const std::vector<int64_t> &shape);
/// torch.randn: N(0, 1) float32 from the default generator (seeded, but not
/// bit-identical to torch.randn; see graphc/runtime/random.h).
rt::Tensor randn(const std::vector<int64_t> &shape);

} // namespace graphc

#endif // GRAPHC_BUILDER_RANDOM_H
