// Datasets (graphc_dataset_t): images and labels in memory, from MNIST-format
// IDX files or from the caller's tensors.


#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "status_internal.h"
#include "tensor_internal.h"
#include "data_internal.h"


using graphc::rt::detail::make_status;
using graphc::rt::detail::make_statusf;
using graphc::rt::detail::printable;
using graphc::rt::detail::idx_prefix;
using graphc::rt::detail::load_idx;
using graphc::rt::detail::quoted;

namespace {

constexpr const char kPackageHint[] =
    "Fashion-MNIST comes from the Debian package dataset-fashion-mnist "
    "(apt-get install dataset-fashion-mnist), which installs it in " GRAPHC_FASHION_MNIST_DIR;

std::string join_path(const std::string& dir, const std::string& name) {
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

// The file for `stem` in `dir`: stem.gz if it exists, else stem.
graphc_status_t find_mnist_file(const std::string& dir, const std::string& stem,
                                std::string* out_path) {
  struct stat st;
  for (const std::string& candidate : {join_path(dir, stem + ".gz"), join_path(dir, stem)}) {
    if (::stat(candidate.c_str(), &st) == 0) {
      *out_path = candidate;
      return nullptr;
    }
  }
  return make_status(GRAPHC_NOT_FOUND, "MNIST dataset directory " + quoted(dir) + ": neither " +
                                           quoted(join_path(dir, stem + ".gz")) + " nor " +
                                           quoted(join_path(dir, stem)) + " exists. " +
                                           kPackageHint);
}

graphc_status_t load_mnist(const std::string& dir, bool train, graphc_dataset_t** out_dataset) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    int error = errno;
    if (error == ENOENT || error == ENOTDIR) {
      return make_status(GRAPHC_NOT_FOUND, "MNIST dataset directory " + quoted(dir) +
                                               " does not exist. " + kPackageHint);
    }
    return make_status(GRAPHC_IO_ERROR, "MNIST dataset directory " + quoted(dir) +
                                            " cannot be read: " + std::strerror(error) + ". " +
                                            kPackageHint);
  }
  if (!S_ISDIR(st.st_mode)) {
    return make_status(GRAPHC_NOT_FOUND, "MNIST dataset directory " + quoted(dir) +
                                             " is not a directory. " + kPackageHint);
  }
  const std::string split = train ? "train" : "t10k";
  std::string images_path, labels_path;
  if (graphc_status_t status = find_mnist_file(dir, split + "-images-idx3-ubyte", &images_path)) {
    return status;
  }
  if (graphc_status_t status = find_mnist_file(dir, split + "-labels-idx1-ubyte", &labels_path)) {
    return status;
  }

  graphc_tensor_t* raw = nullptr;
  if (graphc_status_t status = load_idx(images_path, &raw)) return status;
  std::unique_ptr<graphc_tensor_t, void (*)(graphc_tensor_t*)> images(raw, graphc_tensor_release);
  raw = nullptr;
  if (graphc_status_t status = load_idx(labels_path, &raw)) return status;
  std::unique_ptr<graphc_tensor_t, void (*)(graphc_tensor_t*)> labels(raw, graphc_tensor_release);

  if (graphc_tensor_rank(images.get()) != 4) {
    return make_status(GRAPHC_DATA_LOSS, idx_prefix(images_path) +
                                             "holds labels (magic 0x00000801); expected images "
                                             "(magic 0x00000803)");
  }
  if (graphc_tensor_rank(labels.get()) != 1) {
    return make_status(GRAPHC_DATA_LOSS, idx_prefix(labels_path) +
                                             "holds images (magic 0x00000803); expected labels "
                                             "(magic 0x00000801)");
  }
  const int64_t image_count = graphc_tensor_shape(images.get())[0];
  const int64_t label_count = graphc_tensor_shape(labels.get())[0];
  if (image_count != label_count) {
    return make_status(GRAPHC_DATA_LOSS,
                       "MNIST dataset directory " + quoted(dir) + ": " + quoted(labels_path) +
                           " has " + std::to_string(label_count) + " labels but " +
                           quoted(images_path) + " has " + std::to_string(image_count) +
                           " images; expected one label per image");
  }
  auto dataset = std::make_unique<graphc_dataset_s>();
  dataset->images = images.release();
  dataset->labels = labels.release();
  *out_dataset = dataset.release();
  return nullptr;
}

}  // namespace

extern "C" {

graphc_status_t graphc_dataset_load_mnist(const char* dir, bool train,
                                          graphc_dataset_t** out_dataset) {
  static const char kWhat[] = "graphc_dataset_load_mnist";
  if (out_dataset == nullptr) {
    return make_statusf(GRAPHC_INVALID_ARGUMENT,
                        "%s: out_dataset is NULL; expected a pointer to receive the dataset",
                        kWhat);
  }
  *out_dataset = nullptr;
  if (dir != nullptr && dir[0] == '\0') {
    return make_statusf(GRAPHC_INVALID_ARGUMENT,
                        "%s: dir is empty; expected a directory, or NULL for %s", kWhat,
                        GRAPHC_FASHION_MNIST_DIR);
  }
  try {
    return load_mnist(dir ? dir : GRAPHC_FASHION_MNIST_DIR, train, out_dataset);
  } catch (const std::bad_alloc&) {
    return make_status(GRAPHC_RESOURCE_EXHAUSTED, "MNIST dataset directory " +
                                                      quoted(dir ? dir : GRAPHC_FASHION_MNIST_DIR) +
                                                      ": out of memory while loading the dataset");
  } catch (const std::exception& e) {
    return make_status(GRAPHC_INTERNAL,
                       std::string(kWhat) + ": unexpected exception: " + printable(e.what(), 400));
  }
}

graphc_status_t graphc_dataset_create(graphc_tensor_t* images, graphc_tensor_t* labels,
                                      graphc_dataset_t** out_dataset) {
  static const char kWhat[] = "graphc_dataset_create";
  if (out_dataset == nullptr) {
    return make_statusf(GRAPHC_INVALID_ARGUMENT,
                        "%s: out_dataset is NULL; expected a pointer to receive the dataset",
                        kWhat);
  }
  *out_dataset = nullptr;
  if (images == nullptr || labels == nullptr) {
    return make_statusf(GRAPHC_INVALID_ARGUMENT, "%s: images or labels is NULL; expected both",
                        kWhat);
  }
  try {
    if (graphc_tensor_dtype(images) != GRAPHC_DTYPE_F32 || graphc_tensor_rank(images) < 1) {
      return make_status(GRAPHC_INVALID_ARGUMENT,
                         std::string(kWhat) + ": images is " +
                             graphc_dtype_name(graphc_tensor_dtype(images)) + " of shape " +
                             graphc::rt::detail::shape_string(graphc_tensor_shape(images),
                                                              graphc_tensor_rank(images)) +
                             "; expected float32 of rank >= 1 (samples first)");
    }
    if (graphc_tensor_dtype(labels) != GRAPHC_DTYPE_I64 || graphc_tensor_rank(labels) != 1) {
      return make_status(GRAPHC_INVALID_ARGUMENT,
                         std::string(kWhat) + ": labels is " +
                             graphc_dtype_name(graphc_tensor_dtype(labels)) + " of shape " +
                             graphc::rt::detail::shape_string(graphc_tensor_shape(labels),
                                                              graphc_tensor_rank(labels)) +
                             "; expected int64 of rank 1");
    }
    const int64_t image_count = graphc_tensor_shape(images)[0];
    const int64_t label_count = graphc_tensor_shape(labels)[0];
    if (image_count != label_count) {
      return make_statusf(GRAPHC_INVALID_ARGUMENT,
                          "%s: %" PRId64 " labels for %" PRId64
                          " images; expected one label per image",
                          kWhat, label_count, image_count);
    }
    auto dataset = std::make_unique<graphc_dataset_s>();
    graphc_tensor_retain(images);
    dataset->images = images;
    graphc_tensor_retain(labels);
    dataset->labels = labels;
    *out_dataset = dataset.release();
    return nullptr;
  }
  GRAPHC_CATCH_ALL_RETURN_STATUS(kWhat)
}

void graphc_dataset_retain(graphc_dataset_t* dataset) {
  if (dataset) dataset->ref_count.fetch_add(1, std::memory_order_relaxed);
}

void graphc_dataset_release(graphc_dataset_t* dataset) {
  if (dataset && dataset->ref_count.fetch_sub(1, std::memory_order_acq_rel) == 1) delete dataset;
}

int64_t graphc_dataset_count(const graphc_dataset_t* dataset) {
  return dataset ? graphc_tensor_shape(dataset->images)[0] : 0;
}

int32_t graphc_dataset_image_rank(const graphc_dataset_t* dataset) {
  return dataset ? graphc_tensor_rank(dataset->images) - 1 : 0;
}

const int64_t* graphc_dataset_image_shape(const graphc_dataset_t* dataset) {
  return dataset ? graphc_tensor_shape(dataset->images) + 1 : nullptr;
}

graphc_tensor_t* graphc_dataset_images(const graphc_dataset_t* dataset) {
  return dataset ? dataset->images : nullptr;
}

graphc_tensor_t* graphc_dataset_labels(const graphc_dataset_t* dataset) {
  return dataset ? dataset->labels : nullptr;
}


}  // extern "C"
