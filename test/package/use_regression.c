/* Trains the DSL model that graphc_add_dsl_model compiled (regression_model.cpp)
 * through the generated library and the runtime's program object: fits
 * y = 2 x0 - x1 + 0.5 x2 + 1 from 64 fixed points, and checks that the loss
 * falls and that the hand-set scale started at one. */
#include <stdio.h>

#include "graphc/runtime/program.h"
#include "regression.h"

#define N 64

/* Prints and frees a failed call's status; true when `status` is an error. */
static int failed(graphc_status_t status, const char* what) {
  if (!status) return 0;
  fprintf(stderr, "%s: %s\n", what, graphc_status_message(status));
  graphc_status_free(status);
  return 1;
}

int main(void) {
  float x[N * 3], y[N];
  unsigned state = 12345;
  for (int i = 0; i < N * 3; ++i) {
    state = state * 1664525u + 1013904223u; /* a fixed LCG: the same points every run */
    x[i] = (float)(state >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
  }
  for (int i = 0; i < N; ++i) y[i] = 2 * x[3 * i] - x[3 * i + 1] + 0.5f * x[3 * i + 2] + 1;

  graphc_program_t* program = NULL;
  if (failed(graphc_program_create(&regression_model, &program), "create") ||
      failed(graphc_program_init(program, 0), "init"))
    return 1;
  graphc_tensor_t* scale = NULL;
  if (failed(graphc_program_find_tensor(program, "scale", &scale), "scale")) return 1;
  const float* s = graphc_tensor_data(scale);
  for (int i = 0; i < 16; ++i)
    if (s[i] != 1.0f) {
      fprintf(stderr, "scale[%d] starts at %g, not 1\n", i, s[i]);
      return 1;
    }

  const int64_t xShape[2] = {N, 3}, yShape[2] = {N, 1};
  graphc_tensor_t *input = NULL, *target = NULL;
  if (failed(graphc_tensor_wrap(GRAPHC_DTYPE_F32, 2, xShape, x, NULL, NULL, &input), "x") ||
      failed(graphc_tensor_wrap(GRAPHC_DTYPE_F32, 2, yShape, y, NULL, NULL, &target), "y"))
    return 1;
  double first = 0, loss = 0;
  for (int step = 0; step < 300; ++step) {
    if (failed(graphc_program_train_step(program, input, target, 0.05, &loss), "train step"))
      return 1;
    if (step == 0) first = loss;
  }
  printf("loss %.4f -> %.4f after 300 steps\n", first, loss);
  graphc_tensor_release(input);
  graphc_tensor_release(target);
  graphc_program_release(program);
  return loss < first / 20 ? 0 : 1;
}
