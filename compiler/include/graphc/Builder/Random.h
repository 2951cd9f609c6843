//===- Random.h - PyTorch-compatible seeded generator -----------*- C++ -*-===//
//
// graphc's default generator reproduces PyTorch's CPU generator for the draws
// the DSL makes (torch.manual_seed, uniform_, rand): a 32-bit Mersenne
// Twister seeded with the low 32 bits of the seed, and uniform floats from
// the low 24 bits of one draw. So `manualSeed(0); nn::Linear(784, 128)` gets
// the same weights as `torch.manual_seed(0); nn.Linear(784, 128)`.
//
//===----------------------------------------------------------------------===//
#ifndef GRAPHC_BUILDER_RANDOM_H
#define GRAPHC_BUILDER_RANDOM_H

#include "graphc/runtime/runtime.hpp"

#include <cstdint>
#include <random>
#include <vector>

namespace graphc {

class Generator {
public:
  explicit Generator(uint64_t seed = 67280421310721ULL) { manualSeed(seed); }
  void manualSeed(uint64_t seed) { engine_.seed(static_cast<uint32_t>(seed)); }
  uint32_t random() { return static_cast<uint32_t>(engine_()); }
  uint64_t random64() {
    uint64_t hi = random();
    uint64_t lo = random();
    return (hi << 32) | lo;
  }
  /// Fills a float32 or float64 tensor with U(from, to), element by element,
  /// like torch.Tensor.uniform_ on the CPU.
  void uniform(rt::Tensor &tensor, double from, double to);

private:
  std::mt19937 engine_;
};

/// The process-wide default generator (torch's default CPU generator).
Generator &defaultGenerator();
/// torch.manual_seed.
void manualSeed(uint64_t seed);

/// torch.rand: U(0, 1) float32 from the default generator.
rt::Tensor rand(const std::vector<int64_t> &shape);

} // namespace graphc

#endif // GRAPHC_BUILDER_RANDOM_H
