// op_bench: time single ops and passes of the LeNet CNN through the JIT, to
// see where a training step spends its time.
//   build/bin/op_bench [--batch=N] [--reps=N]
#include "LeNet5.h"

#include "llvm/Support/CommandLine.h"

#include <chrono>
#include <cstdio>

namespace cl = llvm::cl;
using namespace graphc;

static cl::opt<int64_t> batch("batch", cl::init(64));
static cl::opt<int> reps("reps", cl::init(20));

static void time(const char *what, std::vector<InputSpec> specs,
                 const std::function<graphc::Tensor(const std::vector<graphc::Tensor> &)> &fn,
                 bool backward) {
  nn::Module none;
  for (auto &s : specs)
    s.requiresGrad = backward;
  Graph graph = trace(none, specs, [&](const std::vector<graphc::Tensor> &xs) {
    return std::vector<graphc::Tensor>{fn(xs).sum()};
  }, TraceOptions{"forward", false});
  if (backward)
    graph.differentiate();
  Program program = graph.compile();
  std::vector<rt::Tensor> inputs;
  for (auto &s : specs)
    inputs.push_back(rand(s.shape));
  auto run = [&] { backward ? (void)program.backward(inputs) : (void)program.run(inputs); };
  run();
  auto start = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r)
    run();
  double ms = 1e3 * std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / reps;
  std::printf("%-40s %8.3f ms\n", what, ms);
}

int main(int argc, char **argv) {
  cl::ParseCommandLineOptions(argc, argv, "op timing\n");
  int64_t n = batch;
  for (bool bw : {false, true}) {
    std::string suffix = bw ? " +backward" : "";
    time(("conv1 1->6 5x5 pad2 28x28" + suffix).c_str(), {{"x", {n, 1, 28, 28}}, {"w", {6, 1, 5, 5}}},
         [](auto &x) { return conv2d(x[0], x[1], Tensor(), 1, 2); }, bw);
    time(("conv2 6->16 5x5 14x14" + suffix).c_str(), {{"x", {n, 6, 14, 14}}, {"w", {16, 6, 5, 5}}},
         [](auto &x) { return conv2d(x[0], x[1]); }, bw);
    time(("maxpool 2x2 6x28x28" + suffix).c_str(), {{"x", {n, 6, 28, 28}}},
         [](auto &x) { return max_pool2d(x[0], 2); }, bw);
    time(("relu 6x28x28" + suffix).c_str(), {{"x", {n, 6, 28, 28}}},
         [](auto &x) { return relu(x[0]); }, bw);
    time(("linear 400->120" + suffix).c_str(), {{"x", {n, 400}}, {"w", {120, 400}}},
         [](auto &x) { return linear(x[0], x[1]); }, bw);
    time(("bias add 6x28x28" + suffix).c_str(), {{"x", {n, 6, 28, 28}}, {"b", {6, 1, 1}}},
         [](auto &x) { return x[0] + x[1]; }, bw);
  }
  return 0;
}
