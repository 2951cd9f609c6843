// Program objects over a hand-written model table: the runtime alone, no
// compiler. The entry points are plain C++ functions that check the arena
// they are given (size, alignment, one buffer across calls) and compute
// values the tests derive by hand.
#include <cmath>
#include <tuple>
#include <cstring>
#include <vector>

#include "graphc/runtime/program.hpp"
#include "test_util.h"

using graphc::rt::Error;
using graphc::rt::Program;
using graphc::rt::Tensor;

namespace {

constexpr int64_t kPerBatch = 24, kFixed = 40;

std::vector<void*> g_arenas; // every arena an entry point was given

// Writes every byte the arena must hold, so an undersized arena is a heap
// overflow under ASan; fails unless it is 64-byte aligned.
int32_t touchArena(void* arena, int64_t batch) {
  if (!arena || reinterpret_cast<uintptr_t>(arena) % 64 != 0) return 7;
  std::memset(arena, 0xab, static_cast<size_t>(kPerBatch * batch + kFixed));
  g_arenas.push_back(arena);
  return 0;
}

// train_step(x [B, 2], target [B], w [2], momentum_buffer.w [2], step, lr) -> loss:
// loss = mean of x; w -= lr; momentum_buffer.w += 1; step += 1.
int32_t trainStep(void* arena, int64_t batch, void* const* args, void* const* results) {
  if (int32_t rc = touchArena(arena, batch)) return rc;
  const float* x = static_cast<const float*>(args[0]);
  float* w = static_cast<float*>(args[2]);
  float* momentum = static_cast<float*>(args[3]);
  double* step = static_cast<double*>(args[4]);
  double lr = *static_cast<const double*>(args[5]);
  if (std::isnan(x[0])) return 2; // the generated code's "out of memory"
  if (x[0] == INFINITY) return 1;  // "a batch too large to address"
  if (x[0] == -INFINITY) return 3; // "a result of another size than the table's"
  float sum = 0;
  for (int64_t i = 0; i < 2 * batch; ++i) sum += x[i];
  for (int k = 0; k < 2; ++k) {
    w[k] -= static_cast<float>(lr);
    momentum[k] += 1;
  }
  *step += 1;
  *static_cast<float*>(results[0]) = sum / static_cast<float>(batch);
  return 0;
}

// forward(x [B, 2], w [2]) -> y [B] = x . w
int32_t forward(void* arena, int64_t batch, void* const* args, void* const* results) {
  if (int32_t rc = touchArena(arena, batch)) return rc;
  const float* x = static_cast<const float*>(args[0]);
  const float* w = static_cast<const float*>(args[1]);
  float* y = static_cast<float*>(results[0]);
  for (int64_t i = 0; i < batch; ++i) y[i] = x[2 * i] * w[0] + x[2 * i + 1] * w[1];
  return 0;
}

// scaled(x [B, 2], scale [B], w [2]) -> y [B] = (x . w) * scale: two inputs.
int32_t scaled(void* arena, int64_t batch, void* const* args, void* const* results) {
  if (int32_t rc = touchArena(arena, batch)) return rc;
  const float* x = static_cast<const float*>(args[0]);
  const float* scale = static_cast<const float*>(args[1]);
  const float* w = static_cast<const float*>(args[2]);
  float* y = static_cast<float*>(results[0]);
  for (int64_t i = 0; i < batch; ++i) y[i] = (x[2 * i] * w[0] + x[2 * i + 1] * w[1]) * scale[i];
  return 0;
}

graphc_model_tensor_t tensor(const char* name, graphc_dtype_t dtype, std::vector<int64_t> shape,
                             graphc_model_role_t role, int32_t updated = 0,
                             double initBound = 0) {
  graphc_model_tensor_t t{};
  t.name = name;
  t.dtype = dtype;
  t.rank = static_cast<int32_t>(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) t.shape[i] = shape[i];
  t.role = role;
  t.updated = updated;
  t.init_bound = initBound;
  return t;
}

struct FakeModel {
  std::vector<graphc_model_tensor_t> trainArguments{
      tensor("x", GRAPHC_DTYPE_F32, {-1, 2}, GRAPHC_ROLE_INPUT),
      tensor("target", GRAPHC_DTYPE_I64, {-1}, GRAPHC_ROLE_TARGET),
      tensor("w", GRAPHC_DTYPE_F32, {2}, GRAPHC_ROLE_PARAMETER, 1, 0.5),
      tensor("momentum_buffer.w", GRAPHC_DTYPE_F32, {2}, GRAPHC_ROLE_STATE, 1),
      tensor("step", GRAPHC_DTYPE_F64, {}, GRAPHC_ROLE_STEP, 1),
      tensor("lr", GRAPHC_DTYPE_F64, {}, GRAPHC_ROLE_LR)};
  std::vector<graphc_model_tensor_t> trainResults{
      tensor("loss", GRAPHC_DTYPE_F32, {}, GRAPHC_ROLE_RESULT)};
  std::vector<graphc_model_tensor_t> forwardArguments{
      tensor("x", GRAPHC_DTYPE_F32, {-1, 2}, GRAPHC_ROLE_INPUT),
      tensor("w", GRAPHC_DTYPE_F32, {2}, GRAPHC_ROLE_PARAMETER, 0, 0.5)};
  std::vector<graphc_model_tensor_t> forwardResults{
      tensor("y", GRAPHC_DTYPE_F32, {-1}, GRAPHC_ROLE_RESULT)};
  std::vector<graphc_model_tensor_t> scaledArguments{
      tensor("x", GRAPHC_DTYPE_F32, {-1, 2}, GRAPHC_ROLE_INPUT),
      tensor("scale", GRAPHC_DTYPE_F32, {-1}, GRAPHC_ROLE_INPUT),
      tensor("w", GRAPHC_DTYPE_F32, {2}, GRAPHC_ROLE_PARAMETER, 0, 0.5)};
  std::vector<graphc_model_entry_t> entries;
  graphc_model_t model{};

  FakeModel() {
    entries.push_back({"forward", &forward, kPerBatch, kFixed, 2, forwardArguments.data(), 1,
                       forwardResults.data()});
    entries.push_back({"train_step", &trainStep, kPerBatch, kFixed,
                       static_cast<int32_t>(trainArguments.size()), trainArguments.data(), 1,
                       trainResults.data()});
    entries.push_back({"scaled", &scaled, kPerBatch, kFixed, 3, scaledArguments.data(), 1,
                       forwardResults.data()});
    model = {GRAPHC_MODEL_ABI_VERSION, "fake", static_cast<int32_t>(entries.size()),
             entries.data(), GRAPHC_DEVICE_CPU};
  }
};

std::string errorOf(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(ProgramTest, TensorsAreParametersThenOptimizerStateUnderCheckpointNames) {
  FakeModel fake;
  Program program(&fake.model);
  std::vector<std::string> names;
  for (int32_t i = 0; i < graphc_program_num_tensors(program.get()); ++i)
    names.push_back(graphc_program_tensor_name(program.get(), i));
  EXPECT_EQ(names, (std::vector<std::string>{"w", "optimizer.momentum_buffer.w", "optimizer.step"}));
  // Created zero; init draws the parameter from U(-0.5, 0.5) and zeroes the rest.
  EXPECT_EQ(program.tensor("w").toVector<float>(), (std::vector<float>{0, 0}));
  program.tensor("optimizer.momentum_buffer.w").fill(3);
  program.init(0);
  for (float v : program.tensor("w").toVector<float>()) {
    EXPECT_LE(std::abs(v), 0.5f);
    EXPECT_NE(v, 0.0f);
  }
  EXPECT_EQ(program.tensor("optimizer.momentum_buffer.w").toVector<float>(),
            (std::vector<float>{0, 0}));
}

TEST(ProgramTest, EveryCallGetsTheSameAlignedArenaOfThePlannedSize) {
  FakeModel fake;
  Program program(&fake.model);
  g_arenas.clear();
  Tensor x = Tensor::fromData(std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8}, {4, 2});
  Tensor target = Tensor::zeros({4}, GRAPHC_DTYPE_I64);
  EXPECT_DOUBLE_EQ(program.trainStep(x, target, 0.25), 9.0); // 36 / 4
  program.trainStep(x, target, 0.25);
  program.trainStep(x, target, 0.25);
  EXPECT_EQ(program.tensor("w").toVector<float>(), (std::vector<float>{-0.75f, -0.75f}));
  EXPECT_EQ(program.tensor("optimizer.momentum_buffer.w").toVector<float>(),
            (std::vector<float>{3, 3}));
  EXPECT_EQ(program.tensor("optimizer.step").data<double>()[0], 3.0);
  Tensor y = program.forward(x);
  EXPECT_EQ(y.toVector<float>(), (std::vector<float>{-2.25f, -5.25f, -8.25f, -11.25f}));
  ASSERT_EQ(g_arenas.size(), 4u);
  for (void* arena : g_arenas) EXPECT_EQ(arena, g_arenas[0]);
  EXPECT_EQ(program.arenaAllocations(), 1);
  EXPECT_GE(program.arenaBytes(), kPerBatch * 4 + kFixed);
  EXPECT_EQ(program.arenaBytes() % 64, 0);
}

TEST(ProgramTest, AnEntryPointsErrorCodesBecomeStatuses) {
  FakeModel fake;
  Program program(&fake.model);
  graphc_tensor_t* target = nullptr;
  int64_t shape[1] = {1};
  graphc::rt::check(graphc_tensor_create(GRAPHC_DTYPE_I64, 1, shape, nullptr, &target));
  for (auto [first, code, words] :
       {std::tuple{INFINITY, GRAPHC_INVALID_ARGUMENT, "too large for its sizes to be addressed"},
        std::tuple{-INFINITY, GRAPHC_INTERNAL, "another size than the model's table says"}}) {
    Tensor x = Tensor::fromData(std::vector<float>{first, 0}, {1, 2});
    double loss = -1;
    graphc_status_t status = graphc_program_train_step(program.get(), x.get(), target, 0.1, &loss);
    EXPECT_EQ(graphc_status_code(status), code);
    EXPECT_NE(std::string(graphc_status_message(status)).find(words), std::string::npos)
        << graphc_status_message(status);
    EXPECT_EQ(loss, -1);
    graphc_status_free(status);
  }
  graphc_tensor_release(target);
}

TEST(ProgramTest, AFailingEntryPointIsOutOfMemoryAndReturnsNoResult) {
  FakeModel fake;
  Program program(&fake.model);
  Tensor x = Tensor::fromData(std::vector<float>{NAN, 0}, {1, 2});
  graphc_tensor_t* target = nullptr;
  int64_t shape[1] = {1};
  graphc::rt::check(graphc_tensor_create(GRAPHC_DTYPE_I64, 1, shape, nullptr, &target));
  double loss = -1;
  graphc_status_t status = graphc_program_train_step(program.get(), x.get(), target, 0.1, &loss);
  EXPECT_EQ(graphc_status_code(status), GRAPHC_RESOURCE_EXHAUSTED);
  EXPECT_EQ(loss, -1);
  graphc_status_free(status);
  graphc_tensor_release(target);
}

TEST(ProgramTest, RefusesInconsistentModelDescriptions) {
  FakeModel fake;
  fake.model.abi_version = 99;
  EXPECT_EQ(errorOf([&] { Program p(&fake.model); }),
            "model description has ABI version 99, this runtime reads " +
                std::to_string(GRAPHC_MODEL_ABI_VERSION) +
                " (recompile the model with this graphc)");
  FakeModel twoShapes;
  twoShapes.forwardArguments[1].shape[0] = 3;
  EXPECT_EQ(errorOf([&] { Program p(&twoShapes.model); }),
            "model 'fake': 'train_step' takes w as float32 [2], another entry point as "
            "float32 [3]");
  FakeModel dynamicParameter;
  dynamicParameter.forwardArguments[1].shape[0] = -1;
  dynamicParameter.trainArguments[2].shape[0] = -1;
  EXPECT_EQ(errorOf([&] { Program p(&dynamicParameter.model); }),
            "model 'fake': w has a dynamic dimension; parameters and optimizer state need "
            "static shapes");
  FakeModel rankNine;
  rankNine.forwardResults[0].rank = 9;
  EXPECT_EQ(errorOf([&] { Program p(&rankNine.model); }),
            "model 'fake': 'forward' has a malformed tensor 'y' (rank 9, dtype 0, role 6)");
  FakeModel lrNotScalar;
  lrNotScalar.trainArguments[5].dtype = GRAPHC_DTYPE_F32;
  EXPECT_EQ(errorOf([&] { Program p(&lrNotScalar.model); }),
            "model 'fake': 'train_step' has a malformed tensor 'lr' (rank 0, dtype 0, role 5)");
  FakeModel noEval;
  Program program(&noEval.model);
  double lossSum = 0;
  int64_t correct = 0;
  graphc_status_t status = graphc_program_eval(program.get(), nullptr, nullptr, &lossSum, &correct);
  EXPECT_STREQ(graphc_status_message(status), "model 'fake' has no entry point 'eval'");
  graphc_status_free(status);
}

// run and runInto's tests: a program over the fake model with w = (2, 3),
// an input x of two rows and a per-row scale.
class ProgramRunTest : public ::testing::Test {
 protected:
  ProgramRunTest() {
    Tensor w = program.tensor("w");
    w.data<float>()[0] = 2;
    w.data<float>()[1] = 3;
  }
  FakeModel fake;
  Program program{&fake.model};
  Tensor x = Tensor::fromData(std::vector<float>{1, 1, 0, 2}, {2, 2});
  Tensor scale = Tensor::fromData(std::vector<float>{10, -1}, {2});
};

TEST_F(ProgramRunTest, RunTakesAnEntryPointsInputsAndTargetsInTableOrder) {
  // Two inputs: y = (x . w) * scale = (5 * 10, 6 * -1).
  std::vector<Tensor> y = program.run("scaled", {x, scale});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(y[0].toVector<float>(), (std::vector<float>{50, -6}));
  // forward through run is graphc_program_forward's result: x . w = (5, 6).
  EXPECT_EQ(program.run("forward", {x}).at(0).toVector<float>(), (std::vector<float>{5, 6}));
  EXPECT_EQ(program.forward(x).toVector<float>(), (std::vector<float>{5, 6}));
  // train_step through run: data are x and the target, lr is an argument
  // (loss = mean of x's four values over the batch of 2; w -= lr).
  Tensor target = Tensor::zeros({2}, GRAPHC_DTYPE_I64);
  std::vector<Tensor> loss = program.run("train_step", {x, target}, 0.5);
  EXPECT_EQ(loss.at(0).toVector<float>(), (std::vector<float>{2}));
  EXPECT_EQ(program.tensor("w").toVector<float>(), (std::vector<float>{1.5f, 2.5f}));
  // The count and every shape are checked against the batch of the first input.
  EXPECT_EQ(errorOf([&] { program.run("scaled", {x}); }),
            "'scaled' takes 2 data tensors (its inputs and targets), got 1");
  Tensor shortScale = Tensor::fromData(std::vector<float>{1}, {1});
  EXPECT_NE(errorOf([&] { program.run("scaled", {x, shortScale}); }).find("scale expects"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { program.run("nothing", {}); }).find("no entry point 'nothing'"),
            std::string::npos);
}

TEST_F(ProgramRunTest, RunIntoWritesTheCallersTensorsAndChecksThem) {
  // y = (x . w) * scale, written where the caller says, every call.
  Tensor y = Tensor::fromData(std::vector<float>{7, 7}, {2});
  void* where = y.data<float>();
  program.runInto("scaled", {x, scale}, {y});
  EXPECT_EQ(y.toVector<float>(), (std::vector<float>{50, -6}));
  EXPECT_EQ(static_cast<void*>(y.data<float>()), where);
  scale.data<float>()[1] = 2;
  program.runInto("scaled", {x, scale}, {y});
  EXPECT_EQ(y.toVector<float>(), (std::vector<float>{50, 12}));
  // train_step's loss into a scalar; the parameters still update in place.
  Tensor loss = Tensor::zeros({}, GRAPHC_DTYPE_F32);
  program.runInto("train_step", {x, Tensor::zeros({2}, GRAPHC_DTYPE_I64)}, {loss}, 0.5);
  EXPECT_EQ(loss.toVector<float>(), (std::vector<float>{2}));
  EXPECT_EQ(program.tensor("w").toVector<float>(), (std::vector<float>{1.5f, 2.5f}));

  // Checked before the call: the count, dtype and shape at the input's
  // batch, and memory shared with anything the entry point reads (it may
  // write a result before it has read every argument). A refused call
  // leaves the result as it was.
  y = Tensor::fromData(std::vector<float>{7, 7}, {2});
  EXPECT_EQ(errorOf([&] { program.runInto("scaled", {x, scale}, {}); }),
            "'scaled' returns 1 results, 0 tensors were given for them");
  EXPECT_EQ(errorOf([&] { program.runInto("scaled", {x, scale}, {Tensor::zeros({3})}); }),
            "'scaled': y expects float32 [B] with B = 2 (the input's batch), got float32 [3]");
  EXPECT_NE(errorOf([&] {
              program.runInto("scaled", {x, scale}, {Tensor::zeros({2}, GRAPHC_DTYPE_F64)});
            }).find("y expects float32 [B]"),
            std::string::npos);
  EXPECT_EQ(errorOf([&] { program.runInto("scaled", {x, scale}, {scale}); }),
            "'scaled': result y shares memory with data tensor scale, which the entry point "
            "reads or writes; give it a buffer of its own");
  // A tensor over the last two of x's values: x's memory, partly.
  EXPECT_NE(errorOf([&] {
              Tensor flat = Tensor::adopt([&] {
                graphc_tensor_t* t = nullptr;
                int64_t two = 2;
                EXPECT_EQ(graphc_tensor_wrap(GRAPHC_DTYPE_F32, 1, &two, x.data<float>() + 1,
                                             nullptr, nullptr, &t),
                          nullptr);
                return t;
              }());
              program.runInto("scaled", {x, scale}, {flat});
            }).find("shares memory with data tensor x"),
            std::string::npos);
  EXPECT_EQ(errorOf([&] { program.runInto("scaled", {x, scale}, {program.tensor("w")}); }),
            "'scaled': result y shares memory with the program's tensor w, which the entry "
            "point reads or writes; give it a buffer of its own");
  EXPECT_EQ(y.toVector<float>(), (std::vector<float>{7, 7}));
  EXPECT_EQ(program.tensor("w").toVector<float>(), (std::vector<float>{1.5f, 2.5f}));

  // The C API refuses NULLs and an unknown entry by name.
  graphc_tensor_t* none = nullptr;
  const graphc_tensor_t* data[] = {x.get(), scale.get()};
  graphc_status_t status = graphc_program_run_into(program.get(), "scaled", data, 2, 0, &none, 1);
  ASSERT_NE(status, nullptr);
  EXPECT_STREQ(graphc_status_message(status), "'scaled': y is NULL");
  graphc_status_free(status);
  graphc_tensor_t* out[] = {y.get()};
  status = graphc_program_run_into(program.get(), "nothing", data, 2, 0, out, 1);
  ASSERT_NE(status, nullptr);
  EXPECT_NE(std::string(graphc_status_message(status)).find("no entry point 'nothing'"),
            std::string::npos);
  graphc_status_free(status);
  status = graphc_program_run_into(program.get(), "scaled", data, 2, 0, nullptr, 1);
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(graphc_status_code(status), GRAPHC_INVALID_ARGUMENT);
  graphc_status_free(status);
}
