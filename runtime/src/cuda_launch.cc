// What the host code of a --target=cuda object calls: MLIR 19's GPU runtime
// ABI (the mgpu* functions gpu-to-llvm emits calls to), defined over the
// driver loaded at run time, and graphc's own entry-point hooks
// (graphc/runtime/cuda.h).
//
// Debian ships no libmlir_cuda_runtime, and MLIR's would not do: in 19 every
// launch loads the module, launches and unloads it, and a call synchronizes
// its stream at the end (../shared/CUDA-NOTES.md, trap 3). Here a module is
// loaded once per PTX image and kept, a function looked up once, every launch
// goes to the stream of the calling thread's program (or one runtime stream),
// and nothing synchronizes while that stream is captured into a CUDA graph.
// Errors never abort: the first one of a call is kept and the entry point
// returns 4 (graphc_cuda_last_error names the kernel and the driver's error).

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "cuda_internal.h"
#include "graphc/runtime/cuda.h"
#include "status_internal.h"

using graphc::rt::detail::make_status;

namespace graphc::rt::cuda {

CallState& callState() {
  thread_local CallState state;
  return state;
}

namespace {

// CUjit_option numbers (cuda.h).
constexpr int kJitErrorLogBuffer = 5;
constexpr int kJitErrorLogBufferSizeBytes = 6;
constexpr int kJitOptimizationLevel = 7;

void fail(std::string message) {
  CallState& state = callState();
  if (state.error.empty()) state.error = std::move(message);
}

struct Loaded {
  std::mutex mutex;
  std::map<const void*, CUmodule> modules;                   // by PTX image
  std::map<std::pair<CUmodule, std::string>, CUfunction> functions;
  std::map<CUmodule, size_t> loadOrder;                      // 0, 1, ...: for the profile
  struct Kernel {
    std::string name;  // for messages
    size_t module;     // its module's load order
  };
  std::map<CUfunction, Kernel> kernels;
  CUstream defaultStream = nullptr;
};

// GRAPHC_CUDA_KERNEL_PROFILE=FILE: every launch outside a graph capture is
// timed alone (the stream drained before it and after it, on the host's
// clock, so each time includes one launch's latency) and FILE gets one line
// per kernel at exit: its module (in load order), name, launches, total and
// mean microseconds, grid and block. A diagnostic for finding the kernels a
// step spends its time in; it serializes the stream, so never time steps
// with it set. Host timing rather than CUDA events: it needs no driver entry
// point beyond those every build looks up.
struct KernelProfile {
  struct Entry {
    size_t module = 0;
    std::string name;
    int64_t launches = 0;
    double micros = 0;
    std::string shape;
  };
  std::mutex mutex;
  std::string path;
  std::map<CUfunction, Entry> entries;

  ~KernelProfile() {
    if (path.empty() || entries.empty()) return;
    std::FILE* file = std::fopen(path.c_str(), "w");
    if (!file) return;
    std::fprintf(file, "module\tkernel\tlaunches\ttotal_us\tmean_us\tgrid/block\n");
    for (auto& [function, e] : entries)
      std::fprintf(file, "%zu\t%s\t%lld\t%.1f\t%.2f\t%s\n", e.module, e.name.c_str(),
                   static_cast<long long>(e.launches), e.micros, e.micros / e.launches,
                   e.shape.c_str());
    std::fclose(file);
  }
};

KernelProfile* kernelProfile() {
  static KernelProfile* profile = [] {
    const char* path = std::getenv("GRAPHC_CUDA_KERNEL_PROFILE");
    if (!path || !*path) return static_cast<KernelProfile*>(nullptr);
    static KernelProfile instance;  // written out by its destructor at exit
    instance.path = path;
    return &instance;
  }();
  return profile;
}

Loaded& loaded() {
  static Loaded* state = new Loaded;  // never destroyed: modules live as long as the process
  return *state;
}

std::string kernelName(CUfunction function) {
  Loaded& l = loaded();
  std::lock_guard<std::mutex> lock(l.mutex);
  auto it = l.kernels.find(function);
  return it == l.kernels.end() ? std::string("a kernel") : "kernel '" + it->second.name + "'";
}

}  // namespace
}  // namespace graphc::rt::cuda

using namespace graphc::rt::cuda;

extern "C" {

// MLIR's ABI: a PTX image (format=isa) JIT-compiled by the driver at
// `optLevel`, loaded once per image.
CUmodule mgpuModuleLoadJIT(void* data, int optLevel) {
  Loaded& l = loaded();
  std::lock_guard<std::mutex> lock(l.mutex);
  auto it = l.modules.find(data);
  if (it != l.modules.end()) return it->second;
  if (!callState().error.empty()) return nullptr;
  char log[8192] = {0};
  int options[] = {kJitErrorLogBuffer, kJitErrorLogBufferSizeBytes, kJitOptimizationLevel};
  void* values[] = {log, reinterpret_cast<void*>(sizeof log),
                    reinterpret_cast<void*>(static_cast<intptr_t>(optLevel))};
  CUmodule module = nullptr;
  CUresult result = driver().moduleLoadDataEx(&module, data, 3, options, values);
  if (result != kSuccess) {
    log[sizeof log - 1] = '\0';
    fail("the CUDA driver cannot load the model's kernels: " + describe(result) +
         (result == 222 ? " (the driver is older than the PTX: update the NVIDIA driver)" : "") +
         (log[0] ? std::string("; its JIT log: ") + log : std::string()));
    return nullptr;
  }
  l.modules[data] = module;
  l.loadOrder.emplace(module, l.loadOrder.size());
  return module;
}

// A cubin or fatbin image (format=bin/fatbin): the same, with its size.
CUmodule mgpuModuleLoad(void* data, size_t /*size*/) { return mgpuModuleLoadJIT(data, 4); }

// Modules stay loaded: the next launch of the same program uses them.
void mgpuModuleUnload(CUmodule) {}

CUfunction mgpuModuleGetFunction(CUmodule module, const char* name) {
  if (!module) return nullptr;
  Loaded& l = loaded();
  std::lock_guard<std::mutex> lock(l.mutex);
  auto key = std::make_pair(module, std::string(name));
  auto it = l.functions.find(key);
  if (it != l.functions.end()) return it->second;
  CUfunction function = nullptr;
  CUresult result = driver().moduleGetFunction(&function, module, name);
  if (result != kSuccess) {
    fail(std::string("the model's kernels have no kernel '") + name + "': " + describe(result));
    return nullptr;
  }
  l.functions[key] = function;
  l.kernels[function] = {name, l.loadOrder.at(module)};
  return function;
}

void mgpuLaunchKernel(CUfunction function, intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                      intptr_t blockX, intptr_t blockY, intptr_t blockZ, int32_t sharedBytes,
                      CUstream stream, void** params, void** extra, size_t /*paramsCount*/) {
  if (!function || !callState().error.empty()) return;  // the call already failed
  KernelProfile* profile = callState().capturing ? nullptr : kernelProfile();
  std::chrono::steady_clock::time_point start;
  if (profile) {
    (void)driver().streamSynchronize(stream);
    start = std::chrono::steady_clock::now();
  }
  CUresult result = driver().launchKernel(
      function, static_cast<unsigned>(gridX), static_cast<unsigned>(gridY),
      static_cast<unsigned>(gridZ), static_cast<unsigned>(blockX), static_cast<unsigned>(blockY),
      static_cast<unsigned>(blockZ), static_cast<unsigned>(sharedBytes), stream, params, extra);
  CUresult finished = kSuccess;
  if (profile && result == kSuccess && (finished = driver().streamSynchronize(stream)) != kSuccess)
    fail(kernelName(function) + " failed on the GPU: " + describe(finished));
  if (profile && result == kSuccess && finished == kSuccess) {
    double micros = std::chrono::duration<double, std::micro>(
                        std::chrono::steady_clock::now() - start).count();
    std::string name;
    size_t module = 0;
    {
      Loaded& l = loaded();
      std::lock_guard<std::mutex> lock(l.mutex);
      const Loaded::Kernel& kernel = l.kernels.at(function);
      name = kernel.name;
      module = kernel.module;
    }
    std::lock_guard<std::mutex> lock(profile->mutex);
    KernelProfile::Entry& e = profile->entries[function];
    if (e.launches == 0) {
      e.module = module;
      e.name = name;
      e.shape = std::to_string(gridX) + "x" + std::to_string(gridY) + "x" +
                std::to_string(gridZ) + "/" + std::to_string(blockX) + "x" +
                std::to_string(blockY) + "x" + std::to_string(blockZ);
    }
    ++e.launches;
    e.micros += micros;
  }
  if (result != kSuccess)
    fail("launching " + kernelName(function) + " (grid " + std::to_string(gridX) + "x" +
         std::to_string(gridY) + "x" + std::to_string(gridZ) + ", block " +
         std::to_string(blockX) + "x" + std::to_string(blockY) + "x" + std::to_string(blockZ) +
         ") failed: " + describe(result));
}

// The stream of the calling thread's program, else one stream the runtime
// keeps: an entry point never creates one per call.
CUstream mgpuStreamCreate() {
  CallState& state = callState();
  if (state.stream) return state.stream;
  Loaded& l = loaded();
  std::lock_guard<std::mutex> lock(l.mutex);
  if (!l.defaultStream) {
    CUresult result = driver().streamCreate(&l.defaultStream, 1 /* CU_STREAM_NON_BLOCKING */);
    if (result != kSuccess) fail("cannot create a CUDA stream: " + describe(result));
  }
  return l.defaultStream;
}

void mgpuStreamDestroy(CUstream) {}

// Where a call's kernels finish: their faults (an illegal address) show here.
void mgpuStreamSynchronize(CUstream stream) {
  CallState& state = callState();
  if (state.capturing || !state.error.empty()) return;
  CUresult result = driver().streamSynchronize(stream);
  if (result != kSuccess) fail("a kernel of the model failed on the GPU: " + describe(result));
}

void mgpuStreamWaitEvent(CUstream stream, CUevent event) {
  CUresult result = driver().streamWaitEvent(stream, event, 0);
  if (result != kSuccess) fail("cuStreamWaitEvent failed: " + describe(result));
}

CUevent mgpuEventCreate() {
  CUevent event = nullptr;
  CUresult result = driver().eventCreate(&event, 2 /* CU_EVENT_DISABLE_TIMING */);
  if (result != kSuccess) fail("cannot create a CUDA event: " + describe(result));
  return event;
}

void mgpuEventDestroy(CUevent event) {
  if (event) (void)driver().eventDestroy(event);
}

void mgpuEventSynchronize(CUevent event) {
  if (callState().capturing || !event) return;
  CUresult result = driver().eventSynchronize(event);
  if (result != kSuccess) fail("a kernel of the model failed on the GPU: " + describe(result));
}

void mgpuEventRecord(CUevent event, CUstream stream) {
  CUresult result = driver().eventRecord(event, stream);
  if (result != kSuccess) fail("cuEventRecord failed: " + describe(result));
}

int32_t graphc_cuda_begin_call(void) {
  CallState& state = callState();
  state.error.clear();
  if (graphc_status_t status = useContext()) {
    state.error = graphc_status_message(status);
    graphc_status_free(status);
    return 4;
  }
  return 0;
}

int32_t graphc_cuda_end_call(void) { return callState().error.empty() ? 0 : 4; }

void* graphc_cuda_arena_alloc(int64_t bytes) {
  void* pointer = nullptr;
  if (graphc_status_t status = graphc_cuda_malloc(static_cast<size_t>(bytes), &pointer)) {
    graphc_status_free(status);
    return nullptr;
  }
  return pointer;
}

void graphc_cuda_arena_free(void* device_pointer) { graphc_cuda_free(device_pointer); }

graphc_status_t graphc_cuda_last_error(void) {
  const std::string& error = callState().error;
  if (error.empty()) return nullptr;
  return make_status(driver().unavailable.empty() ? GRAPHC_INTERNAL : GRAPHC_UNAVAILABLE, error);
}

graphc_status_t graphc_cuda_malloc(size_t bytes, void** out_device_pointer) {
  if (!out_device_pointer)
    return make_status(GRAPHC_INVALID_ARGUMENT, "graphc_cuda_malloc: NULL argument");
  *out_device_pointer = nullptr;
  if (graphc_status_t status = useContext()) return status;
  CUdeviceptr pointer = 0;
  CUresult result = driver().memAlloc(&pointer, bytes == 0 ? 1 : bytes);
  if (result != kSuccess)
    return make_status(result == 2 ? GRAPHC_RESOURCE_EXHAUSTED : GRAPHC_INTERNAL,
                       "cannot allocate " + std::to_string(bytes) +
                           " bytes of GPU memory: " + describe(result));
  *out_device_pointer = reinterpret_cast<void*>(static_cast<uintptr_t>(pointer));
  return nullptr;
}

void graphc_cuda_free(void* device_pointer) {
  if (!device_pointer || !driver().unavailable.empty()) return;
  graphc_status_free(useContext());  // on a thread that has not used CUDA yet
  (void)driver().memFree(static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(device_pointer)));
}

namespace {
graphc_status_t copy(void* destination, const void* source, size_t bytes, bool toDevice) {
  if ((!destination || !source) && bytes > 0)
    return make_status(GRAPHC_INVALID_ARGUMENT, "graphc_cuda_copy: NULL argument");
  if (graphc_status_t status = useContext()) return status;
  CUstream stream = mgpuStreamCreate();
  const Driver& d = driver();
  CUresult result =
      toDevice ? d.memcpyHtoDAsync(static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(destination)),
                                   source, bytes, stream)
               : d.memcpyDtoHAsync(destination,
                                   static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(source)),
                                   bytes, stream);
  if (result == kSuccess) result = d.streamSynchronize(stream);
  if (result != kSuccess)
    return make_status(GRAPHC_INTERNAL, std::string("copying ") + std::to_string(bytes) +
                                            " bytes " + (toDevice ? "to" : "from") +
                                            " the GPU failed: " + describe(result));
  return nullptr;
}
}  // namespace

graphc_status_t graphc_cuda_copy_to_device(void* device_destination, const void* host_source,
                                           size_t bytes) {
  return copy(device_destination, host_source, bytes, true);
}

graphc_status_t graphc_cuda_copy_to_host(void* host_destination, const void* device_source,
                                         size_t bytes) {
  return copy(host_destination, device_source, bytes, false);
}

}  // extern "C"
