// lenet_forward: the seed-000/001 walk-through of the LeNet-style `Net`.
//
//   net = Net(); print(net)
//   params = list(net.parameters()); print(len(params)); print(params[0].size())
//   input = torch.rand(1, 1, 32, 32); out = net(input); print(out)
//
// With the same seed the weights and the input are the ones PyTorch draws
// (graphc's generator reproduces torch.manual_seed + uniform_), so the
// printed output can be compared with PyTorch's line by line.
#include "LeNet.h"

#include "ExampleFlags.h"
#include "llvm/Support/CommandLine.h"

#include <iostream>

namespace cl = llvm::cl;

static cl::OptionCategory &flags = example_flags::category();
static cl::opt<std::string> emitGraph("emit-graph", cl::cat(flags),
                                      cl::desc("Write the traced graph (MLIR) to FILE"),
                                      cl::value_desc("FILE"));
static cl::opt<std::string> load("load", cl::cat(flags),
                                 cl::desc("Load a PyTorch-style state_dict (safetensors)"),
                                 cl::value_desc("FILE"));
static cl::opt<uint64_t> seed("seed", cl::cat(flags),
                              cl::desc("Seed, as torch.manual_seed (default 0)"), cl::init(0));

int main(int argc, char **argv) {
  example_flags::parse(argc, argv, "graphc example: the seeds' LeNet forward pass\n");
  try {
    graphc::manualSeed(seed);
    Net net;
    if (!load.empty())
      net.loadStateDict(graphc::rt::loadSafetensors(load));
    std::cout << net << "\n";
    auto params = net.parameters();
    std::cout << params.size() << "\n";
    std::cout << "torch.Size([";
    auto size = params[0].shape();
    for (size_t i = 0; i < size.size(); ++i)
      std::cout << (i ? ", " : "") << size[i];
    std::cout << "])\n";

    graphc::rt::Tensor input = graphc::rand({1, 1, 32, 32});
    graphc::Graph graph = graphc::trace(net, input);
    if (!emitGraph.empty()) {
      graph.save(emitGraph);
      std::cerr << "wrote " << emitGraph << "\n";
    }
    graphc::CompiledModule program = graph.compile();
    std::cout << program(input) << "\n";
  } catch (const std::exception &e) {
    std::cerr << "lenet_forward: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
