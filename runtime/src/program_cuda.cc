// A program object's side on the GPU (program_cuda.h).

#include "program_cuda.h"

#include <cstring>
#include <string>

#include "cuda_internal.h"
#include "graphc/runtime/cuda.h"
#include "status_internal.h"

using graphc::rt::detail::make_status;

namespace graphc::rt::cuda {

namespace {

constexpr int64_t kAlignment = 256;  // cuMemAlloc's, kept for every part of a region
constexpr int kCaptureModeThreadLocal = 1;  // CU_STREAM_CAPTURE_MODE_THREAD_LOCAL
constexpr unsigned kStreamNonBlocking = 1;  // CU_STREAM_NON_BLOCKING

int64_t aligned(int64_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }

CUdeviceptr address(const void* pointer) {
  return static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(pointer));
}

graphc_status_t driverError(const std::string& what, CUresult result) {
  return make_status(result == 2 ? GRAPHC_RESOURCE_EXHAUSTED : GRAPHC_INTERNAL,
                     what + ": " + describe(result));
}

// Makes `stream` the one the generated launches use on this thread, for the
// scope's life.
class StreamScope {
 public:
  StreamScope(void* stream, bool capturing) : state_(callState()), saved_(state_) {
    state_.stream = static_cast<CUstream>(stream);
    state_.capturing = capturing;
  }
  ~StreamScope() {
    state_.stream = saved_.stream;
    state_.capturing = saved_.capturing;
  }

 private:
  CallState& state_;
  CallState saved_;
};

}  // namespace

graphc_status_t DeviceProgram::create(const graphc_model_t& model,
                                      const std::vector<graphc_tensor_t*>& slots,
                                      std::unique_ptr<DeviceProgram>* out) {
  if (graphc_status_t status = useContext()) {
    std::string why = graphc_status_message(status);
    graphc_status_free(status);
    return make_status(GRAPHC_UNAVAILABLE, std::string("model '") + model.name +
                                               "' was compiled for CUDA (--target=cuda) and "
                                               "needs a GPU: " + why);
  }
  std::unique_ptr<DeviceProgram> program(new DeviceProgram);
  CUstream stream = nullptr;
  // Non-blocking: work another thread puts on the legacy default stream
  // (PyTorch in the same context) neither waits for it nor breaks a capture.
  if (CUresult result = driver().streamCreate(&stream, kStreamNonBlocking))
    return driverError("cannot create a CUDA stream", result);
  program->stream_ = stream;
  for (graphc_tensor_t* slot : slots) {
    void* memory = nullptr;
    if (graphc_status_t status = graphc_cuda_malloc(graphc_tensor_nbytes(slot), &memory))
      return status;
    program->slotMemory_.push_back(memory);
  }
  *out = std::move(program);
  return nullptr;
}

DeviceProgram::~DeviceProgram() {
  if (!driver().unavailable.empty()) return;
  graphc_status_free(useContext());  // best effort: the driver may be going away
  if (stream_) (void)driver().streamSynchronize(static_cast<CUstream>(stream_));
  dropGraphs();
  for (void* memory : slotMemory_) graphc_cuda_free(memory);
  graphc_cuda_free(arena_);
  graphc_cuda_free(io_);
  if (staging_) (void)driver().memFreeHost(staging_);
  if (stream_) (void)driver().streamDestroy(static_cast<CUstream>(stream_));
}

void DeviceProgram::dropGraphs() {
  for (auto& [key, exec] : graphs_)
    if (exec) (void)driver().graphExecDestroy(static_cast<CUgraphExec>(exec));
  graphs_.clear();
  seen_.clear();
}

void DeviceProgram::setGraphs(bool enabled) {
  graphsEnabled_ = enabled;
  if (!enabled) dropGraphs();
}

graphc_status_t DeviceProgram::reserve(void** memory, int64_t* capacity, int64_t bytes,
                                       bool pinned) {
  if (bytes <= *capacity) return nullptr;
  bytes = aligned(bytes);
  // Pointers into the old memory are baked into the captured graphs.
  dropGraphs();
  const Driver& d = driver();
  if (CUresult result = d.streamSynchronize(static_cast<CUstream>(stream_)))
    return driverError("a kernel of the model failed on the GPU", result);
  if (pinned) {
    if (*memory) (void)d.memFreeHost(*memory);
    *memory = nullptr;
    *capacity = 0;
    if (CUresult result = d.memHostAlloc(memory, static_cast<size_t>(bytes), 0))
      return driverError("cannot allocate " + std::to_string(bytes) +
                             " bytes of pinned host memory for the GPU's inputs",
                         result);
  } else {
    graphc_cuda_free(*memory);
    *memory = nullptr;
    *capacity = 0;
    if (graphc_status_t status = graphc_cuda_malloc(static_cast<size_t>(bytes), memory))
      return status;
  }
  *capacity = bytes;
  return nullptr;
}

graphc_status_t DeviceProgram::syncToHost(const std::vector<graphc_tensor_t*>& slots) {
  if (!deviceChanged_) return nullptr;
  if (graphc_status_t status = useContext()) return status;
  const Driver& d = driver();
  CUstream stream = static_cast<CUstream>(stream_);
  for (size_t i = 0; i < slots.size(); ++i)
    if (CUresult result = d.memcpyDtoHAsync(graphc_tensor_data(slots[i]), address(slotMemory_[i]),
                                            graphc_tensor_nbytes(slots[i]), stream))
      return driverError("copying the model's tensors from the GPU failed", result);
  if (CUresult result = d.streamSynchronize(stream))
    return driverError("a kernel of the model failed on the GPU", result);
  deviceChanged_ = false;
  return nullptr;
}

graphc_status_t DeviceProgram::call(const graphc_model_t& model,
                                    const graphc_model_entry_t& entry, int64_t batch,
                                    const std::vector<HostBuffer>& arguments,
                                    const std::vector<HostBuffer>& results,
                                    const std::vector<graphc_tensor_t*>& slots, int poison) {
  if (graphc_status_t status = useContext()) return status;
  const Driver& d = driver();
  CUstream stream = static_cast<CUstream>(stream_);
  if (hostChanged_) {
    if (graphc_status_t status = syncToHost(slots)) return status;  // never lose device values
    for (size_t i = 0; i < slots.size(); ++i)
      if (CUresult result = d.memcpyHtoDAsync(address(slotMemory_[i]), graphc_tensor_data(slots[i]),
                                              graphc_tensor_nbytes(slots[i]), stream))
        return driverError("copying the model's tensors to the GPU failed", result);
    hostChanged_ = false;
  }

  // The region of the call's data and results: the data first, so that one
  // copy each way moves everything.
  int64_t dataBytes = 0, resultBytes = 0;
  for (const HostBuffer& a : arguments)
    if (a.slot < 0) dataBytes += aligned(static_cast<int64_t>(a.bytes));
  for (const HostBuffer& r : results) resultBytes += aligned(static_cast<int64_t>(r.bytes));
  if (graphc_status_t status = reserve(&io_, &ioBytes_, dataBytes + resultBytes, false))
    return status;
  if (graphc_status_t status =
          reserve(&staging_, &stagingBytes_, dataBytes + resultBytes, true))
    return status;
  int64_t needed = entry.arena_bytes_per_batch * batch + entry.arena_bytes_fixed;
  if (needed > arenaBytes_) {
    if (graphc_status_t status = reserve(&arena_, &arenaBytes_, needed, false)) return status;
    ++arenaAllocations_;
  }

  std::vector<void*> devicePointers;
  char* staged = static_cast<char*>(staging_);
  char* region = static_cast<char*>(io_);
  int64_t at = 0;
  for (const HostBuffer& a : arguments) {
    if (a.slot >= 0) {
      devicePointers.push_back(slotMemory_[a.slot]);
      continue;
    }
    std::memcpy(staged + at, a.data, a.bytes);
    devicePointers.push_back(region + at);
    at += aligned(static_cast<int64_t>(a.bytes));
  }
  std::vector<void*> resultPointers;
  int64_t resultsAt = at;
  for (const HostBuffer& r : results) {
    resultPointers.push_back(region + at);
    at += aligned(static_cast<int64_t>(r.bytes));
  }
  if (dataBytes > 0)
    if (CUresult result = d.memcpyHtoDAsync(address(io_), staging_, static_cast<size_t>(dataBytes),
                                            stream))
      return driverError("copying the batch to the GPU failed", result);
  if (poison >= 0 && needed > 0)
    if (CUresult result = d.memsetD8Async(address(arena_), static_cast<unsigned char>(poison),
                                          static_cast<size_t>(needed), stream))
      return driverError("filling the arena failed", result);

  auto failed = [&](int32_t code) -> graphc_status_t {
    if (code == 1)
      return make_status(GRAPHC_INVALID_ARGUMENT, std::string("'") + entry.name +
                                                      "': a batch of " + std::to_string(batch) +
                                                      " is too large for its sizes to be addressed");
    if (code == 2)
      return make_status(GRAPHC_RESOURCE_EXHAUSTED,
                         std::string("'") + entry.name + "': out of GPU memory");
    graphc_status_t status = graphc_cuda_last_error();
    std::string why = status ? graphc_status_message(status) : "an unknown CUDA error";
    graphc_status_code_t code4 = status ? graphc_status_code(status) : GRAPHC_INTERNAL;
    graphc_status_free(status);
    return make_status(code4, std::string("model '") + model.name + "', '" + entry.name +
                                  "' on the GPU: " + why);
  };

  // The entry writes the slots in place: from its first launch on, the
  // device holds the newer values, even if a later launch fails.
  for (int32_t i = 0; i < entry.num_arguments; ++i)
    if (entry.arguments[i].updated) deviceChanged_ = true;
  auto key = std::make_pair(&entry, batch);
  bool capture = graphsEnabled_ && poison < 0 && !graphs_.count(key) && seen_[key]++ > 0;
  if (capture) {
    // The step's launches recorded once into a CUDA graph, then replayed:
    // one launch for the whole step instead of one per kernel.
    if (CUresult result = d.streamBeginCapture(stream, kCaptureModeThreadLocal))
      return driverError("cannot capture the step into a CUDA graph", result);
    int32_t code;
    {
      StreamScope scope(stream_, true);
      code = entry.call(arena_, batch, devicePointers.data(), resultPointers.data());
    }
    CUgraph graph = nullptr;
    CUresult ended = d.streamEndCapture(stream, &graph);
    if (code != 0) {
      if (graph) (void)d.graphDestroy(graph);
      return failed(code);
    }
    CUgraphExec exec = nullptr;
    CUresult result = ended;
    if (result == kSuccess) result = d.graphInstantiate(&exec, graph, 0);
    if (graph) (void)d.graphDestroy(graph);
    // A step that cannot be captured (the capture was invalidated) runs its
    // kernels one by one, now and from then on: a null graph says so.
    graphs_[key] = result == kSuccess ? exec : nullptr;
  }
  auto graph = graphsEnabled_ ? graphs_.find(key) : graphs_.end();
  if (graph != graphs_.end() && graph->second) {
    if (CUresult result = d.graphLaunch(static_cast<CUgraphExec>(graph->second), stream))
      return driverError(std::string("replaying the CUDA graph of '") + entry.name + "' failed",
                         result);
    ++graphReplays_;
  } else {
    StreamScope scope(stream_, false);
    if (int32_t code = entry.call(arena_, batch, devicePointers.data(), resultPointers.data()))
      return failed(code);
  }
  if (resultBytes > 0)
    if (CUresult result = d.memcpyDtoHAsync(staged + resultsAt, address(region + resultsAt),
                                            static_cast<size_t>(resultBytes), stream))
      return driverError("copying the results from the GPU failed", result);
  if (CUresult result = d.streamSynchronize(stream))
    return make_status(GRAPHC_INTERNAL, std::string("model '") + model.name + "', '" +
                                            entry.name + "' on the GPU: a kernel failed: " +
                                            describe(result));
  at = resultsAt;
  for (const HostBuffer& r : results) {
    std::memcpy(r.data, staged + at, r.bytes);
    at += aligned(static_cast<int64_t>(r.bytes));
  }
  return nullptr;
}

}  // namespace graphc::rt::cuda
