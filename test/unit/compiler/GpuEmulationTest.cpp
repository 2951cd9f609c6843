// The CUDA target's kernels, without a GPU: the training steps compiled as
// the CUDA pipeline maps them (one kernel per loop nest, over blocks and
// threads; JitOptions::emulateGpuKernels runs each launch's blocks and
// threads as loops on the CPU). The seed-003 MLP with Adam must match
// PyTorch's 100 steps (the goldens of TrainGoldenTest), and LeNet's 100
// steps must match the CPU target's within 1e-5 relative: the mapping and
// the kernel bodies are what this checks.
#include "LeNet5.h"
#include "MLP.h"
#include "TestUtil.h"

using namespace testutil;
namespace g = graphc;

namespace {

g::JitOptions emulated() {
  g::JitOptions options;
  options.emulateGpuKernels = true;
  return options;
}

double maxMagnitude(const Tensor &t) {
  double most = 0;
  for (float v : t.toVector<float>())
    most = std::max(most, std::abs(static_cast<double>(v)));
  return most;
}

} // namespace

TEST(GpuEmulation, MLPWithAdamMatchesPyTorch) {
  auto golden = g::rt::loadSafetensors(std::string(GRAPHC_GOLDEN_DIR) + "/mlp_train.safetensors");
  g::manualSeed(0);
  auto model = makeMLP(); // mlp_init's weights (torch.manual_seed(0))
  g::manualSeed(1);
  Tensor images = g::rand({2, 64, 784});
  Tensor labels = golden.at("labels");
  g::nn::NLLLoss criterion;
  g::Graph graph = g::trace(*model, {{"images", {64, 784}}, {"labels", {64}, GRAPHC_DTYPE_I64}},
                            [&](const std::vector<g::Tensor> &xs) {
                              return std::vector<g::Tensor>{criterion((*model)(xs[0]), xs[1])};
                            });
  g::CompiledTrainStep program =
      graph.addTrainStep(g::OptimizerConfig::adam()).compileTrainStep(emulated());
  const double *expected = golden.at("adam.losses").data<double>();
  for (int step = 0; step < 100; ++step) {
    double loss = program.step({rowsOf(images, step % 2), rowsOf(labels, step % 2)}, 1e-3);
    EXPECT_NEAR(loss, expected[step], 1e-4 * std::abs(expected[step])) << "step " << step;
  }
  for (auto &[name, value] : model->stateDict()) {
    ref::Array want = toRef(golden.at("adam." + name));
    double scale = 0;
    for (double v : want.data)
      scale = std::max(scale, std::abs(v));
    expectClose(value, want, 0, 1e-4 * scale, "adam " + name);
  }
}

TEST(GpuEmulation, LeNetTrainingMatchesTheCpuTarget) {
  // Two copies of the same LeNet, one compiled for the CPU, one as GPU
  // kernels, trained on the same 100 batches of 16 random images.
  auto build = [](std::shared_ptr<LeNet5> &model, const g::JitOptions &options) {
    g::manualSeed(0);
    model = std::make_shared<LeNet5>();
    g::nn::CrossEntropyLoss criterion;
    g::Graph graph = g::trace(
        *model, {{"images", {16, 1, 28, 28}}, {"labels", {16}, GRAPHC_DTYPE_I64}},
        [&](const std::vector<g::Tensor> &xs) {
          return std::vector<g::Tensor>{criterion((*model)(xs[0]), xs[1])};
        });
    return graph.addTrainStep(g::OptimizerConfig::sgd(0.9)).compileTrainStep(options);
  };
  std::shared_ptr<LeNet5> cpuModel, gpuModel;
  g::CompiledTrainStep cpu = build(cpuModel, {});
  g::CompiledTrainStep gpu = build(gpuModel, emulated());

  g::manualSeed(7);
  Tensor images = g::rand({4, 16, 1, 28, 28});
  std::vector<int64_t> labelValues(4 * 16);
  for (size_t i = 0; i < labelValues.size(); ++i)
    labelValues[i] = static_cast<int64_t>((i * 7) % 10);
  Tensor labels = Tensor::fromData(labelValues, {4, 16});
  for (int step = 0; step < 100; ++step) {
    std::vector<Tensor> batch{rowsOf(images, step % 4), rowsOf(labels, step % 4)};
    double want = cpu.step(batch, 0.01);
    double got = gpu.step(batch, 0.01);
    ASSERT_NEAR(got, want, 1e-5 * std::abs(want)) << "step " << step;
  }
  auto wantState = cpuModel->stateDict();
  for (auto &[name, value] : gpuModel->stateDict()) {
    const Tensor &want = wantState.at(name);
    double tolerance = 1e-5 * maxMagnitude(want);
    std::vector<float> a = value.toVector<float>(), b = want.toVector<float>();
    ASSERT_EQ(a.size(), b.size()) << name;
    for (size_t i = 0; i < a.size(); ++i)
      ASSERT_NEAR(a[i], b[i], tolerance) << name << "[" << i << "]";
  }
}
