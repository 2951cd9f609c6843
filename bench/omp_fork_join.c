// What a parallel region costs against a barrier, with the OpenMP runtime
// graphc's code runs on (LLVM's libomp): a tiny worksharing loop run R times
// each in its own `omp parallel` (a fork and a join each time, as each of
// train_step's parallel regions is) and all in one region (only the
// worksharing loop's implicit barrier each time, as one region per step
// would be). Not part of `make test`; build and run with
//   clang-19 -O2 -fopenmp=libomp bench/omp_fork_join.c -o fork_join && OMP_NUM_THREADS=2 ./fork_join
// docs/performance.md has what it measured.
#include <omp.h>
#include <stdio.h>

int main(void) {
  enum { R = 200000, N = 64 };
  static float a[N];
  for (int rep = 0; rep < 3; ++rep) {
    double t0 = omp_get_wtime();
    for (int r = 0; r < R; ++r) {
#pragma omp parallel
      {
#pragma omp for schedule(static)
        for (int i = 0; i < N; ++i)
          a[i] += 1.0f;
      }
    }
    double t1 = omp_get_wtime();
#pragma omp parallel
    {
      for (int r = 0; r < R; ++r) {
#pragma omp for schedule(static)
        for (int i = 0; i < N; ++i)
          a[i] += 1.0f;
      }
    }
    double t2 = omp_get_wtime();
    printf("a region (fork, loop, join) %.2f us; a loop and its barrier in one region %.2f us\n",
           (t1 - t0) / R * 1e6, (t2 - t1) / R * 1e6);
  }
  return a[0] == 2.0f * 3 * R ? 0 : 1;
}
