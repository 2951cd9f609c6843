// graphc runtime: seeded random tensors (see random.h).

#include "graphc/runtime/random.h"

#include <cmath>
#include <new>
#include <random>

#include "status_internal.h"

struct graphc_generator_s {
  std::mt19937 engine;
  uint64_t seed; // the last seed given (torch.initial_seed)
};

namespace {

using graphc::rt::detail::make_statusf;

uint32_t next32(graphc_generator_t* g) { return static_cast<uint32_t>(g->engine()); }

uint64_t next64(graphc_generator_t* g) {
  uint64_t hi = next32(g);
  uint64_t lo = next32(g);
  return (hi << 32) | lo;
}

// torch's uniform_real_distribution: the low `digits` bits, scaled to [0, 1)
// in double; x * (to - from) + from with from/to rounded to the element type.
float uniformFloat(graphc_generator_t* g, float from, float to) {
  double x = (next32(g) & ((1u << 24) - 1)) * (1.0 / (1u << 24));
  return static_cast<float>(x * (static_cast<double>(to) - from) + from);
}

double uniformDouble(graphc_generator_t* g, double from, double to) {
  double x = (next64(g) & ((1ull << 53) - 1)) * (1.0 / (1ull << 53));
  return x * (to - from) + from;
}

graphc_status_t checkFloat(const graphc_tensor_t* tensor, const char* what) {
  if (tensor == nullptr)
    return make_statusf(GRAPHC_INVALID_ARGUMENT, "%s: tensor is NULL", what);
  graphc_dtype_t dtype = graphc_tensor_dtype(tensor);
  if (dtype != GRAPHC_DTYPE_F32 && dtype != GRAPHC_DTYPE_F64)
    return make_statusf(GRAPHC_INVALID_ARGUMENT, "%s: expected a float32 or float64 tensor, got %s",
                        what, graphc_dtype_name(dtype));
  return nullptr;
}

}  // namespace

extern "C" {

graphc_status_t graphc_generator_create(uint64_t seed, graphc_generator_t** out_generator) {
  if (out_generator == nullptr)
    return make_statusf(GRAPHC_INVALID_ARGUMENT, "graphc_generator_create: out_generator is NULL");
  *out_generator =
      new (std::nothrow) graphc_generator_s{std::mt19937(static_cast<uint32_t>(seed)), seed};
  if (*out_generator == nullptr)
    return make_statusf(GRAPHC_RESOURCE_EXHAUSTED, "graphc_generator_create: out of memory");
  return nullptr;
}

void graphc_generator_release(graphc_generator_t* generator) { delete generator; }

void graphc_generator_manual_seed(graphc_generator_t* generator, uint64_t seed) {
  if (generator) {
    generator->engine.seed(static_cast<uint32_t>(seed));
    generator->seed = seed;
  }
}

uint64_t graphc_generator_initial_seed(const graphc_generator_t* generator) {
  return generator ? generator->seed : 0;
}

graphc_generator_t* graphc_default_generator(void) {
  static graphc_generator_s generator{std::mt19937(static_cast<uint32_t>(GRAPHC_DEFAULT_SEED)),
                                      GRAPHC_DEFAULT_SEED};
  return &generator;
}

graphc_status_t graphc_tensor_uniform(graphc_tensor_t* tensor, graphc_generator_t* generator,
                                      double from, double to) {
  if (graphc_status_t status = checkFloat(tensor, "graphc_tensor_uniform")) return status;
  if (!(from <= to))
    return make_statusf(GRAPHC_INVALID_ARGUMENT,
                        "graphc_tensor_uniform: expected from <= to, got %g and %g", from, to);
  graphc_generator_t* g = generator ? generator : graphc_default_generator();
  int64_t n = graphc_tensor_numel(tensor);
  if (graphc_tensor_dtype(tensor) == GRAPHC_DTYPE_F32) {
    float* data = static_cast<float*>(graphc_tensor_data(tensor));
    for (int64_t i = 0; i < n; ++i)
      data[i] = uniformFloat(g, static_cast<float>(from), static_cast<float>(to));
  } else {
    double* data = static_cast<double*>(graphc_tensor_data(tensor));
    for (int64_t i = 0; i < n; ++i) data[i] = uniformDouble(g, from, to);
  }
  return nullptr;
}

graphc_status_t graphc_tensor_normal(graphc_tensor_t* tensor, graphc_generator_t* generator,
                                     double mean, double std_dev) {
  if (graphc_status_t status = checkFloat(tensor, "graphc_tensor_normal")) return status;
  if (!(std_dev >= 0))
    return make_statusf(GRAPHC_INVALID_ARGUMENT,
                        "graphc_tensor_normal: expected std >= 0, got %g", std_dev);
  graphc_generator_t* g = generator ? generator : graphc_default_generator();
  int64_t n = graphc_tensor_numel(tensor);
  bool f32 = graphc_tensor_dtype(tensor) == GRAPHC_DTYPE_F32;
  const double twoPi = 6.283185307179586476925286766559;
  // Box-Muller, one pair of uniforms per pair of outputs.
  for (int64_t i = 0; i < n; i += 2) {
    double u1 = 1.0 - uniformDouble(g, 0, 1);  // in (0, 1]: log is finite
    double u2 = uniformDouble(g, 0, 1);
    double r = std::sqrt(-2.0 * std::log(u1));
    double pair[2] = {r * std::cos(twoPi * u2) * std_dev + mean,
                      r * std::sin(twoPi * u2) * std_dev + mean};
    for (int k = 0; k < 2 && i + k < n; ++k) {
      if (f32)
        static_cast<float*>(graphc_tensor_data(tensor))[i + k] = static_cast<float>(pair[k]);
      else
        static_cast<double*>(graphc_tensor_data(tensor))[i + k] = pair[k];
    }
  }
  return nullptr;
}

static graphc_status_t createRandom(graphc_dtype_t dtype, int32_t rank, const int64_t* shape,
                                    graphc_generator_t* generator, bool normal,
                                    graphc_tensor_t** out_tensor) {
  graphc_tensor_t* tensor = nullptr;
  if (graphc_status_t status = graphc_tensor_create(dtype, rank, shape, nullptr, &tensor))
    return status;
  graphc_status_t status = normal ? graphc_tensor_normal(tensor, generator, 0, 1)
                                  : graphc_tensor_uniform(tensor, generator, 0, 1);
  if (status) {
    graphc_tensor_release(tensor);
    return status;
  }
  *out_tensor = tensor;
  return nullptr;
}

graphc_status_t graphc_tensor_rand(graphc_dtype_t dtype, int32_t rank, const int64_t* shape,
                                   graphc_generator_t* generator, graphc_tensor_t** out_tensor) {
  return createRandom(dtype, rank, shape, generator, false, out_tensor);
}

graphc_status_t graphc_tensor_randn(graphc_dtype_t dtype, int32_t rank, const int64_t* shape,
                                    graphc_generator_t* generator, graphc_tensor_t** out_tensor) {
  return createRandom(dtype, rank, shape, generator, true, out_tensor);
}

}  // extern "C"
