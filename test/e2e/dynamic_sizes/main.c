/* End-to-end checks of graphc's dynamic sizes through the C ABI (run.sh
 * compiles the graphs beside this file and links them in).
 *
 * Every dynamic size is k*B for the run-time batch B, and the model table
 * writes it -k. For batches 1, 2 and 5 each entry point is called through
 * NAME_F_call with the caller's arena, and with result buffers of exactly
 * the table's size (-k: k*batch) followed by a canary, as a C caller sizes
 * them. Each call must return 0, leave every canary intact and produce the
 * values computed here by hand. Gradients are also compared with central
 * finite differences of the compiled `loss`.
 *
 * One line per check; the last line is "N passed, M failed", and the exit
 * status is non-zero if any check failed. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphc/runtime/program.h"

#include "d1.h"
#include "d1t.h"
#include "d2.h"
#include "d2c.h"
#include "d3.h"
#include "d3t.h"
#include "d4.h"
#include "d5.h"
#include "d5b1.h"
#include "d6.h"
#include "d6t.h"

enum { CANARY_BYTES = 64, CANARY = 0xA5, MAX_TENSORS = 8 };

static int passed, failed;

static int check(int ok, const char *format, ...) {
  va_list args;
  va_start(args, format);
  printf("%s ", ok ? "PASS" : "FAIL");
  vprintf(format, args);
  printf("\n");
  va_end(args);
  ok ? ++passed : ++failed;
  return ok;
}

typedef int (*call_fn)(void *arena, int64_t batch, void *const *arguments, void *const *results);
typedef int64_t (*arena_bytes_fn)(int64_t batch);

/* One entry point of one compiled model, with its row of the model table. */
typedef struct {
  char name[64]; /* "d2.forward" */
  const graphc_model_function_info *info;
  call_fn call;
  arena_bytes_fn arena_bytes;
} entry_point;

static entry_point makeEntry(const char *model, const char *function,
                             const graphc_model_function_info *functions, int32_t count,
                             call_fn call, arena_bytes_fn arenaBytes) {
  entry_point e;
  snprintf(e.name, sizeof e.name, "%s.%s", model, function);
  e.info = NULL;
  for (int32_t i = 0; i < count; ++i)
    if (strcmp(functions[i].name, function) == 0) e.info = &functions[i];
  e.call = call;
  e.arena_bytes = arenaBytes;
  if (!e.info) check(0, "%s: the model table has no function '%s'", e.name, function);
  return e;
}

#define ENTRY(model, function)                                                          \
  makeEntry(#model, #function, model##_functions, model##_num_functions,                \
            model##_##function##_call, model##_##function##_arena_bytes)

/* The number of elements of a table entry at `batch` (-k: k * batch). */
static int64_t elements(const graphc_model_tensor_info *t, int64_t batch) {
  int64_t n = 1;
  for (int32_t d = 0; d < t->rank; ++d) n *= t->shape[d] < 0 ? -t->shape[d] * batch : t->shape[d];
  return n;
}

static size_t elementBytes(int32_t dtype) { return dtype == 1 || dtype == 3 ? 8 : dtype == 4 ? 1 : 4; }

static int findTensor(const graphc_model_tensor_info *tensors, int32_t count, const char *name) {
  for (int32_t i = 0; i < count; ++i)
    if (strcmp(tensors[i].name, name) == 0) return i;
  return -1;
}

/* Deterministic values in [-1.125, 1.125], never zero. */
static float value(int64_t k, int seed) { return (float)(((k * 7 + seed * 3) % 10) - 4.5) * 0.25f; }

/* An argument buffer of `expected` floats filled from `seed`, after checking
 * that the table gives the argument `name` that many elements at `batch`. */
static float *argument(const entry_point *e, const char *name, int64_t batch, int64_t expected,
                       int seed) {
  if (!e->info) return NULL;
  int i = findTensor(e->info->arguments, e->info->num_arguments, name);
  int64_t n = i < 0 ? -1 : elements(&e->info->arguments[i], batch);
  if (!check(n == expected, "%s batch=%lld: the table sizes argument %s as %lld floats (expected %lld)",
             e->name, (long long)batch, name, (long long)n, (long long)expected))
    return NULL;
  float *data = malloc((size_t)expected * sizeof(float));
  for (int64_t k = 0; k < expected; ++k) data[k] = value(k, seed);
  return data;
}

/* Places the NULL-terminated (name, buffer) pairs at their table positions;
 * a failed check if the table has other arguments. */
static int bind(const entry_point *e, void **arguments, ...) {
  if (!e->info) return 0;
  va_list list;
  va_start(list, arguments);
  int bound = 0, ok = 1;
  for (const char *name; ok && (name = va_arg(list, const char *)) != NULL; ++bound) {
    void *buffer = va_arg(list, void *);
    int i = findTensor(e->info->arguments, e->info->num_arguments, name);
    ok = i >= 0 && buffer != NULL;
    if (ok) arguments[i] = buffer;
    else check(0, "%s: the table has no argument %s", e->name, name);
  }
  va_end(list);
  if (ok && bound != e->info->num_arguments)
    ok = check(0, "%s: the table has %d arguments, the test binds %d", e->name,
               e->info->num_arguments, bound);
  return ok;
}

static int canaryIntact(const unsigned char *bytes, size_t from, size_t to) {
  for (size_t i = from; i < to; ++i)
    if (bytes[i] != CANARY) return 0;
  return 1;
}

/* Calls `e` at `batch` with the caller's arena (arena_bytes(batch) bytes and
 * a canary) and one buffer per result of the table's size plus a canary.
 * `expected` gives each result's element count as computed by hand: the
 * table must agree. Quiet calls print nothing and clear *ok on a failure.
 * Returns the results (free with freeResults), or NULL if the call failed or
 * the sizes disagree. */
static void **invoke(const entry_point *e, int64_t batch, void *const *arguments,
                     const int64_t *expected, int quiet, int *ok) {
  if (!e->info) return NULL;
  const graphc_model_function_info *f = e->info;
  int good = 1;
  int64_t arenaBytes = e->arena_bytes(batch);
  size_t arenaSize = ((size_t)arenaBytes + CANARY_BYTES + 63) / 64 * 64;
  unsigned char *arena = aligned_alloc(64, arenaSize);
  memset(arena, CANARY, arenaSize);
  void **results = calloc((size_t)f->num_results, sizeof(void *));
  size_t *bytes = calloc((size_t)f->num_results, sizeof(size_t));
  for (int32_t r = 0; r < f->num_results; ++r) {
    int64_t n = elements(&f->results[r], batch);
    if (!quiet)
      check(n == expected[r], "%s batch=%lld: the table sizes result %d as %lld elements (expected %lld)",
            e->name, (long long)batch, r, (long long)n, (long long)expected[r]);
    good &= n == expected[r];
    bytes[r] = (size_t)n * elementBytes(f->results[r].dtype);
    results[r] = malloc(bytes[r] + CANARY_BYTES);
    memset(results[r], CANARY, bytes[r] + CANARY_BYTES);
  }
  int rc = e->call(arena, batch, arguments, results);
  if (!quiet) check(rc == 0, "%s batch=%lld: returns 0 (got %d)", e->name, (long long)batch, rc);
  good &= rc == 0;
  for (int32_t r = 0; r < f->num_results; ++r) {
    int intact = canaryIntact(results[r], bytes[r], bytes[r] + CANARY_BYTES);
    if (!quiet)
      check(intact, "%s batch=%lld: nothing written past result %d (%zu bytes)", e->name,
            (long long)batch, r, bytes[r]);
    good &= intact;
  }
  int arenaIntact = canaryIntact(arena, (size_t)arenaBytes, arenaSize);
  if (!quiet)
    check(arenaIntact, "%s batch=%lld: nothing written past the arena (%lld bytes)", e->name,
          (long long)batch, (long long)arenaBytes);
  good &= arenaIntact;
  free(arena);
  free(bytes);
  if (ok) *ok &= good;
  /* After a failed call, or when the table disagrees with the sizes computed
   * by hand (the buffers are then not the sizes the values need), there is
   * nothing to compare. */
  int sizesAgree = 1;
  for (int32_t r = 0; r < f->num_results; ++r) sizesAgree &= elements(&f->results[r], batch) == expected[r];
  if (rc != 0 || !sizesAgree) {
    for (int32_t r = 0; r < f->num_results; ++r) free(results[r]);
    free(results);
    return NULL;
  }
  return results;
}

static void freeResults(const entry_point *e, void **results) {
  if (!results) return;
  for (int32_t r = 0; r < e->info->num_results; ++r) free(results[r]);
  free(results);
}

/* |got - want| <= tolerance * max(1, |want|) for every element. */
static void checkValues(const entry_point *e, int64_t batch, const char *what, const float *got,
                        const double *want, int64_t n, double tolerance) {
  int64_t bad = -1;
  for (int64_t i = 0; i < n && bad < 0; ++i)
    if (!(fabs(got[i] - want[i]) <= tolerance * fmax(1.0, fabs(want[i])))) bad = i;
  if (bad < 0)
    check(1, "%s batch=%lld: %s: %lld values as computed by hand", e->name, (long long)batch, what,
          (long long)n);
  else
    check(0, "%s batch=%lld: %s: element %lld is %.9g, expected %.9g", e->name, (long long)batch,
          what, (long long)bad, got[bad], want[bad]);
}

/* The compiled loss at the arguments bound in `arguments`. */
static double lossAt(const entry_point *loss, int64_t batch, void *const *arguments, int *ok) {
  const int64_t one = 1;
  void **r = invoke(loss, batch, arguments, &one, 1, ok);
  double value = r ? *(float *)r[0] : NAN;
  freeResults(loss, r);
  return value;
}

/* Compares a compiled gradient of `parameter` (n floats) with the hand-derived
 * one and with central finite differences of the compiled loss (step h,
 * relative tolerance 1e-3 of the largest difference quotient), and checks it
 * is not zero. */
static void checkGradient(const entry_point *loss, int64_t batch, void *const *arguments,
                          float *parameter, int64_t n, double h, const float *gradient,
                          const double *byHand) {
  double *differences = malloc((size_t)n * sizeof(double));
  int callsOk = 1;
  double scale = 0, largest = 0;
  for (int64_t i = 0; i < n; ++i) {
    float saved = parameter[i];
    parameter[i] = (float)(saved + h);
    double plus = lossAt(loss, batch, arguments, &callsOk);
    parameter[i] = (float)(saved - h);
    double minus = lossAt(loss, batch, arguments, &callsOk);
    parameter[i] = saved;
    differences[i] = (plus - minus) / (2 * h);
    scale = fmax(scale, fabs(differences[i]));
    largest = fmax(largest, fabs(gradient[i]));
  }
  check(callsOk, "%s batch=%lld: %lld calls for finite differences return 0 and keep the canaries",
        loss->name, (long long)batch, (long long)(2 * n));
  int64_t bad = -1;
  for (int64_t i = 0; i < n && bad < 0; ++i)
    if (!(fabs(gradient[i] - byHand[i]) <= 1e-4 * fmax(fabs(byHand[i]), 1e-2))) bad = i;
  if (bad < 0)
    check(1, "%s batch=%lld: the gradient (%lld values) equals the one derived by hand",
          loss->name, (long long)batch, (long long)n);
  else
    check(0, "%s batch=%lld: gradient element %lld is %.9g, by hand %.9g", loss->name,
          (long long)batch, (long long)bad, gradient[bad], byHand[bad]);
  bad = -1;
  for (int64_t i = 0; i < n && bad < 0; ++i)
    if (!(fabs(gradient[i] - differences[i]) <= 1e-3 * scale)) bad = i;
  if (bad < 0)
    check(1, "%s batch=%lld: the gradient (%lld values) matches central finite differences",
          loss->name, (long long)batch, (long long)n);
  else
    check(0, "%s batch=%lld: gradient element %lld is %.9g, finite differences %.9g", loss->name,
          (long long)batch, (long long)bad, gradient[bad], differences[bad]);
  check(largest > 1e-3, "%s batch=%lld: the gradient is not zero (largest magnitude %.6g)",
        loss->name, (long long)batch, largest);
  free(differences);
}

/* Defect 1: [2, B, 2] x [2, 5] -> [2, B, 5], and the gradient of the shared
 * rhs under MSE, which used to be zero. */
static void test_d1(int64_t batch) {
  const int64_t rows = 2 * batch, outputs = rows * 5;
  double *y = malloc((size_t)outputs * sizeof(double));
  entry_point forward = ENTRY(d1, forward);
  float *x = argument(&forward, "x", batch, rows * 2, 1);
  float *w = argument(&forward, "w", batch, 10, 2);
  for (int64_t r = 0; x && w && r < rows; ++r) /* x[i][b] is row i * B + b of both */
    for (int n = 0; n < 5; ++n) y[r * 5 + n] = (double)x[r * 2] * w[n] + (double)x[r * 2 + 1] * w[5 + n];
  void *arguments[MAX_TENSORS] = {0};
  if (x && w && bind(&forward, arguments, "x", x, "w", w, NULL)) {
    void **results = invoke(&forward, batch, arguments, &outputs, 0, NULL);
    if (results) checkValues(&forward, batch, "x @ w", results[0], y, outputs, 1e-5);
    freeResults(&forward, results);
  }

  entry_point lossGrad = ENTRY(d1t, loss_grad), loss = ENTRY(d1t, loss),
              step = ENTRY(d1t, train_step);
  float *target = argument(&lossGrad, "target", batch, outputs, 3);
  if (x && w && target && bind(&lossGrad, arguments, "x", x, "w", w, "target", target, NULL)) {
    double lossByHand = 0, gradientByHand[10] = {0};
    for (int64_t r = 0; r < rows; ++r)
      for (int n = 0; n < 5; ++n) {
        double d = y[r * 5 + n] - target[r * 5 + n];
        lossByHand += d * d / (double)outputs;
        for (int k = 0; k < 2; ++k) gradientByHand[k * 5 + n] += 2 * d * x[r * 2 + k] / (double)outputs;
      }
    const int64_t sizes[2] = {1, 10};
    void **results = invoke(&lossGrad, batch, arguments, sizes, 0, NULL);
    if (results) {
      checkValues(&lossGrad, batch, "the MSE loss", results[0], &lossByHand, 1, 1e-5);
      void *lossArguments[MAX_TENSORS] = {0};
      if (bind(&loss, lossArguments, "x", x, "w", w, "target", target, NULL))
        checkGradient(&loss, batch, lossArguments, w, 10, 0.05, results[1], gradientByHand);
      /* One SGD step moves w by -lr times that gradient. */
      float updated[10];
      memcpy(updated, w, sizeof updated);
      double stepCount = 0, lr = 0.1, wByHand[10];
      for (int i = 0; i < 10; ++i) wByHand[i] = w[i] - lr * gradientByHand[i];
      void *stepArguments[MAX_TENSORS] = {0};
      if (bind(&step, stepArguments, "x", x, "target", target, "w", updated, "step", &stepCount,
               "lr", &lr, NULL)) {
        const int64_t one = 1;
        void **loss2 = invoke(&step, batch, stepArguments, &one, 0, NULL);
        if (loss2) {
          checkValues(&step, batch, "the loss before the step", loss2[0], &lossByHand, 1, 1e-5);
          checkValues(&step, batch, "w after one SGD step", updated, wByHand, 10, 1e-5);
        }
        freeResults(&step, loss2);
      }
    }
    freeResults(&lossGrad, results);
  }
  free(x);
  free(w);
  free(target);
  free(y);
}

/* Defect 2: [B, 3] -> [3B]: the table said B floats while 3B were written;
 * and a concat of two [B, 3] along the batch, [2B, 3]. */
static void test_d2(int64_t batch) {
  entry_point flatten = ENTRY(d2, forward);
  const int64_t n = 3 * batch;
  float *x = argument(&flatten, "x", batch, n, 4);
  double *want = malloc((size_t)(2 * n) * sizeof(double));
  void *arguments[MAX_TENSORS] = {0};
  if (x && bind(&flatten, arguments, "x", x, NULL)) {
    for (int64_t i = 0; i < n; ++i) want[i] = x[i];
    void **results = invoke(&flatten, batch, arguments, &n, 0, NULL);
    if (results) checkValues(&flatten, batch, "x flattened", results[0], want, n, 0);
    freeResults(&flatten, results);
  }
  entry_point concat = ENTRY(d2c, forward);
  float *x2 = argument(&concat, "x", batch, n, 5);
  float *y2 = argument(&concat, "y", batch, n, 6);
  if (x2 && y2 && bind(&concat, arguments, "x", x2, "y", y2, NULL)) {
    for (int64_t i = 0; i < n; ++i) {
      want[i] = x2[i];
      want[n + i] = y2[i];
    }
    const int64_t rows = 2 * n;
    void **results = invoke(&concat, batch, arguments, &rows, 0, NULL);
    if (results) checkValues(&concat, batch, "x's rows, then y's", results[0], want, rows, 0);
    freeResults(&concat, results);
  }
  free(x);
  free(x2);
  free(y2);
  free(want);
}

/* Defect 3: x [B, B] times s broadcast to [2, B, B], and the gradient of s
 * under MSE (refused by --train before). */
static void test_d3(int64_t batch) {
  const int64_t square = batch * batch, outputs = 2 * square;
  entry_point forward = ENTRY(d3, forward);
  float *x = argument(&forward, "x", batch, square, 7);
  float s = 0.75f;
  double *y = malloc((size_t)outputs * sizeof(double));
  for (int64_t i = 0; x && i < outputs; ++i) y[i] = (double)x[i % square] * s;
  void *arguments[MAX_TENSORS] = {0};
  if (x && bind(&forward, arguments, "x", x, "s", &s, NULL)) {
    void **results = invoke(&forward, batch, arguments, &outputs, 0, NULL);
    if (results) checkValues(&forward, batch, "two copies of x * s", results[0], y, outputs, 1e-6);
    freeResults(&forward, results);
  }
  entry_point lossGrad = ENTRY(d3t, loss_grad), loss = ENTRY(d3t, loss);
  float *target = argument(&lossGrad, "target", batch, outputs, 8);
  if (x && target && bind(&lossGrad, arguments, "x", x, "s", &s, "target", target, NULL)) {
    double lossByHand = 0, gradientByHand = 0;
    for (int64_t i = 0; i < outputs; ++i) {
      double d = y[i] - target[i];
      lossByHand += d * d / (double)outputs;
      gradientByHand += 2 * d * x[i % square] / (double)outputs;
    }
    const int64_t sizes[2] = {1, 1};
    void **results = invoke(&lossGrad, batch, arguments, sizes, 0, NULL);
    if (results) {
      checkValues(&lossGrad, batch, "the MSE loss", results[0], &lossByHand, 1, 1e-5);
      void *lossArguments[MAX_TENSORS] = {0};
      if (bind(&loss, lossArguments, "x", x, "s", &s, "target", target, NULL))
        checkGradient(&loss, batch, lossArguments, &s, 1, 0.05, results[1], &gradientByHand);
    }
    freeResults(&lossGrad, results);
  }
  free(x);
  free(target);
  free(y);
}

/* Defect 4: a function returning its [B, 2] argument. */
static void test_d4(int64_t batch) {
  entry_point identity = ENTRY(d4, forward);
  const int64_t n = 2 * batch;
  float *x = argument(&identity, "x", batch, n, 9);
  void *arguments[MAX_TENSORS] = {0};
  if (x && bind(&identity, arguments, "x", x, NULL)) {
    double *want = malloc((size_t)n * sizeof(double));
    for (int64_t i = 0; i < n; ++i) want[i] = x[i];
    void **results = invoke(&identity, batch, arguments, &n, 0, NULL);
    if (results) checkValues(&identity, batch, "a copy of x", results[0], want, n, 0);
    freeResults(&identity, results);
    free(want);
  }
  free(x);
}

/* Defect 5: [B, 1] broadcast to [B, 10], dynamic and compiled with --batch=1
 * (which refused it before). */
static void runBroadcast(const entry_point *e, int64_t batch) {
  const int64_t n = 10 * batch;
  float *x = argument(e, "x", batch, batch, 10);
  void *arguments[MAX_TENSORS] = {0};
  if (x && bind(e, arguments, "x", x, NULL)) {
    double *want = malloc((size_t)n * sizeof(double));
    for (int64_t i = 0; i < n; ++i) want[i] = x[i / 10];
    void **results = invoke(e, batch, arguments, &n, 0, NULL);
    if (results) checkValues(e, batch, "each x ten times", results[0], want, n, 0);
    freeResults(e, results);
    free(want);
  }
  free(x);
}

static void test_d5(int64_t batch) {
  entry_point dynamic = ENTRY(d5, forward);
  runBroadcast(&dynamic, batch);
  if (batch == 1) {
    entry_point one = ENTRY(d5b1, forward);
    runBroadcast(&one, 1);
  }
}

/* Defect 6: y = sum over the rows of [x * w; x] squared, and the gradient of
 * w under MSE through concat along the batch (which had no gradient). */
static void test_d6(int64_t batch) {
  entry_point forward = ENTRY(d6, forward);
  float *x = argument(&forward, "x", batch, 3 * batch, 11);
  float w[3] = {0.5f, -0.75f, 1.5f};
  double y[3] = {0, 0, 0}, sumOfSquares[3] = {0, 0, 0};
  for (int64_t b = 0; x && b < batch; ++b)
    for (int j = 0; j < 3; ++j) sumOfSquares[j] += (double)x[b * 3 + j] * x[b * 3 + j];
  for (int j = 0; j < 3; ++j) y[j] = ((double)w[j] * w[j] + 1) * sumOfSquares[j];
  void *arguments[MAX_TENSORS] = {0};
  const int64_t three = 3;
  if (x && bind(&forward, arguments, "x", x, "w", w, NULL)) {
    void **results = invoke(&forward, batch, arguments, &three, 0, NULL);
    if (results) checkValues(&forward, batch, "(w^2 + 1) * sum of x^2", results[0], y, 3, 1e-5);
    freeResults(&forward, results);
  }
  entry_point lossGrad = ENTRY(d6t, loss_grad), loss = ENTRY(d6t, loss);
  float target[3] = {-1.0f, 2.0f, 0.5f};
  if (x && bind(&lossGrad, arguments, "x", x, "w", w, "target", target, NULL)) {
    double lossByHand = 0, gradientByHand[3];
    for (int j = 0; j < 3; ++j) {
      double d = y[j] - target[j];
      lossByHand += d * d / 3;
      gradientByHand[j] = 2 * d / 3 * 2 * w[j] * sumOfSquares[j];
    }
    const int64_t sizes[2] = {1, 3};
    void **results = invoke(&lossGrad, batch, arguments, sizes, 0, NULL);
    if (results) {
      checkValues(&lossGrad, batch, "the MSE loss", results[0], &lossByHand, 1, 1e-5);
      void *lossArguments[MAX_TENSORS] = {0};
      if (bind(&loss, lossArguments, "x", x, "w", w, "target", target, NULL))
        checkGradient(&loss, batch, lossArguments, w, 3, 0.01, results[1], gradientByHand);
    }
    freeResults(&lossGrad, results);
  }
  free(x);
}

/* The runtime's program objects size results from the same table (-k) and
 * take the batch from the input's first dynamic dimension ([2, B, 2] for
 * d1t, whose w is a parameter because train_step updates it). */
static void test_program(const char *name, const graphc_model_t *model, int64_t batch,
                         int32_t rank, const int64_t *inputShape, const int64_t *outputShape,
                         int64_t outputRank, int outputIsInput) {
  graphc_program_t *program = NULL;
  graphc_tensor_t *input = NULL, *output = NULL;
  int64_t n = 1;
  for (int32_t d = 0; d < rank; ++d) n *= inputShape[d];
  float *x = malloc((size_t)n * sizeof(float));
  for (int64_t k = 0; k < n; ++k) x[k] = value(k, 12);
  graphc_status_t status = graphc_program_create(model, &program);
  if (!status) status = graphc_tensor_wrap(GRAPHC_DTYPE_F32, rank, inputShape, x, NULL, NULL, &input);
  if (!status) status = graphc_program_forward(program, input, &output);
  if (check(!status, "%s program object batch=%lld: forward succeeds%s%s", name, (long long)batch,
            status ? ": " : "", graphc_status_message(status))) {
    int same = graphc_tensor_rank(output) == outputRank;
    for (int64_t d = 0; same && d < outputRank; ++d) same = graphc_tensor_shape(output)[d] == outputShape[d];
    check(same, "%s program object batch=%lld: the output has the table's shape", name,
          (long long)batch);
    /* d2's output is its input flattened; d1t's parameter w starts at zero. */
    const float *y = graphc_tensor_data(output);
    int64_t count = graphc_tensor_numel(output), bad = -1;
    for (int64_t k = 0; same && k < count && bad < 0; ++k)
      if (y[k] != (outputIsInput ? x[k] : 0.0f)) bad = k;
    check(same && bad < 0, "%s program object batch=%lld: the output is %s", name, (long long)batch,
          outputIsInput ? "the input's values" : "zero (zero parameters)");
  }
  graphc_status_free(status);
  graphc_tensor_release(output);
  graphc_tensor_release(input);
  graphc_program_release(program);
  free(x);
}

/* A negative batch, or one whose sizes would overflow, is refused with
 * error 1 before anything is read or written (it crashed before); the arena
 * size of such a batch is -1 (it wrapped around above 2^55). */
static void test_bad_batch(void) {
  float x[3] = {1, 2, 3}, y[3] = {0, 0, 0};
  const int64_t huge = (int64_t)1 << 60;
  check(d2_forward(-1, x, y) == 1, "d2_forward(-1, ...) returns 1");
  check(d2_forward(huge, x, y) == 1, "d2_forward(2^60, ...) returns 1");
  check(y[0] == 0 && y[1] == 0 && y[2] == 0, "a refused batch writes no result");
  check(d2_forward_arena_bytes(-1) == -1, "d2_forward_arena_bytes(-1) is -1");
  check(d2_forward_arena_bytes(huge) == -1, "d2_forward_arena_bytes(2^60) is -1");
  check(d2_forward_arena_bytes(4) >= 0, "d2_forward_arena_bytes(4) is a size");
  check(d1t_train_step_arena_bytes((int64_t)1 << 61) == -1,
        "d1t_train_step_arena_bytes(2^61) is -1 (x [2, B, 2] alone would pass 2^62 bytes)");
}

int main(void) {
  test_bad_batch();
  const int64_t batches[] = {1, 2, 5};
  for (size_t i = 0; i < sizeof batches / sizeof batches[0]; ++i) {
    int64_t b = batches[i];
    test_d1(b);
    test_d2(b);
    test_d3(b);
    test_d4(b);
    test_d5(b);
    test_d6(b);
    test_program("d1t", &d1t_model, b, 3, (const int64_t[]){2, b, 2}, (const int64_t[]){2, b, 5}, 3, 0);
    test_program("d2", &d2_model, b, 2, (const int64_t[]){b, 3}, (const int64_t[]){3 * b}, 1, 1);
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
