// train_bench: training-step throughput of the seeds' MLP and CNN, compiled
// by graphc's JIT, on random data (no data loading in the timed loop).
//
//   build/bin/train_bench [--model=mlp|cnn|all] [--batch=64,256] [--steps=N]
//                         [--repeats=N] [--optimizer=sgd|adam] [--num-threads=N]
//                         [--micro-batch=N]
//
// Prints one line per configuration: images/s and mean step latency of the
// fastest of `repeats` timed runs of `steps` steps (the shared machines'
// speed moves between runs; compare_pytorch.py times PyTorch the same way).
// bench/compare_pytorch.py runs the same models in PyTorch and prints ratios.
#include "LeNet5.h"
#include "MLP.h"

#include "llvm/Support/CommandLine.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>

namespace cl = llvm::cl;
using namespace graphc;

static cl::opt<std::string> modelName("model", cl::desc("mlp, cnn or all"), cl::init("all"));
static cl::list<int64_t> batches("batch", cl::desc("Batch sizes"), cl::CommaSeparated);
static cl::opt<int> steps("steps", cl::desc("Timed steps per run"), cl::init(20));
static cl::opt<int> repeats("repeats", cl::desc("Timed runs per configuration; the fastest counts"),
                            cl::init(1));
static cl::opt<std::string> optimizerName(
    "optimizer", cl::desc("sgd (momentum 0.9) or adam (PyTorch's defaults)"), cl::init("sgd"));
static cl::opt<int64_t>
    microBatch("micro-batch",
               cl::desc("Compute each step's gradients in parts of N rows (Graph::addTrainStep's "
                        "microBatch; 0: whole batches)"),
               cl::init(0));
static cl::opt<int> threadCount("num-threads", cl::desc("Threads for generated code (0: default)"),
                                cl::init(0));

static void bench(const std::string &name, nn::Module &model, std::vector<int64_t> inputShape,
                  int64_t batch) {
  nn::CrossEntropyLoss criterion;
  inputShape.insert(inputShape.begin(), batch);
  std::vector<int64_t> spec(inputShape);
  Graph graph = trace(model, {{"images", spec}, {"labels", {batch}, GRAPHC_DTYPE_I64}},
                      [&](const std::vector<graphc::Tensor> &xs) {
                        return std::vector<graphc::Tensor>{criterion(model(xs[0]), xs[1])};
                      });
  auto compileStart = std::chrono::steady_clock::now();
  OptimizerConfig optimizer =
      optimizerName == "adam" ? OptimizerConfig::adam() : OptimizerConfig::sgd(0.9);
  CompiledTrainStep program =
      graph.addTrainStep(optimizer, "forward", microBatch).compileTrainStep();
  double compileSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - compileStart).count();
  rt::Tensor images = rand(inputShape);
  rt::Tensor labels = rt::Tensor::zeros({batch}, GRAPHC_DTYPE_I64);
  for (int64_t i = 0; i < batch; ++i)
    labels.data<int64_t>()[i] = i % 10;
  program.step({images, labels}, 0.01); // warm-up
  double seconds = 0;
  for (int r = 0; r < std::max(1, repeats.getValue()); ++r) {
    auto start = std::chrono::steady_clock::now();
    for (int s = 0; s < steps; ++s)
      program.step({images, labels}, 0.01);
    double run = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    seconds = r == 0 ? run : std::min(seconds, run);
  }
  std::printf("%-4s batch %4lld  %10.0f images/s  %8.2f ms/step  (compile %.2f s)\n", name.c_str(),
              (long long)batch, steps * batch / seconds, 1e3 * seconds / steps, compileSeconds);
  std::fflush(stdout);
}

int main(int argc, char **argv) {
  cl::ParseCommandLineOptions(argc, argv, "graphc training-step benchmark\n");
  if (optimizerName != "sgd" && optimizerName != "adam") {
    std::fprintf(stderr, "train_bench: --optimizer must be sgd or adam, not '%s'\n",
                 optimizerName.c_str());
    return 2;
  }
  setNumThreads(threadCount);
  std::vector<int64_t> sizes(batches.begin(), batches.end());
  if (sizes.empty())
    sizes = {64, 256};
  for (int64_t batch : sizes) {
    if (modelName == "mlp" || modelName == "all") {
      manualSeed(0);
      auto mlp = std::make_shared<nn::Sequential>(
          std::make_shared<nn::Linear>(784, 128), std::make_shared<nn::ReLU>(),
          std::make_shared<nn::Linear>(128, 64), std::make_shared<nn::ReLU>(),
          std::make_shared<nn::Linear>(64, 10));
      bench("mlp", *mlp, {784}, batch);
    }
    if (modelName == "cnn" || modelName == "all") {
      manualSeed(0);
      LeNet5 net;
      bench("cnn", net, {1, 28, 28}, batch);
    }
  }
  return 0;
}
