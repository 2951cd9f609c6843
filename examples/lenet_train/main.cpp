// lenet_train: the seeds' LeNet-style CNN (the 5x5 `Net` of seed 001, with
// padding=2 on conv1 for 28x28 input) trained on Fashion-MNIST with Adam
// through the DSL and the JIT, like the seeds' PyTorch training loop.
#include "LeNet5.h"
#include "TrainingFlags.h"

int main(int argc, char **argv) {
  training_flags::parse(argc, argv,
                                    "graphc example: train the seeds' CNN on Fashion-MNIST\n");
  try {
    graphc::manualSeed(training_flags::seed);
    LeNet5 net;
    if (training_flags::emitGraphIfAsked(net, {1, 28, 28}, "cross_entropy"))
      return 0;
    std::cout << net << "\n";
    graphc::FitOptions options;
    options.loss = graphc::ClassificationLoss::CrossEntropy;
    options.optimizer = training_flags::optimizerConfig();
    auto summary = graphc::fit(net, options, training_flags::config("lenet5"));
    if (summary.interruptedBy)
      return 128 + summary.interruptedBy; // SIGINT 130, SIGTERM 143
    std::cout << "test accuracy: " << 100 * summary.testAccuracy << "%\n";
  } catch (const std::exception &e) {
    std::cerr << "lenet_train: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
