// A stand-in for libcuda.so.1, for testing the runtime's CUDA side on a
// machine without a GPU (loaded through GRAPHC_LIBCUDA). Kernels do not run:
// this checks what the host does around them, which no CPU emulation of the
// kernels sees:
//   - device memory is a region of its own that the host cannot touch
//     (PROT_NONE except inside this driver's copies), so host code reading or
//     writing device memory crashes;
//   - every 8-byte kernel argument that is an address must lie in device
//     memory (a host pointer passed to a kernel fails the launch);
//   - a module must be PTX, a kernel must be one of its .entry functions, and
//     a launch gets exactly that kernel's parameters (counted from the PTX);
//   - synchronizing a stream that is being captured fails, as on a GPU
//     (CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, 900);
//   - counts of module loads, launches, graph captures and replays, and copies
//     are written to $FAKE_CUDA_REPORT at exit (key=value lines).
// FAKE_CUDA_FAIL=load makes module loading fail with a JIT log, FAKE_CUDA_FAIL=
// launch every launch (CUDA_ERROR_LAUNCH_FAILED), FAKE_CUDA_DEVICES=0 reports
// no device.

#include <sys/mman.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace {

using CUresult = int;
constexpr CUresult kOk = 0, kInvalidValue = 1, kOutOfMemory = 2, kNoDevice = 100,
                   kInvalidPtx = 218, kNotFound = 500, kLaunchFailed = 719,
                   kCaptureUnsupported = 900;
constexpr size_t kRegionBytes = size_t(1) << 33;  // 8 GiB of address space, reserved only

struct Kernel {
  std::string name;
  std::vector<int> paramBytes;
};

struct Module {
  std::string ptx;
};

struct Stream {
  bool capturing = false;
  int capturedLaunches = 0;
};

struct Graph {
  int launches = 0;
};

struct State {
  std::mutex mutex;
  char* region = nullptr;
  size_t used = 0;
  std::map<uintptr_t, size_t> allocations;  // start -> bytes
  std::map<std::string, int> counts;
  std::string firstError;
};

State& state() {
  static State* s = new State;
  return *s;
}

void count(const std::string& key, int by = 1) { state().counts[key] += by; }

void error(const std::string& what) {
  State& s = state();
  if (s.firstError.empty()) s.firstError = what;
  count("errors");
}

bool failing(const char* what) {
  const char* fail = std::getenv("FAKE_CUDA_FAIL");
  return fail && std::strcmp(fail, what) == 0;
}

bool inDevice(uintptr_t address, size_t bytes) {
  State& s = state();
  auto it = s.allocations.upper_bound(address);
  if (it == s.allocations.begin()) return false;
  --it;
  return address >= it->first && address + bytes <= it->first + it->second;
}

// The host may touch device memory only inside these copies.
struct Unprotected {
  Unprotected() { mprotect(state().region, kRegionBytes, PROT_READ | PROT_WRITE); }
  ~Unprotected() { mprotect(state().region, kRegionBytes, PROT_NONE); }
};

void report() {
  const char* path = std::getenv("FAKE_CUDA_REPORT");
  if (!path) return;
  FILE* f = std::fopen(path, "w");
  if (!f) return;
  for (auto& [key, value] : state().counts) std::fprintf(f, "%s=%d\n", key.c_str(), value);
  if (!state().firstError.empty()) std::fprintf(f, "first_error=%s\n", state().firstError.c_str());
  std::fclose(f);
}

// The parameters of each .entry of a PTX text, in order, with their sizes.
std::vector<int> entryParams(const std::string& ptx, const std::string& name, bool* found) {
  std::vector<int> params;
  std::string head = ".entry " + name + "(";
  size_t at = ptx.find(head);
  *found = at != std::string::npos;
  if (!*found) return params;
  size_t end = ptx.find(')', at);
  std::string list = ptx.substr(at + head.size(), end - at - head.size());
  size_t p = 0;
  while ((p = list.find(".param ", p)) != std::string::npos) {
    size_t type = p + 7;
    std::string t = list.substr(type, list.find(' ', type) - type);
    params.push_back(t == ".u64" || t == ".b64" || t == ".s64" || t == ".f64" ? 8 : 4);
    p = type;
  }
  return params;
}

}  // namespace

extern "C" {

CUresult cuInit(unsigned) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.region) {
    void* region = mmap(nullptr, kRegionBytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                        -1, 0);
    if (region == MAP_FAILED) return kOutOfMemory;
    s.region = static_cast<char*>(region);
    std::atexit(report);
  }
  const char* devices = std::getenv("FAKE_CUDA_DEVICES");
  if (devices && std::atoi(devices) == 0) return kNoDevice;
  return kOk;
}

CUresult fakeDriverGetVersion(int* v) { *v = 13000; return kOk; }
CUresult fakeDeviceGetCount(int* n) { *n = 1; return kOk; }
CUresult fakeDeviceGet(int* d, int ordinal) { *d = ordinal; return ordinal == 0 ? kOk : 101; }
CUresult fakeDeviceGetName(char* name, int size, int) {
  std::snprintf(name, size, "graphc fake GPU");
  return kOk;
}
CUresult fakeDeviceGetAttribute(int* value, int attribute, int) {
  *value = attribute == 75 ? 9 : 0;
  return kOk;
}
CUresult fakePrimaryCtxRetain(void** context, int) {
  static int primary;
  *context = &primary;
  return kOk;
}
CUresult fakeCtxSetCurrent(void*) { return kOk; }

CUresult fakeModuleLoadDataEx(void** module, const void* image, unsigned options, int* keys,
                              void** values) {
  std::lock_guard<std::mutex> lock(state().mutex);
  count("module_loads");
  std::string text(static_cast<const char*>(image));
  bool ptx = text.find(".version") != std::string::npos && text.find(".target") != std::string::npos;
  if (!ptx || failing("load")) {
    for (unsigned i = 0; i < options; ++i)
      if (keys[i] == 5 /* CU_JIT_ERROR_LOG_BUFFER */)
        std::snprintf(static_cast<char*>(values[i]), 64, "ptxas fatal: the fake driver refuses it");
    return kInvalidPtx;
  }
  *module = new Module{text};
  return kOk;
}

CUresult fakeModuleGetFunction(void** function, void* module, const char* name) {
  std::lock_guard<std::mutex> lock(state().mutex);
  bool found = false;
  std::vector<int> params = entryParams(static_cast<Module*>(module)->ptx, name, &found);
  if (!found) return kNotFound;
  *function = new Kernel{name, params};
  return kOk;
}

CUresult fakeLaunchKernel(void* function, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                          unsigned by, unsigned bz, unsigned, void* stream, void** params,
                          void** extra) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  auto* kernel = static_cast<Kernel*>(function);
  if (failing("launch")) return kLaunchFailed;
  if (!gx || !gy || !gz || !bx || !by || !bz || uint64_t(bx) * by * bz > 1024 || extra) {
    error("kernel " + kernel->name + ": bad launch dimensions");
    return kInvalidValue;
  }
  for (size_t i = 0; i < kernel->paramBytes.size(); ++i) {
    if (kernel->paramBytes[i] != 8) continue;
    uint64_t value;
    std::memcpy(&value, params[i], 8);
    // Sizes and offsets are small; anything past 2^32 is an address.
    if (value > (uint64_t(1) << 32) && !inDevice(value, 1)) {
      error("kernel " + kernel->name + ": parameter " + std::to_string(i) +
            " is not device memory (a host pointer?)");
      return kInvalidValue;
    }
  }
  auto* on = static_cast<Stream*>(stream);
  if (on && on->capturing) {
    ++on->capturedLaunches;
    count("captured_launches");
  } else {
    count("launches");
  }
  return kOk;
}

CUresult fakeMemAlloc(unsigned long long* pointer, size_t bytes) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  size_t start = (s.used + 255) / 256 * 256;
  if (start + bytes > kRegionBytes) return kOutOfMemory;
  s.used = start + bytes;
  uintptr_t address = reinterpret_cast<uintptr_t>(s.region) + start;
  s.allocations[address] = bytes;
  *pointer = address;
  count("allocations");
  return kOk;
}

CUresult fakeMemFree(unsigned long long pointer) {
  std::lock_guard<std::mutex> lock(state().mutex);
  if (!state().allocations.erase(pointer)) {
    error("cuMemFree of memory that is not allocated");
    return kInvalidValue;
  }
  return kOk;
}

CUresult fakeMemHostAlloc(void** pointer, size_t bytes, unsigned) {
  *pointer = std::malloc(bytes ? bytes : 1);
  count("pinned_allocations");
  return *pointer ? kOk : kOutOfMemory;
}
CUresult fakeMemFreeHost(void* pointer) { std::free(pointer); return kOk; }

CUresult fakeMemcpyHtoDAsync(unsigned long long to, const void* from, size_t bytes, void*) {
  std::lock_guard<std::mutex> lock(state().mutex);
  if (!inDevice(to, bytes)) { error("copy to the device outside an allocation"); return kInvalidValue; }
  Unprotected open;
  std::memcpy(reinterpret_cast<void*>(to), from, bytes);
  count("copies_to_device");
  return kOk;
}

CUresult fakeMemcpyDtoHAsync(void* to, unsigned long long from, size_t bytes, void*) {
  std::lock_guard<std::mutex> lock(state().mutex);
  if (!inDevice(from, bytes)) { error("copy from the device outside an allocation"); return kInvalidValue; }
  Unprotected open;
  std::memcpy(to, reinterpret_cast<const void*>(from), bytes);
  count("copies_to_host");
  return kOk;
}

CUresult fakeMemsetD8Async(unsigned long long to, unsigned char value, size_t bytes, void*) {
  std::lock_guard<std::mutex> lock(state().mutex);
  if (!inDevice(to, bytes)) { error("memset outside an allocation"); return kInvalidValue; }
  Unprotected open;
  std::memset(reinterpret_cast<void*>(to), value, bytes);
  return kOk;
}

CUresult fakeStreamCreate(void** stream, unsigned) {
  *stream = new Stream;
  count("streams");
  return kOk;
}
CUresult fakeStreamDestroy(void* stream) { delete static_cast<Stream*>(stream); return kOk; }
CUresult fakeStreamSynchronize(void* stream) {
  std::lock_guard<std::mutex> lock(state().mutex);
  if (stream && static_cast<Stream*>(stream)->capturing) {
    error("cuStreamSynchronize on a stream being captured");
    return kCaptureUnsupported;
  }
  count("synchronizations");
  return kOk;
}
CUresult fakeStreamWaitEvent(void*, void*, unsigned) { return kOk; }
CUresult fakeEventCreate(void** event, unsigned) { static int e; *event = &e; return kOk; }
CUresult fakeEventDestroy(void*) { return kOk; }
CUresult fakeEventRecord(void*, void*) { return kOk; }
CUresult fakeEventSynchronize(void*) { return kOk; }

CUresult fakeStreamBeginCapture(void* stream, int) {
  auto* s = static_cast<Stream*>(stream);
  if (!s || s->capturing) return kInvalidValue;
  s->capturing = true;
  s->capturedLaunches = 0;
  return kOk;
}
CUresult fakeStreamEndCapture(void* stream, void** graph) {
  auto* s = static_cast<Stream*>(stream);
  if (!s || !s->capturing) return kInvalidValue;
  s->capturing = false;
  *graph = new Graph{s->capturedLaunches};
  std::lock_guard<std::mutex> lock(state().mutex);
  count("graph_captures");
  return kOk;
}
CUresult fakeGraphInstantiate(void** exec, void* graph, unsigned long long) {
  *exec = new Graph(*static_cast<Graph*>(graph));
  return kOk;
}
CUresult fakeGraphLaunch(void* exec, void*) {
  std::lock_guard<std::mutex> lock(state().mutex);
  count("graph_replays");
  count("graph_replayed_launches", static_cast<Graph*>(exec)->launches);
  return kOk;
}
CUresult fakeGraphDestroy(void* graph) { delete static_cast<Graph*>(graph); return kOk; }
CUresult fakeGraphExecDestroy(void* exec) { delete static_cast<Graph*>(exec); return kOk; }

// For tests: a counter of the report (0 when never counted).
int fake_cuda_count(const char* key) {
  std::lock_guard<std::mutex> lock(state().mutex);
  auto it = state().counts.find(key);
  return it == state().counts.end() ? 0 : it->second;
}

CUresult cuGetProcAddress_v2(const char* name, void** fn, int, uint64_t, int* found) {
  static const std::map<std::string, void*> table = {
      {"cuDriverGetVersion", reinterpret_cast<void*>(fakeDriverGetVersion)},
      {"cuDeviceGetCount", reinterpret_cast<void*>(fakeDeviceGetCount)},
      {"cuDeviceGet", reinterpret_cast<void*>(fakeDeviceGet)},
      {"cuDeviceGetName", reinterpret_cast<void*>(fakeDeviceGetName)},
      {"cuDeviceGetAttribute", reinterpret_cast<void*>(fakeDeviceGetAttribute)},
      {"cuDevicePrimaryCtxRetain", reinterpret_cast<void*>(fakePrimaryCtxRetain)},
      {"cuCtxSetCurrent", reinterpret_cast<void*>(fakeCtxSetCurrent)},
      {"cuModuleLoadDataEx", reinterpret_cast<void*>(fakeModuleLoadDataEx)},
      {"cuModuleGetFunction", reinterpret_cast<void*>(fakeModuleGetFunction)},
      {"cuLaunchKernel", reinterpret_cast<void*>(fakeLaunchKernel)},
      {"cuMemAlloc", reinterpret_cast<void*>(fakeMemAlloc)},
      {"cuMemFree", reinterpret_cast<void*>(fakeMemFree)},
      {"cuMemHostAlloc", reinterpret_cast<void*>(fakeMemHostAlloc)},
      {"cuMemFreeHost", reinterpret_cast<void*>(fakeMemFreeHost)},
      {"cuMemcpyHtoDAsync", reinterpret_cast<void*>(fakeMemcpyHtoDAsync)},
      {"cuMemcpyDtoHAsync", reinterpret_cast<void*>(fakeMemcpyDtoHAsync)},
      {"cuMemsetD8Async", reinterpret_cast<void*>(fakeMemsetD8Async)},
      {"cuStreamCreate", reinterpret_cast<void*>(fakeStreamCreate)},
      {"cuStreamDestroy", reinterpret_cast<void*>(fakeStreamDestroy)},
      {"cuStreamSynchronize", reinterpret_cast<void*>(fakeStreamSynchronize)},
      {"cuStreamWaitEvent", reinterpret_cast<void*>(fakeStreamWaitEvent)},
      {"cuEventCreate", reinterpret_cast<void*>(fakeEventCreate)},
      {"cuEventDestroy", reinterpret_cast<void*>(fakeEventDestroy)},
      {"cuEventRecord", reinterpret_cast<void*>(fakeEventRecord)},
      {"cuEventSynchronize", reinterpret_cast<void*>(fakeEventSynchronize)},
      {"cuStreamBeginCapture", reinterpret_cast<void*>(fakeStreamBeginCapture)},
      {"cuStreamEndCapture", reinterpret_cast<void*>(fakeStreamEndCapture)},
      {"cuGraphInstantiateWithFlags", reinterpret_cast<void*>(fakeGraphInstantiate)},
      {"cuGraphLaunch", reinterpret_cast<void*>(fakeGraphLaunch)},
      {"cuGraphDestroy", reinterpret_cast<void*>(fakeGraphDestroy)},
      {"cuGraphExecDestroy", reinterpret_cast<void*>(fakeGraphExecDestroy)},
  };
  auto it = table.find(name);
  if (it == table.end()) {
    *fn = nullptr;
    if (found) *found = 0;
    return kNotFound;
  }
  *fn = it->second;
  if (found) *found = 1;
  return kOk;
}

}  // extern "C"
