#include "graphc/runtime/tensor.h"

#include <atomic>
#include <cinttypes>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <string>

#include "status_internal.h"
#include "tensor_internal.h"

using graphc::rt::detail::make_statusf;

struct graphc_tensor_s {
  std::atomic<int32_t> ref_count;
  graphc_dtype_t dtype;
  int32_t rank;
  int64_t shape[GRAPHC_TENSOR_MAX_RANK];
  int64_t numel;
  size_t nbytes;
  void* data;
  // Exactly one of these describes how the buffer goes away: an owned
  // buffer is freed with std::free, a wrapped one through the caller's hook.
  bool owns_data;
  void (*release_fn)(void* user);
  void* release_user;
};

namespace graphc::rt::detail {

graphc_status_t checked_shape_size(const char* what, graphc_dtype_t dtype, int32_t rank,
                                   const int64_t* shape, int64_t* out_numel,
                                   size_t* out_nbytes) noexcept {
  size_t element_size = graphc_dtype_size(dtype);
  if (element_size == 0) {
    return make_statusf(GRAPHC_INVALID_ARGUMENT,
                        "%s: dtype %d is not a graphc_dtype_t; expected one of "
                        "GRAPHC_DTYPE_F32, F64, I32, I64, BOOL",
                        what, static_cast<int>(dtype));
  }
  if (rank < 0 || rank > GRAPHC_TENSOR_MAX_RANK) {
    return make_statusf(GRAPHC_INVALID_ARGUMENT, "%s: rank is %" PRId32 "; expected 0..%d", what,
                        rank, GRAPHC_TENSOR_MAX_RANK);
  }
  if (rank > 0 && shape == nullptr) {
    return make_statusf(GRAPHC_INVALID_ARGUMENT,
                        "%s: shape is NULL; expected %" PRId32 " dimensions", what, rank);
  }
  int64_t numel = 1;
  for (int32_t i = 0; i < rank; ++i) {
    if (shape[i] < 0) {
      return make_statusf(GRAPHC_INVALID_ARGUMENT,
                          "%s: shape[%" PRId32 "] is %" PRId64
                          "; expected a non-negative dimension",
                          what, i, shape[i]);
    }
  }
  // Checked only after every dimension is known non-negative, so that a zero
  // dimension anywhere legitimately makes the product zero.
  for (int32_t i = 0; i < rank; ++i) {
    if (__builtin_mul_overflow(numel, shape[i], &numel)) {
      return make_statusf(GRAPHC_OUT_OF_RANGE, "%s: shape %s has more elements than fit in int64_t",
                          what, shape_string(shape, rank).c_str());
    }
  }
  size_t nbytes = 0;
  if (__builtin_mul_overflow(static_cast<uint64_t>(numel), element_size, &nbytes) ||
      nbytes > static_cast<size_t>(std::numeric_limits<ptrdiff_t>::max())) {
    return make_statusf(GRAPHC_OUT_OF_RANGE,
                        "%s: shape %s of %s needs more bytes than fit in memory", what,
                        shape_string(shape, rank).c_str(), graphc_dtype_name(dtype));
  }
  *out_numel = numel;
  *out_nbytes = nbytes;
  return nullptr;
}

}  // namespace graphc::rt::detail

namespace {

graphc_tensor_s* new_tensor_header(graphc_dtype_t dtype, int32_t rank, const int64_t* shape,
                                   int64_t numel, size_t nbytes) {
  auto* tensor = new graphc_tensor_s;
  tensor->ref_count.store(1, std::memory_order_relaxed);
  tensor->dtype = dtype;
  tensor->rank = rank;
  for (int32_t i = 0; i < GRAPHC_TENSOR_MAX_RANK; ++i) tensor->shape[i] = i < rank ? shape[i] : 0;
  tensor->numel = numel;
  tensor->nbytes = nbytes;
  tensor->data = nullptr;
  tensor->owns_data = false;
  tensor->release_fn = nullptr;
  tensor->release_user = nullptr;
  return tensor;
}

// The checks every tensor constructor starts with: a place for the result
// (cleared, so a failure leaves NULL there) and a valid dtype and shape,
// whose element and byte counts it returns.
graphc_status_t begin_tensor_constructor(const char* what, graphc_dtype_t dtype, int32_t rank,
                                         const int64_t* shape, graphc_tensor_t** out_tensor,
                                         int64_t* numel, size_t* nbytes) {
  if (out_tensor == nullptr) {
    return make_statusf(GRAPHC_INVALID_ARGUMENT,
                        "%s: out_tensor is NULL; expected a pointer to receive the tensor", what);
  }
  *out_tensor = nullptr;
  return graphc::rt::detail::checked_shape_size(what, dtype, rank, shape, numel, nbytes);
}

}  // namespace

namespace graphc::rt::detail {

graphc_status_t allocate_tensor(const char* what, graphc_dtype_t dtype, int32_t rank,
                                const int64_t* shape, const void* data, bool zeroed,
                                graphc_tensor_t** out_tensor) {
  int64_t numel = 0;
  size_t nbytes = 0;
  if (graphc_status_t status =
          begin_tensor_constructor(what, dtype, rank, shape, out_tensor, &numel, &nbytes)) {
    return status;
  }
  // Round up because aligned_alloc requires a multiple of the alignment, and
  // allocate at least one block so even an empty tensor has a non-NULL
  // buffer (memcpy(dst, NULL, 0) is undefined behavior for callers).
  size_t capacity =
      (nbytes + GRAPHC_TENSOR_ALIGNMENT - 1) / GRAPHC_TENSOR_ALIGNMENT * GRAPHC_TENSOR_ALIGNMENT;
  if (capacity == 0) capacity = GRAPHC_TENSOR_ALIGNMENT;
  void* buffer = std::aligned_alloc(GRAPHC_TENSOR_ALIGNMENT, capacity);
  if (buffer == nullptr) {
    return make_statusf(GRAPHC_RESOURCE_EXHAUSTED,
                        "%s: cannot allocate %zu bytes for a %s tensor of shape %s", what, nbytes,
                        graphc_dtype_name(dtype),
                        graphc::rt::detail::shape_string(shape, rank).c_str());
  }
  if (data != nullptr) {
    std::memcpy(buffer, data, nbytes);
  } else if (zeroed) {
    std::memset(buffer, 0, nbytes);
  }
  std::memset(static_cast<char*>(buffer) + nbytes, 0, capacity - nbytes);
  graphc_tensor_s* tensor = nullptr;
  try {
    tensor = new_tensor_header(dtype, rank, shape, numel, nbytes);
  } catch (const std::bad_alloc&) {
    std::free(buffer);
    return graphc::rt::detail::out_of_memory_status();
  }
  tensor->data = buffer;
  tensor->owns_data = true;
  *out_tensor = tensor;
  return nullptr;
}

}  // namespace graphc::rt::detail

extern "C" {

size_t graphc_dtype_size(graphc_dtype_t dtype) {
  switch (dtype) {
    case GRAPHC_DTYPE_F32:
      return 4;
    case GRAPHC_DTYPE_F64:
      return 8;
    case GRAPHC_DTYPE_I32:
      return 4;
    case GRAPHC_DTYPE_I64:
      return 8;
    case GRAPHC_DTYPE_BOOL:
      return 1;
  }
  return 0;
}

const char* graphc_dtype_name(graphc_dtype_t dtype) {
  switch (dtype) {
    case GRAPHC_DTYPE_F32:
      return "float32";
    case GRAPHC_DTYPE_F64:
      return "float64";
    case GRAPHC_DTYPE_I32:
      return "int32";
    case GRAPHC_DTYPE_I64:
      return "int64";
    case GRAPHC_DTYPE_BOOL:
      return "bool";
  }
  return "unknown";
}

graphc_status_t graphc_tensor_create(graphc_dtype_t dtype, int32_t rank, const int64_t* shape,
                                     const void* data, graphc_tensor_t** out_tensor) {
  return graphc::rt::detail::allocate_tensor("graphc_tensor_create", dtype, rank, shape, data,
                                             /*zeroed=*/true, out_tensor);
}

graphc_status_t graphc_tensor_wrap(graphc_dtype_t dtype, int32_t rank, const int64_t* shape,
                                   void* data, void (*release)(void* user), void* user,
                                   graphc_tensor_t** out_tensor) {
  static const char kWhat[] = "graphc_tensor_wrap";
  int64_t numel = 0;
  size_t nbytes = 0;
  if (graphc_status_t status =
          begin_tensor_constructor(kWhat, dtype, rank, shape, out_tensor, &numel, &nbytes)) {
    return status;
  }
  if (data == nullptr && nbytes != 0) {
    return make_statusf(GRAPHC_INVALID_ARGUMENT,
                        "%s: data is NULL; expected %zu bytes for a %s tensor of shape %s", kWhat,
                        nbytes, graphc_dtype_name(dtype),
                        graphc::rt::detail::shape_string(shape, rank).c_str());
  }
  // Typed access through a misaligned pointer is undefined behavior, so the
  // check belongs here rather than in every consumer.
  size_t element_size = graphc_dtype_size(dtype);
  if (reinterpret_cast<uintptr_t>(data) % element_size != 0) {
    return make_statusf(GRAPHC_INVALID_ARGUMENT,
                        "%s: data %p is not aligned; expected %zu-byte alignment for %s", kWhat,
                        data, element_size, graphc_dtype_name(dtype));
  }
  graphc_tensor_s* tensor = nullptr;
  try {
    tensor = new_tensor_header(dtype, rank, shape, numel, nbytes);
  } catch (const std::bad_alloc&) {
    return graphc::rt::detail::out_of_memory_status();
  }
  tensor->data = data;
  tensor->release_fn = release;
  tensor->release_user = user;
  *out_tensor = tensor;
  return nullptr;
}

void graphc_tensor_retain(graphc_tensor_t* tensor) {
  if (tensor) tensor->ref_count.fetch_add(1, std::memory_order_relaxed);
}

void graphc_tensor_release(graphc_tensor_t* tensor) {
  if (tensor == nullptr) return;
  // acq_rel so that every write made through other references happens
  // before the buffer is freed or handed back to its owner.
  if (tensor->ref_count.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  if (tensor->owns_data) {
    std::free(tensor->data);
  } else if (tensor->release_fn) {
    tensor->release_fn(tensor->release_user);
  }
  delete tensor;
}

int32_t graphc_tensor_rank(const graphc_tensor_t* tensor) { return tensor ? tensor->rank : 0; }

const int64_t* graphc_tensor_shape(const graphc_tensor_t* tensor) {
  return tensor ? tensor->shape : nullptr;
}

graphc_dtype_t graphc_tensor_dtype(const graphc_tensor_t* tensor) {
  return tensor ? tensor->dtype : GRAPHC_DTYPE_F32;
}

void* graphc_tensor_data(const graphc_tensor_t* tensor) { return tensor ? tensor->data : nullptr; }

int64_t graphc_tensor_numel(const graphc_tensor_t* tensor) { return tensor ? tensor->numel : 0; }

size_t graphc_tensor_nbytes(const graphc_tensor_t* tensor) { return tensor ? tensor->nbytes : 0; }

graphc_status_t graphc_tensor_fill(graphc_tensor_t* tensor, double value) {
  static const char kWhat[] = "graphc_tensor_fill";
  if (tensor == nullptr) {
    return make_statusf(GRAPHC_INVALID_ARGUMENT, "%s: tensor is NULL; expected a tensor", kWhat);
  }
  const int64_t n = tensor->numel;
  switch (tensor->dtype) {
    case GRAPHC_DTYPE_F32: {
      // Like torch, refuse a finite value that would silently become inf.
      if (std::isfinite(value) && std::fabs(value) > std::numeric_limits<float>::max()) {
        return make_statusf(GRAPHC_OUT_OF_RANGE,
                            "%s: value %g cannot be converted to float32 without overflow", kWhat,
                            value);
      }
      float v = static_cast<float>(value);
      auto* p = static_cast<float*>(tensor->data);
      for (int64_t i = 0; i < n; ++i) p[i] = v;
      return nullptr;
    }
    case GRAPHC_DTYPE_F64: {
      auto* p = static_cast<double*>(tensor->data);
      for (int64_t i = 0; i < n; ++i) p[i] = value;
      return nullptr;
    }
    case GRAPHC_DTYPE_I32: {
      // The bounds are exact doubles; comparing before the cast keeps the
      // conversion itself well-defined.
      if (!(value > -2147483649.0 && value < 2147483648.0)) {
        return make_statusf(GRAPHC_OUT_OF_RANGE,
                            "%s: value %g cannot be converted to int32 without overflow; "
                            "expected a finite value in [-2147483648, 2147483647]",
                            kWhat, value);
      }
      int32_t v = static_cast<int32_t>(value);
      auto* p = static_cast<int32_t*>(tensor->data);
      for (int64_t i = 0; i < n; ++i) p[i] = v;
      return nullptr;
    }
    case GRAPHC_DTYPE_I64: {
      if (!(value >= -9223372036854775808.0 && value < 9223372036854775808.0)) {
        return make_statusf(GRAPHC_OUT_OF_RANGE,
                            "%s: value %g cannot be converted to int64 without overflow; "
                            "expected a finite value in [-2^63, 2^63)",
                            kWhat, value);
      }
      int64_t v = static_cast<int64_t>(value);
      auto* p = static_cast<int64_t*>(tensor->data);
      for (int64_t i = 0; i < n; ++i) p[i] = v;
      return nullptr;
    }
    case GRAPHC_DTYPE_BOOL: {
      // NaN is truthy in torch (bool(float('nan')) is True); value != 0 agrees.
      // A wrapped empty tensor may have a NULL buffer, which memset rejects.
      if (n > 0) std::memset(tensor->data, value != 0 ? 1 : 0, tensor->nbytes);
      return nullptr;
    }
  }
  return make_statusf(GRAPHC_INTERNAL, "%s: tensor has invalid dtype %d", kWhat,
                      static_cast<int>(tensor->dtype));
}

}  // extern "C"
