// The activations, LayerNorm and the further losses against PyTorch
// (test/goldens/nn_modules.safetensors, from scripts/make_goldens.py): values
// and gradients in float64, through the modules and the functions; the
// modules' repr texts; their errors at the user's line.
#include "TestUtil.h"

using namespace testutil;
namespace g = graphc;

namespace {

const std::map<std::string, Tensor> &golden() {
  static auto tensors =
      g::rt::loadSafetensors(std::string(GRAPHC_GOLDEN_DIR) + "/nn_modules.safetensors");
  return tensors;
}

/// Runs `module` on `x` and backpropagates `upstream`: {y, dy/dx}.
std::pair<Tensor, Tensor> forwardBackward(g::nn::Module &module, const Tensor &x,
                                          const Tensor &upstream) {
  g::Graph graph = g::trace(module, {{"x", x.shape(), x.dtype(), /*requiresGrad=*/true}},
                            [&](const std::vector<g::Tensor> &xs) {
                              return std::vector<g::Tensor>{module(xs[0])};
                            });
  g::BackwardResult result = graph.differentiate().compile().backward({x}, upstream);
  return {result.outputs.at(0), result.inputGrads.at(0)};
}

void expectMatches(const Tensor &got, const std::string &key) {
  expectClose(got, toRef(golden().at(key)), 1e-12, 1e-13, key);
}

} // namespace

TEST(NNModules, ActivationsMatchPyTorch) {
  using namespace g::nn;
  std::vector<std::pair<std::string, std::shared_ptr<g::nn::Module>>> cases = {
      {"leaky_relu", std::make_shared<LeakyReLU>()},
      {"leaky_relu_0.2", std::make_shared<LeakyReLU>(0.2)},
      {"gelu", std::make_shared<GELU>()},
      {"gelu_tanh", std::make_shared<GELU>(g::GeluApproximation::Tanh)},
      {"silu", std::make_shared<SiLU>()},
      {"softplus", std::make_shared<Softplus>()},
      {"softplus_2_5", std::make_shared<Softplus>(2.0, 5.0)},
      {"elu", std::make_shared<ELU>()},
      {"elu_0.5", std::make_shared<ELU>(0.5)},
  };
  const Tensor &x = golden().at("x"), &upstream = golden().at("upstream");
  for (auto &[name, module] : cases) {
    auto [y, dx] = forwardBackward(*module, x, upstream);
    expectMatches(y, name);
    expectMatches(dx, name + ".grad");
  }
}

TEST(NNModules, ActivationsPrintAsPyTorch) {
  using namespace g::nn;
  EXPECT_EQ(LeakyReLU().str(), "LeakyReLU(negative_slope=0.01)");
  EXPECT_EQ(LeakyReLU(0.2).str(), "LeakyReLU(negative_slope=0.2)");
  EXPECT_EQ(GELU().str(), "GELU(approximate='none')");
  EXPECT_EQ(GELU(g::GeluApproximation::Tanh).str(), "GELU(approximate='tanh')");
  EXPECT_EQ(SiLU().str(), "SiLU()");
  EXPECT_EQ(Softplus().str(), "Softplus(beta=1.0, threshold=20.0)");
  EXPECT_EQ(Softplus(0.5, 1e20).str(), "Softplus(beta=0.5, threshold=1e+20)");
  EXPECT_EQ(ELU().str(), "ELU(alpha=1.0)");
  EXPECT_EQ(LayerNorm({64}).str(), "LayerNorm((64,), eps=1e-05, elementwise_affine=True)");
  EXPECT_EQ(LayerNorm({4, 5}, 0.001, false).str(),
            "LayerNorm((4, 5), eps=0.001, elementwise_affine=False)");
  EXPECT_EQ(LeakyReLU(123456.5).str(), "LeakyReLU(negative_slope=123456.5)");
  EXPECT_EQ(LeakyReLU(-0.0001).str(), "LeakyReLU(negative_slope=-0.0001)");
}

TEST(NNModules, LayerNormMatchesPyTorch) {
  const Tensor &x = golden().at("ln.x"), &upstream = golden().at("ln.upstream");
  for (auto [name, shape] : {std::pair<std::string, std::vector<int64_t>>{"ln_last", {5}},
                             std::pair<std::string, std::vector<int64_t>>{"ln_two", {4, 5}}}) {
    g::nn::LayerNorm norm(shape);
    // Initialized as PyTorch's: weight ones, bias zeros.
    EXPECT_EQ(toRef(norm.weight.value()).data, std::vector<double>(norm.weight.value().numel(), 1));
    EXPECT_EQ(toRef(norm.bias.value()).data, std::vector<double>(norm.bias.value().numel(), 0));
    // float64 parameters, as PyTorch's norm.double() (loadStateDict keeps dtypes).
    norm.weight.setValue(golden().at(name + ".weight"));
    norm.bias.setValue(golden().at(name + ".bias"));
    auto [y, dx] = forwardBackward(norm, x, upstream);
    expectMatches(y, name);
    expectMatches(dx, name + ".grad_x");
    expectMatches(norm.weight.grad(), name + ".grad_weight");
    expectMatches(norm.bias.grad(), name + ".grad_bias");
  }
}

TEST(NNModules, LayerNormChecksItsShapeAtTheCallersLine) {
  g::nn::LayerNorm norm({6});
  try {
    g::trace(norm, Tensor::zeros({2, 5}));
    FAIL() << "expected a TraceError";
  } catch (const g::TraceError &e) {
    EXPECT_EQ(e.op(), "layer_norm");
    EXPECT_NE(std::string(e.what()).find("normalized_shape [6] must equal the input's last "
                                         "dimensions, got input [?, 5]"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(g::nn::LayerNorm({0}), std::invalid_argument);
}

namespace {
struct LossCase {
  const char *name;
  std::function<std::shared_ptr<g::nn::Loss>(g::Reduction)> make;
};
} // namespace

TEST(NNModules, RegressionLossesMatchPyTorch) {
  using namespace g::nn;
  const LossCase cases[] = {
      {"l1", [](g::Reduction r) { return std::make_shared<L1Loss>(r); }},
      {"smooth_l1", [](g::Reduction r) { return std::make_shared<SmoothL1Loss>(r); }},
      {"smooth_l1_0.5", [](g::Reduction r) { return std::make_shared<SmoothL1Loss>(r, 0.5); }},
      {"smooth_l1_0", [](g::Reduction r) { return std::make_shared<SmoothL1Loss>(r, 0.0); }},
      {"huber", [](g::Reduction r) { return std::make_shared<HuberLoss>(r); }},
      {"huber_2", [](g::Reduction r) { return std::make_shared<HuberLoss>(r, 2.0); }},
  };
  const Tensor &input = golden().at("prediction"), &target = golden().at("target");
  for (const LossCase &c : cases)
    for (auto [reduction, suffix] : {std::pair{g::Reduction::Mean, ".mean"},
                                     std::pair{g::Reduction::Sum, ".sum"}}) {
      auto loss = c.make(reduction);
      g::nn::Module none;
      g::Graph graph = g::trace(
          none, {{"input", input.shape(), input.dtype(), true}, {"target", target.shape(), target.dtype()}},
          [&](auto &xs) { return std::vector<g::Tensor>{(*loss)(xs[0], xs[1])}; });
      g::BackwardResult result = graph.differentiate().compile().backward({input, target});
      expectMatches(result.outputs.at(0), std::string(c.name) + suffix);
      if (reduction == g::Reduction::Mean)
        expectMatches(result.inputGrads.at(0), std::string(c.name) + ".grad");
    }
}

TEST(NNModules, CrossEntropyIgnoreIndexAndLabelSmoothingMatchPyTorch) {
  struct Case {
    const char *name;
    int64_t ignoreIndex;
    double smoothing;
  };
  const Tensor &logits = golden().at("logits");
  Tensor classes = golden().at("classes");
  Tensor clamped = Tensor::zeros(classes.shape(), classes.dtype());
  for (int64_t i = 0; i < classes.numel(); ++i)
    clamped.data<int64_t>()[i] = std::max<int64_t>(0, classes.data<int64_t>()[i]);
  for (const Case &c : {Case{"ce_ignore", g::kDefaultIgnoreIndex, 0.0},
                        Case{"ce_smooth", g::kDefaultIgnoreIndex, 0.1},
                        Case{"ce_ignore2_smooth", 2, 0.25}}) {
    const Tensor &labels = c.ignoreIndex == 2 ? clamped : classes;
    for (auto [reduction, suffix] : {std::pair{g::Reduction::Mean, ".mean"},
                                     std::pair{g::Reduction::Sum, ".sum"},
                                     std::pair{g::Reduction::None, ".none"}}) {
      g::nn::CrossEntropyLoss loss(reduction, c.ignoreIndex, c.smoothing);
      g::nn::Module none;
      g::Graph graph = g::trace(
          none,
          {{"logits", logits.shape(), logits.dtype(), true}, {"labels", labels.shape(), labels.dtype()}},
          [&](auto &xs) { return std::vector<g::Tensor>{loss(xs[0], xs[1])}; });
      g::CompiledModule program = graph.differentiate().compile();
      std::string what = std::string(c.name) + suffix;
      if (reduction == g::Reduction::None) {
        expectMatches(program.run({logits, labels}).at(0), what);
        continue;
      }
      g::BackwardResult result = program.backward({logits, labels});
      expectMatches(result.outputs.at(0), what);
      if (reduction == g::Reduction::Mean)
        expectMatches(result.inputGrads.at(0), std::string(c.name) + ".grad");
    }
  }
  // nll_loss ignores -100 too, and its mean divides by the rows kept.
  const Tensor &logp = golden().at("log_probabilities");
  g::nn::Module none;
  g::Graph graph = g::trace(
      none, {{"logp", logp.shape(), logp.dtype(), true}, {"labels", classes.shape(), classes.dtype()}},
      [&](auto &xs) { return std::vector<g::Tensor>{g::nll_loss(xs[0], xs[1])}; });
  g::BackwardResult result = graph.differentiate().compile().backward({logp, classes});
  expectMatches(result.outputs.at(0), "nll_ignore.mean");
  expectMatches(result.inputGrads.at(0), "nll_ignore.grad");
}

TEST(NNModules, LossOptionsOutOfRangeAreTraceErrors) {
  g::nn::Module none;
  auto traceLoss = [&](std::function<g::Tensor(const g::Tensor &, const g::Tensor &)> fn) {
    g::trace(none, {{"x", {4, 3}}, {"y", {4, 3}}},
             [&](auto &xs) { return std::vector<g::Tensor>{fn(xs[0], xs[1])}; });
  };
  EXPECT_THROW(traceLoss([](auto &x, auto &y) { return g::huber_loss(x, y, g::Reduction::Mean, 0.0); }),
               g::TraceError);
  EXPECT_THROW(traceLoss([](auto &x, auto &y) { return g::smooth_l1_loss(x, y, g::Reduction::Mean, -1.0); }),
               g::TraceError);
  EXPECT_THROW(g::trace(none, {{"x", {4, 3}}, {"y", {4}, GRAPHC_DTYPE_I64}},
                        [](auto &xs) {
                          return std::vector<g::Tensor>{
                              g::cross_entropy(xs[0], xs[1], g::Reduction::Mean, -100, 1.5)};
                        }),
               g::TraceError);
}

TEST(NNModules, EmbeddingMatchesPyTorchWithAndWithoutPadding) {
  auto golden = g::rt::loadSafetensors(std::string(GRAPHC_GOLDEN_DIR) + "/embedding.safetensors");
  const Tensor &indices = golden.at("indices"), &upstream = golden.at("upstream");
  for (auto [name, padding] : {std::pair<std::string, std::optional<int64_t>>{"plain", std::nullopt},
                               std::pair<std::string, std::optional<int64_t>>{"padding", 2}}) {
    g::nn::Embedding embed(7, 3, padding);
    embed.weight.setValue(golden.at("weight")); // float64, as PyTorch's .double()
    g::Graph graph = g::trace(embed, {{"indices", indices.shape(), indices.dtype()}},
                              [&](const std::vector<g::Tensor> &xs) {
                                return std::vector<g::Tensor>{embed(xs[0])};
                              });
    graph.differentiate();
    // On the CPU, and as GPU kernels mapped to blocks and threads (emulated).
    for (bool gpu : {false, true}) {
      g::JitOptions options;
      options.emulateGpuKernels = gpu;
      embed.zeroGrad();
      g::BackwardResult result = graph.compile(options).backward({indices}, upstream);
      std::string what = name + (gpu ? " (GPU kernels)" : "");
      expectClose(result.outputs.at(0), toRef(golden.at(name + ".y")), 0, 0, what);
      expectClose(embed.weight.grad(), toRef(golden.at(name + ".grad_weight")), 1e-12, 1e-13,
                  what + " gradient");
    }
  }
}

TEST(NNModules, EmbeddingInitPrintsAndIndexErrors) {
  g::manualSeed(0);
  g::nn::Embedding embed(10, 4, /*paddingIdx=*/-1);
  EXPECT_EQ(embed.str(), "Embedding(10, 4, padding_idx=9)");
  EXPECT_EQ(g::nn::Embedding(5, 2).str(), "Embedding(5, 2)");
  // N(0, 1), with the padding row zero.
  const float *w = embed.weight.value().data<float>();
  double sum = 0;
  for (int i = 0; i < 36; ++i)
    sum += w[i] * w[i];
  EXPECT_GT(sum / 36, 0.3);
  for (int j = 0; j < 4; ++j)
    EXPECT_EQ(w[36 + j], 0.0f);
  // An index outside the table reads zeros (PyTorch raises IndexError).
  Tensor ids = Tensor::fromData(std::vector<int64_t>{0, 10, -1, 3}, {4});
  Tensor y = g::trace(embed, ids).compile()(ids);
  for (int j = 0; j < 4; ++j) {
    EXPECT_EQ(y.data<float>()[4 + j], 0.0f);
    EXPECT_EQ(y.data<float>()[8 + j], 0.0f);
    EXPECT_EQ(y.data<float>()[12 + j], w[12 + j]);
  }
  EXPECT_THROW(g::trace(embed, Tensor::zeros({4})), g::TraceError); // float indices
  EXPECT_THROW(g::nn::Embedding(5, 2, 5), std::invalid_argument);
}
