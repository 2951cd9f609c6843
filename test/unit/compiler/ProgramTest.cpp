// The runtime's program object over JIT-compiled code: the seed-003 MLP with
// the training functions `graphc --train` builds (addTrainingFunctions), run
// through graphc_program_t. Its training must match PyTorch (the goldens of
// TrainGoldenTest), its init must be the DSL's, its arena must be allocated
// once, and bad tensors and checkpoints must be refused by name.
#include "CompiledMLP.h"
#include "TestUtil.h"

#include "graphc/runtime/program.hpp"

#include <cstdio>
#include <cstring>
#include <unistd.h>

using namespace testutil;
namespace g = graphc;

namespace {

const graphc_model_entry_t *entry(const graphc_model_t *model, const std::string &name) {
  for (int32_t e = 0; e < model->num_entries; ++e)
    if (model->entries[e].name == name)
      return &model->entries[e];
  ADD_FAILURE() << "no entry point " << name;
  return &model->entries[0];
}

std::string errorOf(const std::function<void()> &body) {
  try {
    body();
  } catch (const g::rt::Error &e) {
    return e.what();
  }
  return "(no error)";
}

std::string temporaryPath(const std::string &name) {
  return "/tmp/graphc_program_test_" + std::to_string(getpid()) + "_" + name;
}

} // namespace

TEST(Program, ModelTableDescribesTheEntryPoints) {
  CompiledMLP mlp(g::OptimizerConfig::adam());
  const graphc_model_t *model = mlp.jit->model();
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->abi_version, GRAPHC_MODEL_ABI_VERSION);
  EXPECT_STREQ(model->name, "model");
  std::vector<std::string> names;
  for (int32_t e = 0; e < model->num_entries; ++e)
    names.push_back(model->entries[e].name);
  // Every public function: loss_grad too (the gradients, which train_step inlines).
  EXPECT_EQ(names,
            (std::vector<std::string>{"eval", "forward", "loss", "loss_grad", "train_step"}));
  const graphc_model_entry_t &train = *entry(model, "train_step");
  // images, target, 6 parameters, 12 Adam state tensors, step, lr.
  ASSERT_EQ(train.num_arguments, 22);
  EXPECT_EQ(train.arguments[0].role, GRAPHC_ROLE_INPUT);
  EXPECT_EQ(train.arguments[0].shape[0], -1);
  EXPECT_EQ(train.arguments[1].role, GRAPHC_ROLE_TARGET);
  EXPECT_STREQ(train.arguments[2].name, "0.weight");
  EXPECT_EQ(train.arguments[2].role, GRAPHC_ROLE_PARAMETER);
  EXPECT_EQ(train.arguments[2].updated, 1);
  EXPECT_DOUBLE_EQ(train.arguments[2].init_bound, 1 / std::sqrt(784.0));
  int state = 0;
  for (int32_t i = 0; i < train.num_arguments; ++i)
    state += train.arguments[i].role == GRAPHC_ROLE_STATE;
  EXPECT_EQ(state, 12);
  EXPECT_EQ(train.arguments[20].role, GRAPHC_ROLE_STEP);
  EXPECT_EQ(train.arguments[21].role, GRAPHC_ROLE_LR);
  // The temporaries of a step grow with the batch and live in the arena.
  EXPECT_GT(train.arena_bytes_per_batch, 0);
  ASSERT_EQ(train.num_results, 1);
  EXPECT_EQ(train.results[0].rank, 0);
}

TEST(Program, InitDrawsTheDSLsDefaultInit) {
  CompiledMLP mlp(g::OptimizerConfig::sgd());
  g::rt::Program program(mlp.jit->model());
  program.init(0);
  // mlp.model was built right after manualSeed(0): the same draws.
  for (auto &[name, want] : mlp.model->stateDict()) {
    Tensor got = program.tensor(name);
    ASSERT_EQ(got.shape(), want.shape()) << name;
    EXPECT_EQ(got.toVector<float>(), want.toVector<float>()) << name;
  }
  EXPECT_EQ(program.tensor("optimizer.step").data<double>()[0], 0.0);
}

// The same 100 SGD-with-momentum steps as TrainGolden, through the program:
// every loss and the final weights within 1e-4 of PyTorch's.
TEST(Program, TrainsTheSeedMLPLikePyTorch) {
  auto golden = g::rt::loadSafetensors(std::string(GRAPHC_GOLDEN_DIR) + "/mlp_train.safetensors");
  CompiledMLP mlp(g::OptimizerConfig::sgd(/*momentum=*/0.9));
  g::rt::Program program(mlp.jit->model());
  program.init(0);
  g::manualSeed(1);
  Tensor images = g::rand({2, 64, 784});
  Tensor labels = golden.at("labels");
  const double *expected = golden.at("sgd.losses").data<double>();
  for (int step = 0; step < 100; ++step) {
    double loss = program.trainStep(rowsOf(images, step % 2), rowsOf(labels, step % 2), 0.01);
    EXPECT_NEAR(loss, expected[step], 1e-4 * std::abs(expected[step])) << "step " << step;
  }
  EXPECT_EQ(program.tensor("optimizer.step").data<double>()[0], 100.0);
  for (auto &[name, _] : mlp.model->stateDict()) {
    ref::Array want = toRef(golden.at("sgd." + name));
    double scale = 0;
    for (double v : want.data)
      scale = std::max(scale, std::abs(v));
    expectClose(program.tensor(name), want, 0, 1e-4 * scale, name);
  }
  // One arena for all 100 steps.
  EXPECT_EQ(program.arenaAllocations(), 1);
}

TEST(Program, ArenaIsAllocatedOnceAndGrowsOnlyForALargerBatch) {
  CompiledMLP mlp(g::OptimizerConfig::adam());
  g::rt::Program program(mlp.jit->model());
  program.init(0);
  auto batch = [](int64_t n) {
    g::manualSeed(2);
    return std::make_pair(g::rand({n, 784}), Tensor::zeros({n}, GRAPHC_DTYPE_I64));
  };
  EXPECT_EQ(program.arenaAllocations(), 0);
  auto [x8, y8] = batch(8);
  for (int i = 0; i < 5; ++i)
    program.trainStep(x8, y8, 1e-3);
  EXPECT_EQ(program.arenaAllocations(), 1);
  int64_t bytes8 = program.arenaBytes();
  const graphc_model_entry_t &train = *entry(mlp.jit->model(), "train_step");
  EXPECT_GE(bytes8, train.arena_bytes_per_batch * 8 + train.arena_bytes_fixed);
  auto [x32, y32] = batch(32);
  program.trainStep(x32, y32, 1e-3);
  EXPECT_EQ(program.arenaAllocations(), 2);
  EXPECT_GT(program.arenaBytes(), bytes8);
  // Smaller batches and the other entry points fit in the arena there is.
  program.trainStep(x8, y8, 1e-3);
  program.eval(x8, y8);
  program.forward(x32);
  EXPECT_EQ(program.arenaAllocations(), 2);
}

// The program's forward is the compiled forward: the same values as the
// entry point called directly through its C signature with the same weights
// (the program adds the argument checks, the bound tensors and the arena).
TEST(Program, ForwardMatchesTheEntryPointCalledDirectly) {
  CompiledMLP mlp(g::OptimizerConfig::sgd());
  g::rt::Program program(mlp.jit->model());
  program.init(0);
  g::manualSeed(3);
  Tensor x = g::rand({5, 784});
  const graphc_model_entry_t &forward = *entry(mlp.jit->model(), "forward");
  std::vector<void *> arguments;
  for (int32_t i = 0; i < forward.num_arguments; ++i)
    arguments.push_back(forward.arguments[i].role == GRAPHC_ROLE_INPUT
                            ? x.rawData()
                            : program.tensor(forward.arguments[i].name).rawData());
  Tensor want = Tensor::zeros({5, 10});
  std::vector<void *> results{want.rawData()};
  ASSERT_EQ(forward.call(/*arena=*/nullptr, /*batch=*/5, arguments.data(), results.data()), 0);
  Tensor got = program.forward(x);
  EXPECT_EQ(got.shape(), (std::vector<int64_t>{5, 10}));
  EXPECT_EQ(got.toVector<float>(), want.toVector<float>());
}

TEST(Program, RejectsMismatchedTensorsNamingThem) {
  CompiledMLP mlp(g::OptimizerConfig::sgd());
  g::rt::Program program(mlp.jit->model());
  Tensor x = Tensor::zeros({4, 784}), y = Tensor::zeros({4}, GRAPHC_DTYPE_I64);
  EXPECT_EQ(errorOf([&] { program.trainStep(Tensor::zeros({4, 100}), y, 0.1); }),
            "'train_step': images expects float32 [B, 784] with B = 4 (the input's batch), got "
            "float32 [4, 100]");
  EXPECT_EQ(errorOf([&] { program.trainStep(x, Tensor::zeros({3}, GRAPHC_DTYPE_I64), 0.1); }),
            "'train_step': target expects int64 [B] with B = 4 (the input's batch), got int64 [3]");
  EXPECT_EQ(errorOf([&] { program.eval(x, Tensor::zeros({4})); }),
            "'eval': target expects int64 [B] with B = 4 (the input's batch), got float32 [4]");
  EXPECT_EQ(errorOf([&] { program.bind("2.bias", Tensor::zeros({3})); }),
            "cannot bind 2.bias: the model's is float32 [64], got float32 [3]");
  EXPECT_EQ(errorOf([&] { program.tensor("fc9.weight"); }),
            "model 'model' has no tensor 'fc9.weight'");
  // Nothing ran: the step count is untouched.
  EXPECT_EQ(program.tensor("optimizer.step").data<double>()[0], 0.0);
}

TEST(Program, CheckpointsRoundTripAndABadOneChangesNothing) {
  CompiledMLP mlp(g::OptimizerConfig::adam());
  g::rt::Program program(mlp.jit->model());
  program.init(0);
  g::manualSeed(4);
  program.trainStep(g::rand({8, 784}), Tensor::zeros({8}, GRAPHC_DTYPE_I64), 1e-3);
  std::string path = temporaryPath("ok.safetensors");
  program.save(path);
  std::map<std::string, Tensor> saved = g::rt::loadSafetensors(path);
  EXPECT_EQ(saved.size(), 6u + 12u + 1u);
  EXPECT_EQ(saved.at("optimizer.step").data<double>()[0], 1.0);

  g::rt::Program restored(mlp.jit->model());
  restored.load(path, /*withOptimizer=*/true);
  for (auto &[name, tensor] : program.tensors())
    EXPECT_EQ(std::memcmp(restored.tensor(name).rawData(), tensor.rawData(), tensor.nbytes()), 0)
        << name;

  // A wrong shape: refused by name, and nothing is overwritten.
  saved["4.bias"] = Tensor::zeros({3});
  std::string bad = temporaryPath("bad.safetensors");
  g::rt::saveSafetensors(bad, saved);
  std::vector<float> before = restored.tensor("0.weight").toVector<float>();
  std::string error = errorOf([&] { restored.load(bad, true); });
  EXPECT_NE(error.find("tensor '4.bias' is float32 [3], the model expects float32 [10]"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find(bad), std::string::npos) << error;
  EXPECT_EQ(restored.tensor("0.weight").toVector<float>(), before);
  saved.erase("4.bias");
  g::rt::saveSafetensors(bad, saved);
  EXPECT_NE(errorOf([&] { restored.load(bad, true); }).find("has no tensor '4.bias'"),
            std::string::npos);
  std::remove(path.c_str());
  std::remove(bad.c_str());
}

// A function that returns one buffer twice: the packed entry point copies
// both results out and frees the buffer once (a double free aborts).
TEST(Program, ResultsSharingABufferAreFreedOnce) {
  g::manualSeed(0);
  auto model = makeMLP();
  g::Graph graph = g::trace(*model, {{"images", {4, 784}}}, [&](const std::vector<g::Tensor> &xs) {
    g::Tensor y = (*model)(xs[0]);
    return std::vector<g::Tensor>{y, y};
  });
  auto jit = g::JitModule::compile(graph.module());
  g::rt::Program program(jit->model());
  program.init(0);
  g::manualSeed(5);
  Tensor x = g::rand({4, 784});
  for (int i = 0; i < 3; ++i) {
    Tensor y = program.forward(x);
    EXPECT_EQ(y.shape(), (std::vector<int64_t>{4, 10}));
  }
}
