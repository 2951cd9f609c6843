// safetensors: what the reader (safetensors_reader.cc), the writer
// (safetensors_writer.cc) and their shared helpers (safetensors_format.cc)
// have in common. Private to the runtime.
#ifndef GRAPHC_RUNTIME_SAFETENSORS_INTERNAL_H_
#define GRAPHC_RUNTIME_SAFETENSORS_INTERNAL_H_

#include "graphc/runtime/safetensors.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "status_internal.h"
#include "tensor_internal.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors data is little-endian and is copied as-is; big-endian hosts need byte swaps"
#endif

using graphc::rt::detail::make_status;
using graphc::rt::detail::printable;
using graphc::rt::detail::shape_string;

struct graphc_safetensors_s {
  struct Entry {
    std::string name;
    graphc_tensor_t* tensor;
  };

  ~graphc_safetensors_s() {
    for (Entry& entry : tensors) graphc_tensor_release(entry.tensor);
  }

  std::atomic<int32_t> ref_count{1};
  std::string path;
  std::vector<Entry> tensors;                                 // sorted by name
  std::vector<std::pair<std::string, std::string>> metadata;  // sorted by key
};

struct graphc_safetensors_writer_s {
  ~graphc_safetensors_writer_s() {
    for (auto& entry : tensors) graphc_tensor_release(entry.second);
  }

  std::atomic<int32_t> ref_count{1};
  std::vector<std::pair<std::string, graphc_tensor_t*>> tensors;  // in insertion order
  std::map<std::string, std::string> metadata;
};

namespace graphc::rt::safetensors_detail {


// The reference implementation refuses larger headers; so do we, so that a
// corrupt length cannot make us allocate and parse gigabytes.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr char kMetadataKey[] = "__metadata__";
constexpr char kSupportedDtypes[] = "F32, F64, I32, I64, BOOL";

// ---- Dtypes ---------------------------------------------------------------

inline const char* safetensors_dtype_name(graphc_dtype_t dtype) {
  switch (dtype) {
    case GRAPHC_DTYPE_F32:
      return "F32";
    case GRAPHC_DTYPE_F64:
      return "F64";
    case GRAPHC_DTYPE_I32:
      return "I32";
    case GRAPHC_DTYPE_I64:
      return "I64";
    case GRAPHC_DTYPE_BOOL:
      return "BOOL";
  }
  return "?";
}

inline bool parse_safetensors_dtype(const std::string& name, graphc_dtype_t* out) {
  static const std::pair<const char*, graphc_dtype_t> kTable[] = {
      {"F32", GRAPHC_DTYPE_F32}, {"F64", GRAPHC_DTYPE_F64},   {"I32", GRAPHC_DTYPE_I32},
      {"I64", GRAPHC_DTYPE_I64}, {"BOOL", GRAPHC_DTYPE_BOOL},
  };
  for (const auto& [text, dtype] : kTable) {
    if (name == text) {
      *out = dtype;
      return true;
    }
  }
  return false;
}

// Dtypes the safetensors format defines but graphc does not implement. A
// file using them is valid (UNIMPLEMENTED), unlike a made-up name (DATA_LOSS).
inline bool is_known_safetensors_dtype(const std::string& name) {
  static const char* const kKnown[] = {"F4",      "F6_E2M3",     "F6_E3M2",    "U8",  "I8",
                                       "F8_E5M2", "F8_E4M3",     "F8_E8M0",    "I16", "U16",
                                       "F16",     "BF16",        "U32",        "U64", "C64",
                                       "C128",    "F8_E4M3FNUZ", "F8_E5M2FNUZ"};
  for (const char* known : kKnown) {
    if (name == known) return true;
  }
  return false;
}

// The order safetensors' writer sorts by (`Reverse(dtype)` over its Dtype
// enum, in which BOOL < I32 < F32 < F64 < I64).
inline int writer_dtype_rank(graphc_dtype_t dtype) {
  switch (dtype) {
    case GRAPHC_DTYPE_I64:
      return 4;
    case GRAPHC_DTYPE_F64:
      return 3;
    case GRAPHC_DTYPE_F32:
      return 2;
    case GRAPHC_DTYPE_I32:
      return 1;
    case GRAPHC_DTYPE_BOOL:
      return 0;
  }
  return -1;
}

// ---- Text helpers -----------------------------------------------------------

// Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF):
// what JSON requires and what safetensors' serde_json reader accepts.
inline bool is_valid_utf8(const std::string& text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra;
    uint32_t code;
    uint32_t min;
    if ((c & 0xE0) == 0xC0) {
      extra = 1, code = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, code = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, code = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      code = (code << 6) | (p[i] & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    p += extra + 1;
  }
  return true;
}

inline std::string file_prefix(const std::string& path) {
  return "safetensors file '" + printable(path, 4096) + "': ";
}

inline std::string tensor_prefix(const std::string& path, const std::string& name) {
  return file_prefix(path) + "tensor '" + printable(name) + "': ";
}

inline std::string errno_text(int error) { return std::strerror(error); }

// ---- POSIX I/O with EINTR and short transfers handled -----------------------

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd = -1) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;

  int get() const { return fd_; }
  // Closes now and reports close()'s error: on some file systems that is
  // where a failed write finally surfaces.
  int close() {
    int fd = fd_;
    fd_ = -1;
    return fd >= 0 ? ::close(fd) : 0;
  }

 private:
  int fd_;
};

// Returns the number of bytes read; less than `size` only at end of file.
// -1 with errno set on error.
inline ssize_t pread_full(int fd, void* buffer, size_t size, uint64_t offset) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, static_cast<char*>(buffer) + done, size - done,
                        static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(done);
}

inline bool write_full(int fd, const void* buffer, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::write(fd, static_cast<const char*>(buffer) + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace graphc::rt::safetensors_detail

#endif  // GRAPHC_RUNTIME_SAFETENSORS_INTERNAL_H_
