// Data-parallel training's two halves (docs/distributed.md) over the seed-003
// MLP compiled by the JIT with --data-parallel: train_step_gradients then
// train_step_apply must train as PyTorch does (the goldens TrainGoldenTest
// and ProgramTest use, made by scripts/make_goldens.py), and a step cut into
// ordered parts must stay within float rounding of the whole batch's. The
// runs across processes are test/e2e/data_parallel/run.sh (MPI).
#include "CompiledMLP.h"
#include "TestUtil.h"

#include "graphc/runtime/distributed.hpp"
#include "graphc/runtime/program.hpp"

#include <algorithm>
#include <cstring>

using namespace testutil;
namespace g = graphc;

namespace {

/// Largest |a - b| over the largest |b|, for every parameter of two programs.
double relativeDifference(g::rt::Program &a, g::rt::Program &b, const std::string &name) {
  Tensor x = a.tensor(name), y = b.tensor(name);
  const float *p = x.data<float>(), *q = y.data<float>();
  double scale = 0, diff = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    scale = std::max(scale, std::abs(double(q[i])));
    diff = std::max(diff, std::abs(double(p[i]) - q[i]));
  }
  return diff / std::max(scale, 1e-30);
}

} // namespace

TEST(DataParallel, TheTwoHalvesTrainTheSeedMLPLikePyTorch) {
  auto golden = g::rt::loadSafetensors(std::string(GRAPHC_GOLDEN_DIR) + "/mlp_train.safetensors");
  CompiledMLP mlp(g::OptimizerConfig::sgd(/*momentum=*/0.9), /*dataParallel=*/true);
  g::rt::Program program(mlp.jit->model());
  program.init(0);
  // Every gradient at a 64-byte boundary, with room for all parameters.
  int64_t parameters = 0;
  for (auto &[name, tensor] : mlp.model->stateDict())
    parameters += tensor.numel();
  ASSERT_GE(program.gradientElements(), parameters);
  EXPECT_EQ(program.gradientElements() % 16, 0);
  std::vector<float> gradients(program.gradientElements(), -1.0f);
  g::manualSeed(1);
  Tensor images = g::rand({2, 64, 784});
  Tensor labels = golden.at("labels");
  const double *expected = golden.at("sgd.losses").data<double>();
  for (int step = 0; step < 100; ++step) {
    double loss = program.gradients(rowsOf(images, step % 2), rowsOf(labels, step % 2),
                                    gradients.data(), /*keepState=*/true);
    EXPECT_NEAR(loss, expected[step], 1e-4 * std::abs(expected[step])) << "step " << step;
    program.applyGradients(gradients.data(), 0.01);
  }
  EXPECT_EQ(program.tensor("optimizer.step").data<double>()[0], 100.0);
  for (auto &[name, _] : mlp.model->stateDict()) {
    ref::Array want = toRef(golden.at("sgd." + name));
    double scale = 0;
    for (double v : want.data)
      scale = std::max(scale, std::abs(v));
    expectClose(program.tensor(name), want, 0, 1e-4 * scale, name);
  }
}

// SGD with momentum: its update is linear in the gradient, so the parts'
// rounding stays rounding. (Adam's first updates are about lr * sign(g): an
// element whose gradient is near zero may step the other way, which is why
// --reduce ordered exists; docs/distributed.md.)
TEST(DataParallel, OrderedPartsStayWithinRoundingOfTheWholeBatch) {
  CompiledMLP mlp(g::OptimizerConfig::sgd(/*momentum=*/0.9), /*dataParallel=*/true);
  g::rt::Program whole(mlp.jit->model()), fourParts(mlp.jit->model()),
      fourPartsAgain(mlp.jit->model()), threeParts(mlp.jit->model());
  for (g::rt::Program *p : {&whole, &fourParts, &fourPartsAgain, &threeParts})
    p->init(0);
  g::rt::DataParallelOptions ordered{g::rt::GradientReduction::Ordered, 4};
  g::rt::DataParallelStep four(fourParts, nullptr, ordered), fourAgain(fourPartsAgain, nullptr, ordered);
  ordered.shards = 3; // parts of 21, 21 and 22 rows: weighted by their rows
  g::rt::DataParallelStep three(threeParts, nullptr, ordered);
  EXPECT_EQ(three.parts(), 3);
  EXPECT_EQ(three.partBegin(), 0);
  EXPECT_EQ(three.partEnd(), 3);
  g::manualSeed(2);
  Tensor images = g::rand({64, 784});
  Tensor labels = Tensor::zeros({64}, GRAPHC_DTYPE_I64);
  for (int64_t i = 0; i < 64; ++i)
    labels.data<int64_t>()[i] = (i * 7) % 10;
  for (int step = 0; step < 20; ++step) {
    double expected = whole.trainStep(images, labels, 0.05);
    EXPECT_NEAR(four.step(images, labels, 64, 0.05), expected, 1e-5 * expected);
    fourAgain.step(images, labels, 64, 0.05);
    EXPECT_NEAR(three.step(images, labels, 64, 0.05), expected, 1e-5 * expected);
  }
  for (auto &[name, _] : mlp.model->stateDict()) {
    EXPECT_LE(relativeDifference(fourParts, whole, name), 1e-5) << name;
    EXPECT_LE(relativeDifference(threeParts, whole, name), 1e-5) << name;
    // The same parts, the same bits.
    EXPECT_EQ(relativeDifference(fourParts, fourPartsAgain, name), 0.0) << name;
  }
  // The step count and the momentum moved with the parameters.
  EXPECT_EQ(fourParts.tensor("optimizer.step").data<double>()[0], 20.0);
  EXPECT_LE(relativeDifference(fourParts, whole, "optimizer.momentum_buffer.0.weight"), 1e-5);
}

TEST(DataParallel, AModelWithoutTheSplitStepIsRefusedByName) {
  CompiledMLP mlp(g::OptimizerConfig::sgd(), /*dataParallel=*/false);
  g::rt::Program program(mlp.jit->model());
  EXPECT_EQ(program.gradientElements(), 0);
  std::string message;
  try {
    g::rt::DataParallelStep step(program, nullptr, {g::rt::GradientReduction::Ordered, 2});
  } catch (const g::rt::Error &e) {
    message = e.what();
  }
  EXPECT_NE(message.find("compiled without the data-parallel step"), std::string::npos) << message;
  EXPECT_NE(message.find("graphc --train --data-parallel"), std::string::npos) << message;
  std::vector<float> gradients(16);
  graphc_status_t status = graphc_program_apply_gradients(program.get(), gradients.data(), 0.1);
  ASSERT_NE(status, nullptr);
  EXPECT_NE(std::string(graphc_status_message(status)).find("no data-parallel step"),
            std::string::npos);
  graphc_status_free(status);
}

// A standalone executable compiled with --data-parallel holds the two halves
// and no whole train_step (graphc compiles the step once): trainStep then
// runs the halves, and must give train_step's bits, Adam's state included.
TEST(DataParallel, AModelWithOnlyTheHalvesTrainsLikeTrainStep) {
  CompiledMLP mlp(g::OptimizerConfig::adam(), /*dataParallel=*/true);
  const graphc_model_t *model = mlp.jit->model();
  std::vector<graphc_model_entry_t> halvesOnly;
  for (int32_t e = 0; e < model->num_entries; ++e)
    if (std::string(model->entries[e].name) != "train_step")
      halvesOnly.push_back(model->entries[e]);
  ASSERT_EQ(halvesOnly.size() + 1, static_cast<size_t>(model->num_entries));
  graphc_model_t withoutTrainStep = *model;
  withoutTrainStep.num_entries = static_cast<int32_t>(halvesOnly.size());
  withoutTrainStep.entries = halvesOnly.data();
  g::rt::Program whole(model), halves(&withoutTrainStep);
  whole.init(0);
  halves.init(0);
  g::manualSeed(3);
  Tensor images = g::rand({64, 784});
  Tensor labels = Tensor::zeros({64}, GRAPHC_DTYPE_I64);
  for (int64_t i = 0; i < 64; ++i)
    labels.data<int64_t>()[i] = (i * 3) % 10;
  for (int step = 0; step < 20; ++step)
    EXPECT_EQ(halves.trainStep(images, labels, 0.01), whole.trainStep(images, labels, 0.01))
        << "step " << step;
  for (auto &[name, tensor] : whole.tensors()) {
    Tensor other = halves.tensor(name);
    ASSERT_EQ(other.nbytes(), tensor.nbytes()) << name;
    EXPECT_EQ(std::memcmp(other.rawData(), tensor.rawData(), tensor.nbytes()), 0) << name;
  }
  EXPECT_EQ(halves.tensor("optimizer.step").data<double>()[0], 20.0);

  // Without either, the step names what is missing.
  halvesOnly.erase(std::remove_if(halvesOnly.begin(), halvesOnly.end(),
                                  [](const graphc_model_entry_t &e) {
                                    return std::string(e.name) == "train_step_apply";
                                  }),
                   halvesOnly.end());
  withoutTrainStep.num_entries = static_cast<int32_t>(halvesOnly.size());
  g::rt::Program neither(&withoutTrainStep);
  neither.init(0);
  double loss = 0;
  graphc_status_t status =
      graphc_program_train_step(neither.get(), images.get(), labels.get(), 0.01, &loss);
  ASSERT_NE(status, nullptr);
  EXPECT_NE(std::string(graphc_status_message(status)).find("no entry point 'train_step'"),
            std::string::npos)
      << graphc_status_message(status);
  graphc_status_free(status);
}

// graphc --micro-batch (docs/performance.md, "Micro-batches"): a batch of
// more than 16 rows is computed in parts of 16 rows, the last one shorter,
// added up weighted by rows. The reference is the same program's own parts,
// called one by one and added up here: the same additions, so the same bits
// (a whole-batch computation rounds otherwise, so this also shows that the
// parts ran); and the whole batch's train_step, within rounding.
TEST(MicroBatches, ABatchIsComputedInPartsWeightedByRows) {
  CompiledMLP whole(g::OptimizerConfig::sgd(/*momentum=*/0.9));
  CompiledMLP micro(g::OptimizerConfig::sgd(/*momentum=*/0.9), /*dataParallel=*/true,
                    /*microBatch=*/16);
  g::rt::Program reference(whole.jit->model()), parts(micro.jit->model());
  EXPECT_EQ(reference.microBatch(), 0);
  ASSERT_EQ(parts.microBatch(), 16);
  reference.init(0);
  parts.init(0);
  g::manualSeed(4);
  Tensor images = g::rand({40, 784});
  Tensor labels = Tensor::zeros({40}, GRAPHC_DTYPE_I64);
  for (int64_t i = 0; i < 40; ++i)
    labels.data<int64_t>()[i] = (i * 7) % 10;

  const int64_t elements = parts.gradientElements();
  std::vector<float> gradients(elements), expected(elements), part(elements);
  double loss = parts.gradients(images, labels, gradients.data(), /*keepState=*/true);
  double expectedLoss = 0;
  const int64_t bounds[][2] = {{0, 16}, {16, 16}, {32, 8}};
  for (const auto &[begin, rows] : bounds) {
    double partLoss = parts.gradients(images.narrow(begin, rows), labels.narrow(begin, rows),
                                      part.data(), /*keepState=*/true);
    for (int64_t i = 0; i < elements; ++i)
      expected[i] = begin == 0 ? part[i] * float(rows) : expected[i] + float(rows) * part[i];
    expectedLoss += partLoss * double(rows);
  }
  for (float &value : expected)
    value /= 40.0f;
  EXPECT_EQ(loss, expectedLoss / 40.0);
  EXPECT_EQ(std::memcmp(gradients.data(), expected.data(), sizeof(float) * elements), 0);

  // The parts on two threads (one part each at a time) and on one: the same
  // bits, the sums running in part order either way.
  const int threads = g::getNumThreads();
  std::vector<float> onOne(elements), onTwo(elements);
  g::setNumThreads(1);
  double lossOnOne = parts.gradients(images, labels, onOne.data(), true);
  g::setNumThreads(2);
  double lossOnTwo = parts.gradients(images, labels, onTwo.data(), true);
  g::setNumThreads(threads);
  EXPECT_EQ(lossOnOne, lossOnTwo);
  EXPECT_EQ(std::memcmp(onOne.data(), onTwo.data(), sizeof(float) * elements), 0);
  EXPECT_EQ(std::memcmp(onOne.data(), expected.data(), sizeof(float) * elements), 0);

  // Labels of other rows than the images: refused naming the argument
  // (`target`, which the appended loss takes them as).
  Tensor shortLabels = labels.narrow(0, 39);
  std::string message;
  try {
    parts.gradients(images, shortLabels, gradients.data(), true);
  } catch (const g::rt::Error &e) {
    message = e.what();
  }
  EXPECT_NE(message.find("target"), std::string::npos) << message;

  // Steps of 40, 16 (one part) and 10 rows (the dynamic half alone) train
  // as whole batches do, within rounding.
  for (int step = 0; step < 15; ++step) {
    int64_t rows = step % 3 == 0 ? 40 : step % 3 == 1 ? 16 : 10;
    Tensor x = images.narrow(0, rows), y = labels.narrow(0, rows);
    double want = reference.trainStep(x, y, 0.05);
    EXPECT_NEAR(parts.gradients(x, y, gradients.data(), true), want, 1e-5 * want) << step;
    parts.applyGradients(gradients.data(), 0.05);
  }
  for (auto &[name, _] : micro.model->stateDict())
    EXPECT_LE(relativeDifference(parts, reference, name), 1e-5) << name;
}

// The DSL's addTrainStep with microBatch: the compiled step has no whole
// train_step, runs the parts, and trains as the whole batch does. A graph
// traced with a fixed batch is refused.
TEST(MicroBatches, TheDslStepTrainsInPartsLikeTheWholeBatch) {
  auto build = [](int64_t microBatch, bool dynamicBatch,
                  std::shared_ptr<g::nn::Sequential> &model) {
    g::manualSeed(0);
    model = makeMLP();
    auto criterion = std::make_shared<g::nn::NLLLoss>();
    g::Graph graph = g::trace(
        *model, {{"images", {40, 784}}, {"labels", {40}, GRAPHC_DTYPE_I64}},
        [&](const std::vector<g::Tensor> &xs) {
          return std::vector<g::Tensor>{(*criterion)((*model)(xs[0]), xs[1])};
        },
        g::TraceOptions{"forward", dynamicBatch});
    graph.addTrainStep(g::OptimizerConfig::sgd(/*momentum=*/0.9), "forward", microBatch);
    return graph.compileTrainStep();
  };
  std::shared_ptr<g::nn::Sequential> wholeModel, partsModel, fixedModel;
  g::CompiledTrainStep whole = build(0, true, wholeModel);
  g::CompiledTrainStep parts = build(16, true, partsModel);
  g::manualSeed(5);
  Tensor images = g::rand({40, 784});
  Tensor labels = Tensor::zeros({40}, GRAPHC_DTYPE_I64);
  for (int64_t i = 0; i < 40; ++i)
    labels.data<int64_t>()[i] = (i * 3) % 10;
  // SGD (linear in the gradient: the parts' rounding stays rounding).
  for (int step = 0; step < 10; ++step) {
    double want = whole.step({images, labels}, 0.05);
    EXPECT_NEAR(parts.step({images, labels}, 0.05), want, 1e-5 * want) << step;
  }
  EXPECT_EQ(parts.stepCount(), 10);
  auto wantState = wholeModel->stateDict(), gotState = partsModel->stateDict();
  for (auto &[name, tensor] : wantState) {
    const float *p = gotState.at(name).data<float>(), *q = tensor.data<float>();
    double scale = 0, diff = 0;
    for (int64_t i = 0; i < tensor.numel(); ++i) {
      scale = std::max(scale, std::abs(double(q[i])));
      diff = std::max(diff, std::abs(double(p[i]) - q[i]));
    }
    EXPECT_LE(diff, 1e-5 * scale) << name;
  }
  std::string message;
  try {
    build(16, false, fixedModel);
  } catch (const g::CompileError &e) {
    message = e.what();
  }
  EXPECT_NE(message.find("--micro-batch: the batch is static already"), std::string::npos)
      << message;
}
