// graphc runtime: tensors made from other tensors (like, narrow views).

#include <vector>

#include "graphc/runtime/tensor.h"
#include "status_internal.h"

namespace {
using graphc::rt::detail::make_statusf;

void releaseParent(void* parent) { graphc_tensor_release(static_cast<graphc_tensor_t*>(parent)); }
}  // namespace

extern "C" {

graphc_status_t graphc_tensor_create_like(const graphc_tensor_t* like,
                                          graphc_tensor_t** out_tensor) {
  if (like == nullptr)
    return make_statusf(GRAPHC_INVALID_ARGUMENT, "graphc_tensor_create_like: like is NULL");
  return graphc_tensor_create(graphc_tensor_dtype(like), graphc_tensor_rank(like),
                              graphc_tensor_shape(like), nullptr, out_tensor);
}

graphc_status_t graphc_tensor_narrow(graphc_tensor_t* tensor, int64_t start, int64_t length,
                                     graphc_tensor_t** out_view) {
  if (tensor == nullptr || out_view == nullptr)
    return make_statusf(GRAPHC_INVALID_ARGUMENT, "graphc_tensor_narrow: tensor or out_view is NULL");
  int32_t rank = graphc_tensor_rank(tensor);
  const int64_t* shape = graphc_tensor_shape(tensor);
  if (rank == 0)
    return make_statusf(GRAPHC_INVALID_ARGUMENT, "graphc_tensor_narrow: cannot narrow a scalar");
  if (start < 0 || length < 0 || start > shape[0] - length)
    return make_statusf(GRAPHC_OUT_OF_RANGE,
                        "graphc_tensor_narrow: rows [%lld, %lld) are outside dimension 0 of size %lld",
                        (long long)start, (long long)(start + length), (long long)shape[0]);
  std::vector<int64_t> viewShape(shape, shape + rank);
  viewShape[0] = length;
  size_t rowBytes = shape[0] ? graphc_tensor_nbytes(tensor) / shape[0] : 0;
  char* data = static_cast<char*>(graphc_tensor_data(tensor)) + start * rowBytes;
  graphc_tensor_retain(tensor);
  graphc_status_t status = graphc_tensor_wrap(graphc_tensor_dtype(tensor), rank, viewShape.data(),
                                              data, &releaseParent, tensor, out_view);
  if (status) graphc_tensor_release(tensor);
  return status;
}

graphc_device_t graphc_tensor_device(const graphc_tensor_t*) { return GRAPHC_DEVICE_CPU; }

}  // extern "C"
