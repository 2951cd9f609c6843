// safetensors reader and atomic writer.
//
// The reader treats the file as hostile: every length, offset and shape is
// checked before it is used, arithmetic is overflow-checked, and the rules
// are those of the reference implementation (huggingface/safetensors
// `SafeTensors::read_metadata`), so a file graphc accepts loads in PyTorch
// and vice versa. Errors follow one pattern, "safetensors file 'PATH':
// tensor 'NAME': what was expected, what was found", so a user can act on
// them without a debugger.

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

namespace {

// The reference implementation refuses larger headers; so do we, so that a
// corrupt length cannot make us allocate and parse gigabytes.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr char kMetadataKey[] = "__metadata__";
constexpr char kSupportedDtypes[] = "F32, F64, I32, I64, BOOL";

// ---- Dtypes ---------------------------------------------------------------

const char* safetensors_dtype_name(graphc_dtype_t dtype) {
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

bool parse_safetensors_dtype(const std::string& name, graphc_dtype_t* out) {
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
bool is_known_safetensors_dtype(const std::string& name) {
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
int writer_dtype_rank(graphc_dtype_t dtype) {
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
bool is_valid_utf8(const std::string& text) {
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

std::string file_prefix(const std::string& path) {
  return "safetensors file '" + printable(path, 4096) + "': ";
}

std::string tensor_prefix(const std::string& path, const std::string& name) {
  return file_prefix(path) + "tensor '" + printable(name) + "': ";
}

std::string errno_text(int error) { return std::strerror(error); }

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
ssize_t pread_full(int fd, void* buffer, size_t size, uint64_t offset) {
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

bool write_full(int fd, const void* buffer, size_t size) {
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

// ---- Header validation ------------------------------------------------------

struct TensorInfo {
  std::string name;
  graphc_dtype_t dtype;
  int32_t rank;
  int64_t shape[GRAPHC_TENSOR_MAX_RANK];
  uint64_t begin;
  uint64_t end;
  size_t nbytes;
};

// Reads a non-negative JSON integer that fits in int64_t (shape dimensions
// and offsets alike, so sizes can be handled as signed without overflow).
bool json_to_nonnegative(const nlohmann::json& value, uint64_t* out) {
  if (!value.is_number_unsigned()) return false;  // negative, fractional or too big
  uint64_t v = value.get<uint64_t>();
  if (v > static_cast<uint64_t>(INT64_MAX)) return false;
  *out = v;
  return true;
}

graphc_status_t parse_tensor_info(const std::string& path, const std::string& name,
                                  const nlohmann::json& value, uint64_t data_size,
                                  TensorInfo* info) {
  const std::string where = tensor_prefix(path, name);
  if (name.find('\0') != std::string::npos) {
    return make_status(
        GRAPHC_UNIMPLEMENTED,
        where + "the name contains a NUL character, which the C API cannot represent");
  }
  if (!value.is_object()) {
    return make_status(GRAPHC_DATA_LOSS, where +
                                             "expected an object with dtype, shape and "
                                             "data_offsets, found JSON " +
                                             value.type_name());
  }
  info->name = name;

  auto dtype_it = value.find("dtype");
  if (dtype_it == value.end() || !dtype_it->is_string()) {
    return make_status(GRAPHC_DATA_LOSS, where + "expected a string field 'dtype', found " +
                                             (dtype_it == value.end()
                                                  ? std::string("none")
                                                  : std::string("JSON ") + dtype_it->type_name()));
  }
  const std::string& dtype_name = dtype_it->get_ref<const std::string&>();
  if (!parse_safetensors_dtype(dtype_name, &info->dtype)) {
    if (is_known_safetensors_dtype(dtype_name)) {
      return make_status(GRAPHC_UNIMPLEMENTED, where + "dtype " + dtype_name +
                                                   " is not supported by graphc; expected one of " +
                                                   kSupportedDtypes);
    }
    return make_status(GRAPHC_DATA_LOSS, where + "unknown dtype '" + printable(dtype_name) +
                                             "'; expected one of " + kSupportedDtypes);
  }

  auto shape_it = value.find("shape");
  if (shape_it == value.end() || !shape_it->is_array()) {
    return make_status(
        GRAPHC_DATA_LOSS,
        where + "expected an array field 'shape' of non-negative integers, found " +
            (shape_it == value.end() ? std::string("none")
                                     : std::string("JSON ") + shape_it->type_name()));
  }
  if (shape_it->size() > GRAPHC_TENSOR_MAX_RANK) {
    return make_status(GRAPHC_UNIMPLEMENTED,
                       where + "shape has rank " + std::to_string(shape_it->size()) +
                           "; graphc supports rank 0.." + std::to_string(GRAPHC_TENSOR_MAX_RANK));
  }
  info->rank = static_cast<int32_t>(shape_it->size());
  for (int32_t i = 0; i < info->rank; ++i) {
    uint64_t dim = 0;
    if (!json_to_nonnegative((*shape_it)[static_cast<size_t>(i)], &dim)) {
      return make_status(GRAPHC_DATA_LOSS,
                         where + "shape[" + std::to_string(i) + "] is " +
                             printable((*shape_it)[static_cast<size_t>(i)].dump()) +
                             "; expected a non-negative integer");
    }
    info->shape[i] = static_cast<int64_t>(dim);
  }

  auto offsets_it = value.find("data_offsets");
  uint64_t begin = 0, end = 0;
  if (offsets_it == value.end() || !offsets_it->is_array() || offsets_it->size() != 2 ||
      !json_to_nonnegative((*offsets_it)[0], &begin) ||
      !json_to_nonnegative((*offsets_it)[1], &end)) {
    return make_status(
        GRAPHC_DATA_LOSS,
        where + "expected 'data_offsets' to be [begin, end] with non-negative integers, found " +
            (offsets_it == value.end() ? std::string("none") : printable(offsets_it->dump())));
  }
  const std::string offsets_text = "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
  if (begin > end) {
    return make_status(GRAPHC_DATA_LOSS,
                       where + "data_offsets " + offsets_text + " end before they begin");
  }
  if (end > data_size) {
    return make_status(GRAPHC_DATA_LOSS, where + "data_offsets " + offsets_text +
                                             " extend past the end of the data section (" +
                                             std::to_string(data_size) + " bytes)");
  }

  int64_t numel = 0;
  size_t nbytes = 0;
  std::string what = where.substr(0, where.size() - 2);  // checked_shape_size adds ": "
  if (graphc_status_t status = graphc::rt::detail::checked_shape_size(
          what.c_str(), info->dtype, info->rank, info->shape, &numel, &nbytes)) {
    // The shape was read from the file, so an overflow means a corrupt file.
    std::string message = graphc_status_message(status);
    graphc_status_free(status);
    return make_status(GRAPHC_DATA_LOSS, message);
  }
  if (end - begin != nbytes) {
    return make_status(GRAPHC_DATA_LOSS, where + "data_offsets " + offsets_text + " span " +
                                             std::to_string(end - begin) + " bytes; expected " +
                                             std::to_string(nbytes) + " bytes for " + dtype_name +
                                             " shape " + shape_string(info->shape, info->rank));
  }
  info->begin = begin;
  info->end = end;
  info->nbytes = nbytes;
  return nullptr;
}

graphc_status_t parse_metadata(const std::string& path, const nlohmann::json& value,
                               std::vector<std::pair<std::string, std::string>>* out) {
  const std::string where = file_prefix(path) + "__metadata__: ";
  if (!value.is_object()) {
    return make_status(
        GRAPHC_DATA_LOSS,
        where + "expected an object of string values, found JSON " + value.type_name());
  }
  for (const auto& [key, entry] : value.items()) {
    if (!entry.is_string()) {
      return make_status(GRAPHC_DATA_LOSS, where + "entry '" + printable(key) + "' is JSON " +
                                               entry.type_name() + "; expected a string");
    }
    const std::string& text = entry.get_ref<const std::string&>();
    if (key.find('\0') != std::string::npos || text.find('\0') != std::string::npos) {
      return make_status(GRAPHC_UNIMPLEMENTED,
                         where + "entry '" + printable(key) +
                             "' contains a NUL character, which the C API cannot represent");
    }
    out->emplace_back(key, text);
  }
  return nullptr;
}

// The reference implementation requires the tensors, sorted by offset, to
// tile the data section exactly: each starts where the previous one ended
// and the last ends at the end of the file. Anything else is either
// corruption or a writer bug, and in both cases loading would be a guess.
graphc_status_t check_tiling(const std::string& path, std::vector<const TensorInfo*> infos,
                             uint64_t data_size) {
  std::sort(infos.begin(), infos.end(), [](const TensorInfo* a, const TensorInfo* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t expected_begin = 0;
  const TensorInfo* previous = nullptr;
  for (const TensorInfo* info : infos) {
    if (info->begin != expected_begin) {
      std::string found =
          "[" + std::to_string(info->begin) + ", " + std::to_string(info->end) + "]";
      if (info->begin < expected_begin) {
        return make_status(GRAPHC_DATA_LOSS,
                           tensor_prefix(path, info->name) + "data_offsets " + found +
                               " overlap tensor '" + printable(previous->name) +
                               "', which ends at " + std::to_string(expected_begin) +
                               "; expected tensors to occupy disjoint byte ranges");
      }
      return make_status(GRAPHC_DATA_LOSS,
                         tensor_prefix(path, info->name) + "data_offsets " + found +
                             " leave a gap of " + std::to_string(info->begin - expected_begin) +
                             " bytes after " +
                             (previous ? "tensor '" + printable(previous->name) + "'"
                                       : std::string("the start of the data section")) +
                             "; expected tensors packed back to back");
    }
    expected_begin = info->end;
    previous = info;
  }
  if (expected_begin != data_size) {
    return make_status(GRAPHC_DATA_LOSS, file_prefix(path) + "the tensors cover " +
                                             std::to_string(expected_begin) + " bytes of the " +
                                             std::to_string(data_size) +
                                             "-byte data section; expected them to cover all of it "
                                             "(trailing bytes or a truncated header)");
  }
  return nullptr;
}

graphc_status_t load_file(const std::string& path, graphc_safetensors_s* file) {
  // O_NONBLOCK so that a FIFO path fails the regular-file check below
  // instead of blocking in open() until a writer appears; it has no effect
  // on reads from regular files.
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) {
    int error = errno;
    return make_status(error == ENOENT ? GRAPHC_NOT_FOUND : GRAPHC_IO_ERROR,
                       file_prefix(path) + "cannot open: " + errno_text(error));
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) {
    int error = errno;  // before anything that allocates can clobber it
    return make_status(GRAPHC_IO_ERROR, file_prefix(path) + "cannot stat: " + errno_text(error));
  }
  if (!S_ISREG(st.st_mode)) {
    return make_status(GRAPHC_IO_ERROR, file_prefix(path) + "is not a regular file");
  }
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);

  unsigned char length_bytes[8];
  if (file_size < sizeof(length_bytes)) {
    return make_status(GRAPHC_DATA_LOSS, file_prefix(path) + "file is " +
                                             std::to_string(file_size) +
                                             " bytes; expected at least 8 bytes of header length");
  }
  ssize_t got = pread_full(fd.get(), length_bytes, sizeof(length_bytes), 0);
  if (got < 0) {
    int error = errno;  // before anything that allocates can clobber it
    return make_status(GRAPHC_IO_ERROR, file_prefix(path) + "cannot read: " + errno_text(error));
  }
  if (got != static_cast<ssize_t>(sizeof(length_bytes))) {
    return make_status(GRAPHC_DATA_LOSS, file_prefix(path) + "file shrank while being read");
  }
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | length_bytes[i];
  if (header_size > file_size - 8) {
    return make_status(GRAPHC_DATA_LOSS,
                       file_prefix(path) + "header length is " + std::to_string(header_size) +
                           " bytes but only " + std::to_string(file_size - 8) +
                           " bytes follow it; the file is truncated or not a safetensors file");
  }
  if (header_size > kMaxHeaderBytes) {
    return make_status(GRAPHC_DATA_LOSS,
                       file_prefix(path) + "header length is " + std::to_string(header_size) +
                           " bytes; expected at most " + std::to_string(kMaxHeaderBytes));
  }
  std::string header(static_cast<size_t>(header_size), '\0');
  got = pread_full(fd.get(), header.data(), header.size(), 8);
  if (got < 0) {
    int error = errno;  // before anything that allocates can clobber it
    return make_status(GRAPHC_IO_ERROR, file_prefix(path) + "cannot read: " + errno_text(error));
  }
  if (static_cast<uint64_t>(got) != header_size) {
    return make_status(GRAPHC_DATA_LOSS, file_prefix(path) + "file shrank while being read");
  }

  // Duplicate names are ambiguous (which tensor did the writer mean?), so
  // they are rejected instead of letting the JSON parser keep one silently.
  std::string duplicate;
  bool has_duplicate = false;
  std::set<std::string> seen;
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(
        header, [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
          if (depth == 1 && event == nlohmann::json::parse_event_t::key && !has_duplicate) {
            const auto& key = parsed.get_ref<const std::string&>();
            if (!seen.insert(key).second) {
              has_duplicate = true;
              duplicate = key;
            }
          }
          return true;
        });
  } catch (const nlohmann::json::exception& e) {
    // parse_error for syntax and UTF-8, out_of_range for numbers that
    // overflow a double (e.g. 8e888): both mean a corrupt header.
    return make_status(GRAPHC_DATA_LOSS,
                       file_prefix(path) + "header is not valid JSON: " + printable(e.what(), 400));
  }
  if (!root.is_object()) {
    return make_status(GRAPHC_DATA_LOSS,
                       file_prefix(path) + "header is JSON " + root.type_name() +
                           "; expected an object mapping tensor names to entries");
  }
  if (has_duplicate) {
    return make_status(GRAPHC_DATA_LOSS, tensor_prefix(path, duplicate) +
                                             "appears more than once in the header; expected "
                                             "unique names");
  }

  const uint64_t data_start = 8 + header_size;
  const uint64_t data_size = file_size - data_start;
  std::vector<TensorInfo> infos;
  infos.reserve(root.size());
  // nlohmann::json keeps object keys in a std::map, so this iterates in
  // byte-wise name order: the order the file object exposes.
  for (const auto& [key, value] : root.items()) {
    if (key == kMetadataKey) {
      if (graphc_status_t status = parse_metadata(path, value, &file->metadata)) return status;
      continue;
    }
    TensorInfo info;
    if (graphc_status_t status = parse_tensor_info(path, key, value, data_size, &info)) {
      return status;
    }
    infos.push_back(std::move(info));
  }
  std::vector<const TensorInfo*> pointers;
  for (const TensorInfo& info : infos) pointers.push_back(&info);
  if (graphc_status_t status = check_tiling(path, pointers, data_size)) return status;

  file->tensors.reserve(infos.size());
  for (const TensorInfo& info : infos) {
    graphc_tensor_t* tensor = nullptr;
    if (graphc_status_t status =
            graphc_tensor_create(info.dtype, info.rank, info.shape, nullptr, &tensor)) {
      std::string message = graphc_status_message(status);
      graphc_status_code_t code = graphc_status_code(status);
      graphc_status_free(status);
      return make_status(code, tensor_prefix(path, info.name) + message);
    }
    // Owned by `file` from here on, so every early return releases it.
    file->tensors.push_back({info.name, tensor});
    ssize_t read =
        pread_full(fd.get(), graphc_tensor_data(tensor), info.nbytes, data_start + info.begin);
    if (read < 0) {
      int error = errno;  // before anything that allocates can clobber it
      return make_status(GRAPHC_IO_ERROR,
                         tensor_prefix(path, info.name) + "cannot read data: " + errno_text(error));
    }
    if (static_cast<size_t>(read) != info.nbytes) {
      return make_status(GRAPHC_DATA_LOSS,
                         tensor_prefix(path, info.name) + "file shrank while being read");
    }
    if (info.dtype == GRAPHC_DTYPE_BOOL) {
      // torch reads any non-zero byte as True; normalizing keeps bool*
      // access in C++ well-defined.
      auto* bytes = static_cast<unsigned char*>(graphc_tensor_data(tensor));
      for (size_t i = 0; i < info.nbytes; ++i) bytes[i] = bytes[i] != 0;
    }
  }
  return nullptr;
}

// ---- Writing -----------------------------------------------------------------

std::string temp_path_for(const std::string& path) {
  // Same directory as the target, so rename() is atomic (same file system);
  // pid plus a counter makes concurrent saves from threads and processes
  // pick different names, and O_EXCL catches anything else.
  static std::atomic<uint64_t> counter{0};
  return path + ".tmp-" + std::to_string(static_cast<long>(::getpid())) + "-" +
         std::to_string(counter.fetch_add(1));
}

std::string directory_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Temporary files of earlier saves of `path` whose process is gone (killed
// during a save): removed, so they do not pile up beside the checkpoint.
void remove_stale_temp_files(const std::string& path) {
  std::string dir = directory_of(path);
  std::string base = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  std::string prefix = base + ".tmp-";
  DIR* listing = ::opendir(dir.c_str());
  if (!listing) return;
  while (const dirent* entry = ::readdir(listing)) {
    std::string name = entry->d_name;
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    char* end = nullptr;
    long pid = std::strtol(name.c_str() + prefix.size(), &end, 10);
    if (end == name.c_str() + prefix.size() || *end != '-' || pid <= 0) continue;
    if (pid == static_cast<long>(::getpid())) continue;  // a save of this process, in flight
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
      ::unlink((dir + "/" + name).c_str());
  }
  ::closedir(listing);
}

graphc_status_t save_file(const graphc_safetensors_writer_s& writer, const std::string& requested) {
  // Write through a symbolic link: the file it names is replaced and the link
  // stays. A read-only file (no write permission bits, whoever runs this:
  // root may write anything) is not replaced: it is refused.
  std::string path = requested;
  mode_t mode = 0666;
  bool replacing = false;
  struct stat existing;
  // (Anything but a regular file, a directory say, fails at the rename.)
  if (::stat(requested.c_str(), &existing) == 0 && S_ISREG(existing.st_mode)) {
    if (char* resolved = ::realpath(requested.c_str(), nullptr)) {
      path = resolved;
      std::free(resolved);
    }
    if ((existing.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0)
      return make_status(GRAPHC_IO_ERROR,
                         file_prefix(requested) +
                             "is read-only; not replacing it (make it writable, or save elsewhere)");
    mode = existing.st_mode & 07777;  // the new file keeps the old one's permissions
    replacing = true;
  }
  remove_stale_temp_files(path);
  std::vector<const std::pair<std::string, graphc_tensor_t*>*> order;
  for (const auto& entry : writer.tensors) order.push_back(&entry);
  std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    int ra = writer_dtype_rank(graphc_tensor_dtype(a->second));
    int rb = writer_dtype_rank(graphc_tensor_dtype(b->second));
    return ra != rb ? ra > rb : a->first < b->first;
  });

  // ordered_json keeps insertion order, reproducing the reference layout:
  // metadata first, then tensors in data order.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!writer.metadata.empty()) {
    nlohmann::ordered_json metadata = nlohmann::ordered_json::object();
    for (const auto& [key, value] : writer.metadata) metadata[key] = value;
    header[kMetadataKey] = std::move(metadata);
  }
  uint64_t offset = 0;
  for (const auto* entry : order) {
    graphc_tensor_t* tensor = entry->second;
    nlohmann::ordered_json info = nlohmann::ordered_json::object();
    info["dtype"] = safetensors_dtype_name(graphc_tensor_dtype(tensor));
    nlohmann::ordered_json shape = nlohmann::ordered_json::array();
    const int64_t* dims = graphc_tensor_shape(tensor);
    for (int32_t i = 0; i < graphc_tensor_rank(tensor); ++i) shape.push_back(dims[i]);
    info["shape"] = std::move(shape);
    uint64_t end = offset + graphc_tensor_nbytes(tensor);
    info["data_offsets"] = {offset, end};
    header[entry->first] = std::move(info);
    offset = end;
  }
  std::string header_text = header.dump();
  header_text.append((8 - header_text.size() % 8) % 8, ' ');
  unsigned char length_bytes[8];
  uint64_t header_size = header_text.size();
  for (int i = 0; i < 8; ++i) length_bytes[i] = static_cast<unsigned char>(header_size >> (8 * i));

  const std::string temp_path = temp_path_for(path);
  FileDescriptor fd(::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
  if (fd.get() >= 0 && replacing) (void)::fchmod(fd.get(), mode);
  if (fd.get() < 0) {
    int error = errno;  // before anything that allocates can clobber it
    return make_status(GRAPHC_IO_ERROR, file_prefix(path) + "cannot create temporary file '" +
                                            printable(temp_path, 4096) + "': " + errno_text(error));
  }
  // Removes the temporary file on every failure path, exceptions included,
  // so a failed save leaves the directory as it was.
  struct TempFileGuard {
    const std::string& temp_path;
    bool committed = false;
    ~TempFileGuard() {
      if (!committed) ::unlink(temp_path.c_str());
    }
  } guard{temp_path};
  auto io_error = [&](const std::string& what, int error) {
    return make_status(GRAPHC_IO_ERROR, file_prefix(path) + what + ": " + errno_text(error));
  };
  if (!write_full(fd.get(), length_bytes, sizeof(length_bytes)) ||
      !write_full(fd.get(), header_text.data(), header_text.size())) {
    int error = errno;
    return io_error("cannot write header to '" + printable(temp_path, 4096) + "'", error);
  }
  for (const auto* entry : order) {
    graphc_tensor_t* tensor = entry->second;
    if (graphc_tensor_nbytes(tensor) == 0) continue;
    if (!write_full(fd.get(), graphc_tensor_data(tensor), graphc_tensor_nbytes(tensor))) {
      int error = errno;
      return io_error("cannot write tensor '" + printable(entry->first) + "' to '" +
                          printable(temp_path, 4096) + "'",
                      error);
    }
  }
  // fsync before rename: otherwise a crash can leave the new name pointing
  // at a file whose data never reached the disk.
  if (::fsync(fd.get()) != 0) {
    int error = errno;
    return io_error("cannot fsync '" + printable(temp_path, 4096) + "'", error);
  }
  if (fd.close() != 0) {
    int error = errno;
    return io_error("cannot close '" + printable(temp_path, 4096) + "'", error);
  }
  if (::rename(temp_path.c_str(), path.c_str()) != 0) {
    int error = errno;
    return io_error("cannot rename '" + printable(temp_path, 4096) + "' into place", error);
  }
  guard.committed = true;
  // Persist the rename itself. Best effort: the file is complete and in
  // place either way, and some file systems cannot fsync a directory.
  FileDescriptor dir(::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0) (void)::fsync(dir.get());
  return nullptr;
}

}  // namespace

extern "C" {

graphc_status_t graphc_safetensors_load(const char* path, graphc_safetensors_t** out_file) {
  static const char kWhat[] = "graphc_safetensors_load";
  if (out_file == nullptr) {
    return make_status(
        GRAPHC_INVALID_ARGUMENT,
        std::string(kWhat) + ": out_file is NULL; expected a pointer to receive the file");
  }
  *out_file = nullptr;
  if (path == nullptr || path[0] == '\0') {
    return make_status(GRAPHC_INVALID_ARGUMENT,
                       std::string(kWhat) + ": path is NULL or empty; expected a file path");
  }
  try {
    auto file = std::make_unique<graphc_safetensors_s>();
    file->path = path;
    if (graphc_status_t status = load_file(file->path, file.get())) return status;
    *out_file = file.release();
    return nullptr;
  } catch (const std::bad_alloc&) {
    // A header can legitimately describe more data than fits in memory.
    return make_status(GRAPHC_RESOURCE_EXHAUSTED,
                       file_prefix(path) + "out of memory while loading the file");
  } catch (const std::exception& e) {
    return make_status(GRAPHC_INTERNAL, file_prefix(path) + "unexpected exception while loading: " +
                                            printable(e.what(), 400));
  }
}

void graphc_safetensors_retain(graphc_safetensors_t* file) {
  if (file) file->ref_count.fetch_add(1, std::memory_order_relaxed);
}

void graphc_safetensors_release(graphc_safetensors_t* file) {
  if (file && file->ref_count.fetch_sub(1, std::memory_order_acq_rel) == 1) delete file;
}

const char* graphc_safetensors_path(const graphc_safetensors_t* file) {
  return file ? file->path.c_str() : nullptr;
}

size_t graphc_safetensors_count(const graphc_safetensors_t* file) {
  return file ? file->tensors.size() : 0;
}

const char* graphc_safetensors_name(const graphc_safetensors_t* file, size_t index) {
  if (file == nullptr || index >= file->tensors.size()) return nullptr;
  return file->tensors[index].name.c_str();
}

graphc_tensor_t* graphc_safetensors_tensor_at(const graphc_safetensors_t* file, size_t index) {
  if (file == nullptr || index >= file->tensors.size()) return nullptr;
  return file->tensors[index].tensor;
}

graphc_status_t graphc_safetensors_get(const graphc_safetensors_t* file, const char* name,
                                       graphc_tensor_t** out_tensor) {
  static const char kWhat[] = "graphc_safetensors_get";
  if (out_tensor == nullptr) {
    return make_status(GRAPHC_INVALID_ARGUMENT, std::string(kWhat) +
                                                    ": out_tensor is NULL; expected a pointer to "
                                                    "receive the tensor");
  }
  *out_tensor = nullptr;
  if (file == nullptr || name == nullptr) {
    return make_status(GRAPHC_INVALID_ARGUMENT,
                       std::string(kWhat) + ": file or name is NULL; expected both");
  }
  try {
    auto it = std::lower_bound(
        file->tensors.begin(), file->tensors.end(), name,
        [](const graphc_safetensors_s::Entry& entry, const char* key) { return entry.name < key; });
    if (it == file->tensors.end() || it->name != name) {
      return make_status(GRAPHC_NOT_FOUND, tensor_prefix(file->path, name) +
                                               "not found; the file has " +
                                               std::to_string(file->tensors.size()) + " tensors");
    }
    *out_tensor = it->tensor;
    return nullptr;
  }
  GRAPHC_CATCH_ALL_RETURN_STATUS(kWhat)
}

size_t graphc_safetensors_metadata_count(const graphc_safetensors_t* file) {
  return file ? file->metadata.size() : 0;
}

const char* graphc_safetensors_metadata_key(const graphc_safetensors_t* file, size_t index) {
  if (file == nullptr || index >= file->metadata.size()) return nullptr;
  return file->metadata[index].first.c_str();
}

const char* graphc_safetensors_metadata(const graphc_safetensors_t* file, const char* key) {
  if (file == nullptr || key == nullptr) return nullptr;
  // Linear: metadata maps hold a handful of entries, and this cannot throw.
  for (const auto& [k, v] : file->metadata) {
    if (k == key) return v.c_str();
  }
  return nullptr;
}

graphc_status_t graphc_safetensors_writer_create(graphc_safetensors_writer_t** out_writer) {
  static const char kWhat[] = "graphc_safetensors_writer_create";
  if (out_writer == nullptr) {
    return make_status(GRAPHC_INVALID_ARGUMENT, std::string(kWhat) +
                                                    ": out_writer is NULL; expected a pointer to "
                                                    "receive the writer");
  }
  *out_writer = nullptr;
  try {
    *out_writer = new graphc_safetensors_writer_s;
    return nullptr;
  }
  GRAPHC_CATCH_ALL_RETURN_STATUS(kWhat)
}

void graphc_safetensors_writer_retain(graphc_safetensors_writer_t* writer) {
  if (writer) writer->ref_count.fetch_add(1, std::memory_order_relaxed);
}

void graphc_safetensors_writer_release(graphc_safetensors_writer_t* writer) {
  if (writer && writer->ref_count.fetch_sub(1, std::memory_order_acq_rel) == 1) delete writer;
}

graphc_status_t graphc_safetensors_writer_add(graphc_safetensors_writer_t* writer, const char* name,
                                              graphc_tensor_t* tensor) {
  static const char kWhat[] = "graphc_safetensors_writer_add";
  if (writer == nullptr || name == nullptr || tensor == nullptr) {
    return make_status(GRAPHC_INVALID_ARGUMENT,
                       std::string(kWhat) + ": writer, name or tensor is NULL; expected all three");
  }
  try {
    std::string key = name;
    const std::string where = std::string(kWhat) + ": tensor '" + printable(key) + "': ";
    if (key.empty() || key == kMetadataKey || !is_valid_utf8(key)) {
      return make_status(GRAPHC_INVALID_ARGUMENT,
                         where + "expected a non-empty UTF-8 name other than __metadata__");
    }
    for (const auto& entry : writer->tensors) {
      if (entry.first == key) {
        return make_status(GRAPHC_INVALID_ARGUMENT,
                           where + "was already added; expected unique names");
      }
    }
    writer->tensors.emplace_back(std::move(key), tensor);
    graphc_tensor_retain(tensor);
    return nullptr;
  }
  GRAPHC_CATCH_ALL_RETURN_STATUS(kWhat)
}

graphc_status_t graphc_safetensors_writer_set_metadata(graphc_safetensors_writer_t* writer,
                                                       const char* key, const char* value) {
  static const char kWhat[] = "graphc_safetensors_writer_set_metadata";
  if (writer == nullptr || key == nullptr || value == nullptr) {
    return make_status(GRAPHC_INVALID_ARGUMENT,
                       std::string(kWhat) + ": writer, key or value is NULL; expected all three");
  }
  try {
    std::string k = key, v = value;
    if (!is_valid_utf8(k) || !is_valid_utf8(v)) {
      return make_status(GRAPHC_INVALID_ARGUMENT, std::string(kWhat) + ": entry '" + printable(k) +
                                                      "': expected UTF-8 key and value");
    }
    writer->metadata[std::move(k)] = std::move(v);
    return nullptr;
  }
  GRAPHC_CATCH_ALL_RETURN_STATUS(kWhat)
}

graphc_status_t graphc_safetensors_writer_save(const graphc_safetensors_writer_t* writer,
                                               const char* path) {
  static const char kWhat[] = "graphc_safetensors_writer_save";
  if (writer == nullptr || path == nullptr || path[0] == '\0') {
    return make_status(GRAPHC_INVALID_ARGUMENT,
                       std::string(kWhat) +
                           ": writer is NULL or path is NULL or empty; expected "
                           "a writer and a file path");
  }
  try {
    return save_file(*writer, path);
  }
  GRAPHC_CATCH_ALL_RETURN_STATUS(kWhat)
}

}  // extern "C"
