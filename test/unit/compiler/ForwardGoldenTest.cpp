// The examples' models against PyTorch (test/goldens, from scripts/make_goldens.py):
// the same weights and input give the same output within 1e-5, and graphc's
// seeded initialization reproduces torch.manual_seed(0) + the default init.
#include "LeNet.h"
#include "MLP.h"
#include "TestUtil.h"

using namespace testutil;
namespace g = graphc;

namespace {

std::map<std::string, Tensor> golden(const std::string &name) {
  return g::rt::loadSafetensors(std::string(GRAPHC_GOLDEN_DIR) + "/" + name + ".safetensors");
}

/// The golden file minus input/output is the PyTorch state_dict.
void loadWeights(g::nn::Module &model, std::map<std::string, Tensor> file) {
  file.erase("input");
  file.erase("output");
  model.loadStateDict(file);
}

void expectForwardMatches(g::nn::Module &model, const std::string &name) {
  auto file = golden(name);
  loadWeights(model, file);
  Tensor input = file.at("input");
  Tensor output = g::trace(model, input).compile()(input);
  expectClose(output, toRef(file.at("output")), 1e-5, 1e-5, name);
}

} // namespace

TEST(ForwardGolden, LeNetMatchesPyTorch) {
  Net net;
  expectForwardMatches(net, "lenet_forward");
}

TEST(ForwardGolden, MLPMatchesPyTorch) {
  auto mlp = makeMLP();
  expectForwardMatches(*mlp, "mlp_forward");
}

TEST(ForwardGolden, SeededInitIsPyTorchsBitForBit) {
  g::manualSeed(0);
  auto mlp = makeMLP();
  auto expected = golden("mlp_init");
  auto state = mlp->stateDict();
  ASSERT_EQ(state.size(), expected.size());
  for (auto &[name, tensor] : expected)
    expectClose(state.at(name), toRef(tensor), 0, 0, name);
}
