// mlp_forward: the seed-003 MLP on a batch of 64 flattened 28x28 images.
//
//   model = nn.Sequential(...); print(model)
//   images = torch.rand(64, 1, 28, 28).view(64, -1)
//   logps = model(images); print(logps.shape); print(torch.exp(logps).sum(dim=1)[:5])
//
// The input is drawn from the seeded generator, like torch.rand after
// torch.manual_seed; the probabilities of each row sum to 1.
#include "MLP.h"

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
static cl::opt<int64_t> batch("batch", cl::cat(flags),
                              cl::desc("Batch size (default 64)"), cl::init(64));

int main(int argc, char **argv) {
  example_flags::parse(argc, argv, "graphc example: the seed-003 MLP forward pass\n");
  try {
    graphc::manualSeed(seed);
    auto model = makeMLP();
    if (!load.empty())
      model->loadStateDict(graphc::rt::loadSafetensors(load));
    std::cout << *model << "\n";
    std::cout << "parameters: " << model->numParameters() << "\n";

    graphc::rt::Tensor images = graphc::rand({batch, 784});
    graphc::Graph graph = graphc::trace(*model, images);
    if (!emitGraph.empty()) {
      graph.save(emitGraph);
      std::cerr << "wrote " << emitGraph << "\n";
    }
    graphc::CompiledModule program = graph.compile();
    graphc::rt::Tensor logps = program(images);
    auto shape = logps.shape();
    std::cout << "torch.Size([" << shape[0] << ", " << shape[1] << "])\n";

    // Probabilities: exp(log-probabilities), and each row's sum.
    std::vector<float> rowSums;
    const float *p = logps.data<float>();
    for (int64_t r = 0; r < shape[0] && r < 5; ++r) {
      double s = 0;
      for (int64_t c = 0; c < shape[1]; ++c)
        s += std::exp(p[r * shape[1] + c]);
      rowSums.push_back(static_cast<float>(s));
    }
    std::cout << graphc::rt::Tensor::fromData(rowSums, {(int64_t)rowSums.size()}) << "\n";
    std::cout << logps << "\n";
  } catch (const std::exception &e) {
    std::cerr << "mlp_forward: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
