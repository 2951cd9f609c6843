// linear_regression: seed 004's SimpleModel (Linear(2,3), ReLU, Linear(3,1))
// trained with SGD(lr=0.01) and MSELoss on random pairs, printing
// `Epoch k, Loss: ...` like the seed. The loss, its gradients and the SGD
// update are one compiled train step. With --seed 0 (the default) the
// weights and the data are PyTorch's for torch.manual_seed(0), so every
// printed loss matches PyTorch's. --save writes the trained state_dict
// (safetensors), --load reads one, as torch.save/load_state_dict.
#include "graphc/Builder.h"

#include "ExampleFlags.h"
#include "llvm/Support/CommandLine.h"

#include <charconv>
#include <iostream>

using namespace graphc;

namespace cl = llvm::cl;
static cl::OptionCategory &flags = example_flags::category();
static cl::opt<uint64_t> seed("seed", cl::cat(flags),
                              cl::desc("Seed, as torch.manual_seed (default 0)"), cl::init(0));
static cl::opt<int> epochs("epochs", cl::cat(flags), cl::desc("Number of epochs (default 10)"),
                           cl::init(10));
static cl::opt<double> learningRate("lr", cl::cat(flags), cl::desc("Learning rate (default 0.01)"),
                                    cl::init(0.01));
static cl::opt<std::string> save("save", cl::cat(flags),
                                 cl::desc("Write the trained state_dict to FILE"),
                                 cl::value_desc("FILE"));
static cl::opt<std::string> load("load", cl::cat(flags),
                                 cl::desc("Start from the state_dict in FILE"),
                                 cl::value_desc("FILE"));
static cl::opt<std::string> emitGraph("emit-graph", cl::cat(flags),
                                      cl::desc("Write the traced graph to FILE"),
                                      cl::value_desc("FILE"));

struct SimpleModel : nn::Module {
  SimpleModel() {
    layer1 = registerModule("layer1", std::make_shared<nn::Linear>(2, 3));
    layer2 = registerModule("layer2", std::make_shared<nn::ReLU>());
    layer3 = registerModule("layer3", std::make_shared<nn::Linear>(3, 1));
  }
  graphc::Tensor forward(const graphc::Tensor &x) override {
    return (*layer3)((*layer2)((*layer1)(x)));
  }
  std::shared_ptr<nn::Linear> layer1, layer3;
  std::shared_ptr<nn::ReLU> layer2;
};

/// Python's repr of a float: the shortest text that reads back the same double.
static std::string pythonFloat(double value) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  std::string text(buffer, end);
  if (text.find_first_of(".en") == std::string::npos)
    text += ".0";
  return text;
}

int main(int argc, char **argv) {
  example_flags::parse(argc, argv, "graphc example: seed 004, a small regression\n");
  try {
    manualSeed(seed);
    SimpleModel model;
    if (!load.empty())
      model.loadStateDict(rt::loadSafetensors(load));
    std::cout << model << "\n";

    nn::MSELoss criterion;
    Graph graph = trace(model, {{"inputs", {1, 2}}, {"targets", {1, 1}}},
                        [&](const std::vector<graphc::Tensor> &xs) {
                          return std::vector<graphc::Tensor>{criterion(model(xs[0]), xs[1])};
                        },
                        TraceOptions{"forward", /*dynamicBatch=*/false});
    graph.addTrainStep(OptimizerConfig::sgd());
    if (!emitGraph.empty())
      graph.save(emitGraph);
    CompiledTrainStep program = graph.compileTrainStep();

    for (int epoch = 0; epoch < epochs; ++epoch) {
      rt::Tensor inputs = rand({1, 2});  // torch.rand(1, 2)
      rt::Tensor targets = rand({1, 1}); // torch.rand(1, 1)
      double loss = program.step({inputs, targets}, learningRate);
      std::cout << "Epoch " << epoch + 1 << ", Loss: " << pythonFloat(loss) << "\n";
    }
    if (!save.empty()) {
      rt::saveSafetensors(save, model.stateDict());
      std::cerr << "wrote " << save << "\n";
    }
  } catch (const std::exception &e) {
    std::cerr << "linear_regression: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
