// A program object's side on the GPU, for a model compiled with
// --target=cuda (program.cc keeps the host side: names, checks, the host
// copies of the tensors that init, load, save and the accessors use).
// Not installed.
//
// What lives on the device, allocated once: every parameter, buffer,
// optimizer-state tensor and the step count (the slots), the arena, and one
// region for a call's inputs, targets, learning rate and results. Per call
// only the data crosses the bus (through one pinned staging buffer), and
// the results come back. The slots' host copies are brought up to date
// lazily: uploaded before a call when the host changed them, downloaded when
// the host reads them after the device changed them.
#ifndef GRAPHC_RUNTIME_SRC_PROGRAM_CUDA_H_
#define GRAPHC_RUNTIME_SRC_PROGRAM_CUDA_H_

#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "graphc/runtime/program.h"
#include "graphc/runtime/tensor.h"

namespace graphc::rt::cuda {

// One argument or result of a call as the host sees it.
struct HostBuffer {
  int32_t slot = -1;    // a slot of the program (its device copy is used), or
  void* data = nullptr; // host memory to copy to (arguments) or from (results) the device
  size_t bytes = 0;
};

class DeviceProgram {
 public:
  // Allocates the slots' device copies. Fails with GRAPHC_UNAVAILABLE saying
  // why when CUDA cannot be used (no driver, no device).
  static graphc_status_t create(const graphc_model_t& model,
                                const std::vector<graphc_tensor_t*>& slots,
                                std::unique_ptr<DeviceProgram>* out);
  ~DeviceProgram();

  // The host copies of the slots were (or may be about to be) written.
  void hostChanged() { hostChanged_ = true; }
  // Downloads the slots when the device has newer values.
  graphc_status_t syncToHost(const std::vector<graphc_tensor_t*>& slots);

  // Runs `entry` on the device: uploads changed slots and the data, calls
  // the entry point (replaying its CUDA graph when it has one for this batch),
  // downloads the results. `poison` >= 0 fills the arena first.
  graphc_status_t call(const graphc_model_t& model, const graphc_model_entry_t& entry,
                       int64_t batch, const std::vector<HostBuffer>& arguments,
                       const std::vector<HostBuffer>& results,
                       const std::vector<graphc_tensor_t*>& slots, int poison);

  void setGraphs(bool enabled);
  bool graphs() const { return graphsEnabled_; }
  int64_t arenaBytes() const { return arenaBytes_; }
  int64_t arenaAllocations() const { return arenaAllocations_; }
  int64_t graphReplays() const { return graphReplays_; }

 private:
  DeviceProgram() = default;
  graphc_status_t reserve(void** device, int64_t* capacity, int64_t bytes, bool pinned);
  void dropGraphs();

  void* stream_ = nullptr;
  std::vector<void*> slotMemory_;
  bool hostChanged_ = true;
  bool deviceChanged_ = false;
  void* arena_ = nullptr;
  int64_t arenaBytes_ = 0, arenaAllocations_ = 0;
  void* io_ = nullptr;       // device: a call's data and results
  int64_t ioBytes_ = 0;
  void* staging_ = nullptr;  // pinned host memory of the same size
  int64_t stagingBytes_ = 0;
  // CUDA graphs by (entry, batch): a call seen once is captured the second
  // time (the first loads the modules, which a capture cannot).
  bool graphsEnabled_ = true;
  std::map<std::pair<const graphc_model_entry_t*, int64_t>, void*> graphs_;  // CUgraphExec
  std::map<std::pair<const graphc_model_entry_t*, int64_t>, int> seen_;
  int64_t graphReplays_ = 0;
};

}  // namespace graphc::rt::cuda

#endif  // GRAPHC_RUNTIME_SRC_PROGRAM_CUDA_H_
