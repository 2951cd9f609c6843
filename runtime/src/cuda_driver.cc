// The CUDA driver API, opened at run time (graphc/runtime/cuda.h).
//
// The driver types are declared by hand (cuda_internal.h says why).

#include "graphc/runtime/cuda.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "cuda_internal.h"
#include "status_internal.h"

using graphc::rt::detail::make_status;

namespace graphc::rt::cuda {

namespace {

// cuGetProcAddress asks for the entry points of this CUDA version's ABI
// (a plain dlsym of "cuMemAlloc" would give the CUDA 3 one).
constexpr int kDriverAbiVersion = 12000;

// The driver's own names for the errors it returns before it can name them
// (a stub library's cuGetErrorName fails too): the ones a user meets first.
const char* errorName(CUresult result) {
  switch (result) {
    case 1: return "CUDA_ERROR_INVALID_VALUE";
    case 2: return "CUDA_ERROR_OUT_OF_MEMORY";
    case 3: return "CUDA_ERROR_NOT_INITIALIZED";
    case 34: return "CUDA_ERROR_STUB_LIBRARY";
    case 35: return "CUDA_ERROR_INSUFFICIENT_DRIVER";
    case 100: return "CUDA_ERROR_NO_DEVICE";
    case 101: return "CUDA_ERROR_INVALID_DEVICE";
    case 200: return "CUDA_ERROR_INVALID_IMAGE";
    case 209: return "CUDA_ERROR_NO_BINARY_FOR_GPU";
    case 218: return "CUDA_ERROR_INVALID_PTX";
    case 222: return "CUDA_ERROR_UNSUPPORTED_PTX_VERSION";
    case 400: return "CUDA_ERROR_INVALID_HANDLE";
    case 500: return "CUDA_ERROR_NOT_FOUND";
    case 700: return "CUDA_ERROR_ILLEGAL_ADDRESS";
    case 701: return "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES";
    case 702: return "CUDA_ERROR_LAUNCH_TIMEOUT";
    case 719: return "CUDA_ERROR_LAUNCH_FAILED";
    case 900: return "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED";
    case 999: return "CUDA_ERROR_UNKNOWN";
    default: return "a CUDA error";
  }
}

template <typename F>
bool lookUp(Driver& driver, const char* name, F* out) {
  void* fn = nullptr;
  int found = 0;
  if (driver.getProcAddress(name, &fn, kDriverAbiVersion, 0, &found) != kSuccess || !fn)
    return false;
  *out = reinterpret_cast<F>(fn);
  return true;
}

// Every entry point past cuInit; the name of the first missing one, or NULL.
const char* lookUpAll(Driver& d) {
#define GRAPHC_LOOK_UP(field, name) \
  if (!lookUp(d, name, &d.field)) return name;
  GRAPHC_LOOK_UP(driverGetVersion, "cuDriverGetVersion")
  GRAPHC_LOOK_UP(deviceGetCount, "cuDeviceGetCount")
  GRAPHC_LOOK_UP(deviceGet, "cuDeviceGet")
  GRAPHC_LOOK_UP(deviceGetName, "cuDeviceGetName")
  GRAPHC_LOOK_UP(deviceGetAttribute, "cuDeviceGetAttribute")
  GRAPHC_LOOK_UP(primaryCtxRetain, "cuDevicePrimaryCtxRetain")
  GRAPHC_LOOK_UP(ctxSetCurrent, "cuCtxSetCurrent")
  GRAPHC_LOOK_UP(moduleLoadDataEx, "cuModuleLoadDataEx")
  GRAPHC_LOOK_UP(moduleGetFunction, "cuModuleGetFunction")
  GRAPHC_LOOK_UP(launchKernel, "cuLaunchKernel")
  GRAPHC_LOOK_UP(memAlloc, "cuMemAlloc")
  GRAPHC_LOOK_UP(memFree, "cuMemFree")
  GRAPHC_LOOK_UP(memHostAlloc, "cuMemHostAlloc")
  GRAPHC_LOOK_UP(memFreeHost, "cuMemFreeHost")
  GRAPHC_LOOK_UP(memcpyHtoDAsync, "cuMemcpyHtoDAsync")
  GRAPHC_LOOK_UP(memcpyDtoHAsync, "cuMemcpyDtoHAsync")
  GRAPHC_LOOK_UP(memsetD8Async, "cuMemsetD8Async")
  GRAPHC_LOOK_UP(streamCreate, "cuStreamCreate")
  GRAPHC_LOOK_UP(streamDestroy, "cuStreamDestroy")
  GRAPHC_LOOK_UP(streamSynchronize, "cuStreamSynchronize")
  GRAPHC_LOOK_UP(streamWaitEvent, "cuStreamWaitEvent")
  GRAPHC_LOOK_UP(eventCreate, "cuEventCreate")
  GRAPHC_LOOK_UP(eventDestroy, "cuEventDestroy")
  GRAPHC_LOOK_UP(eventRecord, "cuEventRecord")
  GRAPHC_LOOK_UP(eventSynchronize, "cuEventSynchronize")
  GRAPHC_LOOK_UP(streamBeginCapture, "cuStreamBeginCapture")
  GRAPHC_LOOK_UP(streamEndCapture, "cuStreamEndCapture")
  GRAPHC_LOOK_UP(graphInstantiate, "cuGraphInstantiateWithFlags")
  GRAPHC_LOOK_UP(graphLaunch, "cuGraphLaunch")
  GRAPHC_LOOK_UP(graphDestroy, "cuGraphDestroy")
  GRAPHC_LOOK_UP(graphExecDestroy, "cuGraphExecDestroy")
#undef GRAPHC_LOOK_UP
  return nullptr;
}

}  // namespace

std::string describe(CUresult result) {
  return std::string(errorName(result)) + " (" + std::to_string(result) + ")";
}

const Driver& driver() {
  static Driver loaded;
  static std::once_flag once;
  std::call_once(once, [] {
    Driver& d = loaded;
    const char* path = std::getenv("GRAPHC_LIBCUDA");
    if (!path || !*path) path = "libcuda.so.1";
    d.library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!d.library) {
      const char* why = dlerror();
      d.unavailable = std::string("no CUDA driver: cannot load ") + path + " (" +
                      (why ? why : "unknown error") +
                      "); install the NVIDIA driver, or run on a machine with a GPU";
      return;
    }
    // cuInit first, through dlsym (its ABI never changed): a stub library
    // or a machine without a device answers here, before any other lookup
    // (a stub's cuGetProcAddress fails for every name).
    d.init = reinterpret_cast<decltype(d.init)>(dlsym(d.library, "cuInit"));
    if (!d.init) {
      d.unavailable = std::string(path) + " is not a CUDA driver: it has no cuInit";
      return;
    }
    CUresult result = d.init(0);
    if (result == 34) {
      d.unavailable = std::string("the CUDA driver ") + path +
                      " is the toolkit's stub library, not a real driver: " + describe(result);
      return;
    }
    if (result != kSuccess) {
      d.unavailable = std::string("the CUDA driver failed to initialize: ") + describe(result) +
                      (result == 100 ? ": this machine has no CUDA device" : "");
      return;
    }
    d.getProcAddress = reinterpret_cast<decltype(d.getProcAddress)>(
        dlsym(d.library, "cuGetProcAddress_v2"));
    if (!d.getProcAddress) {
      d.unavailable = std::string(path) +
                      " has no cuGetProcAddress_v2: the CUDA driver is older than CUDA 12";
      return;
    }
    if (const char* missing = lookUpAll(d)) {
      d.unavailable = std::string(path) + " lacks the driver entry point " + missing;
      return;
    }
    (void)d.driverGetVersion(&d.version);
    result = d.deviceGetCount(&d.devices);
    if (result != kSuccess || d.devices == 0) {
      d.unavailable = "no CUDA device: the driver sees none" +
                      (result != kSuccess ? " (" + describe(result) + ")" : std::string());
      return;
    }
    // graphc runs on device 0, in its primary context (the one the CUDA
    // runtime and PyTorch share).
    CUdevice device = 0;
    result = d.deviceGet(&device, 0);
    if (result == kSuccess) result = d.primaryCtxRetain(&d.context, device);
    if (result != kSuccess)
      d.unavailable = "CUDA device 0 cannot be used: its context: " + describe(result);
  });
  return loaded;
}

graphc_status_t useContext() {
  const Driver& d = driver();
  if (!d.unavailable.empty()) return make_status(GRAPHC_UNAVAILABLE, d.unavailable);
  CUresult result = d.ctxSetCurrent(d.context);
  if (result != kSuccess)
    return make_status(GRAPHC_INTERNAL, "cannot make the CUDA context current: " + describe(result));
  return nullptr;
}

}  // namespace graphc::rt::cuda

using graphc::rt::cuda::describe;
using graphc::rt::cuda::Driver;
using graphc::rt::cuda::driver;
using graphc::rt::cuda::kSuccess;
using graphc::rt::cuda::CUresult;
using graphc::rt::cuda::CUdevice;
constexpr int kAttributeComputeCapabilityMajor = 75;
constexpr int kAttributeComputeCapabilityMinor = 76;

extern "C" {

graphc_status_t graphc_cuda_check(void) {
  const Driver& d = driver();
  return d.unavailable.empty() ? nullptr : make_status(GRAPHC_UNAVAILABLE, d.unavailable);
}

int32_t graphc_cuda_is_available(void) { return driver().unavailable.empty() ? 1 : 0; }

int32_t graphc_cuda_device_count(void) {
  const Driver& d = driver();
  return d.unavailable.empty() ? d.devices : 0;
}

graphc_status_t graphc_cuda_driver_version(int32_t* out_version) {
  if (!out_version)
    return make_status(GRAPHC_INVALID_ARGUMENT, "graphc_cuda_driver_version: NULL argument");
  if (graphc_status_t status = graphc_cuda_check()) return status;
  *out_version = driver().version;
  return nullptr;
}

graphc_status_t graphc_cuda_device_info(int32_t device, char* buffer, size_t size,
                                        int32_t* out_major, int32_t* out_minor) {
  if (!buffer || size == 0 || !out_major || !out_minor)
    return make_status(GRAPHC_INVALID_ARGUMENT, "graphc_cuda_device_info: NULL argument");
  buffer[0] = '\0';
  if (graphc_status_t status = graphc_cuda_check()) return status;
  const Driver& d = driver();
  if (device < 0 || device >= d.devices)
    return make_status(GRAPHC_OUT_OF_RANGE, "CUDA device " + std::to_string(device) +
                                                " does not exist: there are " +
                                                std::to_string(d.devices));
  CUdevice handle = 0;
  CUresult result = d.deviceGet(&handle, device);
  if (result == kSuccess)
    result = d.deviceGetName(buffer, static_cast<int>(size < 1024 ? size : 1024), handle);
  int major = 0, minor = 0;
  if (result == kSuccess)
    result = d.deviceGetAttribute(&major, kAttributeComputeCapabilityMajor, handle);
  if (result == kSuccess)
    result = d.deviceGetAttribute(&minor, kAttributeComputeCapabilityMinor, handle);
  if (result != kSuccess)
    return make_status(GRAPHC_INTERNAL, "CUDA device " + std::to_string(device) +
                                            ": the driver cannot describe it: " +
                                            describe(result));
  buffer[size - 1] = '\0';
  *out_major = major;
  *out_minor = minor;
  return nullptr;
}

}  // extern "C"
