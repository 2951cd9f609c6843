/* graphc runtime: the contract between a standalone training executable's
 * generic main (libgraphc_standalone.a) and the model graphc compiled into it
 * (`graphc --train --emit=exe`). The driver generates the definition of
 * graphc_standalone_model_definition from the model's C interface. */
#ifndef GRAPHC_RUNTIME_STANDALONE_H_
#define GRAPHC_RUNTIME_STANDALONE_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum graphc_standalone_role_e {
  GRAPHC_ROLE_IMAGES = 0,     /* float32 [B, 1, 28, 28] */
  GRAPHC_ROLE_TARGET = 1,     /* int64 [B] class indices */
  GRAPHC_ROLE_PARAMETER = 2,  /* initialized U(-init_bound, init_bound), state_dict name */
  GRAPHC_ROLE_STATE = 3,      /* optimizer state, zero-initialized */
  GRAPHC_ROLE_STEP = 4,       /* float64 scalar: completed steps */
  GRAPHC_ROLE_LR = 5          /* float64 scalar: the learning rate */
} graphc_standalone_role_t;

typedef struct graphc_standalone_tensor {
  const char* name;
  int32_t dtype; /* graphc_dtype_t */
  int32_t rank;
  int64_t shape[8]; /* -1: the batch */
  int32_t role;
  double init_bound;
} graphc_standalone_tensor;

/* Entry points over arrays of argument and result pointers; return 0. */
typedef int (*graphc_standalone_fn)(int64_t batch, void** arguments, void** results);

typedef struct graphc_standalone_model {
  const char* name;
  int32_t num_train_arguments;
  const graphc_standalone_tensor* train_arguments;
  graphc_standalone_fn train_step; /* results: the mean loss (float32 scalar) */
  int32_t num_eval_arguments;
  const graphc_standalone_tensor* eval_arguments;
  graphc_standalone_fn eval; /* results: summed loss, correct count (float32 scalars) */
} graphc_standalone_model;

extern const graphc_standalone_model graphc_standalone_model_definition;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GRAPHC_RUNTIME_STANDALONE_H_ */
