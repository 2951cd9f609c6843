// Every loss against PyTorch (test/goldens/losses.safetensors): values for
// both reductions and the gradient of the mean loss; stability for extreme
// logits; shape errors at trace time.
#include "TestUtil.h"

using namespace testutil;
namespace g = graphc;

namespace {

struct LossCase {
  const char *name;
  const char *input;
  const char *target;
  std::function<g::Tensor(const g::Tensor &, const g::Tensor &, g::Reduction)> fn;
};

const LossCase kCases[] = {
    {"mse", "prediction", "regression_target",
     [](auto &x, auto &y, g::Reduction r) { return g::mse_loss(x, y, r); }},
    {"cross_entropy", "logits", "classes",
     [](auto &x, auto &y, g::Reduction r) { return g::cross_entropy(x, y, r); }},
    {"nll", "log_probabilities", "classes",
     [](auto &x, auto &y, g::Reduction r) { return g::nll_loss(x, y, r); }},
    {"bce_with_logits", "prediction", "binary_target",
     [](auto &x, auto &y, g::Reduction r) { return g::binary_cross_entropy_with_logits(x, y, r); }},
};

} // namespace

TEST(Losses, ValuesAndGradientsMatchPyTorch) {
  auto golden = g::rt::loadSafetensors(std::string(GRAPHC_GOLDEN_DIR) + "/losses.safetensors");
  for (const LossCase &c : kCases) {
    Tensor input = golden.at(c.input), target = golden.at(c.target);
    for (auto [reduction, suffix] : {std::pair{g::Reduction::Mean, ".mean"},
                                     std::pair{g::Reduction::Sum, ".sum"}}) {
      g::nn::Module none;
      g::Graph graph = g::trace(
          none,
          {{"input", input.shape(), input.dtype(), true}, {"target", target.shape(), target.dtype()}},
          [&, reduction = reduction](auto &xs) {
            return std::vector<g::Tensor>{c.fn(xs[0], xs[1], reduction)};
          });
      g::CompiledModule program = graph.differentiate().compile();
      g::BackwardResult result = program.backward({input, target});
      std::string what = std::string(c.name) + suffix;
      expectClose(result.outputs.at(0), toRef(golden.at(what)), 1e-12, 1e-12, what);
      if (reduction == g::Reduction::Mean)
        expectClose(result.inputGrads.at(0), toRef(golden.at(std::string(c.name) + ".grad")),
                    1e-12, 1e-12, std::string(c.name) + " gradient");
    }
  }
}

TEST(Losses, StableForExtremeLogits) {
  // log-sum-exp and the softplus form keep large logits finite.
  Tensor logits = Tensor::fromData({1000.f, -1000.f, 0.f, 500.f}, {2, 2});
  Tensor classes = Tensor::fromData(std::vector<int64_t>{1, 0}, {2});
  g::nn::Module none;
  auto ce = g::trace(none, {{"x", {2, 2}}, {"y", {2}, GRAPHC_DTYPE_I64}}, [](auto &xs) {
    return std::vector<g::Tensor>{g::cross_entropy(xs[0], xs[1])};
  }).compile().run({logits, classes}).at(0);
  EXPECT_FLOAT_EQ(ce.data<float>()[0], 1250.0f); // (2000 + 500) / 2
  Tensor targets = Tensor::fromData({0.f, 1.f, 1.f, 0.f}, {2, 2});
  auto bce = g::trace(none, {{"x", {2, 2}}, {"y", {2, 2}}}, [](auto &xs) {
    return std::vector<g::Tensor>{g::binary_cross_entropy_with_logits(xs[0], xs[1])};
  }).compile().run({logits, targets}).at(0);
  EXPECT_TRUE(std::isfinite(bce.data<float>()[0]));
  EXPECT_NEAR(bce.data<float>()[0], (1000 + 1000 + std::log(2.0) + 500) / 4, 1e-3);
}

TEST(Losses, ShapeMismatchIsATraceError) {
  g::nn::Module none;
  EXPECT_THROW(g::trace(none, {{"x", {4, 3}}, {"y", {4, 2}}}, [](auto &xs) {
                 return std::vector<g::Tensor>{g::mse_loss(xs[0], xs[1])};
               }),
               g::TraceError);
  EXPECT_THROW(g::trace(none, {{"x", {4, 3}}, {"y", {4}}}, [](auto &xs) {
                 return std::vector<g::Tensor>{g::nll_loss(xs[0], xs[1])}; // float target
               }),
               g::TraceError);
}
