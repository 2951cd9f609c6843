/* Calls the model compiled by graphc_add_model: [2, 4] x [3, 4]^T. */
#include <stdio.h>

#include "tiny.h"

int main(void) {
  const float x[2 * 4] = {1, 2, 3, 4, 5, 6, 7, 8};
  const float w[3 * 4] = {1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1};
  float y[2 * 3];
  if (tiny_forward(2, x, w, y) != 0) return 1;
  printf("%g %g %g %g %g %g\n", y[0], y[1], y[2], y[3], y[4], y[5]);
  return (y[0] == 1 && y[1] == 2 && y[2] == 10 && y[3] == 5 && y[4] == 6 && y[5] == 26) ? 0 : 1;
}
