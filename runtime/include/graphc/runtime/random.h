/* graphc runtime: seeded random tensors.
 *
 * The generator reproduces PyTorch's CPU generator for uniform draws: a
 * 32-bit Mersenne Twister seeded with the low 32 bits of the seed (as
 * torch.manual_seed), float32 values from the low 24 bits of one draw and
 * float64 values from the low 53 bits of two. So graphc_tensor_rand after
 * graphc_generator_manual_seed(g, s) equals torch.rand after
 * torch.manual_seed(s), bit for bit, and so do parameters initialized with
 * graphc_tensor_uniform as nn.Linear / nn.Conv2d do. Normal draws use
 * Box-Muller on the same uniforms; they are seeded and deterministic but not
 * bit-identical to torch.randn (whose CPU kernels use vectorized math). */
#ifndef GRAPHC_RUNTIME_RANDOM_H_
#define GRAPHC_RUNTIME_RANDOM_H_

#include <stdint.h>

#include "graphc/runtime/status.h"
#include "graphc/runtime/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct graphc_generator_s graphc_generator_t;

/* The default seed is PyTorch's (67280421310721). */
#define GRAPHC_DEFAULT_SEED 67280421310721ULL

graphc_status_t graphc_generator_create(uint64_t seed, graphc_generator_t** out_generator);
void graphc_generator_release(graphc_generator_t* generator);
/* Restarts the sequence, as torch.manual_seed. */
void graphc_generator_manual_seed(graphc_generator_t* generator, uint64_t seed);
/* The seed the generator was created or last seeded with (torch.initial_seed). */
uint64_t graphc_generator_initial_seed(const graphc_generator_t* generator);
/* The process-wide generator (torch's default CPU generator). Not thread-safe. */
graphc_generator_t* graphc_default_generator(void);

/* In place, element by element in memory order (tensor.uniform_(from, to)
 * and tensor.normal_(mean, std)); float32 or float64 tensors. A NULL
 * generator means the default one. */
graphc_status_t graphc_tensor_uniform(graphc_tensor_t* tensor, graphc_generator_t* generator,
                                      double from, double to);
graphc_status_t graphc_tensor_normal(graphc_tensor_t* tensor, graphc_generator_t* generator,
                                     double mean, double std_dev);

/* New tensors: torch.rand (U[0, 1)) and torch.randn (N(0, 1)). */
graphc_status_t graphc_tensor_rand(graphc_dtype_t dtype, int32_t rank, const int64_t* shape,
                                   graphc_generator_t* generator, graphc_tensor_t** out_tensor);
graphc_status_t graphc_tensor_randn(graphc_dtype_t dtype, int32_t rank, const int64_t* shape,
                                    graphc_generator_t* generator, graphc_tensor_t** out_tensor);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GRAPHC_RUNTIME_RANDOM_H_ */
