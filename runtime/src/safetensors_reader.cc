// safetensors reader (the writer: safetensors_writer.cc).
//
// The reader treats the file as hostile: every length, offset and shape is
// checked before it is used, arithmetic is overflow-checked, and the rules
// are those of the reference implementation (huggingface/safetensors
// `SafeTensors::read_metadata`), so a file graphc accepts loads in PyTorch
// and vice versa. Errors follow one pattern, "safetensors file 'PATH':
// tensor 'NAME': what was expected, what was found", so a user can act on
// them without a debugger.


#include "safetensors_internal.h"

using namespace graphc::rt::safetensors_detail;

namespace {

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

}  // extern "C"
