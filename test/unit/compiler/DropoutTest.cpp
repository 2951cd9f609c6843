// Random numbers in the graph and Dropout: graph.random_uniform against an
// independent Philox4x32-10 (checked first against Random123's known-answer
// vectors), its independence from the thread count and its advance per call;
// dropout's statistics, scaling and modes; and a training run with Dropout
// that is bit-identical when repeated and when resumed from its state.
#include "TestUtil.h"

#include <array>

using namespace testutil;
namespace g = graphc;

namespace {

/// Philox4x32-10 as Salmon et al. define it (Random123's philox4x32_R),
/// written from the paper, not from graphc's lowering.
std::array<uint32_t, 4> philox(std::array<uint32_t, 4> ctr, std::array<uint32_t, 2> key) {
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key[0] += 0x9E3779B9u;
      key[1] += 0xBB67AE85u;
    }
    uint64_t p0 = uint64_t(0xD2511F53u) * ctr[0], p1 = uint64_t(0xCD9E8D57u) * ctr[2];
    ctr = {uint32_t(p1 >> 32) ^ ctr[1] ^ key[0], uint32_t(p1), uint32_t(p0 >> 32) ^ ctr[3] ^ key[1],
           uint32_t(p0)};
  }
  return ctr;
}

/// graph.random_uniform's element i as its description defines it (float32).
float uniformAt(uint64_t seed, uint64_t calls, uint32_t stream, uint64_t i) {
  auto w = philox({uint32_t(i), uint32_t(i >> 32), stream, uint32_t(calls)},
                  {uint32_t(seed), uint32_t(seed >> 32)});
  return float(w[0] >> 8) * 0x1p-24f;
}

/// Traces `fn` of one [rows, cols] input in training mode and compiles it.
g::CompiledModule compileRandom(std::function<g::Tensor(const g::Tensor &)> fn, int64_t rows,
                                int64_t cols) {
  g::nn::Module none;
  return g::trace(none, {{"x", {rows, cols}}}, [&](const std::vector<g::Tensor> &xs) {
           return std::vector<g::Tensor>{fn(xs[0])};
         }).compile();
}

} // namespace

TEST(GraphRandom, PhiloxReferenceMatchesRandom123KnownAnswers) {
  EXPECT_EQ(philox({0, 0, 0, 0}, {0, 0}),
            (std::array<uint32_t, 4>{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox({~0u, ~0u, ~0u, ~0u}, {~0u, ~0u}),
            (std::array<uint32_t, 4>{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}),
            (std::array<uint32_t, 4>{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(GraphRandom, RandLikeIsPhiloxOfTheSeedCallAndIndex) {
  g::manualSeed(1234);
  g::CompiledModule program = compileRandom(
      [](const g::Tensor &x) { return g::rand_like(x) + g::rand_like(x) * 0.0; }, 37, 29);
  Tensor x = Tensor::zeros({37, 29});
  for (uint64_t call = 0; call < 3; ++call) {
    Tensor u = program(x);
    for (uint64_t i = 0; i < 37 * 29; ++i)
      ASSERT_EQ(u.data<float>()[i], uniformAt(1234, call, /*stream=*/0, i))
          << "call " << call << " element " << i;
  }
}

TEST(GraphRandom, NumbersDoNotDependOnTheThreadCount) {
  auto draw = [](int threads) {
    g::setNumThreads(threads);
    g::manualSeed(7);
    Tensor out = compileRandom([](const g::Tensor &x) { return g::rand_like(x); }, 512, 300)(
        Tensor::zeros({512, 300}));
    g::setNumThreads(0);
    return toRef(out).data;
  };
  EXPECT_EQ(draw(1), draw(2));
}

TEST(GraphRandom, GpuKernelsDrawTheSameNumbers) {
  // The kernels as mapped to blocks and threads, run on the CPU
  // (JitOptions::emulateGpuKernels): the same numbers, bit for bit.
  auto draw = [](bool emulate) {
    g::manualSeed(9);
    g::nn::Module none;
    g::JitOptions options;
    options.emulateGpuKernels = emulate;
    return toRef(g::trace(none, {{"x", {300, 70}}}, [](const std::vector<g::Tensor> &xs) {
                   return std::vector<g::Tensor>{g::dropout(xs[0], 0.4)};
                 }).compile(options)(random({300, 70}))).data;
  };
  EXPECT_EQ(draw(false), draw(true));
}

TEST(GraphRandom, UniformStatisticsAndStreams) {
  g::manualSeed(3);
  g::nn::Module none;
  auto results = g::trace(none, {{"x", {1000, 100}}}, [](const std::vector<g::Tensor> &xs) {
                   return std::vector<g::Tensor>{g::rand_like(xs[0]), g::rand_like(xs[0])};
                 }).compile().run({Tensor::zeros({1000, 100})});
  const float *a = results[0].data<float>(), *b = results[1].data<float>();
  double sum = 0, sumSq = 0;
  int64_t same = 0;
  for (int64_t i = 0; i < 100000; ++i) {
    ASSERT_GE(a[i], 0.0f);
    ASSERT_LT(a[i], 1.0f);
    sum += a[i];
    sumSq += double(a[i]) * a[i];
    same += a[i] == b[i];
  }
  EXPECT_NEAR(sum / 1e5, 0.5, 0.005);               // mean of U(0, 1)
  EXPECT_NEAR(sumSq / 1e5 - 0.25, 1.0 / 12, 0.005); // its variance
  EXPECT_LT(same, 20);                              // two draws of one call differ
}

TEST(Dropout, TrainingMasksAndScalesEvalIsIdentity) {
  g::manualSeed(11);
  g::nn::Dropout drop(0.3);
  EXPECT_EQ(drop.str(), "Dropout(p=0.3, inplace=False)");
  Tensor x = random({400, 250}, GRAPHC_DTYPE_F32, 1, 2);
  Tensor y = g::trace(drop, x).compile()(x);
  int64_t kept = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    float xi = x.data<float>()[i], yi = y.data<float>()[i];
    if (yi != 0) {
      ++kept;
      ASSERT_EQ(yi, xi * float(1.0 / 0.7)) << i; // x * (mask / (1 - p))
    }
  }
  EXPECT_NEAR(double(kept) / x.numel(), 0.7, 0.01);
  drop.eval();
  EXPECT_EQ(toRef(g::trace(drop, x).compile()(x)).data, toRef(x).data);
  g::nn::Dropout none(0.0), all(1.0);
  EXPECT_EQ(toRef(g::trace(none, x).compile()(x)).data, toRef(x).data);
  for (double v : toRef(g::trace(all, x).compile()(x)).data)
    ASSERT_EQ(v, 0.0);
  EXPECT_THROW(g::nn::Dropout(1.5), std::invalid_argument);
}

namespace {

struct DropoutMLP : g::nn::Module {
  DropoutMLP() {
    fc1 = registerModule("fc1", std::make_shared<g::nn::Linear>(64, 32));
    drop = registerModule("drop", std::make_shared<g::nn::Dropout>(0.5));
    fc2 = registerModule("fc2", std::make_shared<g::nn::Linear>(32, 10));
  }
  g::Tensor forward(const g::Tensor &x) override {
    return (*fc2)((*drop)(g::relu((*fc1)(x))));
  }
  std::shared_ptr<g::nn::Linear> fc1, fc2;
  std::shared_ptr<g::nn::Dropout> drop;
};

/// `steps` SGD steps of a fresh DropoutMLP (manualSeed(5)), starting from
/// `start` (parameters and training state) when given; returns the final
/// parameters and the training state.
std::pair<std::map<std::string, Tensor>, std::map<std::string, Tensor>>
train(int steps, const std::pair<std::map<std::string, Tensor>, std::map<std::string, Tensor>> *start,
      int firstStep = 0) {
  g::manualSeed(5);
  DropoutMLP model;
  if (start)
    model.loadStateDict(start->first);
  g::nn::CrossEntropyLoss criterion;
  g::Graph graph = g::traceForTraining(
      model, {{"x", {16, 64}}, {"y", {16}, GRAPHC_DTYPE_I64}},
      [&](const std::vector<g::Tensor> &xs) {
        return std::vector<g::Tensor>{criterion(model(xs[0]), xs[1])};
      });
  g::CompiledTrainStep program =
      graph.addTrainStep(g::OptimizerConfig::sgd(0.9), "forward_train").compileTrainStep();
  if (start)
    program.loadState(start->second);
  for (int step = firstStep; step < firstStep + steps; ++step) {
    Tensor x = random({16, 64}, GRAPHC_DTYPE_F32, -1, 1, 100 + step);
    Tensor y = Tensor::zeros({16}, GRAPHC_DTYPE_I64);
    for (int64_t i = 0; i < 16; ++i)
      y.data<int64_t>()[i] = (i * 7 + step) % 10;
    program.step({x, y}, 0.1);
  }
  std::map<std::string, Tensor> params, state;
  for (auto &[name, value] : model.stateDict()) {
    Tensor copy = Tensor::zeros(value.shape(), value.dtype());
    std::copy_n(static_cast<const char *>(value.rawData()), value.nbytes(),
                static_cast<char *>(copy.rawData()));
    params[name] = copy;
  }
  for (auto &[name, value] : program.state()) {
    Tensor copy = Tensor::zeros(value.shape(), value.dtype());
    std::copy_n(static_cast<const char *>(value.rawData()), value.nbytes(),
                static_cast<char *>(copy.rawData()));
    state[name] = copy;
  }
  return {params, state};
}

} // namespace

TEST(Dropout, TrainingIsBitIdenticalWhenRepeatedAndWhenResumed) {
  auto whole = train(10, nullptr);
  auto again = train(10, nullptr);
  for (auto &[name, value] : whole.first)
    EXPECT_EQ(toRef(value).data, toRef(again.first.at(name)).data) << name;
  // On one thread and on two: the same masks and the same sums.
  for (int threads : {1, 2}) {
    g::setNumThreads(threads);
    auto run = train(10, nullptr);
    g::setNumThreads(0);
    for (auto &[name, value] : whole.first)
      EXPECT_EQ(toRef(value).data, toRef(run.first.at(name)).data) << name << ", " << threads
                                                                   << " thread(s)";
  }
  ASSERT_TRUE(whole.second.count("rng_state"));
  EXPECT_EQ(whole.second.at("rng_state").data<int64_t>()[0], 5); // the seed
  EXPECT_EQ(whole.second.at("rng_state").data<int64_t>()[1], 10); // one draw per step
  // 4 steps, then 6 more from the saved parameters and state.
  auto first = train(4, nullptr);
  auto resumed = train(6, &first, /*firstStep=*/4);
  for (auto &[name, value] : whole.first)
    EXPECT_EQ(toRef(value).data, toRef(resumed.first.at(name)).data) << name;
}
