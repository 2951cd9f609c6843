// The IDX reader (graphc_idx_load): MNIST's file format, gzip or plain.
//
// The reader treats the file as hostile, like the safetensors reader:
// every size taken from the header is overflow-checked, and the payload
// buffer grows only as decompressed bytes actually arrive, so a header that
// claims terabytes costs nothing until the data is there. zlib's gz* API
// reads gzip and plain files alike (it falls back to copying bytes when the
// gzip magic is absent), so one code path serves both.


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
#include <string>
#include <vector>

#include "status_internal.h"
#include "tensor_internal.h"
#include "data_internal.h"


using graphc::rt::detail::make_status;
using graphc::rt::detail::make_statusf;
using graphc::rt::detail::printable;

namespace graphc::rt::detail {

std::string idx_prefix(const std::string& path) {
  return "IDX file '" + printable(path, 4096) + "': ";
}

std::string quoted(const std::string& path) { return "'" + printable(path, 4096) + "'"; }

}  // namespace graphc::rt::detail

using graphc::rt::detail::idx_prefix;
using graphc::rt::detail::quoted;

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

}  // namespace

graphc_status_t graphc::rt::detail::load_idx(const std::string& path, graphc_tensor_t** out_tensor) {
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
    return graphc::rt::detail::load_idx(path, out_tensor);
  } catch (const std::bad_alloc&) {
    return make_status(GRAPHC_RESOURCE_EXHAUSTED,
                       idx_prefix(path) + "out of memory while loading the file");
  } catch (const std::exception& e) {
    return make_status(GRAPHC_INTERNAL, idx_prefix(path) + "unexpected exception while loading: " +
                                            printable(e.what(), 400));
  }
}

}  // extern "C"
