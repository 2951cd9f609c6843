/* Calls the model compiled by graphc_add_model: [2, 4] x [3, 4]^T. */
#include <stdio.h>

#include "tiny.h"

int main(void) {
  const float x[2 * 4] = {1, 2, 3, 4, 5, 6, 7, 8};
  const float w[3 * 4] = {1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1};
  float y[2 * 3];
  if (tiny_forward(2, x, w, y) != 0) return 1;
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
  return 0;
}
