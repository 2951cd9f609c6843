// graphc runtime: C++ convenience layer over the C API.
//
// Header-only and thin on purpose: the C API is the contract (generated code
// and C programs use it directly); this file only adds RAII, exceptions and
// std types for C++ callers such as the examples and the training loop.
#ifndef GRAPHC_RUNTIME_RUNTIME_HPP_
#define GRAPHC_RUNTIME_RUNTIME_HPP_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <ostream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "graphc/runtime/data.h"
#include "graphc/runtime/safetensors.h"
#include "graphc/runtime/status.h"
#include "graphc/runtime/tensor.h"

namespace graphc::rt {

// A failed runtime call. what() is the status message; code() its code.
class Error : public std::runtime_error {
 public:
  Error(graphc_status_code_t code, const std::string& message)
      : std::runtime_error(message), code_(code) {}

  graphc_status_code_t code() const noexcept { return code_; }

 private:
  graphc_status_code_t code_;
};

// Takes ownership of `status`: frees it, and throws Error if it is not OK.
inline void check(graphc_status_t status) {
  if (status == nullptr) return;
  graphc_status_code_t code = graphc_status_code(status);
  std::string message = graphc_status_message(status);
  graphc_status_free(status);
  throw Error(code, message);
}

// The graphc dtype of a C++ element type, for typed access.
template <class T>
struct DtypeOf;
template <>
struct DtypeOf<float> {
  static constexpr graphc_dtype_t value = GRAPHC_DTYPE_F32;
};
template <>
struct DtypeOf<double> {
  static constexpr graphc_dtype_t value = GRAPHC_DTYPE_F64;
};
template <>
struct DtypeOf<int32_t> {
  static constexpr graphc_dtype_t value = GRAPHC_DTYPE_I32;
};
template <>
struct DtypeOf<int64_t> {
  static constexpr graphc_dtype_t value = GRAPHC_DTYPE_I64;
};
template <>
struct DtypeOf<bool> {
  // The runtime stores bools as single 0/1 bytes, i.e. C++ bool on every
  // ABI graphc targets.
  static_assert(sizeof(bool) == 1, "graphc bool tensors need a one-byte bool");
  static constexpr graphc_dtype_t value = GRAPHC_DTYPE_BOOL;
};

// A shared handle to a graphc_tensor_t. Copies share the buffer (retain),
// like torch.Tensor; a default-constructed Tensor is null.
class Tensor {
 public:
  Tensor() = default;

  // Takes over the caller's reference (e.g. one returned through out_tensor).
  static Tensor adopt(graphc_tensor_t* tensor) noexcept { return Tensor(tensor); }

  // Adds a reference to a borrowed tensor (e.g. one owned by a file).
  static Tensor borrow(graphc_tensor_t* tensor) noexcept {
    graphc_tensor_retain(tensor);
    return Tensor(tensor);
  }

  static Tensor empty(const std::vector<int64_t>& shape, graphc_dtype_t dtype = GRAPHC_DTYPE_F32) {
    return zeros(shape, dtype);
  }

  static Tensor zeros(const std::vector<int64_t>& shape, graphc_dtype_t dtype = GRAPHC_DTYPE_F32) {
    graphc_tensor_t* tensor = nullptr;
    check(graphc_tensor_create(dtype, static_cast<int32_t>(shape.size()), shape.data(), nullptr,
                               &tensor));
    return Tensor(tensor);
  }

  static Tensor ones(const std::vector<int64_t>& shape, graphc_dtype_t dtype = GRAPHC_DTYPE_F32) {
    return full(shape, 1.0, dtype);
  }

  static Tensor full(const std::vector<int64_t>& shape, double value,
                     graphc_dtype_t dtype = GRAPHC_DTYPE_F32) {
    Tensor tensor = zeros(shape, dtype);
    check(graphc_tensor_fill(tensor.get(), value));
    return tensor;
  }

  // Copies `data` (row-major) into a new float32 tensor of the given shape;
  // a scalar when the shape is {} (one value). The non-template overload
  // lets braced lists work: fromData({1, 2, 3, 4}, {2, 2}).
  static Tensor fromData(const std::vector<float>& data, const std::vector<int64_t>& shape) {
    return fromBytes(data.data(), data.size(), GRAPHC_DTYPE_F32, shape);
  }

  // The same for any element type; the dtype follows T (double -> float64,
  // int32_t -> int32, int64_t -> int64).
  template <class T>
  static Tensor fromData(const std::vector<T>& data, const std::vector<int64_t>& shape) {
    static_assert(!std::is_same_v<T, bool>,
                  "std::vector<bool> is bit-packed; use fromData<uint8_t> with GRAPHC_DTYPE_BOOL");
    return fromBytes(data.data(), data.size(), DtypeOf<T>::value, shape);
  }

  // The same from raw elements of any dtype (e.g. bytes for BOOL).
  template <class T>
  static Tensor fromData(const std::vector<T>& data, const std::vector<int64_t>& shape,
                         graphc_dtype_t dtype) {
    if (sizeof(T) != graphc_dtype_size(dtype)) {
      throw Error(GRAPHC_INVALID_ARGUMENT, std::string("Tensor::fromData: element size ") +
                                               std::to_string(sizeof(T)) + " does not match " +
                                               graphc_dtype_name(dtype));
    }
    return fromBytes(data.data(), data.size(), dtype, shape);
  }

  // Wraps caller memory without copying (torch.from_numpy): the memory must
  // outlive every copy of the returned Tensor.
  template <class T>
  static Tensor wrap(T* data, const std::vector<int64_t>& shape) {
    graphc_tensor_t* tensor = nullptr;
    check(graphc_tensor_wrap(DtypeOf<T>::value, static_cast<int32_t>(shape.size()), shape.data(),
                             data, nullptr, nullptr, &tensor));
    return Tensor(tensor);
  }

  Tensor(const Tensor& other) noexcept : tensor_(other.tensor_) { graphc_tensor_retain(tensor_); }
  Tensor(Tensor&& other) noexcept : tensor_(std::exchange(other.tensor_, nullptr)) {}
  Tensor& operator=(const Tensor& other) noexcept {
    // Retain first so self-assignment cannot free the tensor.
    graphc_tensor_retain(other.tensor_);
    graphc_tensor_release(tensor_);
    tensor_ = other.tensor_;
    return *this;
  }
  Tensor& operator=(Tensor&& other) noexcept {
    if (this != &other) {
      graphc_tensor_release(tensor_);
      tensor_ = std::exchange(other.tensor_, nullptr);
    }
    return *this;
  }
  ~Tensor() { graphc_tensor_release(tensor_); }

  explicit operator bool() const noexcept { return tensor_ != nullptr; }
  graphc_tensor_t* get() const noexcept { return tensor_; }
  // Gives up ownership of the reference to the caller.
  graphc_tensor_t* release() noexcept { return std::exchange(tensor_, nullptr); }

  graphc_dtype_t dtype() const noexcept { return graphc_tensor_dtype(tensor_); }
  int32_t rank() const noexcept { return graphc_tensor_rank(tensor_); }
  int64_t numel() const noexcept { return graphc_tensor_numel(tensor_); }
  size_t nbytes() const noexcept { return graphc_tensor_nbytes(tensor_); }
  std::vector<int64_t> shape() const {
    const int64_t* dims = graphc_tensor_shape(tensor_);
    return dims ? std::vector<int64_t>(dims, dims + rank()) : std::vector<int64_t>{};
  }

  // Typed element access; throws Error when T does not match the dtype, so
  // a float32 buffer is never silently read as int32.
  template <class T>
  T* data() {
    checkDtype(DtypeOf<T>::value);
    return static_cast<T*>(graphc_tensor_data(tensor_));
  }
  template <class T>
  const T* data() const {
    checkDtype(DtypeOf<T>::value);
    return static_cast<const T*>(graphc_tensor_data(tensor_));
  }
  void* rawData() const noexcept { return graphc_tensor_data(tensor_); }
  // Rows [start, start + length) as a view sharing the buffer (graphc_tensor_narrow).
  Tensor narrow(int64_t start, int64_t length) const {
    graphc_tensor_t* view = nullptr;
    check(graphc_tensor_narrow(tensor_, start, length, &view));
    return Tensor(view);
  }

  // Copies the elements out (row-major).
  template <class T>
  std::vector<T> toVector() const {
    static_assert(!std::is_same_v<T, bool>, "std::vector<bool> is bit-packed; read data<bool>()");
    const T* begin = data<T>();
    return std::vector<T>(begin, begin + numel());
  }

  void fill(double value) { check(graphc_tensor_fill(tensor_, value)); }

  // PyTorch's repr(), e.g. "tensor([1., 2.])".
  std::string str() const {
    char* text = nullptr;
    check(graphc_tensor_format(tensor_, &text));
    std::string result(text);
    graphc_free(text);
    return result;
  }

 private:
  explicit Tensor(graphc_tensor_t* tensor) noexcept : tensor_(tensor) {}

  static Tensor fromBytes(const void* data, size_t count, graphc_dtype_t dtype,
                          const std::vector<int64_t>& shape) {
    graphc_tensor_t* tensor = nullptr;
    // Create empty first so the count can be checked against the shape's
    // numel before any bytes are copied.
    check(graphc_tensor_create(dtype, static_cast<int32_t>(shape.size()), shape.data(), nullptr,
                               &tensor));
    Tensor result(tensor);
    if (static_cast<int64_t>(count) != result.numel()) {
      throw Error(GRAPHC_INVALID_ARGUMENT, "Tensor::fromData: " + std::to_string(count) +
                                               " values do not fill shape " + shapeString(shape) +
                                               "; expected " + std::to_string(result.numel()));
    }
    if (count) {
      const auto* src = static_cast<const unsigned char*>(data);
      auto* dst = static_cast<unsigned char*>(result.rawData());
      std::copy(src, src + result.nbytes(), dst);
    }
    return result;
  }

  static std::string shapeString(const std::vector<int64_t>& shape) {
    std::string text = "[";
    for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
  }

  void checkDtype(graphc_dtype_t expected) const {
    if (tensor_ == nullptr) throw Error(GRAPHC_INVALID_ARGUMENT, "Tensor::data: tensor is null");
    if (dtype() != expected) {
      throw Error(GRAPHC_INVALID_ARGUMENT, std::string("Tensor::data: tensor is ") +
                                               graphc_dtype_name(dtype()) + "; requested " +
                                               graphc_dtype_name(expected));
    }
  }

  graphc_tensor_t* tensor_ = nullptr;
};

inline std::ostream& operator<<(std::ostream& os, const Tensor& tensor) {
  return os << tensor.str();
}

// Loads every tensor of a safetensors file, keyed by name.
inline std::map<std::string, Tensor> loadSafetensors(
    const std::string& path, std::map<std::string, std::string>* metadata = nullptr) {
  graphc_safetensors_t* file = nullptr;
  check(graphc_safetensors_load(path.c_str(), &file));
  std::map<std::string, Tensor> tensors;
  try {
    for (size_t i = 0; i < graphc_safetensors_count(file); ++i) {
      tensors.emplace(graphc_safetensors_name(file, i),
                      Tensor::borrow(graphc_safetensors_tensor_at(file, i)));
    }
    if (metadata) {
      metadata->clear();
      for (size_t i = 0; i < graphc_safetensors_metadata_count(file); ++i) {
        const char* key = graphc_safetensors_metadata_key(file, i);
        metadata->emplace(key, graphc_safetensors_metadata(file, key));
      }
    }
  } catch (...) {
    graphc_safetensors_release(file);
    throw;
  }
  graphc_safetensors_release(file);
  return tensors;
}

// Writes tensors (and optional metadata) atomically; see
// graphc_safetensors_writer_save.
inline void saveSafetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                            const std::map<std::string, std::string>& metadata = {}) {
  graphc_safetensors_writer_t* writer = nullptr;
  check(graphc_safetensors_writer_create(&writer));
  try {
    for (const auto& [name, tensor] : tensors) {
      check(graphc_safetensors_writer_add(writer, name.c_str(), tensor.get()));
    }
    for (const auto& [key, value] : metadata) {
      check(graphc_safetensors_writer_set_metadata(writer, key.c_str(), value.c_str()));
    }
    check(graphc_safetensors_writer_save(writer, path.c_str()));
  } catch (...) {
    graphc_safetensors_writer_release(writer);
    throw;
  }
  graphc_safetensors_writer_release(writer);
}

// ---- Data -------------------------------------------------------------------

// Loads an IDX file, gzip-compressed or not (see graphc_idx_load): images as
// float32 [N, 1, H, W] in [0, 1], labels as int64 [N].
inline Tensor loadIdx(const std::string& path) {
  graphc_tensor_t* tensor = nullptr;
  check(graphc_idx_load(path.c_str(), &tensor));
  return Tensor::adopt(tensor);
}

// A shared handle to a graphc_dataset_t (copies retain); null by default.
class Dataset {
 public:
  Dataset() = default;

  // Takes over the caller's reference.
  static Dataset adopt(graphc_dataset_t* dataset) noexcept { return Dataset(dataset); }

  // The training or test split of an MNIST-format dataset in `dir`; an empty
  // dir means GRAPHC_FASHION_MNIST_DIR (Debian's dataset-fashion-mnist).
  static Dataset loadMnist(const std::string& dir = "", bool train = true) {
    graphc_dataset_t* dataset = nullptr;
    check(graphc_dataset_load_mnist(dir.empty() ? nullptr : dir.c_str(), train, &dataset));
    return Dataset(dataset);
  }

  // images: float32 [N, ...]; labels: int64 [N]. Shares their buffers.
  static Dataset fromTensors(const Tensor& images, const Tensor& labels) {
    graphc_dataset_t* dataset = nullptr;
    check(graphc_dataset_create(images.get(), labels.get(), &dataset));
    return Dataset(dataset);
  }

  Dataset(const Dataset& other) noexcept : dataset_(other.dataset_) {
    graphc_dataset_retain(dataset_);
  }
  Dataset(Dataset&& other) noexcept : dataset_(std::exchange(other.dataset_, nullptr)) {}
  Dataset& operator=(const Dataset& other) noexcept {
    graphc_dataset_retain(other.dataset_);
    graphc_dataset_release(dataset_);
    dataset_ = other.dataset_;
    return *this;
  }
  Dataset& operator=(Dataset&& other) noexcept {
    if (this != &other) {
      graphc_dataset_release(dataset_);
      dataset_ = std::exchange(other.dataset_, nullptr);
    }
    return *this;
  }
  ~Dataset() { graphc_dataset_release(dataset_); }

  explicit operator bool() const noexcept { return dataset_ != nullptr; }
  graphc_dataset_t* get() const noexcept { return dataset_; }

  int64_t size() const noexcept { return graphc_dataset_count(dataset_); }
  // One image's shape, e.g. {1, 28, 28}.
  std::vector<int64_t> imageShape() const {
    const int64_t* dims = graphc_dataset_image_shape(dataset_);
    return dims ? std::vector<int64_t>(dims, dims + graphc_dataset_image_rank(dataset_))
                : std::vector<int64_t>{};
  }
  Tensor images() const { return Tensor::borrow(graphc_dataset_images(dataset_)); }
  Tensor labels() const { return Tensor::borrow(graphc_dataset_labels(dataset_)); }

 private:
  explicit Dataset(graphc_dataset_t* dataset) noexcept : dataset_(dataset) {}

  graphc_dataset_t* dataset_ = nullptr;
};

// graphc_loader_create's parameters. The defaults are the seeds': batches of
// 64 and transforms.Normalize((0.5,), (0.5,)); mean 0 and stdDev 1 turn
// normalization off.
struct LoaderOptions {
  int64_t batchSize = 64;
  bool shuffle = false;
  bool dropLast = false;
  uint64_t seed = 0;
  float mean = 0.5f;
  float stdDev = 0.5f;
};

// torch.utils.data.DataLoader over a Dataset. Move-only: a loader has a
// position, which copies must not share by accident.
//
//   LoaderOptions options;
//   options.shuffle = true;
//   options.seed = seed;
//   DataLoader loader(Dataset::loadMnist(), options);
//   for (uint64_t epoch = 0; epoch < epochs; ++epoch) {
//     loader.setEpoch(epoch);
//     Tensor images, labels;
//     while (loader.next(images, labels)) { ... }
//   }
class DataLoader {
 public:
  DataLoader() = default;
  explicit DataLoader(const Dataset& dataset, const LoaderOptions& options = {}) {
    check(graphc_loader_create(dataset.get(), options.batchSize, options.shuffle, options.dropLast,
                               options.seed, options.mean, options.stdDev, &loader_));
  }
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;
  DataLoader(DataLoader&& other) noexcept : loader_(std::exchange(other.loader_, nullptr)) {}
  DataLoader& operator=(DataLoader&& other) noexcept {
    if (this != &other) {
      graphc_loader_release(loader_);
      loader_ = std::exchange(other.loader_, nullptr);
    }
    return *this;
  }
  ~DataLoader() { graphc_loader_release(loader_); }

  graphc_loader_t* get() const noexcept { return loader_; }

  // See graphc_loader_set_epoch: the order depends only on (seed, epoch).
  void setEpoch(uint64_t epoch) { check(graphc_loader_set_epoch(loader_, epoch)); }
  void reset() { check(graphc_loader_reset(loader_)); }
  void seek(int64_t batchIndex) { check(graphc_loader_seek(loader_, batchIndex)); }
  // See graphc_loader_set_shard: this process's part of every batch.
  void setShard(int64_t begin, int64_t end, int64_t parts) {
    check(graphc_loader_set_shard(loader_, begin, end, parts));
  }

  int64_t numBatches() const noexcept { return graphc_loader_num_batches(loader_); }
  uint64_t epoch() const noexcept { return graphc_loader_epoch(loader_); }
  int64_t batchIndex() const noexcept { return graphc_loader_batch_index(loader_); }

  // Stores the next batch in `images` and `labels` and returns true, or
  // returns false (leaving both null) at the end of the epoch. Other errors
  // throw Error.
  bool next(Tensor& images, Tensor& labels) {
    graphc_tensor_t* rawImages = nullptr;
    graphc_tensor_t* rawLabels = nullptr;
    graphc_status_t status = graphc_loader_next(loader_, &rawImages, &rawLabels);
    if (status != nullptr && loader_ != nullptr &&
        graphc_status_code(status) == GRAPHC_OUT_OF_RANGE) {
      graphc_status_free(status);
      images = Tensor();
      labels = Tensor();
      return false;
    }
    check(status);
    images = Tensor::adopt(rawImages);
    labels = Tensor::adopt(rawLabels);
    return true;
  }

 private:
  graphc_loader_t* loader_ = nullptr;
};

}  // namespace graphc::rt

#endif  // GRAPHC_RUNTIME_RUNTIME_HPP_
