// safetensors atomic writer: a temporary file beside the target, written,
// flushed and renamed over it, so a reader (or a crash) never sees half a
// checkpoint. The reader: safetensors_reader.cc.

#include "safetensors_internal.h"

using namespace graphc::rt::safetensors_detail;

namespace {

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
