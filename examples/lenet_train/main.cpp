// lenet_train: the seeds' LeNet-style CNN (the 5x5 `Net` of seed 001, with
// padding=2 on conv1 for 28x28 input) trained on Fashion-MNIST with Adam
// through the DSL and the JIT, like the seeds' PyTorch training loop;
// `--model convnet_bn` trains a CNN of Conv-BatchNorm-ReLU blocks with
// Dropout instead.
#include "ConvNetBN.h"
#include "LeNet5.h"
#include "TrainingFlags.h"

namespace {
llvm::cl::opt<std::string> modelName("model", llvm::cl::cat(training_flags::flags),
                                     llvm::cl::desc("lenet5 (default) or convnet_bn"),
                                     llvm::cl::init("lenet5"));

std::shared_ptr<graphc::nn::Module> makeModel() {
  if (modelName == "lenet5")
    return std::make_shared<LeNet5>();
  if (modelName == "convnet_bn")
    return std::make_shared<ConvNetBN>();
  throw std::invalid_argument("--model must be lenet5 or convnet_bn, got '" + modelName + "'");
}
} // namespace

int main(int argc, char **argv) {
  training_flags::parse(argc, argv,
                                    "graphc example: train the seeds' CNN on Fashion-MNIST\n");
  try {
    graphc::manualSeed(training_flags::seed);
    std::shared_ptr<graphc::nn::Module> model = makeModel();
    graphc::nn::Module &net = *model;
    if (training_flags::emitGraphIfAsked(net, {1, 28, 28}, "cross_entropy"))
      return 0;
    std::cout << net << "\n";
    graphc::FitOptions options;
    options.loss = graphc::ClassificationLoss::CrossEntropy;
    options.optimizer = training_flags::optimizerConfig();
    options.microBatch = training_flags::microBatch;
    auto summary = graphc::fit(net, options, training_flags::config(modelName));
    if (summary.interruptedBy)
      return 128 + summary.interruptedBy; // SIGINT 130, SIGTERM 143
    std::cout << "test accuracy: " << 100 * summary.testAccuracy << "%\n";
  } catch (const std::exception &e) {
    std::cerr << "lenet_train: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
