/*
 * graphc runtime: dense host tensors.
 *
 * A graphc_tensor_t is a reference-counted, dense, row-major, contiguous
 * tensor in host memory, of rank 0..GRAPHC_TENSOR_MAX_RANK. It either owns
 * its buffer (graphc_tensor_create; 64-byte aligned) or wraps caller memory
 * without copying (graphc_tensor_wrap, the analogue of torch.from_numpy).
 *
 * Ownership follows create/retain/release: a tensor returned through an
 * `out` parameter carries one reference owned by the caller. Reference counts
 * are atomic, so handles may be shared across threads; the elements are not
 * synchronized.
 */
#ifndef GRAPHC_RUNTIME_TENSOR_H_
#define GRAPHC_RUNTIME_TENSOR_H_

#include <stddef.h>
#include <stdint.h>

#include "graphc/runtime/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GRAPHC_TENSOR_MAX_RANK 8

/* Alignment of buffers allocated by graphc_tensor_create: enough for any
 * vector width the generated code uses. */
#define GRAPHC_TENSOR_ALIGNMENT 64

typedef enum graphc_dtype_e {
  GRAPHC_DTYPE_F32 = 0,
  GRAPHC_DTYPE_F64 = 1,
  GRAPHC_DTYPE_I32 = 2,
  GRAPHC_DTYPE_I64 = 3,
  GRAPHC_DTYPE_BOOL = 4 /* one byte per element, 0 or 1 */
} graphc_dtype_t;

/* Bytes per element; 0 for a value outside the enum. */
size_t graphc_dtype_size(graphc_dtype_t dtype);

/* PyTorch's names: "float32", "float64", "int32", "int64", "bool";
 * "unknown" for a value outside the enum. */
const char* graphc_dtype_name(graphc_dtype_t dtype);

typedef struct graphc_tensor_s graphc_tensor_t;

/* Creates a tensor with its own buffer. `shape` holds `rank` non-negative
 * dimensions (it may be NULL when rank is 0). When `data` is non-NULL,
 * numel * dtype_size bytes are copied from it; otherwise the buffer is
 * zero-filled. */
graphc_status_t graphc_tensor_create(graphc_dtype_t dtype, int32_t rank, const int64_t* shape,
                                     const void* data, graphc_tensor_t** out_tensor);

/* Creates a tensor over caller memory, without a copy. `data` must hold
 * numel * dtype_size bytes aligned to dtype_size (it may be NULL only if the
 * tensor is empty). When the last reference is released, `release(user)` is
 * called if `release` is non-NULL. On failure nothing is retained and
 * `release` is not called: the caller still owns `data`. */
graphc_status_t graphc_tensor_wrap(graphc_dtype_t dtype, int32_t rank, const int64_t* shape,
                                   void* data, void (*release)(void* user), void* user,
                                   graphc_tensor_t** out_tensor);

/* Both accept NULL. */
void graphc_tensor_retain(graphc_tensor_t* tensor);
void graphc_tensor_release(graphc_tensor_t* tensor);

/* Accessors; on NULL they return 0 / NULL. The shape array has rank entries
 * and lives as long as the tensor. The data pointer is writable even through
 * a const handle: constness of the handle does not extend to the elements,
 * as with a const std::shared_ptr. For a created empty tensor data is still
 * a valid non-NULL pointer. */
int32_t graphc_tensor_rank(const graphc_tensor_t* tensor);
const int64_t* graphc_tensor_shape(const graphc_tensor_t* tensor);
graphc_dtype_t graphc_tensor_dtype(const graphc_tensor_t* tensor);
void* graphc_tensor_data(const graphc_tensor_t* tensor);
int64_t graphc_tensor_numel(const graphc_tensor_t* tensor);
size_t graphc_tensor_nbytes(const graphc_tensor_t* tensor);

/* Sets every element to `value` converted to the tensor's dtype, like
 * torch.Tensor.fill_: integers truncate toward zero, bool is value != 0.
 * Fails with GRAPHC_OUT_OF_RANGE for an integer dtype when value is NaN,
 * infinite or outside the dtype's range. */
graphc_status_t graphc_tensor_fill(graphc_tensor_t* tensor, double value);

/* A new zero-filled tensor with `like`'s dtype and shape (torch.zeros_like;
 * graphc_tensor_fill after it gives ones_like / full_like). */
graphc_status_t graphc_tensor_create_like(const graphc_tensor_t* like, graphc_tensor_t** out_tensor);

/* A view of rows [start, start + length) along dimension 0, sharing the
 * buffer (tensor[start:start+length]); the view keeps `tensor` alive. Rows
 * are contiguous, so the view is a dense tensor like any other. */
graphc_status_t graphc_tensor_narrow(graphc_tensor_t* tensor, int64_t start, int64_t length,
                                     graphc_tensor_t** out_view);

/* Where memory is, or where a model runs (torch.device). A graphc_tensor_t is
 * always host memory (GRAPHC_DEVICE_CPU); a program over a model compiled
 * with --target=cuda keeps its working copies on GPU 0 (GRAPHC_DEVICE_CUDA,
 * graphc_program_device in program.h). */
typedef enum graphc_device_e { GRAPHC_DEVICE_CPU = 0, GRAPHC_DEVICE_CUDA = 1 } graphc_device_t;
graphc_device_t graphc_tensor_device(const graphc_tensor_t* tensor);

/* Formats the tensor exactly as PyTorch's repr() does with default print
 * options (precision 4, threshold 1000, edgeitems 3, linewidth 80,
 * automatic scientific notation), e.g. "tensor([[ 3.,  9., 15.],\n
 * [ 3.,  9., 15.]])". The dtype suffix uses torch's names. The string is
 * NUL-terminated, has no trailing newline and is freed with graphc_free. */
graphc_status_t graphc_tensor_format(const graphc_tensor_t* tensor, char** out_string);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GRAPHC_RUNTIME_TENSOR_H_ */
