// Training steps against PyTorch (test/goldens/mlp_train.safetensors and
// optimizers.safetensors, from scripts/make_goldens.py): the seed-003 MLP
// with NLLLoss, 100 steps of SGD with momentum, Adam, RMSprop and Adagrad
// from the same initial weights on the same batches. Every step's loss and
// the final parameters match within 1e-4.
#include "MLP.h"
#include "TestUtil.h"

using namespace testutil;
namespace g = graphc;

namespace {

void trainAndCompare(const std::string &name, const g::OptimizerConfig &optimizer, double lr,
                     const char *goldenFile = "mlp_train.safetensors") {
  auto golden = g::rt::loadSafetensors(std::string(GRAPHC_GOLDEN_DIR) + "/" + goldenFile);
  g::manualSeed(0);
  auto model = makeMLP(); // the weights of mlp_init (torch.manual_seed(0))
  g::manualSeed(1);
  Tensor images = g::rand({2, 64, 784}); // torch.rand(2, 64, 784) after manual_seed(1)
  Tensor labels = golden.at("labels");

  g::nn::NLLLoss criterion;
  g::Graph graph = g::trace(*model, {{"images", {64, 784}}, {"labels", {64}, GRAPHC_DTYPE_I64}},
                            [&](const std::vector<g::Tensor> &xs) {
                              return std::vector<g::Tensor>{criterion((*model)(xs[0]), xs[1])};
                            });
  g::CompiledTrainStep program = graph.addTrainStep(optimizer).compileTrainStep();

  const void *weightBuffer = model->stateDict().at("0.weight").rawData();
  const double *expectedLosses = golden.at(name + ".losses").data<double>();
  for (int step = 0; step < 100; ++step) {
    double loss = program.step({rowsOf(images, step % 2), rowsOf(labels, step % 2)}, lr);
    EXPECT_NEAR(loss, expectedLosses[step], 1e-4 * std::abs(expectedLosses[step]))
        << name << " step " << step;
  }
  EXPECT_EQ(program.stepCount(), 100);
  // The temporaries of all 100 steps lived in one arena.
  EXPECT_EQ(program.arenaAllocations(), 1);
  // 1e-4 relative to each tensor's largest magnitude: Adam divides by
  // sqrt(v), so a weight whose gradient hovers at zero (an always-dark
  // pixel's) amplifies float rounding in the gradient's summation order.
  for (auto &[param, value] : model->stateDict()) {
    ref::Array want = toRef(golden.at(name + "." + param));
    double scale = 0;
    for (double v : want.data)
      scale = std::max(scale, std::abs(v));
    expectClose(value, want, 0, 1e-4 * scale, name + " " + param);
  }
  // Updated in place: the parameter kept its buffer.
  EXPECT_EQ(model->stateDict().at("0.weight").rawData(), weightBuffer);
}

} // namespace

TEST(TrainGolden, MLPWithSGDMomentumMatchesPyTorch) {
  trainAndCompare("sgd", g::OptimizerConfig::sgd(/*momentum=*/0.9), 0.01);
}

TEST(TrainGolden, MLPWithAdamMatchesPyTorch) {
  trainAndCompare("adam", g::OptimizerConfig::adam(), 1e-3);
}

TEST(TrainGolden, MLPWithRMSpropMatchesPyTorch) {
  trainAndCompare("rmsprop", g::OptimizerConfig::rmsprop(), 1e-4, "optimizers.safetensors");
}

TEST(TrainGolden, MLPWithCenteredRMSpropWithMomentumAndDecayMatchesPyTorch) {
  trainAndCompare("rmsprop_all",
                  g::OptimizerConfig::rmsprop(/*alpha=*/0.9, /*eps=*/1e-6, /*weightDecay=*/0.01,
                                              /*momentum=*/0.5, /*centered=*/true),
                  1e-4, "optimizers.safetensors");
}

TEST(TrainGolden, MLPWithAdagradMatchesPyTorch) {
  trainAndCompare("adagrad", g::OptimizerConfig::adagrad(), 1e-3, "optimizers.safetensors");
}

TEST(TrainGolden, MLPWithAdagradWithDecayAndInitialValueMatchesPyTorch) {
  trainAndCompare("adagrad_all",
                  g::OptimizerConfig::adagrad(/*lrDecay=*/0.01, /*weightDecay=*/0.001,
                                              /*initialAccumulatorValue=*/0.1, /*eps=*/1e-8),
                  0.01, "optimizers.safetensors");
}
