// Internal to the runtime's data layers: the dataset object the loader
// reads, and the IDX reader the MNIST dataset loads with.
#ifndef GRAPHC_RUNTIME_SRC_DATA_INTERNAL_H_
#define GRAPHC_RUNTIME_SRC_DATA_INTERNAL_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "graphc/runtime/data.h"

struct graphc_dataset_s {
  ~graphc_dataset_s() {
    graphc_tensor_release(images);
    graphc_tensor_release(labels);
  }

  std::atomic<int32_t> ref_count{1};
  graphc_tensor_t* images = nullptr;  // float32 [count, ...]
  graphc_tensor_t* labels = nullptr;  // int64 [count]
};

namespace graphc::rt::detail {

// "IDX file 'PATH': ", the prefix of every IDX error.
std::string idx_prefix(const std::string& path);
// 'PATH' with unprintable bytes escaped, for messages.
std::string quoted(const std::string& path);
// Reads an IDX file (gzip or plain); throws only std::bad_alloc.
graphc_status_t load_idx(const std::string& path, graphc_tensor_t** out_tensor);

}  // namespace graphc::rt::detail

#endif  // GRAPHC_RUNTIME_SRC_DATA_INTERNAL_H_
