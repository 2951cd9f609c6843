// Shared helpers for the runtime unit tests.
#ifndef GRAPHC_TEST_UNIT_RUNTIME_TEST_UTIL_H_
#define GRAPHC_TEST_UNIT_RUNTIME_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "graphc/runtime/status.h"
#include "graphc/runtime/tensor.h"

namespace graphc::rt::testing {

struct StatusDeleter {
  void operator()(graphc_status_s* status) const { graphc_status_free(status); }
};
using StatusPtr = std::unique_ptr<graphc_status_s, StatusDeleter>;

struct TensorDeleter {
  void operator()(graphc_tensor_t* tensor) const { graphc_tensor_release(tensor); }
};
using TensorPtr = std::unique_ptr<graphc_tensor_t, TensorDeleter>;

// Takes ownership of `status`. Succeeds when it is an error with `code`
// whose message contains every one of `fragments`.
inline ::testing::AssertionResult IsError(graphc_status_t raw, graphc_status_code_t code,
                                          const std::vector<std::string>& fragments = {}) {
  StatusPtr status(raw);
  if (!status) return ::testing::AssertionFailure() << "expected an error, got OK";
  std::string message = graphc_status_message(status.get());
  if (graphc_status_code(status.get()) != code) {
    return ::testing::AssertionFailure()
           << "expected " << graphc_status_code_name(code) << ", got "
           << graphc_status_code_name(graphc_status_code(status.get())) << ": " << message;
  }
  for (const std::string& fragment : fragments) {
    if (message.find(fragment) == std::string::npos) {
      return ::testing::AssertionFailure()
             << "message does not mention '" << fragment << "': " << message;
    }
  }
  return ::testing::AssertionSuccess() << message;
}

// Takes ownership of `status`.
inline ::testing::AssertionResult IsOk(graphc_status_t raw) {
  StatusPtr status(raw);
  if (!status) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << graphc_status_code_name(graphc_status_code(status.get()))
                                       << ": " << graphc_status_message(status.get());
}

#define GRAPHC_ASSERT_OK(expr) ASSERT_TRUE(::graphc::rt::testing::IsOk(expr))
#define GRAPHC_EXPECT_OK(expr) EXPECT_TRUE(::graphc::rt::testing::IsOk(expr))

// A fresh directory under gtest's temp dir, removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "graphc_runtime_test_XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed for " << pattern;
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

  // Names of the entries in the directory (to catch leftover temp files).
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path_)) {
      names.push_back(entry.path().filename().string());
    }
    return names;
  }

 private:
  std::string path_;
};

inline std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void WriteFileBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

// Little-endian 8-byte header length, the header, then the data section.
inline std::string SafetensorsBytes(const std::string& header, const std::string& data) {
  std::string bytes;
  uint64_t length = header.size();
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>((length >> (8 * i)) & 0xFF));
  return bytes + header + data;
}

inline TensorPtr MakeTensor(graphc_dtype_t dtype, std::vector<int64_t> shape,
                            const void* data = nullptr) {
  graphc_tensor_t* tensor = nullptr;
  StatusPtr status(
      graphc_tensor_create(dtype, static_cast<int32_t>(shape.size()), shape.data(), data, &tensor));
  EXPECT_EQ(status, nullptr) << graphc_status_message(status.get());
  return TensorPtr(tensor);
}

inline std::string Format(const graphc_tensor_t* tensor) {
  char* text = nullptr;
  StatusPtr status(graphc_tensor_format(tensor, &text));
  EXPECT_EQ(status, nullptr) << graphc_status_message(status.get());
  std::string result = text ? text : "";
  graphc_free(text);
  return result;
}

// Applies 1-4 random edits (byte, bit flip, truncation, insertion, deletion,
// or a byte of the first `headerBytes`, where the format's lengths live) to
// `bytes`: the corruption both file-format fuzz tests feed their loaders.
inline void MutateBytes(std::string& bytes, std::mt19937_64& rng, size_t headerBytes) {
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !bytes.empty(); ++e) {
    size_t pos = rng() % bytes.size();
    switch (rng() % 6) {
      case 0:  // random byte
        bytes[pos] = static_cast<char>(rng());
        break;
      case 1:  // bit flip
        bytes[pos] ^= static_cast<char>(1u << (rng() % 8));
        break;
      case 2:  // truncate
        bytes.resize(pos);
        break;
      case 3:  // insert
        bytes.insert(pos, 1, static_cast<char>(rng()));
        break;
      case 4:  // delete a few bytes
        bytes.erase(pos, 1 + rng() % 8);
        break;
      case 5:  // corrupt the header
        bytes[pos % std::min<size_t>(headerBytes, bytes.size())] = static_cast<char>(rng());
        break;
    }
  }
}

}  // namespace graphc::rt::testing

#endif  // GRAPHC_TEST_UNIT_RUNTIME_TEST_UTIL_H_
