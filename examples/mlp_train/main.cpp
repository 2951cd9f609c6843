// mlp_train: the seed-003 MLP (784-128-64-10, LogSoftmax) trained with
// NLLLoss and SGD on Fashion-MNIST, images flattened as in the seed
// (images.view(images.shape[0], -1)).
#include "MLP.h"
#include "TrainingFlags.h"

int main(int argc, char **argv) {
  training_flags::parse(argc, argv,
                                    "graphc example: train the seed-003 MLP on Fashion-MNIST\n");
  try {
    graphc::manualSeed(training_flags::seed);
    auto model = makeMLP();
    if (training_flags::emitGraphIfAsked(*model, {784}, "nll"))
      return 0;
    std::cout << *model << "\n";
    graphc::FitOptions options;
    options.inputShape = {784};
    options.loss = graphc::ClassificationLoss::NLL;
    options.optimizer = training_flags::optimizerConfig();
    options.microBatch = training_flags::microBatch;
    auto summary = graphc::fit(*model, options, training_flags::config("mlp"));
    if (summary.interruptedBy)
      return 128 + summary.interruptedBy; // SIGINT 130, SIGTERM 143
    std::cout << "test accuracy: " << 100 * summary.testAccuracy << "%\n";
  } catch (const std::exception &e) {
    std::cerr << "mlp_train: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
