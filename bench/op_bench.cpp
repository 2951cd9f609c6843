// op_bench: every matmul and convolution of a training step of the MLP
// (784-128-64-10) and of LeNet-5, forward and both gradients, each compiled
// alone through the JIT (the real CPU pipeline) at a static batch, timed, and
// reported in GFLOP/s and in % of this core's FMA peak, measured in the same
// run (as shared/reference/fma_peak.c does).
//   build/bin/op_bench [--batch=N] [--reps=N] [--num-threads=N] [--only=TEXT]
//                      [--cold-caches]
#include "graphc/JIT/Jit.h"
#include "graphc/Pipelines/Pipelines.h"
#include "graphc/runtime/program.hpp"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"

#include <immintrin.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace cl = llvm::cl;
using namespace graphc;

static cl::opt<int64_t> batch("batch", cl::desc("Images per step"), cl::init(256));
static cl::opt<int> reps("reps", cl::desc("Timed calls per op (the best is kept)"), cl::init(50));
static cl::opt<std::string> only("only", cl::desc("Time only the ops whose name contains this"),
                                 cl::init(""));
static cl::opt<bool> coldCaches(
    "cold-caches",
    cl::desc("Evict the caches before every timed call (writes 64 MiB): an op's inputs as a "
             "training step finds them, written long before"),
    cl::init(false));
static cl::opt<int> threadCount("num-threads", cl::desc("Threads for generated code"),
                                cl::init(1));

static double seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// `iterations` steps of 16 independent zmm FMA chains (enough to cover the
/// FMA latency on both pipes), as shared/reference/fma_peak.c; returns a sum
/// that depends on every chain.
__attribute__((target("avx512f"))) static float avx512FmaChains(long iterations) {
  __m512 acc[16];
  for (int j = 0; j < 16; ++j)
    acc[j] = _mm512_set1_ps(1.0f + j * 1e-7f);
  __m512 b = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  for (long i = 0; i < iterations; ++i)
    for (int j = 0; j < 16; ++j)
      acc[j] = _mm512_fmadd_ps(acc[j], b, c);
  float sink = 0;
  for (int j = 0; j < 16; ++j)
    sink += _mm512_reduce_add_ps(acc[j]);
  return sink;
}

/// The same with 12 chains of AVX2's 8-float FMAs (two FMA pipes of latency
/// 4 or 5: Zen 3, Haswell and later).
__attribute__((target("avx2,fma"))) static float avx2FmaChains(long iterations) {
  __m256 acc[12];
  for (int j = 0; j < 12; ++j)
    acc[j] = _mm256_set1_ps(1.0f + j * 1e-7f);
  __m256 b = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  for (long i = 0; i < iterations; ++i)
    for (int j = 0; j < 12; ++j)
      acc[j] = _mm256_fmadd_ps(acc[j], b, c);
  float lanes[8], sink = 0;
  for (int j = 0; j < 12; ++j) {
    _mm256_storeu_ps(lanes, acc[j]);
    for (float lane : lanes)
      sink += lane;
  }
  return sink;
}

/// FP32 FMA throughput of one core with the widest vectors this CPU has,
/// the ones the JIT's register tiles are sized for.
static double fmaPeakGflops() {
  const long iterations = 50'000'000;
  bool avx512 = __builtin_cpu_supports("avx512f");
  double start = seconds();
  float sink = avx512 ? avx512FmaChains(iterations) : avx2FmaChains(iterations);
  double elapsed = seconds() - start;
  if (sink == 12345.0f) // keeps the chains alive
    std::puts("");
  double flopsPerIteration = avx512 ? 16 * 16 * 2 : 12 * 8 * 2;
  return iterations * flopsPerIteration / elapsed / 1e9;
}

static std::string tensorType(const std::vector<int64_t> &shape) {
  std::string type = "tensor<";
  for (int64_t size : shape)
    type += std::to_string(size) + "x";
  return type + "f32>";
}

struct Case {
  std::string name;
  std::vector<std::vector<int64_t>> inputs;
  std::vector<int64_t> result;
  /// The function body: graph ops on %a and %b, the result named %r.
  std::string body;
  double flops;
};

static std::string function(const Case &c) {
  std::string text = "func.func @op(%a: " + tensorType(c.inputs[0]) +
                     ", %b: " + tensorType(c.inputs[1]) + ") -> " + tensorType(c.result) +
                     " {\n" + c.body + "\n  return %r : " + tensorType(c.result) + "\n}\n";
  return text;
}

static std::string convAttrs(int64_t pad) {
  return llvm::formatv("{{dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: "
                       "{0}, {0}>, stride = array<i64: 1, 1>}",
                       pad)
      .str();
}

/// Forward, input gradient and weight gradient of a Linear layer
/// [B, in] -> [B, out], written as the training step writes them.
static void linearCases(std::vector<Case> &cases, const std::string &name, int64_t b,
                        int64_t in, int64_t out) {
  double flops = 2.0 * b * in * out;
  std::string x = tensorType({b, in}), w = tensorType({out, in}), wt = tensorType({in, out}),
              y = tensorType({b, out}), yt = tensorType({out, b});
  cases.push_back({name + " forward X*W^T", {{b, in}, {out, in}}, {b, out},
                   "  %t = graph.transpose %b {permutation = array<i64: 1, 0>} : " + w + " -> " +
                       wt + "\n  %r = graph.matmul %a, %t : " + x + ", " + wt + " -> " + y,
                   flops});
  cases.push_back({name + " input grad dY*W", {{b, out}, {out, in}}, {b, in},
                   "  %r = graph.matmul %a, %b : " + y + ", " + w + " -> " + x, flops});
  // As graphc-fold-transposed-products leaves it: dY^T . X in W's layout,
  // not the transpose of X^T . dY that autodiff writes.
  cases.push_back({name + " weight grad dY^T*X", {{b, out}, {b, in}}, {out, in},
                   "  %t = graph.transpose %a {permutation = array<i64: 1, 0>} : " + y + " -> " +
                       yt + "\n  %r = graph.matmul %t, %b : " + yt + ", " + x + " -> " + w,
                   flops});
}

/// The three convolutions of a stride-1 Conv2d layer.
static void convCases(std::vector<Case> &cases, const std::string &name, int64_t b, int64_t c,
                      int64_t f, int64_t size, int64_t k, int64_t pad, bool inputGrad) {
  int64_t out = size + 2 * pad - k + 1;
  double flops = 2.0 * b * f * out * out * c * k * k;
  std::vector<int64_t> x{b, c, size, size}, w{f, c, k, k}, y{b, f, out, out};
  std::string attrs = convAttrs(pad);
  cases.push_back({name + " forward", {x, w}, y,
                   "  %r = graph.conv2d %a, %b " + attrs + " : " + tensorType(x) + ", " +
                       tensorType(w) + " -> " + tensorType(y),
                   flops});
  if (inputGrad)
    cases.push_back({name + " input grad", {y, w}, x,
                     "  %r = graph.conv2d_input_grad %a, %b " + attrs + " : " + tensorType(y) +
                         ", " + tensorType(w) + " -> " + tensorType(x),
                     flops});
  cases.push_back({name + " weight grad", {y, x}, w,
                   "  %r = graph.conv2d_weight_grad %a, %b " + attrs + " : " + tensorType(y) +
                       ", " + tensorType(x) + " -> " + tensorType(w),
                   flops});
}

/// Writes and reads back a buffer larger than the last-level cache (32 MiB
/// here), so that what the next call reads comes from memory.
static void evictCaches() {
  static std::vector<float> buffer(16 << 20);
  volatile float sink = 0;
  for (size_t i = 0; i < buffer.size(); i += 16)
    buffer[i] += 1.0f;
  for (size_t i = 0; i < buffer.size(); i += 16)
    sink = sink + buffer[i];
}

static rt::Tensor filled(const std::vector<int64_t> &shape) {
  int64_t count = 1;
  for (int64_t size : shape)
    count *= size;
  std::vector<float> data(count);
  for (int64_t i = 0; i < count; ++i)
    data[i] = float((i * 7919) % 1000) / 1000.0f - 0.5f;
  return rt::Tensor::fromData(data, shape);
}

/// How a timed call returns its results.
enum class Results { NewEachCall, IntoGiven };

/// The fastest of --reps calls of `c`'s op, compiled through the JIT; none
/// (after a message) when its IR does not parse.
static std::optional<double> bestSeconds(const Case &c, mlir::MLIRContext &context,
                                         Results how = Results::IntoGiven) {
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(function(c), &context);
  if (!module) {
    std::fprintf(stderr, "op_bench: cannot parse the IR of %s\n", c.name.c_str());
    return std::nullopt;
  }
  std::unique_ptr<JitModule> jit = JitModule::compile(*module);
  std::vector<rt::Tensor> inputs{filled(c.inputs[0]), filled(c.inputs[1])};
  // The program object allocates the arena once, at the first call. The
  // timed calls write into that call's results, as a deployed kernel's loop
  // and a training step's arena do (graphc_program_run_into): no tensor is
  // allocated per call.
  rt::Program program(jit->model());
  std::vector<rt::Tensor> results = program.run("op", inputs, 0.0);
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    if (coldCaches)
      evictCaches();
    double start = seconds();
    if (how == Results::IntoGiven)
      program.runInto("op", inputs, results, 0.0);
    else
      (void)program.run("op", inputs, 0.0);
    best = std::min(best, seconds() - start);
  }
  return best;
}

int main(int argc, char **argv) {
  cl::ParseCommandLineOptions(argc, argv, "per-op GFLOP/s of the MLP's and LeNet's steps\n");
  setNumThreads(threadCount);
  int64_t b = batch;
  std::vector<Case> cases;
  linearCases(cases, "mlp fc1 784->128", b, 784, 128);
  linearCases(cases, "mlp fc2 128->64", b, 128, 64);
  linearCases(cases, "mlp fc3 64->10", b, 64, 10);
  // conv1's input is the data: a training step computes no input gradient.
  convCases(cases, "lenet conv1 1->6 5x5 pad 2 28x28", b, 1, 6, 28, 5, 2, /*inputGrad=*/false);
  convCases(cases, "lenet conv2 6->16 5x5 14x14", b, 6, 16, 14, 5, 0, /*inputGrad=*/true);
  linearCases(cases, "lenet fc1 400->120", b, 400, 120);

  double peak = fmaPeakGflops();
  std::printf("FMA peak of one core, measured now: %.1f GFLOP/s\n", peak);
  std::printf("batch %lld, %d thread(s), best of %d calls\n\n", (long long)b,
              threadCount.getValue(), reps.getValue());
  std::printf("%-44s %10s %10s %8s\n", "op", "ms", "GFLOP/s", "% peak");
  std::shared_ptr<mlir::MLIRContext> context = createContext();
  // What a call costs beyond its op: an add of two 16-float vectors timed
  // the same way (argument checks; too small for a parallel region, which
  // the products open on top of it), and for comparison through
  // graphc_program_run, which allocates its result each call. The small
  // products (fc3's, 1.3 us of FMAs at a 250 GFLOP/s peak) carry the first
  // in their times; the table does not subtract it.
  Case empty{"call overhead",
             {{16}, {16}},
             {16},
             "  %r = graph.add %a, %b : " + tensorType({16}) + ", " + tensorType({16}) + " -> " +
                 tensorType({16}),
             0};
  std::optional<double> overhead = bestSeconds(empty, *context);
  std::optional<double> allocating = bestSeconds(empty, *context, Results::NewEachCall);
  if (!overhead || !allocating)
    return 1;
  std::printf("%-44s %10.5f\n", "call overhead (add of 16 floats)", *overhead * 1e3);
  std::printf("%-44s %10.5f\n", "  the same, a new result each call", *allocating * 1e3);
  for (const Case &c : cases) {
    if (c.name.find(only) == std::string::npos)
      continue;
    std::optional<double> best = bestSeconds(c, *context);
    if (!best)
      return 1;
    double gflops = c.flops / *best / 1e9;
    std::printf("%-44s %10.5f %10.1f %7.0f%%\n", c.name.c_str(), *best * 1e3, gflops,
                100 * gflops / (peak * threadCount));
  }
  return 0;
}
