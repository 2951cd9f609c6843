// Buffers, train/eval modes and BatchNorm against PyTorch
// (test/goldens/batch_norm.safetensors, from scripts/make_goldens.py): every
// train-mode call's output and gradients, the running statistics after the
// calls (updated in place in the module's buffers by the compiled code), the
// eval-mode output; and a classifier with BatchNorm1d trained 20 SGD steps,
// whose training step updates the running statistics too.
#include "TestUtil.h"

using namespace testutil;
namespace g = graphc;

namespace {

const std::map<std::string, Tensor> &golden() {
  static auto tensors =
      g::rt::loadSafetensors(std::string(GRAPHC_GOLDEN_DIR) + "/batch_norm.safetensors");
  return tensors;
}

void expectMatches(const Tensor &got, const std::string &key, double tolerance = 1e-12) {
  expectClose(got, toRef(golden().at(key)), tolerance, tolerance, key);
}

/// The module in float64, as PyTorch's module.double(): parameters and the
/// running statistics (num_batches_tracked stays int64).
void toFloat64(g::nn::BatchNorm &bn, const std::string &name) {
  int64_t c = bn.numFeatures;
  if (bn.affine) {
    bn.weight.setValue(golden().at(name + ".weight"));
    bn.bias.setValue(golden().at(name + ".bias"));
  }
  if (bn.trackRunningStats) {
    bn.runningMean.setValue(Tensor::zeros({c}, GRAPHC_DTYPE_F64));
    bn.runningVar.setValue(Tensor::ones({c}, GRAPHC_DTYPE_F64));
  }
}

struct Case {
  const char *name;
  std::function<std::shared_ptr<g::nn::BatchNorm>()> make;
  int calls;
};

} // namespace

TEST(BatchNorm, TrainAndEvalModesMatchPyTorch) {
  using namespace g::nn;
  const Case cases[] = {
      {"bn2d", [] { return std::make_shared<BatchNorm2d>(3); }, 2},
      {"bn1d_cumulative", [] { return std::make_shared<BatchNorm1d>(5, 1e-5, std::nullopt); }, 3},
      {"bn1d_3d", [] { return std::make_shared<BatchNorm1d>(4, 1e-3, 0.3); }, 2},
      {"bn2d_no_stats",
       [] { return std::make_shared<BatchNorm2d>(2, 1e-5, 0.1, true, /*trackRunningStats=*/false); },
       1},
      {"bn2d_no_affine", [] { return std::make_shared<BatchNorm2d>(2, 1e-5, 0.1, false); }, 1},
  };
  for (const Case &c : cases) {
    std::string name = c.name;
    auto bn = c.make();
    toFloat64(*bn, name);
    const Tensor &x0 = golden().at(name + ".0.x");
    // Traced in training mode (modules start there), with a dynamic batch.
    g::Graph graph = g::trace(*bn, {{"x", x0.shape(), x0.dtype(), /*requiresGrad=*/true}},
                              [&](const std::vector<g::Tensor> &xs) {
                                return std::vector<g::Tensor>{(*bn)(xs[0])};
                              });
    g::CompiledModule program = graph.differentiate().compile();
    for (int call = 0; call < c.calls; ++call) {
      std::string tag = name + "." + std::to_string(call);
      bn->zeroGrad();
      g::BackwardResult result =
          program.backward({golden().at(tag + ".x")}, golden().at(tag + ".upstream"));
      expectMatches(result.outputs.at(0), tag + ".y");
      expectMatches(result.inputGrads.at(0), tag + ".grad_x");
      if (bn->affine) {
        expectMatches(bn->weight.grad(), tag + ".grad_weight");
        expectMatches(bn->bias.grad(), tag + ".grad_bias");
      }
    }
    // The running statistics were updated in place, once per call.
    auto state = bn->stateDict();
    size_t expected = 0;
    for (auto &[key, value] : golden())
      if (key.rfind(name + ".state.", 0) == 0) {
        ++expected;
        std::string field = key.substr(name.size() + 7);
        ASSERT_TRUE(state.count(field)) << name << " has no " << field;
        expectMatches(state.at(field), key);
      }
    EXPECT_EQ(state.size(), expected) << name;

    bn->eval();
    const Tensor &xe = golden().at(name + ".eval.x");
    Tensor y = g::trace(*bn, xe).compile()(xe);
    expectMatches(y, name + ".eval.y");
  }
}

TEST(BatchNorm, StateDictHasPyTorchsNamesAndOrderOfRegistration) {
  g::nn::BatchNorm2d bn(6);
  std::vector<std::string> params, buffers;
  for (auto &[name, p] : bn.namedParameters())
    params.push_back(name);
  for (auto &[name, b] : bn.namedBuffers())
    buffers.push_back(name);
  EXPECT_EQ(params, (std::vector<std::string>{"weight", "bias"}));
  EXPECT_EQ(buffers, (std::vector<std::string>{"running_mean", "running_var", "num_batches_tracked"}));
  EXPECT_EQ(bn.numBatchesTracked.value().dtype(), GRAPHC_DTYPE_I64);
  EXPECT_EQ(bn.numParameters(), 12); // buffers are not parameters
  EXPECT_EQ(bn.str(), "BatchNorm2d(6, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
  EXPECT_EQ(g::nn::BatchNorm1d(4, 1e-3, std::nullopt, false, false).str(),
            "BatchNorm1d(4, eps=0.001, momentum=None, affine=False, track_running_stats=False)");
  EXPECT_TRUE(bn.isTraining());
  bn.eval();
  EXPECT_FALSE(bn.isTraining());
}

TEST(BatchNorm, WrongInputsAreTraceErrorsAtTheCallersLine) {
  g::nn::BatchNorm2d bn(3);
  try {
    g::trace(bn, Tensor::zeros({2, 4, 5, 5}));
    FAIL() << "expected a TraceError";
  } catch (const g::TraceError &e) {
    EXPECT_EQ(e.op(), "BatchNorm2d");
    EXPECT_NE(std::string(e.what()).find("expects 3 channels (dimension 1), got 4"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(g::trace(bn, Tensor::zeros({2, 3})), g::TraceError);
  EXPECT_THROW(g::nn::BatchNorm1d(0), std::invalid_argument);
  // One value per channel in training mode, as PyTorch refuses it.
  g::nn::BatchNorm1d bn1(4);
  g::TraceOptions staticBatch;
  staticBatch.dynamicBatch = false;
  try {
    g::trace(bn1, Tensor::zeros({1, 4}), staticBatch);
    FAIL() << "expected a TraceError";
  } catch (const g::TraceError &e) {
    EXPECT_NE(std::string(e.what()).find("expected more than 1 value per channel when training, "
                                         "got input size [1, 4]"),
              std::string::npos)
        << e.what();
  }
  bn1.eval(); // eval mode uses the running statistics: fine
  EXPECT_NO_THROW(g::trace(bn1, Tensor::zeros({1, 4}), staticBatch));
}

TEST(Buffers, AssignNeedsTheBuffersTypeAndATrace) {
  struct Counter : g::nn::Module {
    Counter() { count = registerBuffer("count", Tensor::zeros({}, GRAPHC_DTYPE_I64)); }
    g::Tensor forward(const g::Tensor &x) override {
      count.assign(x.sum()); // float32, not int64
      return x;
    }
    g::Buffer count;
  } counter;
  try {
    g::trace(counter, Tensor::zeros({2, 3}));
    FAIL() << "expected a TraceError";
  } catch (const g::TraceError &e) {
    EXPECT_NE(std::string(e.what()).find("the new value of buffer 'count' must have its type "
                                         "tensor<i64>, got tensor<f32>"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(counter.count.assign(g::Tensor()), g::TraceError); // outside trace()
}

TEST(BatchNorm, ClassifierTrainsLikePyTorchAndUpdatesRunningStatistics) {
  using namespace g::nn;
  auto model = std::make_shared<Sequential>(
      std::make_shared<Linear>(784, 32), std::make_shared<BatchNorm1d>(32),
      std::make_shared<ReLU>(), std::make_shared<Linear>(32, 10), std::make_shared<LogSoftmax>(1));
  std::map<std::string, Tensor> init, final;
  for (auto &[key, value] : golden()) {
    if (key.rfind("train.init.", 0) == 0)
      init[key.substr(11)] = value;
    if (key.rfind("train.final.", 0) == 0)
      final[key.substr(12)] = value;
  }
  model->loadStateDict(init);
  g::manualSeed(1);
  Tensor images = g::rand({2, 64, 784}); // torch.rand(2, 64, 784) after manual_seed(1)
  const Tensor &labels = golden().at("train.labels");
  NLLLoss criterion;
  g::Graph graph = g::trace(*model, {{"images", {64, 784}}, {"labels", {64}, GRAPHC_DTYPE_I64}},
                            [&](const std::vector<g::Tensor> &xs) {
                              return std::vector<g::Tensor>{criterion((*model)(xs[0]), xs[1])};
                            });
  g::CompiledTrainStep program =
      graph.addTrainStep(g::OptimizerConfig::sgd(/*momentum=*/0.9)).compileTrainStep();
  const double *losses = golden().at("train.losses").data<double>();
  for (int step = 0; step < 20; ++step) {
    double loss = program.step({rowsOf(images, step % 2), rowsOf(labels, step % 2)}, 0.05);
    EXPECT_NEAR(loss, losses[step], 1e-4 * std::abs(losses[step])) << "step " << step;
  }
  auto state = model->stateDict();
  ASSERT_EQ(state.size(), final.size());
  for (auto &[key, want] : final) {
    ref::Array w = toRef(want);
    double scale = 1e-30;
    for (double v : w.data)
      scale = std::max(scale, std::abs(v));
    expectClose(state.at(key), w, 0, 1e-4 * scale, key);
  }
  EXPECT_EQ(state.at("1.num_batches_tracked").data<int64_t>()[0], 20);
  // The optimizer state holds no buffer: buffers are not trained.
  for (auto &[name, tensor] : program.state())
    EXPECT_EQ(name.find("running"), std::string::npos) << name;

  model->eval();
  Tensor out = g::trace(*model, rowsOf(images, 0)).compile()(rowsOf(images, 0));
  expectClose(out, toRef(golden().at("train.eval_output")), 1e-4, 1e-4, "eval output");
}
