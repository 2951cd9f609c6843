// The runtime's CUDA driver loader without a GPU (this machine and CI have
// none): a missing driver library and the toolkit's stub library each give
// GRAPHC_UNAVAILABLE with a message saying which, and nothing crashes. Each
// case runs in a child process (EXPECT_EXIT), because the driver is loaded
// once per process and GRAPHC_LIBCUDA is read then.
#include "graphc/runtime/cuda.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace {

// Loads the driver from `library` and exits with the status code, printing
// the message (what EXPECT_EXIT matches).
[[noreturn]] void checkWith(const char* library) {
  setenv("GRAPHC_LIBCUDA", library, 1);
  graphc_status_t status = graphc_cuda_check();
  std::fprintf(stderr, "%s\n", graphc_status_message(status));
  int code = graphc_status_code(status);
  // Every query agrees with the check and refuses cleanly.
  char name[64];
  int32_t major = -1, minor = -1, version = -1;
  graphc_status_t info = graphc_cuda_device_info(0, name, sizeof name, &major, &minor);
  graphc_status_t driver = graphc_cuda_driver_version(&version);
  if (graphc_status_code(info) != graphc_status_code(status) ||
      graphc_status_code(driver) != graphc_status_code(status) ||
      graphc_cuda_is_available() != (status == nullptr) ||
      (status != nullptr && graphc_cuda_device_count() != 0))
    code = 100;
  graphc_status_free(status);
  graphc_status_free(info);
  graphc_status_free(driver);
  std::fflush(stderr);
  _exit(code);
}

}  // namespace

TEST(CudaDriver, MissingLibraryIsUnavailableNamingIt) {
  EXPECT_EXIT(checkWith("/nonexistent/libcuda.so.1"), testing::ExitedWithCode(GRAPHC_UNAVAILABLE),
              "no CUDA driver: cannot load /nonexistent/libcuda.so.1");
}

TEST(CudaDriver, StubLibraryIsUnavailableSayingSo) {
  const char* stub = "/usr/local/cuda/lib64/stubs/libcuda.so";
  if (access(stub, R_OK) != 0) GTEST_SKIP() << "no CUDA toolkit stub at " << stub;
  EXPECT_EXIT(checkWith(stub), testing::ExitedWithCode(GRAPHC_UNAVAILABLE),
              "is the toolkit's stub library, not a real driver: CUDA_ERROR_STUB_LIBRARY \\(34\\)");
}

TEST(CudaDriver, NullArgumentsAreRefused) {
  int32_t major = 0, minor = 0;
  graphc_status_t status = graphc_cuda_device_info(0, nullptr, 0, &major, &minor);
  EXPECT_EQ(graphc_status_code(status), GRAPHC_INVALID_ARGUMENT);
  graphc_status_free(status);
  status = graphc_cuda_driver_version(nullptr);
  EXPECT_EQ(graphc_status_code(status), GRAPHC_INVALID_ARGUMENT);
  graphc_status_free(status);
}

// The machine's own driver, whatever it has: a device (a GPU machine)
// answers with its name and capability; otherwise the check says why.
TEST(CudaDriver, TheMachinesDriverAnswersOrSaysWhy) {
  graphc_status_t status = graphc_cuda_check();
  if (status) {
    EXPECT_EQ(graphc_status_code(status), GRAPHC_UNAVAILABLE);
    EXPECT_FALSE(std::string(graphc_status_message(status)).empty());
    EXPECT_EQ(graphc_cuda_is_available(), 0);
    std::printf("no GPU here: %s\n", graphc_status_message(status));
    graphc_status_free(status);
    return;
  }
  char name[256];
  int32_t major = 0, minor = 0;
  ASSERT_EQ(graphc_cuda_device_info(0, name, sizeof name, &major, &minor), nullptr);
  EXPECT_GT(std::string(name).size(), 0u);
  EXPECT_GE(major, 5);
}
