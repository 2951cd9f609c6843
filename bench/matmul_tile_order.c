// A C model of graphc's AVX2 matmul register tiles (6 x 16 tiles of C
// carried through the whole k loop, as graphc-tile-matmuls generates them),
// to measure the order of the tile loops and the layout of B apart from the
// compiler: rows outermost (each row tile streams all of B) against columns
// outermost (each column tile streams all of A), B as it is (rows of n) or
// packed in 16-column panels. Not part of `make test`; build and run with
//   clang -O3 -march=native -DM=128 -DK=256 -DN=784 bench/matmul_tile_order.c -o order && ./order
// (M x K times K x N; the MLP's fc1 weight gradient at batch 256 above).
// docs/performance.md has what it measured.
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifndef M
#define M 256
#endif
#ifndef K
#define K 784
#endif
#ifndef N
#define N 128
#endif

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

// C = A x B over full 6 x 16 tiles; B's element (k, n) at
// b[(n / 16) * panelStride + k * rowStride + n % 16].
__attribute__((noinline)) static void matmul(const float *a, const float *b, long rowStride,
                                             long panelStride, float *c, int columnsOutermost) {
  const int rowTiles = M / 6, columnTiles = N / 16;
  for (int tile = 0; tile < rowTiles * columnTiles; tile++) {
    int rowTile = columnsOutermost ? tile % rowTiles : tile / columnTiles;
    int columnTile = columnsOutermost ? tile / rowTiles : tile % columnTiles;
    const float *panel = b + columnTile * panelStride, *rows = a + rowTile * 6 * K;
    __m256 acc[12];
    for (int i = 0; i < 12; i++)
      acc[i] = _mm256_setzero_ps();
    for (int k = 0; k < K; k++) {
      __m256 b0 = _mm256_loadu_ps(panel + k * rowStride);
      __m256 b1 = _mm256_loadu_ps(panel + k * rowStride + 8);
      for (int i = 0; i < 6; i++) {
        __m256 ai = _mm256_broadcast_ss(rows + i * K + k);
        acc[2 * i] = _mm256_fmadd_ps(ai, b0, acc[2 * i]);
        acc[2 * i + 1] = _mm256_fmadd_ps(ai, b1, acc[2 * i + 1]);
      }
    }
    for (int i = 0; i < 6; i++) {
      float *row = c + (rowTile * 6 + i) * N + columnTile * 16;
      _mm256_storeu_ps(row, acc[2 * i]);
      _mm256_storeu_ps(row + 8, acc[2 * i + 1]);
    }
  }
}

int main(void) {
  float *a = aligned_alloc(64, sizeof(float) * M * K), *b = aligned_alloc(64, sizeof(float) * K * N);
  float *packed = aligned_alloc(64, sizeof(float) * K * N), *c = aligned_alloc(64, sizeof(float) * M * N);
  for (long i = 0; i < (long)M * K; i++)
    a[i] = (i % 7) * 0.1f;
  for (long i = 0; i < (long)K * N; i++)
    b[i] = (i % 5) * 0.1f;
  for (int p = 0; p < N / 16; p++)
    for (int k = 0; k < K; k++)
      for (int j = 0; j < 16; j++)
        packed[(long)p * K * 16 + k * 16 + j] = b[(long)k * N + p * 16 + j];
  double flops = 2.0 * (M / 6 * 6) * K * (N / 16 * 16);
  for (int round = 0; round < 3; round++) {
    double best[4] = {1e9, 1e9, 1e9, 1e9};
    for (int rep = 0; rep < 200; rep++)
      for (int v = 0; v < 4; v++) {
        int columnsOutermost = v / 2, isPacked = v % 2;
        double t = now();
        matmul(a, isPacked ? packed : b, isPacked ? 16 : N, isPacked ? (long)K * 16 : 16, c,
               columnsOutermost);
        t = now() - t;
        if (t < best[v])
          best[v] = t;
      }
    printf("%d x %d x %d GFLOP/s: rows outermost %.1f (B packed %.1f), columns outermost %.1f "
           "(B packed %.1f)  [c %g]\n",
           M, K, N, flops / best[0] / 1e9, flops / best[1] / 1e9, flops / best[2] / 1e9,
           flops / best[3] / 1e9, c[7]);
  }
  return 0;
}
