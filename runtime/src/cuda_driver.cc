// The CUDA driver API, opened at run time (graphc/runtime/cuda.h).
//
// The few driver types and constants used here are declared by hand instead
// of including the toolkit's cuda.h: the runtime builds, and its CPU paths
// run, on machines with no CUDA toolkit at all. They are the driver API's
// stable C ABI (CUresult and CUdevice are ints; the attribute numbers and
// error codes are fixed by NVIDIA's headers since CUDA 2-4).

#include "graphc/runtime/cuda.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "status_internal.h"

using graphc::rt::detail::make_status;

namespace {

using CUresult = int;
using CUdevice = int;
constexpr CUresult kSuccess = 0;
constexpr int kAttributeComputeCapabilityMajor = 75;
constexpr int kAttributeComputeCapabilityMinor = 76;
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
    case 209: return "CUDA_ERROR_NO_BINARY_FOR_GPU";
    case 218: return "CUDA_ERROR_INVALID_PTX";
    case 222: return "CUDA_ERROR_UNSUPPORTED_PTX_VERSION";
    case 700: return "CUDA_ERROR_ILLEGAL_ADDRESS";
    case 719: return "CUDA_ERROR_LAUNCH_FAILED";
    case 900: return "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED";
    case 999: return "CUDA_ERROR_UNKNOWN";
    default: return "a CUDA error";
  }
}

std::string describe(CUresult result) {
  return std::string(errorName(result)) + " (" + std::to_string(result) + ")";
}

struct Driver {
  void* library = nullptr;
  CUresult (*getProcAddress)(const char*, void**, int, uint64_t, int*) = nullptr;
  CUresult (*init)(unsigned) = nullptr;
  CUresult (*driverGetVersion)(int*) = nullptr;
  CUresult (*deviceGetCount)(int*) = nullptr;
  CUresult (*deviceGet)(CUdevice*, int) = nullptr;
  CUresult (*deviceGetName)(char*, int, CUdevice) = nullptr;
  CUresult (*deviceGetAttribute)(int*, int, CUdevice) = nullptr;
  int version = 0;
  int devices = 0;
  std::string unavailable;  // why CUDA cannot be used; empty when it can
};

template <typename F>
bool lookUp(Driver& driver, const char* name, F* out) {
  void* fn = nullptr;
  int found = 0;
  if (driver.getProcAddress(name, &fn, kDriverAbiVersion, 0, &found) != kSuccess || !fn)
    return false;
  *out = reinterpret_cast<F>(fn);
  return true;
}

// Loads and initializes the driver once; the answer is kept.
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
    const char* missing = nullptr;
    if (!lookUp(d, "cuDriverGetVersion", &d.driverGetVersion)) missing = "cuDriverGetVersion";
    else if (!lookUp(d, "cuDeviceGetCount", &d.deviceGetCount)) missing = "cuDeviceGetCount";
    else if (!lookUp(d, "cuDeviceGet", &d.deviceGet)) missing = "cuDeviceGet";
    else if (!lookUp(d, "cuDeviceGetName", &d.deviceGetName)) missing = "cuDeviceGetName";
    else if (!lookUp(d, "cuDeviceGetAttribute", &d.deviceGetAttribute))
      missing = "cuDeviceGetAttribute";
    if (missing) {
      d.unavailable = std::string(path) + " lacks the driver entry point " + missing;
      return;
    }
    (void)d.driverGetVersion(&d.version);
    result = d.deviceGetCount(&d.devices);
    if (result != kSuccess || d.devices == 0)
      d.unavailable = "no CUDA device: the driver sees none" +
                      (result != kSuccess ? " (" + describe(result) + ")" : std::string());
  });
  return loaded;
}

}  // namespace

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
