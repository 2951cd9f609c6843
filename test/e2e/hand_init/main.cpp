// hand_init_train: a model whose parameters are not all drawn by PyTorch's
// default init: a BatchNorm-style per-feature scale of ones and a shift of
// 0.1 set by hand (registerParameter with a tensor, as nn.Parameter(
// torch.ones(64)) in PyTorch). Trained here through the DSL, and through
// `graphc --train --emit=exe` on its --emit-graph, the two must print the
// same epoch line: the hand-set values survive compilation (a compiled
// program starting them at 0 would not learn through the scale at all).
#include "TrainingFlags.h"

namespace {

using namespace graphc;

class ScaledMLP : public nn::Module {
public:
  ScaledMLP()
      : fc1(registerModule("fc1", std::make_shared<nn::Linear>(784, 64))),
        scale(registerParameter("scale", rt::Tensor::ones({64}))),
        shift(registerParameter("shift", rt::Tensor::full({64}, 0.1))),
        fc2(registerModule("fc2", std::make_shared<nn::Linear>(64, 10))) {}

  Tensor forward(const Tensor &x) override {
    Tensor hidden = relu((*fc1)(x) * Tensor(scale) + Tensor(shift));
    return log_softmax((*fc2)(hidden), 1);
  }

private:
  std::shared_ptr<nn::Linear> fc1;
  Parameter scale, shift;
  std::shared_ptr<nn::Linear> fc2;
};

} // namespace

int main(int argc, char **argv) {
  training_flags::parse(argc, argv,
                        "graphc test: train an MLP with hand-initialised parameters\n");
  try {
    manualSeed(training_flags::seed);
    ScaledMLP model;
    if (training_flags::emitGraphIfAsked(model, {784}, "nll"))
      return 0;
    FitOptions options;
    options.inputShape = {784};
    options.loss = ClassificationLoss::NLL;
    options.optimizer = training_flags::optimizerConfig();
    auto summary = fit(model, options, training_flags::config("hand_init"));
    std::cout << "test accuracy: " << 100 * summary.testAccuracy << "%\n";
  } catch (const std::exception &e) {
    std::cerr << "hand_init_train: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
