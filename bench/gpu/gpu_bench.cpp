// The CUDA target on a GPU (bench/gpu/run.sh runs it on the lent machine).
// For LeNet and the MLP, each compiled twice by graphc (--target=cuda and
// the CPU), both programs initialized alike:
//   - the self-test: the forward's logits at initialization; every
//     parameter's gradient in the first training step (Adam's exp_avg after
//     one step is 0.1 times it); N training steps on the same batches on
//     both, every step's loss compared; and, after them, every tensor and
//     the logits (each relative to the tensor's largest magnitude). Those
//     last are reported, not judged: on these noise batches (nothing to
//     learn) many gradients are near zero, and Adam turns a difference in
//     their rounding into a whole step of lr, so the two runs drift apart
//     without any kernel being wrong;
//   - the timing: microseconds per train_step at the batch size, with the
//     step replayed as a CUDA graph and with every kernel launched, each
//     call including the batch's copy to the GPU and the loss's copy back
//     (what the training loop pays), next to the CPU build's.
// Writes one JSON object. The data are random (uniform pixels, labels
// i mod 10): the comparison needs the same inputs, not real images; the
// executable's epoch on Fashion-MNIST is run.sh's other check.
//   gpu_bench [--steps N] [--timed N] [--batch B] [--lr X] > result.json
// Exits 0, 1 when a model failed on the GPU (its entry then holds the
// error; the other model's numbers are still written), 2 for bad flags, or
// 77 when there is no usable CUDA driver or device.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "graphc/runtime/cuda.h"
#include "graphc/runtime/program.hpp"

extern "C" const graphc_model_t lenet_cuda_model, lenet_cpu_model, mlp_cuda_model, mlp_cpu_model;

namespace {

using graphc::rt::Program;
using graphc::rt::Tensor;

struct Options {
  int steps = 200, timed = 500, batch = 64;
  double lr = 0.001;
};

struct Batch {
  Tensor images, labels;
};

std::vector<Batch> makeBatches(int count, int batch, const std::vector<int64_t>& imageShape) {
  std::mt19937 generator(1234);
  std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
  std::vector<Batch> batches;
  int64_t pixels = 1;
  for (int64_t d : imageShape) pixels *= d;
  for (int b = 0; b < count; ++b) {
    std::vector<float> images(batch * pixels);
    for (float& p : images) p = pixel(generator);
    std::vector<int64_t> labels(batch);
    for (int i = 0; i < batch; ++i) labels[i] = (b * batch + i) % 10;
    std::vector<int64_t> shape{batch};
    shape.insert(shape.end(), imageShape.begin(), imageShape.end());
    batches.push_back({Tensor::fromData(images, shape), Tensor::fromData(labels, {batch})});
  }
  return batches;
}

// The larger difference, where NaN counts as the largest (std::max would
// keep the first argument and hide it).
double worse(double worst, double difference) {
  return std::isnan(difference) || difference > worst ? difference : worst;
}

double relativeDifference(const Tensor& a, const Tensor& b) {
  if (a.dtype() != GRAPHC_DTYPE_F32) return 0;  // the step count, the generator state
  const float* x = a.data<float>();
  const float* y = b.data<float>();
  double largest = 0, worst = 0;
  for (int64_t i = 0; i < a.numel(); ++i) largest = std::max(largest, std::fabs(double(x[i])));
  for (int64_t i = 0; i < a.numel(); ++i) worst = worse(worst, std::fabs(double(x[i]) - y[i]));
  return largest > 0 ? worst / largest : worst;
}

// The tensor of `cpu` (named with `prefix`, which the name loses) that
// differs most from its namesake in `gpu`; NaN when none is named so.
struct Worst {
  double difference = std::nan("");
  std::string name;
};
Worst worstOf(const std::map<std::string, Tensor>& cpu, const std::map<std::string, Tensor>& gpu,
              const std::string& prefix = "") {
  Worst worst;
  for (auto& [name, tensor] : cpu) {
    if (name.rfind(prefix, 0) != 0) continue;
    double difference = relativeDifference(tensor, gpu.at(name));
    if (worst.name.empty() || std::isnan(difference) || difference >= worst.difference)
      worst = {difference, name.substr(prefix.size())};
  }
  return worst;
}

// Microseconds per step: the median of `count` steps after `count / 10` warm-up steps.
std::pair<double, double> timeSteps(Program& program, const std::vector<Batch>& batches, int count,
                                    double lr) {
  for (int i = 0; i < std::max(count / 10, 3); ++i) {
    const Batch& b = batches[i % batches.size()];
    program.trainStep(b.images, b.labels, lr);
  }
  std::vector<double> micros;
  auto all = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) {
    const Batch& b = batches[i % batches.size()];
    auto start = std::chrono::steady_clock::now();
    program.trainStep(b.images, b.labels, lr);
    micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
  }
  double mean = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - all)
                    .count() / count;
  std::nth_element(micros.begin(), micros.begin() + count / 2, micros.end());
  return {micros[count / 2], mean};
}

nlohmann::json benchModel(const graphc_model_t* gpuModel, const graphc_model_t* cpuModel,
                          const std::vector<int64_t>& imageShape, const Options& o) {
  std::vector<Batch> batches = makeBatches(std::max(o.steps, 16), o.batch, imageShape);
  Program gpu(gpuModel), cpu(cpuModel);
  gpu.init(0);
  cpu.init(0);
  // The self-test. First the forward pass at initialization (the same
  // parameters on both), then the gradients of the first step: after one
  // Adam step exp_avg is exactly (1 - beta1) times the gradient, so comparing
  // it compares every parameter's gradient.
  Tensor initialGpu = gpu.forward(batches[0].images), initialCpu = cpu.forward(batches[0].images);
  double initialLogits = relativeDifference(initialCpu, initialGpu);
  double worstLoss = 0, firstLoss = 0, lastLoss = 0;
  Worst gradient;
  for (int step = 0; step < o.steps; ++step) {
    const Batch& b = batches[step % batches.size()];
    double lossGpu = gpu.trainStep(b.images, b.labels, o.lr);
    double lossCpu = cpu.trainStep(b.images, b.labels, o.lr);
    worstLoss = worse(worstLoss, std::fabs(lossGpu - lossCpu) / std::max(1e-6, std::fabs(lossCpu)));
    if (step == 0) {
      firstLoss = lossCpu;
      // NaN when nothing is named exp_avg (not Adam): nothing compared.
      gradient = worstOf(cpu.tensors(), gpu.tensors(), "optimizer.exp_avg.");
    }
    lastLoss = lossCpu;
  }
  Worst tensor = worstOf(cpu.tensors(), gpu.tensors());
  Tensor logitsGpu = gpu.forward(batches[0].images), logitsCpu = cpu.forward(batches[0].images);
  double worstLogits = relativeDifference(logitsCpu, logitsGpu);
  // The timing.
  graphc_program_set_cuda_graphs(gpu.get(), 1);
  auto [graphMedian, graphMean] = timeSteps(gpu, batches, o.timed, o.lr);
  int64_t replays = graphc_program_cuda_graph_replays(gpu.get());
  graphc_program_set_cuda_graphs(gpu.get(), 0);
  auto [streamMedian, streamMean] = timeSteps(gpu, batches, o.timed, o.lr);
  auto [cpuMedian, cpuMean] = timeSteps(cpu, batches, std::max(o.timed / 10, 20), o.lr);
  // NaN (a GPU result gone wrong) is written as null: summary.py reports it as not met.
  auto time = [](std::pair<double, double> t) {
    return nlohmann::json{{"median", t.first}, {"mean", t.second}};
  };
  return {{"steps_compared", o.steps},
          {"loss_first", firstLoss},
          {"loss_last", lastLoss},
          {"worst_loss_relative_difference", worstLoss},
          {"forward_at_init_relative_difference", initialLogits},
          {"worst_first_gradient_relative_difference", gradient.difference},
          {"worst_first_gradient", gradient.name},
          {"worst_tensor_relative_difference", tensor.difference},
          {"worst_tensor", tensor.name},
          {"forward_relative_difference", worstLogits},
          {"train_step_us_cuda_graph", time({graphMedian, graphMean})},
          {"train_step_us_streams", time({streamMedian, streamMean})},
          {"train_step_us_cpu", time({cpuMedian, cpuMean})},
          {"graph_replays", replays},
          {"batch", o.batch}};
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--steps") o.steps = std::atoi(argv[i + 1]);
    else if (flag == "--timed") o.timed = std::atoi(argv[i + 1]);
    else if (flag == "--batch") o.batch = std::atoi(argv[i + 1]);
    else if (flag == "--lr") o.lr = std::atof(argv[i + 1]);
    else {
      std::fprintf(stderr, "gpu_bench: unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  if (o.steps < 1 || o.timed < 10 || o.batch < 1) {
    std::fprintf(stderr, "gpu_bench: --steps >= 1, --timed >= 10, --batch >= 1\n");
    return 2;
  }
  if (graphc_status_t status = graphc_cuda_check()) {  // no driver or no device: a skip
    std::fprintf(stderr, "gpu_bench: %s\n", graphc_status_message(status));
    graphc_status_free(status);
    return 77;
  }
  char device[256];
  int32_t major = 0, minor = 0, driver = 0;
  graphc_status_free(graphc_cuda_device_info(0, device, sizeof device, &major, &minor));
  graphc_status_free(graphc_cuda_driver_version(&driver));
  // Each model on its own: one that fails on the GPU still leaves the
  // other's numbers (the lent machine's minutes are few).
  nlohmann::json result{{"device", device},
                        {"compute_capability", std::to_string(major) + "." + std::to_string(minor)},
                        {"driver", driver}};
  bool failed = false;
  auto run = [&](const char* name, const graphc_model_t* gpuModel, const graphc_model_t* cpuModel,
                 const std::vector<int64_t>& imageShape) {
    try {
      result[name] = benchModel(gpuModel, cpuModel, imageShape, o);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "gpu_bench: %s: %s\n", name, e.what());
      failed = true;
      result[name] = {{"error", e.what()}};
    }
  };
  run("lenet", &lenet_cuda_model, &lenet_cpu_model, {1, 28, 28});
  run("mlp", &mlp_cuda_model, &mlp_cpu_model, {784});
  std::printf("%s\n", result.dump().c_str());
  return failed ? 1 : 0;
}
