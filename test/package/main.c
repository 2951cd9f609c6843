/* Calls the model compiled by graphc_add_model: [2, 4] x [3, 4]^T. */
#include <stdio.h>

#include "graphc/runtime/program.h"
#include "tiny.h"
#include "tiny_copy.h"

/* The same through the runtime's program object over the model table. */
static int runProgram(const float* x, const float* w, const float* expectedInit) {
  graphc_program_t* program = NULL;
  if (graphc_program_create(&tiny_model, &program) || graphc_program_init(program, 0)) return 1;
  graphc_tensor_t* weight = NULL;
  if (graphc_program_find_tensor(program, "fc.weight", &weight)) return 1;
  float* data = graphc_tensor_data(weight);
  for (int i = 0; i < 4; ++i)
    if (data[i] != expectedInit[i]) return 1;
  for (int i = 0; i < 12; ++i) data[i] = w[i];
  const int64_t shape[2] = {2, 4};
  graphc_tensor_t *input = NULL, *output = NULL;
  if (graphc_tensor_wrap(GRAPHC_DTYPE_F32, 2, shape, (void*)x, NULL, NULL, &input)) return 1;
  if (graphc_program_forward(program, input, &output)) return 1;
  const float* y = graphc_tensor_data(output);
  int ok = y[0] == 1 && y[1] == 2 && y[2] == 10 && y[3] == 5 && y[4] == 6 && y[5] == 26;
  graphc_tensor_release(output);
  graphc_tensor_release(input);
  graphc_program_release(program);
  return ok ? 0 : 1;
}

int main(void) {
  const float x[2 * 4] = {1, 2, 3, 4, 5, 6, 7, 8};
  const float w[3 * 4] = {1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1};
  float y[2 * 3];
  if (tiny_forward(2, x, w, y) != 0) return 1;
  float copy[2 * 3];
  if (tiny_copy_forward(2, x, w, copy) != 0) return 1;
  for (int i = 0; i < 6; ++i)
    if (copy[i] != y[i]) return 1;
  printf("%g %g %g %g %g %g\n", y[0], y[1], y[2], y[3], y[4], y[5]);
  if (!(y[0] == 1 && y[1] == 2 && y[2] == 10 && y[3] == 5 && y[4] == 6 && y[5] == 26)) return 1;
  /* tiny_init draws like torch.manual_seed(0); torch.empty(3, 4).uniform_(-0.5, 0.5). */
  float initialized[3 * 4];
  if (tiny_init(0, initialized) != 0) return 1;
  const float expected[4] = {-0.003743410110473633f, 0.26822179555892944f, -0.4115225672721863f,
                             -0.3679695129394531f};
  for (int i = 0; i < 4; ++i)
    if (initialized[i] != expected[i]) {
      printf("init[%d] = %.9g, expected %.9g\n", i, initialized[i], expected[i]);
      return 1;
    }
  printf("init matches torch\n");
  if (runProgram(x, w, expected) != 0) return 1;
  printf("program object matches\n");
  return 0;
}
