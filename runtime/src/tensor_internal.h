// Shape helpers shared by the tensor, formatter, data and safetensors code.
#ifndef GRAPHC_RUNTIME_SRC_TENSOR_INTERNAL_H_
#define GRAPHC_RUNTIME_SRC_TENSOR_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "graphc/runtime/shape_text.hpp"
#include "graphc/runtime/tensor.h"

namespace graphc::rt::detail {

// "[2, 3]" (and "[]" for a scalar), the way error messages print shapes.
inline std::string shape_string(const int64_t* shape, int32_t rank) {
  return shapeText(shape, rank < 0 ? 0 : static_cast<size_t>(rank));
}

// Computes the element and byte counts of a shape, rejecting negative
// dimensions and counts that overflow int64_t / size_t. `what` prefixes the
// error message (e.g. "graphc_tensor_create").
graphc_status_t checked_shape_size(const char* what, graphc_dtype_t dtype, int32_t rank,
                                   const int64_t* shape, int64_t* out_numel,
                                   size_t* out_nbytes) noexcept;

// A new tensor of `shape`: a copy of `data` when it is not NULL, zeros when
// `zeroed`, and otherwise uninitialized, for a buffer its maker overwrites
// whole (an entry point's result: zeroing conv1's 4.8 MB forward result at
// batch 256 cost a tenth of its call). `what` prefixes the error message.
graphc_status_t allocate_tensor(const char* what, graphc_dtype_t dtype, int32_t rank,
                                const int64_t* shape, const void* data, bool zeroed,
                                graphc_tensor_t** out_tensor);

}  // namespace graphc::rt::detail

#endif  // GRAPHC_RUNTIME_SRC_TENSOR_INTERNAL_H_
