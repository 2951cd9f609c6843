// IDX reader, MNIST-format datasets and the batching loader.
//
// The IDX reader treats the file as hostile, like the safetensors reader:
// every size taken from the header is overflow-checked, and the payload
// buffer grows only as decompressed bytes actually arrive, so a header that
// claims terabytes costs nothing until the data is there. zlib's gz* API
// reads gzip and plain files alike (it falls back to copying bytes when the
// gzip magic is absent), so one code path serves both.
//
// The loader's shuffle is fully specified (seed_seq + mt19937_64 + an
// explicit Fisher-Yates with rejection sampling) so that the same seed and
// epoch give the same order on every standard library: DESIGN.md section 7
// promises bit-for-bit identical runs, including across a resume.

#include "graphc/runtime/data.h"

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

using graphc::rt::detail::make_status;
using graphc::rt::detail::make_statusf;
using graphc::rt::detail::printable;

struct graphc_dataset_s {
  ~graphc_dataset_s() {
    graphc_tensor_release(images);
    graphc_tensor_release(labels);
  }

  std::atomic<int32_t> ref_count{1};
  graphc_tensor_t* images = nullptr;  // float32 [count, ...]
  graphc_tensor_t* labels = nullptr;  // int64 [count]
};

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
};

namespace {

constexpr uint32_t kLabelsMagic = 0x00000801;
constexpr uint32_t kImagesMagic = 0x00000803;
constexpr const char kMagicExpectation[] =
    "expected 0x00000801 (unsigned-byte labels) or 0x00000803 (unsigned-byte images)";
// gzread takes an unsigned int length; reading in bounded chunks also lets
// the buffer grow only as data arrives.
constexpr size_t kReadChunk = size_t{1} << 20;
// Deflate cannot expand data by more than about 1032:1, so a gzip file of M
// bytes can never yield more than this many times M; used only to bound the
// up-front reservation.
constexpr uint64_t kMaxDeflateRatio = 1032;
constexpr const char kPackageHint[] =
    "Fashion-MNIST comes from the Debian package dataset-fashion-mnist "
    "(apt-get install dataset-fashion-mnist), which installs it in " GRAPHC_FASHION_MNIST_DIR;

std::string idx_prefix(const std::string& path) {
  return "IDX file '" + printable(path, 4096) + "': ";
}

std::string quoted(const std::string& path) { return "'" + printable(path, 4096) + "'"; }

std::string join_path(const std::string& dir, const std::string& name) {
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

// Owns a gzFile (and through it the file descriptor).
class GzFile {
 public:
  explicit GzFile(gzFile file) : file_(file) {}
  ~GzFile() {
    if (file_) gzclose(file_);
  }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;
  gzFile get() const { return file_; }

 private:
  gzFile file_;
};

// Appends up to `size` bytes from `file` to `out`, growing it chunk by
// chunk. Returns the number appended: fewer than `size` at the end of the
// data or on an error, which the caller tells apart with gzerror().
size_t read_append(gzFile file, uint64_t size, std::vector<unsigned char>* out) {
  uint64_t done = 0;
  while (done < size) {
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(size - done, kReadChunk));
    size_t old_size = out->size();
    out->resize(old_size + chunk);
    int n = gzread(file, out->data() + old_size, static_cast<unsigned>(chunk));
    if (n <= 0) {
      out->resize(old_size);
      break;
    }
    out->resize(old_size + static_cast<size_t>(n));
    done += static_cast<uint64_t>(n);
  }
  return static_cast<size_t>(done);
}

// zlib prefixes its messages with the file's name, "<fd:3>" for a file
// opened with gzdopen; graphc's messages name the file already.
std::string zlib_error_text(const char* message) {
  std::string text = message ? message : "";
  if (text.rfind("<fd:", 0) == 0) {
    size_t colon = text.find(": ");
    if (colon != std::string::npos) text.erase(0, colon + 2);
  }
  return printable(text);
}

// The status for a read that stopped short of `expected` bytes of `what`:
// a plain end of file, a truncated gzip stream, corrupt gzip data or an OS
// error, told apart by zlib's error state.
graphc_status_t short_read_status(const std::string& path, gzFile file, const std::string& what,
                                  uint64_t expected, uint64_t found) {
  int code = Z_OK;
  const char* zlib_message = gzerror(file, &code);
  const std::string counts = "expected " + std::to_string(expected) + " bytes of " + what +
                             ", found " + std::to_string(found);
  switch (code) {
    case Z_OK:
    case Z_STREAM_END:
      // A complete gzip stream (or plain file) that holds too little data.
      return make_status(
          GRAPHC_DATA_LOSS,
          idx_prefix(path) +
              (gzdirect(file) ? "file is truncated: " : "decompressed data is truncated: ") +
              counts);
    case Z_BUF_ERROR:  // zlib's "unexpected end of file" inside a gzip stream
      return make_status(GRAPHC_DATA_LOSS, idx_prefix(path) + "gzip stream is truncated (" +
                                               zlib_error_text(zlib_message) + "): " + counts);
    case Z_ERRNO:
      return make_status(GRAPHC_IO_ERROR,
                         idx_prefix(path) + "cannot read: " + zlib_error_text(zlib_message));
    case Z_MEM_ERROR:
      return make_status(GRAPHC_RESOURCE_EXHAUSTED,
                         idx_prefix(path) + "out of memory while decompressing");
    default:
      // Z_DATA_ERROR (bad deflate data, CRC-32 or length mismatch) and
      // anything unexpected. No byte counts: zlib drops the output of the
      // call that failed, so they would understate what the file holds.
      return make_status(GRAPHC_DATA_LOSS,
                         idx_prefix(path) + "corrupt gzip data: " + zlib_error_text(zlib_message) +
                             "; the file is damaged");
  }
}

const char* idx_type_name(uint32_t type) {
  switch (type) {
    case 0x08:
      return "unsigned byte";
    case 0x09:
      return "signed byte";
    case 0x0B:
      return "int16";
    case 0x0C:
      return "int32";
    case 0x0D:
      return "float32";
    case 0x0E:
      return "float64";
  }
  return nullptr;
}

graphc_status_t load_idx(const std::string& path, graphc_tensor_t** out_tensor) {
  // O_NONBLOCK so that a FIFO fails the regular-file check instead of
  // blocking in open(); it does not affect reads from regular files.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int error = errno;  // before anything that allocates can clobber it
    return make_status(error == ENOENT ? GRAPHC_NOT_FOUND : GRAPHC_IO_ERROR,
                       idx_prefix(path) + "cannot open: " + std::strerror(error));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int error = errno;
    ::close(fd);
    return make_status(GRAPHC_IO_ERROR, idx_prefix(path) + "cannot stat: " + std::strerror(error));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_status(GRAPHC_IO_ERROR, idx_prefix(path) + "is not a regular file");
  }
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  gzFile raw_file = gzdopen(fd, "rb");
  if (raw_file == nullptr) {  // gzdopen leaves fd open when it fails
    ::close(fd);
    return make_status(GRAPHC_RESOURCE_EXHAUSTED,
                       idx_prefix(path) + "out of memory while opening the file");
  }
  GzFile file(raw_file);
  gzbuffer(file.get(), 256 * 1024);  // fewer syscalls than the 8 KiB default

  std::vector<unsigned char> header;
  size_t got = read_append(file.get(), 4, &header);
  if (got != 4) return short_read_status(path, file.get(), "magic number", 4, got);
  const uint32_t magic = (uint32_t{header[0]} << 24) | (uint32_t{header[1]} << 16) |
                         (uint32_t{header[2]} << 8) | uint32_t{header[3]};
  if (magic != kLabelsMagic && magic != kImagesMagic) {
    char hex[16];
    std::snprintf(hex, sizeof(hex), "0x%08" PRIX32, magic);
    const char* type = idx_type_name(header[2]);
    if (header[0] == 0 && header[1] == 0 && type != nullptr && header[3] >= 1) {
      return make_status(GRAPHC_UNIMPLEMENTED,
                         idx_prefix(path) + "magic number " + hex + " declares " + type +
                             " data with " + std::to_string(header[3]) +
                             " dimensions, which graphc does not read; " + kMagicExpectation);
    }
    return make_status(GRAPHC_DATA_LOSS,
                       idx_prefix(path) + "bad magic number " + hex + "; " + kMagicExpectation);
  }
  const bool is_images = magic == kImagesMagic;
  const uint32_t idx_rank = header[3];
  header.clear();
  got = read_append(file.get(), 4 * idx_rank, &header);
  if (got != 4 * idx_rank) {
    return short_read_status(path, file.get(), "dimensions", 4 * idx_rank, got);
  }
  uint64_t dims[3] = {0, 0, 0};
  for (uint32_t i = 0; i < idx_rank; ++i) {
    dims[i] = (uint64_t{header[4 * i]} << 24) | (uint64_t{header[4 * i + 1]} << 16) |
              (uint64_t{header[4 * i + 2]} << 8) | uint64_t{header[4 * i + 3]};
  }
  const uint64_t header_bytes = 4 + 4 * uint64_t{idx_rank};
  std::string what;
  if (is_images) {
    what = "pixel data (" + std::to_string(dims[0]) + " images of " + std::to_string(dims[1]) +
           "x" + std::to_string(dims[2]) + ")";
  } else {
    what = "label data (" + std::to_string(dims[0]) + " labels)";
  }

  // The output tensor's size, checked before any data is read: three 32-bit
  // dimensions can overflow 64 bits, and such a header is corrupt.
  int64_t shape[4];
  int32_t rank = 0;
  if (is_images) {
    shape[0] = static_cast<int64_t>(dims[0]);
    shape[1] = 1;
    shape[2] = static_cast<int64_t>(dims[1]);
    shape[3] = static_cast<int64_t>(dims[2]);
    rank = 4;
  } else {
    shape[0] = static_cast<int64_t>(dims[0]);
    rank = 1;
  }
  const graphc_dtype_t dtype = is_images ? GRAPHC_DTYPE_F32 : GRAPHC_DTYPE_I64;
  int64_t numel = 0;
  size_t nbytes = 0;
  const std::string where = idx_prefix(path) + "header declares " + what;
  if (graphc_status_t status = graphc::rt::detail::checked_shape_size(where.c_str(), dtype, rank,
                                                                      shape, &numel, &nbytes)) {
    std::string message = graphc_status_message(status);
    graphc_status_free(status);
    return make_status(GRAPHC_DATA_LOSS, message);
  }
  const uint64_t expected = static_cast<uint64_t>(numel);

  // Reserve only what the file can possibly hold; the rest (if any) is
  // reported as truncation once the data runs out.
  const bool compressed = gzdirect(file.get()) == 0;
  uint64_t available = file_size > header_bytes ? file_size - header_bytes : 0;
  if (compressed) {
    available =
        file_size > UINT64_MAX / kMaxDeflateRatio ? UINT64_MAX : file_size * kMaxDeflateRatio;
  }
  std::vector<unsigned char> payload;
  payload.reserve(static_cast<size_t>(std::min(expected, available)));
  got = read_append(file.get(), expected, &payload);
  if (got != expected) return short_read_status(path, file.get(), what, expected, got);

  // One more byte: finds trailing garbage, and for gzip makes zlib reach the
  // end of the stream, where it verifies the CRC-32 and length trailer.
  unsigned char extra = 0;
  int trailing = gzread(file.get(), &extra, 1);
  if (trailing > 0) {
    return make_status(GRAPHC_DATA_LOSS,
                       idx_prefix(path) + "unexpected bytes after the " + std::to_string(expected) +
                           " bytes of " + what + "; expected the " +
                           (compressed ? "decompressed data" : "file") + " to end there");
  }
  int zlib_code = Z_OK;
  const char* zlib_message = gzerror(file.get(), &zlib_code);
  if (zlib_code != Z_OK) {
    if (zlib_code == Z_BUF_ERROR) {
      return make_status(GRAPHC_DATA_LOSS,
                         idx_prefix(path) + "gzip stream is truncated (" +
                             zlib_error_text(zlib_message) + "): it ends after the " +
                             std::to_string(expected) + " bytes of " + what +
                             " but before its CRC-32 and length trailer (8 bytes)");
    }
    return short_read_status(path, file.get(), what, expected, got);
  }

  graphc_tensor_t* tensor = nullptr;
  if (graphc_status_t status = graphc_tensor_create(dtype, rank, shape, nullptr, &tensor)) {
    std::string message = graphc_status_message(status);
    graphc_status_code_t code = graphc_status_code(status);
    graphc_status_free(status);
    return make_status(code, idx_prefix(path) + message);
  }
  if (is_images) {
    // transforms.ToTensor: float32 division by 255, the same rounding as
    // torch's img.float().div(255).
    auto* dst = static_cast<float*>(graphc_tensor_data(tensor));
    for (uint64_t i = 0; i < expected; ++i) dst[i] = static_cast<float>(payload[i]) / 255.0f;
  } else {
    auto* dst = static_cast<int64_t*>(graphc_tensor_data(tensor));
    for (uint64_t i = 0; i < expected; ++i) dst[i] = payload[i];
  }
  *out_tensor = tensor;
  return nullptr;
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

graphc_status_t graphc_idx_load(const char* path, graphc_tensor_t** out_tensor) {
  static const char kWhat[] = "graphc_idx_load";
  if (out_tensor == nullptr) {
    return make_statusf(GRAPHC_INVALID_ARGUMENT,
                        "%s: out_tensor is NULL; expected a pointer to receive the tensor", kWhat);
  }
  *out_tensor = nullptr;
  if (path == nullptr || path[0] == '\0') {
    return make_statusf(GRAPHC_INVALID_ARGUMENT, "%s: path is NULL or empty; expected a file path",
                        kWhat);
  }
  try {
    return load_idx(path, out_tensor);
  } catch (const std::bad_alloc&) {
    return make_status(GRAPHC_RESOURCE_EXHAUSTED,
                       idx_prefix(path) + "out of memory while loading the file");
  } catch (const std::exception& e) {
    return make_status(GRAPHC_INTERNAL, idx_prefix(path) + "unexpected exception while loading: " +
                                            printable(e.what(), 400));
  }
}

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
  const int64_t start = loader->next_batch * loader->batch_size;
  const int64_t batch = std::min(loader->batch_size, count - start);

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
  graphc_tensor_t* images = nullptr;
  if (graphc_status_t status =
          graphc_tensor_create(GRAPHC_DTYPE_F32, rank, shape, nullptr, &images)) {
    return status;
  }
  graphc_tensor_t* labels = nullptr;
  if (graphc_status_t status = graphc_tensor_create(GRAPHC_DTYPE_I64, 1, shape, nullptr, &labels)) {
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
