// A program object over a LeNet compiled with --target=cuda, run against the
// stand-in driver (fake_cuda_driver.cc, loaded through GRAPHC_LIBCUDA, which
// ctest sets). The kernels do not run there; what is checked is everything
// the host does: the model's tensors kept on the device and copied only when
// the host changed or reads them, the PTX module loaded once, every launch
// with device memory only (the driver refuses host pointers, and the host
// cannot touch device memory without crashing), the step captured into a
// CUDA graph and replayed, errors naming the kernel, and checkpoints that
// the CPU build of the same model reads.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "graphc/runtime/cuda.h"
#include "graphc/runtime/program.h"
#include "graphc/runtime/tensor.h"

extern "C" const graphc_model_t lenet_cuda_model;
extern "C" const graphc_model_t lenet_cpu_model;

namespace {

// The stand-in driver's counters (module_loads, launches, graph_replays...).
int driverCount(const char* key) {
  // The runtime opened it already: RTLD_NOLOAD finds that copy.
  void* library = dlopen(std::getenv("GRAPHC_LIBCUDA"), RTLD_NOW | RTLD_NOLOAD);
  if (!library) return -1;
  auto counter = reinterpret_cast<int (*)(const char*)>(dlsym(library, "fake_cuda_count"));
  int value = counter ? counter(key) : -1;
  dlclose(library);
  return value;
}

struct Batch {
  graphc_tensor_t* images = nullptr;
  graphc_tensor_t* labels = nullptr;
  explicit Batch(int64_t size) {
    int64_t imageShape[] = {size, 1, 28, 28}, labelShape[] = {size};
    EXPECT_EQ(graphc_tensor_create(GRAPHC_DTYPE_F32, 4, imageShape, nullptr, &images), nullptr);
    EXPECT_EQ(graphc_tensor_create(GRAPHC_DTYPE_I64, 1, labelShape, nullptr, &labels), nullptr);
    auto* label = static_cast<int64_t*>(graphc_tensor_data(labels));
    for (int64_t i = 0; i < size; ++i) label[i] = i % 10;
  }
  ~Batch() {
    graphc_tensor_release(images);
    graphc_tensor_release(labels);
  }
};

std::string message(graphc_status_t status) {
  std::string text = status ? graphc_status_message(status) : "";
  graphc_status_free(status);
  return text;
}

std::vector<float> values(graphc_program_t* program, const char* name) {
  graphc_tensor_t* tensor = nullptr;
  EXPECT_EQ(message(graphc_program_find_tensor(program, name, &tensor)), "");
  if (!tensor) return {};
  auto* data = static_cast<const float*>(graphc_tensor_data(tensor));
  return std::vector<float>(data, data + graphc_tensor_numel(tensor));
}

class CudaProgram : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(message(graphc_program_create(&lenet_cuda_model, &program_)), "");
    ASSERT_EQ(message(graphc_program_init(program_, 7)), "");
  }
  void TearDown() override { graphc_program_release(program_); }
  graphc_program_t* program_ = nullptr;
};

TEST_F(CudaProgram, RunsOnTheDevice) {
  EXPECT_EQ(lenet_cuda_model.device, GRAPHC_DEVICE_CUDA);
  EXPECT_EQ(lenet_cpu_model.device, GRAPHC_DEVICE_CPU);
  EXPECT_EQ(graphc_program_device(program_), GRAPHC_DEVICE_CUDA);
  EXPECT_EQ(graphc_cuda_is_available(), 1);
  char name[64];
  int32_t major = 0, minor = 0;
  EXPECT_EQ(message(graphc_cuda_device_info(0, name, sizeof name, &major, &minor)), "");
  EXPECT_STREQ(name, "graphc fake GPU");
}

TEST_F(CudaProgram, StepsLaunchOnlyDeviceMemoryAndLoadTheModuleOnce) {
  Batch batch(8);
  int loads = driverCount("module_loads");
  for (int step = 0; step < 3; ++step) {
    double loss = -1;
    ASSERT_EQ(message(graphc_program_train_step(program_, batch.images, batch.labels, 0.01, &loss)),
              "");
  }
  // At most one load for the whole process (the first test to run loads it).
  EXPECT_LE(driverCount("module_loads") - loads, 1);
  EXPECT_EQ(driverCount("errors"), 0);
  EXPECT_GT(driverCount("launches"), 0);
}

TEST_F(CudaProgram, HostChangesReachTheDeviceAndComeBack) {
  Batch batch(4);
  std::vector<float> initial = values(program_, "conv1.weight");
  ASSERT_FALSE(initial.empty());
  double loss = 0;
  ASSERT_EQ(message(graphc_program_train_step(program_, batch.images, batch.labels, 0.01, &loss)),
            "");
  // The stand-in's kernels compute nothing: what comes back is what went up.
  EXPECT_EQ(values(program_, "conv1.weight"), initial);
  // A value written on the host is uploaded before the next call and is
  // what the device holds afterwards (were it not uploaded, the download
  // after the step would bring the old value back).
  graphc_tensor_t* weight = nullptr;
  ASSERT_EQ(message(graphc_program_find_tensor(program_, "conv1.weight", &weight)), "");
  static_cast<float*>(graphc_tensor_data(weight))[0] = 42.0f;
  ASSERT_EQ(message(graphc_program_train_step(program_, batch.images, batch.labels, 0.01, &loss)),
            "");
  EXPECT_EQ(values(program_, "conv1.weight")[0], 42.0f);
  // Initialization after steps replaces the device's values too.
  ASSERT_EQ(message(graphc_program_init(program_, 7)), "");
  ASSERT_EQ(message(graphc_program_train_step(program_, batch.images, batch.labels, 0.01, &loss)),
            "");
  EXPECT_EQ(values(program_, "conv1.weight"), initial);
}

TEST_F(CudaProgram, TheStepIsCapturedIntoACudaGraphAndReplayed) {
  Batch batch(16);
  int captures = driverCount("graph_captures");
  double loss = 0;
  for (int step = 0; step < 5; ++step)
    ASSERT_EQ(message(graphc_program_train_step(program_, batch.images, batch.labels, 0.01, &loss)),
              "");
  // Step 1 warms up (loads the module), step 2 is captured and replayed,
  // steps 3-5 replay.
  EXPECT_EQ(driverCount("graph_captures") - captures, 1);
  EXPECT_EQ(graphc_program_cuda_graph_replays(program_), 4);
  EXPECT_EQ(driverCount("errors"), 0);  // nothing synchronized while capturing
  // A new batch size is a new graph; turning graphs off runs the kernels.
  Batch other(8);
  graphc_program_set_cuda_graphs(program_, 0);
  for (int step = 0; step < 3; ++step)
    ASSERT_EQ(message(graphc_program_train_step(program_, other.images, other.labels, 0.01, &loss)),
              "");
  EXPECT_EQ(graphc_program_cuda_graph_replays(program_), 4);
}

TEST_F(CudaProgram, ALaunchFailureNamesTheKernel) {
  Batch batch(4);
  setenv("FAKE_CUDA_FAIL", "launch", 1);
  double loss = 0;
  std::string error =
      message(graphc_program_train_step(program_, batch.images, batch.labels, 0.01, &loss));
  unsetenv("FAKE_CUDA_FAIL");
  EXPECT_NE(error.find("model 'lenet_cuda', 'train_step' on the GPU: launching kernel '"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("CUDA_ERROR_LAUNCH_FAILED (719)"), std::string::npos) << error;
  // The program is still usable.
  EXPECT_EQ(message(graphc_program_train_step(program_, batch.images, batch.labels, 0.01, &loss)),
            "");
}

TEST_F(CudaProgram, EvalAndForwardGiveResultsOfTheTablesSizes) {
  Batch batch(5);
  double lossSum = -1;
  int64_t correct = -1;
  ASSERT_EQ(message(graphc_program_eval(program_, batch.images, batch.labels, &lossSum, &correct)),
            "");
  graphc_tensor_t* logits = nullptr;
  ASSERT_EQ(message(graphc_program_forward(program_, batch.images, &logits)), "");
  EXPECT_EQ(graphc_tensor_numel(logits), 50);
  graphc_tensor_release(logits);
}

TEST_F(CudaProgram, ItsCheckpointLoadsIntoTheCpuBuild) {
  std::string path = testing::TempDir() + "/cuda_program_checkpoint.safetensors";
  Batch batch(4);
  double loss = 0;
  ASSERT_EQ(message(graphc_program_train_step(program_, batch.images, batch.labels, 0.01, &loss)),
            "");
  ASSERT_EQ(message(graphc_program_save(program_, path.c_str())), "");
  graphc_program_t* cpu = nullptr;
  ASSERT_EQ(message(graphc_program_create(&lenet_cpu_model, &cpu)), "");
  ASSERT_EQ(message(graphc_program_load(cpu, path.c_str(), 1)), "");
  EXPECT_EQ(values(cpu, "fc3.bias"), values(program_, "fc3.bias"));
  EXPECT_EQ(values(cpu, "conv2.weight"), values(program_, "conv2.weight"));
  // And back: a CPU checkpoint loads into the GPU program.
  static_cast<float*>(graphc_tensor_data(graphc_program_tensor(cpu, 0)))[0] = -3.0f;
  ASSERT_EQ(message(graphc_program_save(cpu, path.c_str())), "");
  ASSERT_EQ(message(graphc_program_load(program_, path.c_str(), 1)), "");
  ASSERT_EQ(message(graphc_program_train_step(program_, batch.images, batch.labels, 0.01, &loss)),
            "");
  EXPECT_EQ(static_cast<float*>(graphc_tensor_data(graphc_program_tensor(program_, 0)))[0], -3.0f);
  graphc_program_release(cpu);
  std::remove(path.c_str());
}

// The entry points called directly, as a C program embedding the object
// would: every pointer device memory (the C ABI rule of docs/gpu.md).
TEST(CudaEntryPoints, TakeDevicePointers) {
  const graphc_model_entry_t* forward = nullptr;
  for (int32_t e = 0; e < lenet_cuda_model.num_entries; ++e)
    if (std::strcmp(lenet_cuda_model.entries[e].name, "forward") == 0)
      forward = &lenet_cuda_model.entries[e];
  ASSERT_NE(forward, nullptr);
  const int64_t batch = 2;
  std::vector<void*> arguments, results;
  auto allocate = [&](const graphc_model_tensor_t& t) {
    size_t bytes = graphc_dtype_size(static_cast<graphc_dtype_t>(t.dtype));
    for (int32_t d = 0; d < t.rank; ++d) bytes *= t.shape[d] < 0 ? -t.shape[d] * batch : t.shape[d];
    void* memory = nullptr;
    EXPECT_EQ(message(graphc_cuda_malloc(bytes, &memory)), "");
    std::vector<char> zeros(bytes, 0);
    EXPECT_EQ(message(graphc_cuda_copy_to_device(memory, zeros.data(), bytes)), "");
    return memory;
  };
  for (int32_t i = 0; i < forward->num_arguments; ++i)
    arguments.push_back(allocate(forward->arguments[i]));
  for (int32_t i = 0; i < forward->num_results; ++i) results.push_back(allocate(forward->results[i]));
  // No arena: the entry point takes device memory for it from the runtime.
  EXPECT_EQ(forward->call(nullptr, batch, arguments.data(), results.data()), 0)
      << message(graphc_cuda_last_error());
  std::vector<float> logits(batch * 10, -1.0f);
  EXPECT_EQ(message(graphc_cuda_copy_to_host(logits.data(), results[0], logits.size() * 4)), "");
  EXPECT_EQ(logits, std::vector<float>(batch * 10, 0.0f));  // device memory starts zero here
  for (void* p : arguments) graphc_cuda_free(p);
  for (void* p : results) graphc_cuda_free(p);
  EXPECT_EQ(driverCount("errors"), 0);
}

// No driver: creating the program says so, naming the model.
TEST(CudaWithoutADriver, ProgramCreationSaysWhy) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("GRAPHC_LIBCUDA", "/nonexistent/libcuda.so.1", 1);
        graphc_program_t* program = nullptr;
        graphc_status_t status = graphc_program_create(&lenet_cuda_model, &program);
        int code = graphc_status_code(status);
        std::fprintf(stderr, "%s\n", message(status).c_str());
        std::exit(code == GRAPHC_UNAVAILABLE && !program ? 0 : 1);
      },
      testing::ExitedWithCode(0),
      "model 'lenet_cuda' was compiled for CUDA \\(--target=cuda\\) and needs a GPU: no CUDA "
      "driver: cannot load /nonexistent/libcuda.so.1");
}

// A fresh process: the module cache is empty, and the driver refuses it.
TEST(CudaModuleLoad, FailureShowsTheJitLog) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("FAKE_CUDA_FAIL", "load", 1);
        graphc_program_t* program = nullptr;
        std::string error = message(graphc_program_create(&lenet_cuda_model, &program));
        if (error.empty()) error = message(graphc_program_init(program, 1));
        Batch batch(2);
        double loss = 0;
        if (error.empty())
          error = message(
              graphc_program_train_step(program, batch.images, batch.labels, 0.01, &loss));
        std::fprintf(stderr, "%s\n", error.c_str());
        std::exit(error.empty() ? 1 : 0);
      },
      testing::ExitedWithCode(0),
      "cannot load the model's kernels: CUDA_ERROR_INVALID_PTX \\(218\\); its JIT log: ptxas "
      "fatal: the fake driver refuses it");
}

}  // namespace
