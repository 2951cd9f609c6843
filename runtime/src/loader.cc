// The batching loader (graphc_loader_t).
//
// The loader's shuffle is fully specified (seed_seq + mt19937_64 + an
// explicit Fisher-Yates with rejection sampling) so that the same seed and
// epoch give the same order on every standard library: DESIGN.md section 7
// promises bit-for-bit identical runs, including across a resume.


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

struct graphc_loader_s {
  ~graphc_loader_s() { graphc_dataset_release(dataset); }

  std::atomic<int32_t> ref_count{1};
  graphc_dataset_t* dataset = nullptr;
  int64_t batch_size = 1;
  bool shuffle = false;
  bool drop_last = false;
  uint64_t seed = 0;
  float mean = 0.0f;
  float std_dev = 1.0f;
  int64_t num_batches = 0;
  uint64_t epoch = 0;
  int64_t next_batch = 0;
  std::vector<int64_t> order;  // the epoch's sample order
  // graphc_loader_set_shard: rows [B * shard_begin / shard_parts,
  // B * shard_end / shard_parts) of every batch of B rows.
  int64_t shard_begin = 0, shard_end = 1, shard_parts = 1;
};


namespace {

// ---- Shuffling ---------------------------------------------------------------

// A uniform integer in [0, bound) by rejection: the draws below
// 2^64 mod bound are discarded so every residue is equally likely. Defined
// here, not via std::uniform_int_distribution, whose algorithm the standard
// leaves to each library.
uint64_t uniform_below(std::mt19937_64& rng, uint64_t bound) {
  const uint64_t threshold = (0 - bound) % bound;  // 2^64 mod bound
  uint64_t x = rng();
  while (x < threshold) x = rng();
  return x % bound;
}

void compute_order(graphc_loader_s* loader) {
  std::vector<int64_t>& order = loader->order;
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  if (!loader->shuffle || order.size() < 2) return;
  std::seed_seq seq{static_cast<uint32_t>(loader->seed & 0xffffffffu),
                    static_cast<uint32_t>(loader->seed >> 32),
                    static_cast<uint32_t>(loader->epoch & 0xffffffffu),
                    static_cast<uint32_t>(loader->epoch >> 32)};
  std::mt19937_64 rng(seq);
  for (size_t i = order.size() - 1; i >= 1; --i) {
    size_t j = static_cast<size_t>(uniform_below(rng, static_cast<uint64_t>(i) + 1));
    std::swap(order[i], order[j]);
  }
}

graphc_status_t null_loader_status(const char* what) {
  return make_statusf(GRAPHC_INVALID_ARGUMENT, "%s: loader is NULL; expected a loader", what);
}

}  // namespace

extern "C" {

graphc_status_t graphc_loader_create(graphc_dataset_t* dataset, int64_t batch_size, bool shuffle,
                                     bool drop_last, uint64_t seed, float mean, float std_dev,
                                     graphc_loader_t** out_loader) {
  static const char kWhat[] = "graphc_loader_create";
  if (out_loader == nullptr) {
    return make_statusf(GRAPHC_INVALID_ARGUMENT,
                        "%s: out_loader is NULL; expected a pointer to receive the loader", kWhat);
  }
  *out_loader = nullptr;
  if (dataset == nullptr) {
    return make_statusf(GRAPHC_INVALID_ARGUMENT, "%s: dataset is NULL; expected a dataset", kWhat);
  }
  if (batch_size < 1) {
    return make_statusf(GRAPHC_INVALID_ARGUMENT, "%s: batch_size is %" PRId64 "; expected >= 1",
                        kWhat, batch_size);
  }
  if (!std::isfinite(mean) || !std::isfinite(std_dev) || std_dev == 0.0f) {
    return make_statusf(GRAPHC_INVALID_ARGUMENT,
                        "%s: normalization mean %g, std %g; expected finite values and a "
                        "non-zero std",
                        kWhat, static_cast<double>(mean), static_cast<double>(std_dev));
  }
  try {
    auto loader = std::make_unique<graphc_loader_s>();
    const int64_t count = graphc_dataset_count(dataset);
    loader->batch_size = batch_size;
    loader->shuffle = shuffle;
    loader->drop_last = drop_last;
    loader->seed = seed;
    loader->mean = mean;
    loader->std_dev = std_dev;
    loader->num_batches = count / batch_size + (!drop_last && count % batch_size != 0 ? 1 : 0);
    loader->order.resize(static_cast<size_t>(count));
    compute_order(loader.get());
    graphc_dataset_retain(dataset);
    loader->dataset = dataset;
    *out_loader = loader.release();
    return nullptr;
  }
  GRAPHC_CATCH_ALL_RETURN_STATUS(kWhat)
}

void graphc_loader_retain(graphc_loader_t* loader) {
  if (loader) loader->ref_count.fetch_add(1, std::memory_order_relaxed);
}

void graphc_loader_release(graphc_loader_t* loader) {
  if (loader && loader->ref_count.fetch_sub(1, std::memory_order_acq_rel) == 1) delete loader;
}

graphc_status_t graphc_loader_set_epoch(graphc_loader_t* loader, uint64_t epoch) {
  if (loader == nullptr) return null_loader_status("graphc_loader_set_epoch");
  loader->epoch = epoch;
  loader->next_batch = 0;
  compute_order(loader);  // in place: cannot fail
  return nullptr;
}

graphc_status_t graphc_loader_reset(graphc_loader_t* loader) {
  if (loader == nullptr) return null_loader_status("graphc_loader_reset");
  loader->next_batch = 0;
  return nullptr;
}

graphc_status_t graphc_loader_seek(graphc_loader_t* loader, int64_t batch_index) {
  static const char kWhat[] = "graphc_loader_seek";
  if (loader == nullptr) return null_loader_status(kWhat);
  if (batch_index < 0 || batch_index > loader->num_batches) {
    return make_statusf(GRAPHC_OUT_OF_RANGE,
                        "%s: batch_index is %" PRId64 "; expected 0..%" PRId64
                        " (the epoch has %" PRId64 " batches)",
                        kWhat, batch_index, loader->num_batches, loader->num_batches);
  }
  loader->next_batch = batch_index;
  return nullptr;
}

graphc_status_t graphc_loader_set_shard(graphc_loader_t* loader, int64_t begin, int64_t end,
                                        int64_t parts) {
  static const char kWhat[] = "graphc_loader_set_shard";
  if (loader == nullptr) return null_loader_status(kWhat);
  if (parts < 1 || begin < 0 || end <= begin || end > parts) {
    return make_statusf(GRAPHC_INVALID_ARGUMENT,
                        "%s: parts [%" PRId64 ", %" PRId64 ") of %" PRId64
                        "; expected 0 <= begin < end <= parts",
                        kWhat, begin, end, parts);
  }
  loader->shard_begin = begin;
  loader->shard_end = end;
  loader->shard_parts = parts;
  return nullptr;
}

int64_t graphc_loader_num_batches(const graphc_loader_t* loader) {
  return loader ? loader->num_batches : 0;
}

uint64_t graphc_loader_epoch(const graphc_loader_t* loader) { return loader ? loader->epoch : 0; }

int64_t graphc_loader_batch_index(const graphc_loader_t* loader) {
  return loader ? loader->next_batch : 0;
}

graphc_status_t graphc_loader_next(graphc_loader_t* loader, graphc_tensor_t** out_images,
                                   graphc_tensor_t** out_labels) {
  static const char kWhat[] = "graphc_loader_next";
  if (out_images == nullptr || out_labels == nullptr) {
    return make_statusf(GRAPHC_INVALID_ARGUMENT,
                        "%s: out_images or out_labels is NULL; expected pointers to receive the "
                        "batch",
                        kWhat);
  }
  *out_images = nullptr;
  *out_labels = nullptr;
  if (loader == nullptr) return null_loader_status(kWhat);
  if (loader->next_batch >= loader->num_batches) {
    return make_statusf(GRAPHC_OUT_OF_RANGE,
                        "%s: epoch %" PRIu64 " is over after %" PRId64
                        " batches; call graphc_loader_set_epoch or graphc_loader_reset to "
                        "start another",
                        kWhat, loader->epoch, loader->num_batches);
  }
  const graphc_tensor_t* all_images = loader->dataset->images;
  const graphc_tensor_t* all_labels = loader->dataset->labels;
  const int64_t count = graphc_tensor_shape(all_images)[0];
  const int64_t whole = std::min(loader->batch_size, count - loader->next_batch * loader->batch_size);
  // This loader's shard of the batch (all of it unless graphc_loader_set_shard).
  const int64_t first = whole * loader->shard_begin / loader->shard_parts;
  const int64_t start = loader->next_batch * loader->batch_size + first;
  const int64_t batch = whole * loader->shard_end / loader->shard_parts - first;

  // [batch, ...image shape]; the image's rank is below the maximum because
  // the dataset's images tensor has the sample dimension too.
  int64_t shape[GRAPHC_TENSOR_MAX_RANK];
  const int32_t rank = graphc_tensor_rank(all_images);
  shape[0] = batch;
  int64_t sample_numel = 1;
  for (int32_t i = 1; i < rank; ++i) {
    shape[i] = graphc_tensor_shape(all_images)[i];
    sample_numel *= shape[i];  // cannot overflow: it divides the dataset's numel
  }
  // Not zeroed: the loop below writes every element of both.
  graphc_tensor_t* images = nullptr;
  if (graphc_status_t status = graphc::rt::detail::allocate_tensor(
          "graphc_loader_next", GRAPHC_DTYPE_F32, rank, shape, nullptr, /*zeroed=*/false, &images)) {
    return status;
  }
  graphc_tensor_t* labels = nullptr;
  if (graphc_status_t status = graphc::rt::detail::allocate_tensor(
          "graphc_loader_next", GRAPHC_DTYPE_I64, 1, shape, nullptr, /*zeroed=*/false, &labels)) {
    graphc_tensor_release(images);
    return status;
  }
  const auto* src_images = static_cast<const float*>(graphc_tensor_data(all_images));
  const auto* src_labels = static_cast<const int64_t*>(graphc_tensor_data(all_labels));
  auto* dst_images = static_cast<float*>(graphc_tensor_data(images));
  auto* dst_labels = static_cast<int64_t*>(graphc_tensor_data(labels));
  const float mean = loader->mean;
  const float std_dev = loader->std_dev;
  for (int64_t k = 0; k < batch; ++k) {
    const int64_t index = loader->order[static_cast<size_t>(start + k)];
    const float* src = src_images + index * sample_numel;
    float* dst = dst_images + k * sample_numel;
    // torch's Normalize: tensor.sub_(mean).div_(std), both in float32. A
    // multiplication by 1/std would round differently.
    for (int64_t e = 0; e < sample_numel; ++e) dst[e] = (src[e] - mean) / std_dev;
    dst_labels[k] = src_labels[index];
  }
  ++loader->next_batch;
  *out_images = images;
  *out_labels = labels;
  return nullptr;
}


}  // extern "C"
