#include "graphc/runtime/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "graphc/runtime/tensor.h"
#include "test_util.h"

#ifndef GRAPHC_RUNTIME_TEST_DIR
#error "GRAPHC_RUNTIME_TEST_DIR must point at test/unit/runtime"
#endif

namespace graphc::rt::testing {
namespace {

struct FileDeleter {
  void operator()(graphc_safetensors_t* file) const { graphc_safetensors_release(file); }
};
using FilePtr = std::unique_ptr<graphc_safetensors_t, FileDeleter>;

struct WriterDeleter {
  void operator()(graphc_safetensors_writer_t* writer) const {
    graphc_safetensors_writer_release(writer);
  }
};
using WriterPtr = std::unique_ptr<graphc_safetensors_writer_t, WriterDeleter>;

FilePtr Load(const std::string& path) {
  graphc_safetensors_t* file = nullptr;
  StatusPtr status(graphc_safetensors_load(path.c_str(), &file));
  EXPECT_EQ(status, nullptr) << graphc_status_message(status.get());
  return FilePtr(file);
}

graphc_status_t LoadStatus(const std::string& path) {
  graphc_safetensors_t* file = nullptr;
  graphc_status_t status = graphc_safetensors_load(path.c_str(), &file);
  graphc_safetensors_release(file);
  return status;
}

WriterPtr NewWriter() {
  graphc_safetensors_writer_t* writer = nullptr;
  StatusPtr status(graphc_safetensors_writer_create(&writer));
  EXPECT_EQ(status, nullptr);
  return WriterPtr(writer);
}

graphc_tensor_t* Get(const graphc_safetensors_t* file, const char* name) {
  graphc_tensor_t* tensor = nullptr;
  StatusPtr status(graphc_safetensors_get(file, name, &tensor));
  EXPECT_EQ(status, nullptr) << graphc_status_message(status.get());
  return tensor;
}

template <class T>
std::vector<T> Values(const graphc_tensor_t* tensor) {
  const T* data = static_cast<const T*>(graphc_tensor_data(tensor));
  return std::vector<T>(data, data + graphc_tensor_numel(tensor));
}

std::vector<int64_t> Shape(const graphc_tensor_t* tensor) {
  const int64_t* shape = graphc_tensor_shape(tensor);
  return std::vector<int64_t>(shape, shape + graphc_tensor_rank(tensor));
}

// The tensors of gen_safetensors_reference.py, built through the C API.
std::map<std::string, TensorPtr> ReferenceTensors() {
  std::map<std::string, TensorPtr> tensors;
  std::vector<float> conv_w(8);
  for (int i = 0; i < 8; ++i) conv_w[i] = static_cast<float>(i) * 0.5f - 1.0f;
  tensors["conv1.weight"] = MakeTensor(GRAPHC_DTYPE_F32, {2, 1, 2, 2}, conv_w.data());
  const float conv_b[] = {0.25f, -0.25f};
  tensors["conv1.bias"] = MakeTensor(GRAPHC_DTYPE_F32, {2}, conv_b);
  const double fc_w[] = {1.5, -2.0, 3.25, 0.0, 1e-3, -1e10};
  tensors["fc.weight"] = MakeTensor(GRAPHC_DTYPE_F64, {2, 3}, fc_w);
  const int64_t step = 7;
  tensors["step"] = MakeTensor(GRAPHC_DTYPE_I64, {}, &step);
  const int32_t labels[] = {0, 1, 2, -3};
  tensors["labels"] = MakeTensor(GRAPHC_DTYPE_I32, {4}, labels);
  const uint8_t mask[] = {1, 0, 1};
  tensors["mask"] = MakeTensor(GRAPHC_DTYPE_BOOL, {3}, mask);
  tensors["empty"] = MakeTensor(GRAPHC_DTYPE_F32, {0, 3});
  return tensors;
}

const std::string kReferencePath = std::string(GRAPHC_RUNTIME_TEST_DIR) + "/reference.safetensors";

// ---- Reading files written by the reference implementation ------------------

TEST(SafetensorsReadTest, LoadsReferenceFileFromPythonSafetensors) {
  FilePtr file = Load(kReferencePath);
  ASSERT_NE(file, nullptr);
  EXPECT_STREQ(graphc_safetensors_path(file.get()), kReferencePath.c_str());

  // Names come back sorted byte-wise, whatever the order in the file.
  ASSERT_EQ(graphc_safetensors_count(file.get()), 7u);
  const char* expected_names[] = {"conv1.bias", "conv1.weight", "empty", "fc.weight",
                                  "labels",     "mask",         "step"};
  for (size_t i = 0; i < 7; ++i) {
    EXPECT_STREQ(graphc_safetensors_name(file.get(), i), expected_names[i]);
    EXPECT_NE(graphc_safetensors_tensor_at(file.get(), i), nullptr);
  }
  EXPECT_EQ(graphc_safetensors_name(file.get(), 7), nullptr);
  EXPECT_EQ(graphc_safetensors_tensor_at(file.get(), 7), nullptr);

  graphc_tensor_t* conv_w = Get(file.get(), "conv1.weight");
  EXPECT_EQ(graphc_tensor_dtype(conv_w), GRAPHC_DTYPE_F32);
  EXPECT_EQ(Shape(conv_w), (std::vector<int64_t>{2, 1, 2, 2}));
  EXPECT_EQ(Values<float>(conv_w),
            (std::vector<float>{-1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 2.5f}));
  EXPECT_EQ(Values<float>(Get(file.get(), "conv1.bias")), (std::vector<float>{0.25f, -0.25f}));

  graphc_tensor_t* fc_w = Get(file.get(), "fc.weight");
  EXPECT_EQ(graphc_tensor_dtype(fc_w), GRAPHC_DTYPE_F64);
  EXPECT_EQ(Values<double>(fc_w), (std::vector<double>{1.5, -2.0, 3.25, 0.0, 1e-3, -1e10}));

  graphc_tensor_t* step = Get(file.get(), "step");
  EXPECT_EQ(graphc_tensor_rank(step), 0);
  EXPECT_EQ(Values<int64_t>(step), (std::vector<int64_t>{7}));
  EXPECT_EQ(Values<int32_t>(Get(file.get(), "labels")), (std::vector<int32_t>{0, 1, 2, -3}));
  EXPECT_EQ(Values<uint8_t>(Get(file.get(), "mask")), (std::vector<uint8_t>{1, 0, 1}));
  graphc_tensor_t* empty = Get(file.get(), "empty");
  EXPECT_EQ(Shape(empty), (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(graphc_tensor_numel(empty), 0);

  ASSERT_EQ(graphc_safetensors_metadata_count(file.get()), 1u);
  EXPECT_STREQ(graphc_safetensors_metadata_key(file.get(), 0), "format");
  EXPECT_STREQ(graphc_safetensors_metadata(file.get(), "format"), "pt");
  EXPECT_EQ(graphc_safetensors_metadata(file.get(), "missing"), nullptr);
  EXPECT_EQ(graphc_safetensors_metadata_key(file.get(), 1), nullptr);
}

TEST(SafetensorsReadTest, GetMissingNameIsNotFoundNamingFileAndTensor) {
  FilePtr file = Load(kReferencePath);
  graphc_tensor_t* tensor = reinterpret_cast<graphc_tensor_t*>(0x1);
  EXPECT_TRUE(IsError(graphc_safetensors_get(file.get(), "fc2.weight", &tensor), GRAPHC_NOT_FOUND,
                      {"reference.safetensors", "fc2.weight"}));
  EXPECT_EQ(tensor, nullptr);
}

TEST(SafetensorsReadTest, TensorsOutliveFileWhenRetained) {
  graphc_tensor_t* kept = nullptr;
  {
    FilePtr file = Load(kReferencePath);
    kept = Get(file.get(), "labels");
    graphc_tensor_retain(kept);
  }
  EXPECT_EQ(Values<int32_t>(kept), (std::vector<int32_t>{0, 1, 2, -3}));
  graphc_tensor_release(kept);
}

TEST(SafetensorsWriteTest, WriterOutputIsByteIdenticalToReferenceImplementation) {
  TempDir dir;
  auto tensors = ReferenceTensors();
  WriterPtr writer = NewWriter();
  // Added in a different order from the file layout on purpose: the writer
  // must sort like safetensors does.
  for (const auto& [name, tensor] : tensors) {
    GRAPHC_ASSERT_OK(graphc_safetensors_writer_add(writer.get(), name.c_str(), tensor.get()));
  }
  GRAPHC_ASSERT_OK(graphc_safetensors_writer_set_metadata(writer.get(), "format", "pt"));
  const std::string path = dir.file("mine.safetensors");
  GRAPHC_ASSERT_OK(graphc_safetensors_writer_save(writer.get(), path.c_str()));
  EXPECT_EQ(ReadFileBytes(path), ReadFileBytes(kReferencePath));
}

// ---- Round trips ------------------------------------------------------------

TEST(SafetensorsWriteTest, RoundTripAllDtypesAndMetadata) {
  TempDir dir;
  auto tensors = ReferenceTensors();
  std::vector<double> big(1000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<double>(i) / 3.0;
  tensors["big"] = MakeTensor(GRAPHC_DTYPE_F64, {10, 10, 10}, big.data());

  WriterPtr writer = NewWriter();
  for (const auto& [name, tensor] : tensors) {
    GRAPHC_ASSERT_OK(graphc_safetensors_writer_add(writer.get(), name.c_str(), tensor.get()));
  }
  GRAPHC_ASSERT_OK(graphc_safetensors_writer_set_metadata(writer.get(), "epoch", "3"));
  GRAPHC_ASSERT_OK(graphc_safetensors_writer_set_metadata(writer.get(), "format", "pt"));
  GRAPHC_ASSERT_OK(graphc_safetensors_writer_set_metadata(writer.get(), "epoch", "4"));  // replaces
  GRAPHC_ASSERT_OK(
      graphc_safetensors_writer_set_metadata(writer.get(), "note", "h\xC3\xA9 \"q\"\n"));
  const std::string path = dir.file("model.safetensors");
  GRAPHC_ASSERT_OK(graphc_safetensors_writer_save(writer.get(), path.c_str()));

  FilePtr file = Load(path);
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(graphc_safetensors_count(file.get()), tensors.size());
  for (const auto& [name, original] : tensors) {
    SCOPED_TRACE(name);
    graphc_tensor_t* loaded = Get(file.get(), name.c_str());
    ASSERT_NE(loaded, nullptr);
    EXPECT_EQ(graphc_tensor_dtype(loaded), graphc_tensor_dtype(original.get()));
    EXPECT_EQ(Shape(loaded), Shape(original.get()));
    ASSERT_EQ(graphc_tensor_nbytes(loaded), graphc_tensor_nbytes(original.get()));
    EXPECT_EQ(std::memcmp(graphc_tensor_data(loaded), graphc_tensor_data(original.get()),
                          graphc_tensor_nbytes(loaded)),
              0);
    // Every tensor is naturally aligned in the file (the header is padded
    // to 8 bytes and tensors are sorted widest dtype first).
  }
  EXPECT_STREQ(graphc_safetensors_metadata(file.get(), "epoch"), "4");
  EXPECT_STREQ(graphc_safetensors_metadata(file.get(), "format"), "pt");
  EXPECT_STREQ(graphc_safetensors_metadata(file.get(), "note"), "h\xC3\xA9 \"q\"\n");

  std::string bytes = ReadFileBytes(path);
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | static_cast<uint8_t>(bytes[i]);
  EXPECT_EQ(header_size % 8, 0u);
}

TEST(SafetensorsWriteTest, EmptyWriterSavesLoadableFile) {
  TempDir dir;
  WriterPtr writer = NewWriter();
  const std::string path = dir.file("empty.safetensors");
  GRAPHC_ASSERT_OK(graphc_safetensors_writer_save(writer.get(), path.c_str()));
  FilePtr file = Load(path);
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(graphc_safetensors_count(file.get()), 0u);
  EXPECT_EQ(graphc_safetensors_metadata_count(file.get()), 0u);
  // No "__metadata__" key when none was set, as in safetensors.
  EXPECT_EQ(ReadFileBytes(path).find("__metadata__"), std::string::npos);
}

TEST(SafetensorsWriteTest, WriterReadsTensorDataAtSaveTime) {
  TempDir dir;
  TensorPtr tensor = MakeTensor(GRAPHC_DTYPE_F32, {2});
  WriterPtr writer = NewWriter();
  GRAPHC_ASSERT_OK(graphc_safetensors_writer_add(writer.get(), "w", tensor.get()));
  GRAPHC_ASSERT_OK(graphc_tensor_fill(tensor.get(), 5.0));
  tensor.reset();  // the writer holds its own reference
  const std::string path = dir.file("w.safetensors");
  GRAPHC_ASSERT_OK(graphc_safetensors_writer_save(writer.get(), path.c_str()));
  FilePtr file = Load(path);
  EXPECT_EQ(Values<float>(Get(file.get(), "w")), (std::vector<float>{5.0f, 5.0f}));
}

TEST(SafetensorsWriteTest, SaveReplacesExistingFileAndLeavesNoTempFiles) {
  TempDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  WriteFileBytes(path, "old contents");
  TensorPtr tensor = MakeTensor(GRAPHC_DTYPE_I64, {3});
  WriterPtr writer = NewWriter();
  GRAPHC_ASSERT_OK(graphc_safetensors_writer_add(writer.get(), "x", tensor.get()));
  GRAPHC_ASSERT_OK(graphc_safetensors_writer_save(writer.get(), path.c_str()));
  GRAPHC_ASSERT_OK(
      graphc_safetensors_writer_save(writer.get(), path.c_str()));  // saving twice is fine
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"ckpt.safetensors"}));
  FilePtr file = Load(path);
  EXPECT_EQ(graphc_safetensors_count(file.get()), 1u);
}

TEST(SafetensorsWriteTest, FailedSaveLeavesTargetAndDirectoryUntouched) {
  TempDir dir;
  TensorPtr tensor = MakeTensor(GRAPHC_DTYPE_F32, {3});
  WriterPtr writer = NewWriter();
  GRAPHC_ASSERT_OK(graphc_safetensors_writer_add(writer.get(), "x", tensor.get()));

  // The target is a directory: rename fails after the temp file is written.
  const std::string target = dir.file("taken");
  ASSERT_EQ(::mkdir(target.c_str(), 0755), 0);
  EXPECT_TRUE(IsError(graphc_safetensors_writer_save(writer.get(), target.c_str()), GRAPHC_IO_ERROR,
                      {"taken", "rename"}));
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"taken"}));

  // The directory does not exist: nothing can be created.
  const std::string missing = dir.file("no/such/dir/x.safetensors");
  EXPECT_TRUE(IsError(graphc_safetensors_writer_save(writer.get(), missing.c_str()),
                      GRAPHC_IO_ERROR, {"x.safetensors", "temporary file"}));
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"taken"}));
}

// Issue 11: --save onto a read-only file replaced it, and a symbolic link
// was replaced by a plain file; killed saves left their temporary files.
TEST(SafetensorsWriteTest, ARunNeverDestroysAUsersFile) {
  TempDir dir;
  TensorPtr tensor = MakeTensor(GRAPHC_DTYPE_F32, {3});
  WriterPtr writer = NewWriter();
  GRAPHC_ASSERT_OK(graphc_safetensors_writer_add(writer.get(), "x", tensor.get()));

  // A read-only file is refused and left as it was.
  const std::string readOnly = dir.file("ro.safetensors");
  { std::ofstream(readOnly) << "precious"; }
  ASSERT_EQ(::chmod(readOnly.c_str(), 0444), 0);
  EXPECT_TRUE(IsError(graphc_safetensors_writer_save(writer.get(), readOnly.c_str()),
                      GRAPHC_IO_ERROR, {"ro.safetensors", "read-only", "not replacing"}));
  std::ifstream in(readOnly);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "precious");

  // A link is written through: it stays a link, the file it names is new,
  // with the permissions it had.
  const std::string target = dir.file("target.safetensors"), link = dir.file("link.safetensors");
  { std::ofstream(target) << "old"; }
  ASSERT_EQ(::chmod(target.c_str(), 0600), 0);
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  GRAPHC_ASSERT_OK(graphc_safetensors_writer_save(writer.get(), link.c_str()));
  struct stat st;
  ASSERT_EQ(::lstat(link.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  ASSERT_EQ(::stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_GT(st.st_size, 8);

  // The temporary file of a save whose process is gone is removed by the
  // next save of the same file; another process's live one is not.
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  const std::string saved = dir.file("ck.safetensors");
  const std::string stale = saved + ".tmp-" + std::to_string(child) + "-0";
  const std::string live = saved + ".tmp-" + std::to_string(::getppid()) + "-0";
  { std::ofstream(stale) << "half"; }
  { std::ofstream(live) << "busy"; }
  GRAPHC_ASSERT_OK(graphc_safetensors_writer_save(writer.get(), saved.c_str()));
  EXPECT_NE(::access(stale.c_str(), F_OK), 0);
  EXPECT_EQ(::access(live.c_str(), F_OK), 0);
}

TEST(SafetensorsWriteTest, AddValidatesNames) {
  TensorPtr tensor = MakeTensor(GRAPHC_DTYPE_F32, {1});
  WriterPtr writer = NewWriter();
  GRAPHC_ASSERT_OK(graphc_safetensors_writer_add(writer.get(), "a", tensor.get()));
  EXPECT_TRUE(IsError(graphc_safetensors_writer_add(writer.get(), "a", tensor.get()),
                      GRAPHC_INVALID_ARGUMENT, {"'a'", "already added"}));
  EXPECT_TRUE(IsError(graphc_safetensors_writer_add(writer.get(), "", tensor.get()),
                      GRAPHC_INVALID_ARGUMENT));
  EXPECT_TRUE(IsError(graphc_safetensors_writer_add(writer.get(), "__metadata__", tensor.get()),
                      GRAPHC_INVALID_ARGUMENT, {"__metadata__"}));
  EXPECT_TRUE(IsError(graphc_safetensors_writer_add(writer.get(), "bad\xFF", tensor.get()),
                      GRAPHC_INVALID_ARGUMENT, {"UTF-8"}));
  EXPECT_TRUE(
      IsError(graphc_safetensors_writer_add(writer.get(), "b", nullptr), GRAPHC_INVALID_ARGUMENT));
  EXPECT_TRUE(IsError(graphc_safetensors_writer_set_metadata(writer.get(), "k", "\xC0\xAF"),
                      GRAPHC_INVALID_ARGUMENT, {"UTF-8"}));
  EXPECT_TRUE(IsError(graphc_safetensors_writer_save(writer.get(), ""), GRAPHC_INVALID_ARGUMENT));
}

TEST(SafetensorsReadTest, NullArguments) {
  graphc_safetensors_t* file = nullptr;
  EXPECT_TRUE(IsError(graphc_safetensors_load(nullptr, &file), GRAPHC_INVALID_ARGUMENT));
  EXPECT_TRUE(IsError(graphc_safetensors_load("x", nullptr), GRAPHC_INVALID_ARGUMENT));
  EXPECT_EQ(graphc_safetensors_count(nullptr), 0u);
  EXPECT_EQ(graphc_safetensors_name(nullptr, 0), nullptr);
  EXPECT_EQ(graphc_safetensors_metadata(nullptr, "k"), nullptr);
  graphc_safetensors_release(nullptr);
  graphc_safetensors_writer_release(nullptr);
}

// ---- Malformed files ----------------------------------------------------------

class SafetensorsMalformedTest : public ::testing::Test {
 protected:
  // Writes `bytes` to a file and expects loading it to fail with `code` and
  // a message naming the file plus every fragment.
  ::testing::AssertionResult Rejects(const std::string& bytes, graphc_status_code_t code,
                                     std::vector<std::string> fragments) {
    const std::string path = dir_.file("bad.safetensors");
    WriteFileBytes(path, bytes);
    fragments.push_back(path);
    return IsError(LoadStatus(path), code, fragments);
  }

  static std::string Entry(const std::string& name, const std::string& dtype,
                           const std::string& shape, const std::string& offsets) {
    return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
           ",\"data_offsets\":" + offsets + "}";
  }

  TempDir dir_;
};

TEST_F(SafetensorsMalformedTest, MissingFileIsNotFound) {
  const std::string path = dir_.file("nope.safetensors");
  EXPECT_TRUE(IsError(LoadStatus(path), GRAPHC_NOT_FOUND, {path, "No such file"}));
}

TEST_F(SafetensorsMalformedTest, DirectoryAndFifoAreIoErrors) {
  EXPECT_TRUE(IsError(LoadStatus(dir_.path()), GRAPHC_IO_ERROR, {dir_.path(), "regular file"}));
  // Must fail at once rather than block waiting for a writer.
  const std::string fifo = dir_.file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_TRUE(IsError(LoadStatus(fifo), GRAPHC_IO_ERROR, {fifo, "regular file"}));
}

TEST_F(SafetensorsMalformedTest, TooShortForHeaderLength) {
  EXPECT_TRUE(Rejects("", GRAPHC_DATA_LOSS, {"0 bytes", "at least 8"}));
  EXPECT_TRUE(Rejects("abc", GRAPHC_DATA_LOSS, {"3 bytes"}));
}

TEST_F(SafetensorsMalformedTest, HeaderLengthBeyondFileSize) {
  std::string bytes = SafetensorsBytes("{}", "");
  bytes[0] = 100;  // claims 100 header bytes, 2 follow
  EXPECT_TRUE(Rejects(bytes, GRAPHC_DATA_LOSS, {"header length is 100", "only 2 bytes"}));
  std::string huge(8, '\xFF');
  EXPECT_TRUE(Rejects(huge + "{}", GRAPHC_DATA_LOSS, {"header length is 18446744073709551615"}));
}

TEST_F(SafetensorsMalformedTest, HeaderLengthAboveLimit) {
  // A sparse file bigger than the 100 MB header limit; costs no disk space.
  const std::string path = dir_.file("sparse.safetensors");
  std::string length(8, '\0');
  uint64_t claimed = 100'000'001;
  for (int i = 0; i < 8; ++i) length[i] = static_cast<char>((claimed >> (8 * i)) & 0xFF);
  WriteFileBytes(path, length);
  ASSERT_EQ(::truncate(path.c_str(), 8 + 100'000'016), 0);
  EXPECT_TRUE(IsError(LoadStatus(path), GRAPHC_DATA_LOSS, {path, "at most 100000000"}));
}

TEST_F(SafetensorsMalformedTest, TruncatedData) {
  std::string good = ReadFileBytes(kReferencePath);
  // Cut inside the data section: some tensor now extends past the end.
  EXPECT_TRUE(Rejects(good.substr(0, good.size() - 2), GRAPHC_DATA_LOSS,
                      {"tensor 'mask'", "extend past the end", "113 bytes"}));
  // Cut inside the header.
  EXPECT_TRUE(Rejects(good.substr(0, 100), GRAPHC_DATA_LOSS, {"header length is 472"}));
}

TEST_F(SafetensorsMalformedTest, BadJson) {
  EXPECT_TRUE(Rejects(SafetensorsBytes("{\"a\":", ""), GRAPHC_DATA_LOSS, {"not valid JSON"}));
  EXPECT_TRUE(Rejects(SafetensorsBytes("", ""), GRAPHC_DATA_LOSS, {"not valid JSON"}));
  EXPECT_TRUE(Rejects(SafetensorsBytes("{\"a\":\"\xFF\"}", ""), GRAPHC_DATA_LOSS,
                      {"not valid JSON", "UTF-8"}));
  EXPECT_TRUE(Rejects(SafetensorsBytes("[1, 2]", ""), GRAPHC_DATA_LOSS,
                      {"header is JSON array", "expected an object"}));
  EXPECT_TRUE(Rejects(SafetensorsBytes("{} trailing", ""), GRAPHC_DATA_LOSS, {"not valid JSON"}));
  // Found by fuzzing: the JSON parser reports a double overflow with a
  // different exception type than syntax errors.
  EXPECT_TRUE(Rejects(SafetensorsBytes("{\"a\":{\"dtype\":8e888}}", ""), GRAPHC_DATA_LOSS,
                      {"not valid JSON", "8e888"}));
}

TEST_F(SafetensorsMalformedTest, UnsupportedAndUnknownDtypes) {
  EXPECT_TRUE(
      Rejects(SafetensorsBytes("{" + Entry("h", "F16", "[2]", "[0,4]") + "}", std::string(4, '\0')),
              GRAPHC_UNIMPLEMENTED, {"tensor 'h'", "F16", "F32, F64, I32, I64, BOOL"}));
  EXPECT_TRUE(Rejects(
      SafetensorsBytes("{" + Entry("b", "BF16", "[1]", "[0,2]") + "}", std::string(2, '\0')),
      GRAPHC_UNIMPLEMENTED, {"BF16"}));
  EXPECT_TRUE(
      Rejects(SafetensorsBytes("{" + Entry("x", "F17", "[1]", "[0,4]") + "}", std::string(4, '\0')),
              GRAPHC_DATA_LOSS, {"tensor 'x'", "unknown dtype 'F17'"}));
  EXPECT_TRUE(Rejects(SafetensorsBytes("{\"x\":{\"dtype\":3,\"shape\":[],\"data_offsets\":[0,4]}}",
                                       std::string(4, '\0')),
                      GRAPHC_DATA_LOSS, {"tensor 'x'", "'dtype'", "number"}));
}

TEST_F(SafetensorsMalformedTest, OffsetsDoNotMatchShape) {
  EXPECT_TRUE(Rejects(
      SafetensorsBytes("{" + Entry("w", "F32", "[2,3]", "[0,20]") + "}", std::string(20, '\0')),
      GRAPHC_DATA_LOSS, {"tensor 'w'", "span 20 bytes", "expected 24 bytes", "F32 shape [2, 3]"}));
}

TEST_F(SafetensorsMalformedTest, OffsetsOutOfRange) {
  EXPECT_TRUE(Rejects(
      SafetensorsBytes("{" + Entry("w", "I64", "[2]", "[8,24]") + "}", std::string(16, '\0')),
      GRAPHC_DATA_LOSS, {"tensor 'w'", "[8, 24]", "past the end", "16 bytes"}));
  EXPECT_TRUE(
      Rejects(SafetensorsBytes("{" + Entry("w", "I64", "[1]", "[8,0]") + "}", std::string(8, '\0')),
              GRAPHC_DATA_LOSS, {"tensor 'w'", "end before they begin"}));
  EXPECT_TRUE(Rejects(
      SafetensorsBytes("{" + Entry("w", "I64", "[1]", "[-8,0]") + "}", std::string(8, '\0')),
      GRAPHC_DATA_LOSS, {"tensor 'w'", "data_offsets", "[-8,0]"}));
  EXPECT_TRUE(Rejects(
      SafetensorsBytes("{" + Entry("w", "I64", "[1]", "[0,8,16]") + "}", std::string(8, '\0')),
      GRAPHC_DATA_LOSS, {"tensor 'w'", "[begin, end]"}));
  EXPECT_TRUE(Rejects(
      SafetensorsBytes("{" + Entry("w", "I64", "[1]", "[0,1e300]") + "}", std::string(8, '\0')),
      GRAPHC_DATA_LOSS, {"tensor 'w'", "data_offsets"}));
}

TEST_F(SafetensorsMalformedTest, OverlappingOffsets) {
  EXPECT_TRUE(Rejects(SafetensorsBytes("{" + Entry("a", "F32", "[2]", "[0,8]") + "," +
                                           Entry("b", "F32", "[2]", "[4,12]") + "}",
                                       std::string(12, '\0')),
                      GRAPHC_DATA_LOSS, {"tensor 'b'", "overlap tensor 'a'", "[4, 12]"}));
  // Two tensors claiming the same bytes.
  EXPECT_TRUE(Rejects(SafetensorsBytes("{" + Entry("a", "F32", "[1]", "[0,4]") + "," +
                                           Entry("b", "F32", "[1]", "[0,4]") + "}",
                                       std::string(4, '\0')),
                      GRAPHC_DATA_LOSS, {"overlap"}));
}

TEST_F(SafetensorsMalformedTest, GapsAndTrailingBytes) {
  EXPECT_TRUE(
      Rejects(SafetensorsBytes("{" + Entry("a", "F32", "[1]", "[4,8]") + "}", std::string(8, '\0')),
              GRAPHC_DATA_LOSS, {"tensor 'a'", "gap of 4 bytes"}));
  EXPECT_TRUE(
      Rejects(SafetensorsBytes("{" + Entry("a", "F32", "[1]", "[0,4]") + "}", std::string(9, '\0')),
              GRAPHC_DATA_LOSS, {"cover 4 bytes of the 9-byte data section"}));
}

TEST_F(SafetensorsMalformedTest, BadShapes) {
  EXPECT_TRUE(Rejects(SafetensorsBytes("{" + Entry("s", "F32", "[-1]", "[0,0]") + "}", ""),
                      GRAPHC_DATA_LOSS, {"tensor 's'", "shape[0] is -1"}));
  EXPECT_TRUE(Rejects(SafetensorsBytes("{" + Entry("s", "F32", "[1.5]", "[0,0]") + "}", ""),
                      GRAPHC_DATA_LOSS, {"shape[0] is 1.5"}));
  EXPECT_TRUE(Rejects(SafetensorsBytes("{" + Entry("s", "F32", "7", "[0,0]") + "}", ""),
                      GRAPHC_DATA_LOSS, {"'shape'"}));
  EXPECT_TRUE(Rejects(
      SafetensorsBytes("{" + Entry("s", "F32", "[4611686018427387904,4]", "[0,0]") + "}", ""),
      GRAPHC_DATA_LOSS, {"tensor 's'", "int64_t"}));
  EXPECT_TRUE(
      Rejects(SafetensorsBytes("{" + Entry("s", "F32", "[1,1,1,1,1,1,1,1,1]", "[0,4]") + "}",
                               std::string(4, '\0')),
              GRAPHC_UNIMPLEMENTED, {"tensor 's'", "rank 9"}));
}

TEST_F(SafetensorsMalformedTest, MissingFieldsAndWrongTypes) {
  EXPECT_TRUE(Rejects(SafetensorsBytes("{\"t\":[]}", ""), GRAPHC_DATA_LOSS,
                      {"tensor 't'", "expected an object"}));
  EXPECT_TRUE(Rejects(
      SafetensorsBytes("{\"t\":{\"shape\":[],\"data_offsets\":[0,4]}}", std::string(4, '\0')),
      GRAPHC_DATA_LOSS, {"tensor 't'", "'dtype'", "none"}));
  EXPECT_TRUE(Rejects(
      SafetensorsBytes("{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", std::string(4, '\0')),
      GRAPHC_DATA_LOSS, {"tensor 't'", "'shape'"}));
  EXPECT_TRUE(
      Rejects(SafetensorsBytes("{\"t\":{\"dtype\":\"F32\",\"shape\":[]}}", std::string(4, '\0')),
              GRAPHC_DATA_LOSS, {"tensor 't'", "'data_offsets'", "none"}));
}

TEST_F(SafetensorsMalformedTest, DuplicateNames) {
  EXPECT_TRUE(Rejects(SafetensorsBytes("{" + Entry("a", "F32", "[1]", "[0,4]") + "," +
                                           Entry("a", "F32", "[1]", "[0,4]") + "}",
                                       std::string(4, '\0')),
                      GRAPHC_DATA_LOSS, {"tensor 'a'", "more than once"}));
}

TEST_F(SafetensorsMalformedTest, BadMetadata) {
  EXPECT_TRUE(Rejects(SafetensorsBytes("{\"__metadata__\":{\"epoch\":3}}", ""), GRAPHC_DATA_LOSS,
                      {"__metadata__", "'epoch'", "expected a string"}));
  EXPECT_TRUE(Rejects(SafetensorsBytes("{\"__metadata__\":[]}", ""), GRAPHC_DATA_LOSS,
                      {"__metadata__", "expected an object"}));
}

TEST_F(SafetensorsMalformedTest, NulInNameIsRejectedNotTruncated) {
  EXPECT_TRUE(Rejects(
      SafetensorsBytes("{" + Entry("a\\u0000b", "F32", "[1]", "[0,4]") + "}", std::string(4, '\0')),
      GRAPHC_UNIMPLEMENTED, {"NUL"}));
}

// ---- Accepted variations --------------------------------------------------------

TEST(SafetensorsReadTest, AcceptsWhatTheReferenceAccepts) {
  TempDir dir;
  const std::string path = dir.file("ok.safetensors");
  // Leading/trailing whitespace, unknown extra fields, out-of-order data,
  // metadata-only header, BOOL byte 2 (read as true, stored as 1).
  std::string header =
      " {\"z\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[0,2],\"extra\":1},"
      "\"__metadata__\":{},"
      "\"a\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[2,6]}}   ";
  std::string data = std::string("\x02\x00", 2) + std::string("\x05\x00\x00\x00", 4);
  WriteFileBytes(path, SafetensorsBytes(header, data));
  FilePtr file = Load(path);
  ASSERT_NE(file, nullptr);
  EXPECT_STREQ(graphc_safetensors_name(file.get(), 0), "a");
  EXPECT_EQ(Values<int32_t>(Get(file.get(), "a")), (std::vector<int32_t>{5}));
  EXPECT_EQ(Values<uint8_t>(Get(file.get(), "z")), (std::vector<uint8_t>{1, 0}));
}

// Random corruption of a valid file must produce OK or a clean error: never
// a crash, hang or sanitizer report. A small deterministic stand-in for the
// fuzzer, run on every `make test`.
TEST(SafetensorsFuzzTest, MutatedFilesNeverCrash) {
  TempDir dir;
  const std::string path = dir.file("mutant.safetensors");
  const std::string good = ReadFileBytes(kReferencePath);
  ASSERT_FALSE(good.empty());
  std::mt19937_64 rng(12345);
  int errors = 0;
  for (int iteration = 0; iteration < 3000; ++iteration) {
    std::string bytes = good;
    MutateBytes(bytes, rng, 8);
    WriteFileBytes(path, bytes);
    graphc_safetensors_t* file = nullptr;
    StatusPtr status(graphc_safetensors_load(path.c_str(), &file));
    if (status) {
      ++errors;
      EXPECT_EQ(file, nullptr);
      EXPECT_NE(std::string(graphc_status_message(status.get())).find(path), std::string::npos)
          << graphc_status_message(status.get());
    } else {
      // Whatever loaded must be self-consistent.
      for (size_t i = 0; i < graphc_safetensors_count(file); ++i) {
        graphc_tensor_t* t = graphc_safetensors_tensor_at(file, i);
        EXPECT_EQ(graphc_tensor_nbytes(t), static_cast<size_t>(graphc_tensor_numel(t)) *
                                               graphc_dtype_size(graphc_tensor_dtype(t)));
      }
      graphc_safetensors_release(file);
    }
  }
  EXPECT_GT(errors, 1000);
}

}  // namespace
}  // namespace graphc::rt::testing
