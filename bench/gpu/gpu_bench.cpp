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
#include <random>
#include <string>
#include <vector>

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

// A number as JSON: NaN and infinities (a GPU result gone wrong) as strings,
// which summary.py reports as not met.
std::string json(double value, const char* format = "%.3g") {
  if (!std::isfinite(value)) return std::isnan(value) ? "\"nan\"" : "\"inf\"";
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
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

std::string benchModel(const char* name, const graphc_model_t* gpuModel,
                       const graphc_model_t* cpuModel, const std::vector<int64_t>& imageShape,
                       const Options& o) {
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
  double worstGradient = 0;
  std::string worstGradientName;
  for (int step = 0; step < o.steps; ++step) {
    const Batch& b = batches[step % batches.size()];
    double lossGpu = gpu.trainStep(b.images, b.labels, o.lr);
    double lossCpu = cpu.trainStep(b.images, b.labels, o.lr);
    worstLoss = worse(worstLoss, std::fabs(lossGpu - lossCpu) / std::max(1e-6, std::fabs(lossCpu)));
    if (step == 0) {
      firstLoss = lossCpu;
      auto gpuState = gpu.tensors(), cpuState = cpu.tensors();
      for (auto& [tensorName, tensor] : cpuState) {
        if (tensorName.rfind("optimizer.exp_avg.", 0) != 0) continue;
        double difference = relativeDifference(tensor, gpuState.at(tensorName));
        if (std::isnan(difference) || difference >= worstGradient) {
          worstGradient = difference;
          worstGradientName = tensorName.substr(std::strlen("optimizer.exp_avg."));
        }
      }
    }
    lastLoss = lossCpu;
  }
  if (worstGradientName.empty())  // no exp_avg: not Adam, nothing was compared
    worstGradient = std::nan("");
  double worstTensor = 0;
  std::string worstName;
  auto gpuTensors = gpu.tensors(), cpuTensors = cpu.tensors();
  for (auto& [tensorName, tensor] : cpuTensors) {
    double difference = relativeDifference(tensor, gpuTensors.at(tensorName));
    if (std::isnan(difference) || difference >= worstTensor) {
      worstTensor = difference;
      worstName = tensorName;
    }
  }
  Tensor logitsGpu = gpu.forward(batches[0].images), logitsCpu = cpu.forward(batches[0].images);
  double worstLogits = relativeDifference(logitsCpu, logitsGpu);
  // The timing.
  graphc_program_set_cuda_graphs(gpu.get(), 1);
  auto [graphMedian, graphMean] = timeSteps(gpu, batches, o.timed, o.lr);
  int64_t replays = graphc_program_cuda_graph_replays(gpu.get());
  graphc_program_set_cuda_graphs(gpu.get(), 0);
  auto [streamMedian, streamMean] = timeSteps(gpu, batches, o.timed, o.lr);
  auto [cpuMedian, cpuMean] = timeSteps(cpu, batches, std::max(o.timed / 10, 20), o.lr);
  return "\"" + std::string(name) + "\": {\"steps_compared\": " + std::to_string(o.steps) +
         ", \"loss_first\": " + json(firstLoss, "%.6g") + ", \"loss_last\": " +
         json(lastLoss, "%.6g") + ", \"worst_loss_relative_difference\": " + json(worstLoss) +
         ", \"forward_at_init_relative_difference\": " + json(initialLogits) +
         ", \"worst_first_gradient_relative_difference\": " + json(worstGradient) +
         ", \"worst_first_gradient\": \"" + worstGradientName + "\"" +
         ", \"worst_tensor_relative_difference\": " + json(worstTensor) +
         ", \"worst_tensor\": \"" + worstName +
         "\", \"forward_relative_difference\": " + json(worstLogits) +
         ", \"train_step_us_cuda_graph\": {\"median\": " + json(graphMedian, "%.1f") +
         ", \"mean\": " + json(graphMean, "%.1f") +
         "}, \"train_step_us_streams\": {\"median\": " + json(streamMedian, "%.1f") +
         ", \"mean\": " + json(streamMean, "%.1f") +
         "}, \"train_step_us_cpu\": {\"median\": " + json(cpuMedian, "%.1f") +
         ", \"mean\": " + json(cpuMean, "%.1f") + "}, \"graph_replays\": " +
         std::to_string(replays) + ", \"batch\": " + std::to_string(o.batch) + "}";
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
  auto run = [&](const char* name, const graphc_model_t* gpuModel, const graphc_model_t* cpuModel,
                 const std::vector<int64_t>& imageShape, bool& failed) {
    try {
      return benchModel(name, gpuModel, cpuModel, imageShape, o);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "gpu_bench: %s: %s\n", name, e.what());
      failed = true;
      std::string message;
      for (const char* c = e.what(); *c; ++c)
        if (*c == '"' || *c == '\\') message += ' ';
        else if (static_cast<unsigned char>(*c) >= 0x20) message += *c;
      return "\"" + std::string(name) + "\": {\"error\": \"" + message + "\"}";
    }
  };
  bool failed = false;
  std::string lenet = run("lenet", &lenet_cuda_model, &lenet_cpu_model, {1, 28, 28}, failed);
  std::string mlp = run("mlp", &mlp_cuda_model, &mlp_cpu_model, {784}, failed);
  std::printf("{\"device\": \"%s\", \"compute_capability\": \"%d.%d\", \"driver\": %d, %s, %s}\n",
              device, major, minor, driver, lenet.c_str(), mlp.c_str());
  return failed ? 1 : 0;
}
