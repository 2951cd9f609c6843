#include "graphc/runtime/data.h"

#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "graphc/runtime/runtime.hpp"
#include "graphc/runtime/tensor.h"
#include "test_util.h"

namespace graphc::rt::testing {
namespace {

struct DatasetDeleter {
  void operator()(graphc_dataset_t* dataset) const { graphc_dataset_release(dataset); }
};
using DatasetPtr = std::unique_ptr<graphc_dataset_t, DatasetDeleter>;

struct LoaderDeleter {
  void operator()(graphc_loader_t* loader) const { graphc_loader_release(loader); }
};
using LoaderPtr = std::unique_ptr<graphc_loader_t, LoaderDeleter>;

// ---- Building IDX files ---------------------------------------------------

void AppendBigEndian32(std::string* bytes, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    bytes->push_back(static_cast<char>((value >> shift) & 0xFF));
  }
}

std::string IdxBytes(uint32_t magic, const std::vector<uint32_t>& dims,
                     const std::vector<uint8_t>& payload) {
  std::string bytes;
  AppendBigEndian32(&bytes, magic);
  for (uint32_t dim : dims) AppendBigEndian32(&bytes, dim);
  bytes.append(payload.begin(), payload.end());
  return bytes;
}

// Writes `bytes` gzip-compressed through zlib's own gz* writer, as gzip(1)
// would.
void WriteGzipFile(const std::string& path, const std::string& bytes) {
  gzFile file = gzopen(path.c_str(), "wb9");
  ASSERT_NE(file, nullptr) << "gzopen " << path;
  if (!bytes.empty()) {
    ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())),
              static_cast<int>(bytes.size()));
  }
  ASSERT_EQ(gzclose(file), Z_OK);
}

std::string GzipBytes(const TempDir& dir, const std::string& bytes) {
  const std::string path = dir.file("scratch.gz");
  WriteGzipFile(path, bytes);
  return ReadFileBytes(path);
}

// `count` images of `height`x`width` whose pixels run through 0..255, and
// labels count-1, ..., 0 (mod 256).
std::vector<uint8_t> TestPixels(uint32_t count, uint32_t height, uint32_t width) {
  std::vector<uint8_t> pixels(size_t{count} * height * width);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 37 % 256);
  if (!pixels.empty()) {
    pixels.front() = 0;
    pixels.back() = 255;
  }
  return pixels;
}

std::vector<uint8_t> TestLabels(uint32_t count) {
  std::vector<uint8_t> labels(count);
  for (uint32_t i = 0; i < count; ++i) labels[i] = static_cast<uint8_t>((count - 1 - i) % 256);
  return labels;
}

std::string ImagesFile(uint32_t count, uint32_t height, uint32_t width) {
  return IdxBytes(0x00000803, {count, height, width}, TestPixels(count, height, width));
}

std::string LabelsFile(uint32_t count) { return IdxBytes(0x00000801, {count}, TestLabels(count)); }

// Writes the two files of one MNIST split into `dir`.
void WriteMnistSplit(const TempDir& dir, const std::string& split, uint32_t images, uint32_t labels,
                     bool gzip) {
  const std::string suffix = gzip ? ".gz" : "";
  const std::string images_path = dir.file(split + "-images-idx3-ubyte" + suffix);
  const std::string labels_path = dir.file(split + "-labels-idx1-ubyte" + suffix);
  if (gzip) {
    WriteGzipFile(images_path, ImagesFile(images, 4, 3));
    WriteGzipFile(labels_path, LabelsFile(labels));
  } else {
    WriteFileBytes(images_path, ImagesFile(images, 4, 3));
    WriteFileBytes(labels_path, LabelsFile(labels));
  }
}

TensorPtr LoadIdx(const std::string& path) {
  graphc_tensor_t* tensor = nullptr;
  StatusPtr status(graphc_idx_load(path.c_str(), &tensor));
  EXPECT_EQ(status, nullptr) << graphc_status_message(status.get());
  return TensorPtr(tensor);
}

graphc_status_t LoadIdxStatus(const std::string& path) {
  graphc_tensor_t* tensor = nullptr;
  graphc_status_t status = graphc_idx_load(path.c_str(), &tensor);
  EXPECT_EQ(status == nullptr, tensor != nullptr);
  graphc_tensor_release(tensor);
  return status;
}

graphc_status_t LoadMnistStatus(const std::string& dir, bool train) {
  graphc_dataset_t* dataset = nullptr;
  graphc_status_t status = graphc_dataset_load_mnist(dir.c_str(), train, &dataset);
  EXPECT_EQ(status == nullptr, dataset != nullptr);
  graphc_dataset_release(dataset);
  return status;
}

std::vector<int64_t> Shape(const graphc_tensor_t* tensor) {
  const int64_t* shape = graphc_tensor_shape(tensor);
  return std::vector<int64_t>(shape, shape + graphc_tensor_rank(tensor));
}

template <class T>
std::vector<T> Values(const graphc_tensor_t* tensor) {
  const T* data = static_cast<const T*>(graphc_tensor_data(tensor));
  return std::vector<T>(data, data + graphc_tensor_numel(tensor));
}

// ---- IDX reader ----------------------------------------------------------

TEST(IdxTest, LoadsImagesAsFloatScaledToUnitInterval) {
  TempDir dir;
  const std::string path = dir.file("images-idx3-ubyte");
  WriteFileBytes(path, ImagesFile(3, 4, 5));
  TensorPtr images = LoadIdx(path);
  ASSERT_NE(images, nullptr);
  EXPECT_EQ(graphc_tensor_dtype(images.get()), GRAPHC_DTYPE_F32);
  EXPECT_EQ(Shape(images.get()), (std::vector<int64_t>{3, 1, 4, 5}));
  const std::vector<uint8_t> pixels = TestPixels(3, 4, 5);
  const std::vector<float> values = Values<float>(images.get());
  ASSERT_EQ(values.size(), pixels.size());
  for (size_t i = 0; i < pixels.size(); ++i) {
    // Bit for bit what torchvision's ToTensor computes: float32 x / 255.
    EXPECT_EQ(values[i], static_cast<float>(pixels[i]) / 255.0f) << "pixel " << i;
  }
  EXPECT_EQ(values.front(), 0.0f);
  EXPECT_EQ(values.back(), 1.0f);
}

TEST(IdxTest, LoadsLabelsAsInt64) {
  TempDir dir;
  const std::string path = dir.file("labels-idx1-ubyte");
  WriteFileBytes(path, IdxBytes(0x00000801, {4}, {9, 0, 255, 3}));
  TensorPtr labels = LoadIdx(path);
  ASSERT_NE(labels, nullptr);
  EXPECT_EQ(graphc_tensor_dtype(labels.get()), GRAPHC_DTYPE_I64);
  EXPECT_EQ(Shape(labels.get()), (std::vector<int64_t>{4}));
  EXPECT_EQ(Values<int64_t>(labels.get()), (std::vector<int64_t>{9, 0, 255, 3}));
}

TEST(IdxTest, GzipAndRawGiveTheSameTensors) {
  TempDir dir;
  const std::string raw_images = dir.file("images"), gz_images = dir.file("images.gz");
  const std::string raw_labels = dir.file("labels"), gz_labels = dir.file("labels.gz");
  WriteFileBytes(raw_images, ImagesFile(7, 28, 28));
  WriteGzipFile(gz_images, ImagesFile(7, 28, 28));
  WriteFileBytes(raw_labels, LabelsFile(7));
  WriteGzipFile(gz_labels, LabelsFile(7));
  // The gzip file really is compressed (detection is by content).
  ASSERT_EQ(ReadFileBytes(gz_images).substr(0, 2), std::string("\x1f\x8b"));

  TensorPtr a = LoadIdx(raw_images), b = LoadIdx(gz_images);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(Shape(b.get()), (std::vector<int64_t>{7, 1, 28, 28}));
  EXPECT_EQ(Values<float>(a.get()), Values<float>(b.get()));
  TensorPtr c = LoadIdx(raw_labels), d = LoadIdx(gz_labels);
  ASSERT_NE(c, nullptr);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(Values<int64_t>(c.get()), Values<int64_t>(d.get()));

  // A gzip file needs no .gz name, and a .gz name no gzip content.
  const std::string misnamed = dir.file("plain.gz");
  WriteFileBytes(misnamed, LabelsFile(7));
  TensorPtr e = LoadIdx(misnamed);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(Values<int64_t>(e.get()), Values<int64_t>(c.get()));
}

TEST(IdxTest, EmptyDatasetsLoad) {
  TempDir dir;
  const std::string path = dir.file("empty.gz");
  WriteGzipFile(path, IdxBytes(0x00000803, {0, 28, 28}, {}));
  TensorPtr images = LoadIdx(path);
  ASSERT_NE(images, nullptr);
  EXPECT_EQ(Shape(images.get()), (std::vector<int64_t>{0, 1, 28, 28}));
}

TEST(IdxTest, MissingFileIsNotFound) {
  TempDir dir;
  const std::string path = dir.file("absent-idx1-ubyte.gz");
  EXPECT_TRUE(IsError(LoadIdxStatus(path), GRAPHC_NOT_FOUND,
                      {"IDX file '" + path + "'", "No such file or directory"}));
  EXPECT_TRUE(IsError(LoadIdxStatus(dir.path()), GRAPHC_IO_ERROR, {"not a regular file"}));
}

TEST(IdxTest, NullArgumentsAreInvalid) {
  graphc_tensor_t* tensor = nullptr;
  EXPECT_TRUE(IsError(graphc_idx_load(nullptr, &tensor), GRAPHC_INVALID_ARGUMENT, {"path"}));
  EXPECT_TRUE(IsError(graphc_idx_load("", &tensor), GRAPHC_INVALID_ARGUMENT, {"path"}));
  EXPECT_TRUE(IsError(graphc_idx_load("x", nullptr), GRAPHC_INVALID_ARGUMENT, {"out_tensor"}));
}

TEST(IdxTest, BadMagicIsDataLossAndQuotesTheMagic) {
  TempDir dir;
  const std::string path = dir.file("bad");
  WriteFileBytes(path, IdxBytes(0x12345678, {1}, {0}));
  EXPECT_TRUE(IsError(LoadIdxStatus(path), GRAPHC_DATA_LOSS,
                      {"IDX file '" + path + "'", "bad magic number 0x12345678",
                       "expected 0x00000801", "0x00000803"}));
  // Also behind gzip, and for a safetensors-like file.
  const std::string gz = dir.file("bad.gz");
  WriteGzipFile(gz, "PK\x03\x04 not an IDX file");
  EXPECT_TRUE(IsError(LoadIdxStatus(gz), GRAPHC_DATA_LOSS, {gz, "bad magic number 0x504B0304"}));
}

TEST(IdxTest, OtherIdxTypesAreUnimplemented) {
  TempDir dir;
  const std::string path = dir.file("floats");
  WriteFileBytes(path, IdxBytes(0x00000D02, {1, 1}, {0, 0, 0, 0}));
  EXPECT_TRUE(IsError(LoadIdxStatus(path), GRAPHC_UNIMPLEMENTED,
                      {path, "0x00000D02", "float32 data with 2 dimensions"}));
  WriteFileBytes(path, IdxBytes(0x00000802, {1, 1}, {0}));
  EXPECT_TRUE(
      IsError(LoadIdxStatus(path), GRAPHC_UNIMPLEMENTED, {"unsigned byte data with 2 dimensions"}));
}

TEST(IdxTest, TruncatedHeaderIsDataLoss) {
  TempDir dir;
  const std::string path = dir.file("short");
  WriteFileBytes(path, "");
  EXPECT_TRUE(IsError(LoadIdxStatus(path), GRAPHC_DATA_LOSS,
                      {path, "expected 4 bytes of magic number, found 0"}));
  WriteFileBytes(path, ImagesFile(2, 2, 2).substr(0, 10));
  EXPECT_TRUE(IsError(LoadIdxStatus(path), GRAPHC_DATA_LOSS,
                      {path, "expected 12 bytes of dimensions, found 6"}));
}

TEST(IdxTest, TruncatedPayloadSaysExpectedAndFound) {
  TempDir dir;
  const std::string path = dir.file("images");
  WriteFileBytes(path, ImagesFile(10, 2, 3).substr(0, 16 + 50));
  EXPECT_TRUE(IsError(
      LoadIdxStatus(path), GRAPHC_DATA_LOSS,
      {path, "file is truncated", "expected 60 bytes of pixel data (10 images of 2x3), found 50"}));
  WriteFileBytes(path, LabelsFile(10).substr(0, 8 + 3));
  EXPECT_TRUE(IsError(LoadIdxStatus(path), GRAPHC_DATA_LOSS,
                      {"expected 10 bytes of label data (10 labels), found 3"}));
  // A complete gzip stream of an incomplete IDX file.
  const std::string gz = dir.file("images.gz");
  WriteGzipFile(gz, ImagesFile(10, 2, 3).substr(0, 16 + 50));
  EXPECT_TRUE(IsError(LoadIdxStatus(gz), GRAPHC_DATA_LOSS,
                      {gz, "decompressed data is truncated", "expected 60 bytes", "found 50"}));
}

TEST(IdxTest, TruncatedGzipIsDataLoss) {
  TempDir dir;
  const std::string gz = GzipBytes(dir, ImagesFile(50, 28, 28));
  const std::string path = dir.file("cut.gz");
  // Cut in the middle of the deflate data.
  WriteFileBytes(path, gz.substr(0, gz.size() / 2));
  EXPECT_TRUE(
      IsError(LoadIdxStatus(path), GRAPHC_DATA_LOSS,
              {path, "gzip stream is truncated", "expected 39200 bytes of pixel data", "found"}));
  // Only the CRC-32 and length trailer missing: the data is all there, but
  // unverified.
  WriteFileBytes(path, gz.substr(0, gz.size() - 8));
  EXPECT_TRUE(IsError(LoadIdxStatus(path), GRAPHC_DATA_LOSS,
                      {path, "gzip stream is truncated", "trailer"}));
  // Just the gzip magic.
  WriteFileBytes(path, gz.substr(0, 2));
  EXPECT_TRUE(IsError(LoadIdxStatus(path), GRAPHC_DATA_LOSS, {path}));
}

TEST(IdxTest, CorruptGzipIsDataLoss) {
  TempDir dir;
  std::string gz = GzipBytes(dir, ImagesFile(5, 28, 28));
  const std::string path = dir.file("corrupt.gz");
  std::string bad_crc = gz;
  bad_crc[bad_crc.size() - 8] ^= 0x01;
  WriteFileBytes(path, bad_crc);
  EXPECT_TRUE(IsError(LoadIdxStatus(path), GRAPHC_DATA_LOSS, {path, "corrupt gzip data", "check"}));
  std::string bad_length = gz;
  bad_length[bad_length.size() - 1] ^= 0x40;
  WriteFileBytes(path, bad_length);
  EXPECT_TRUE(IsError(LoadIdxStatus(path), GRAPHC_DATA_LOSS, {path, "corrupt gzip data"}));
}

TEST(IdxTest, TrailingBytesAreDataLoss) {
  TempDir dir;
  const std::string path = dir.file("labels");
  WriteFileBytes(path, LabelsFile(3) + "x");
  EXPECT_TRUE(IsError(LoadIdxStatus(path), GRAPHC_DATA_LOSS,
                      {path, "unexpected bytes after the 3 bytes of label data"}));
  const std::string gz = dir.file("labels.gz");
  WriteGzipFile(gz, LabelsFile(3) + "xyz");
  EXPECT_TRUE(IsError(LoadIdxStatus(gz), GRAPHC_DATA_LOSS, {gz, "unexpected bytes"}));
}

TEST(IdxTest, HugeDeclaredSizesDoNotAllocate) {
  TempDir dir;
  const std::string path = dir.file("huge");
  // 2^32-1 cubed overflows 64 bits.
  WriteFileBytes(path, IdxBytes(0x00000803, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, {1, 2, 3}));
  EXPECT_TRUE(IsError(LoadIdxStatus(path), GRAPHC_DATA_LOSS, {path, "int64_t"}));
  // 10^14 bytes declared, three present: reported as truncation, without
  // trying to reserve the declared size first.
  WriteFileBytes(path, IdxBytes(0x00000803, {100000, 1000000, 1000}, {1, 2, 3}));
  EXPECT_TRUE(IsError(LoadIdxStatus(path), GRAPHC_DATA_LOSS,
                      {"expected 100000000000000 bytes", "found 3"}));
  const std::string gz = dir.file("huge.gz");
  WriteGzipFile(gz, IdxBytes(0x00000803, {100000, 1000000, 1000}, {1, 2, 3}));
  EXPECT_TRUE(
      IsError(LoadIdxStatus(gz), GRAPHC_DATA_LOSS, {"expected 100000000000000 bytes", "found 3"}));
}

TEST(IdxFuzzTest, MutatedFilesNeverCrash) {
  TempDir dir;
  const std::string path = dir.file("mutant");
  const std::string raw_images = ImagesFile(4, 5, 3);
  const std::string raw_labels = LabelsFile(6);
  const std::vector<std::string> seeds = {raw_images, raw_labels, GzipBytes(dir, raw_images),
                                          GzipBytes(dir, raw_labels)};
  std::mt19937_64 rng(20240601);
  int errors = 0;
  for (int iteration = 0; iteration < 4000; ++iteration) {
    std::string bytes = seeds[static_cast<size_t>(iteration) % seeds.size()];
    MutateBytes(bytes, rng, 16);
    WriteFileBytes(path, bytes);
    graphc_tensor_t* tensor = nullptr;
    StatusPtr status(graphc_idx_load(path.c_str(), &tensor));
    if (status) {
      ++errors;
      EXPECT_EQ(tensor, nullptr);
      EXPECT_NE(std::string(graphc_status_message(status.get())).find(path), std::string::npos)
          << graphc_status_message(status.get());
      graphc_status_code_t code = graphc_status_code(status.get());
      EXPECT_TRUE(code == GRAPHC_DATA_LOSS || code == GRAPHC_UNIMPLEMENTED)
          << graphc_status_message(status.get());
    } else {
      // Whatever loaded must be self-consistent and in range.
      TensorPtr owned(tensor);
      if (graphc_tensor_dtype(tensor) == GRAPHC_DTYPE_F32) {
        ASSERT_EQ(graphc_tensor_rank(tensor), 4);
        EXPECT_EQ(graphc_tensor_shape(tensor)[1], 1);
        for (float v : Values<float>(tensor)) ASSERT_TRUE(v >= 0.0f && v <= 1.0f);
      } else {
        ASSERT_EQ(graphc_tensor_dtype(tensor), GRAPHC_DTYPE_I64);
        ASSERT_EQ(graphc_tensor_rank(tensor), 1);
        for (int64_t v : Values<int64_t>(tensor)) ASSERT_TRUE(v >= 0 && v <= 255);
      }
    }
  }
  EXPECT_GT(errors, 2000);
}

// ---- MNIST datasets --------------------------------------------------------

TEST(MnistDatasetTest, LoadsGzipSplits) {
  TempDir dir;
  WriteMnistSplit(dir, "train", 5, 5, /*gzip=*/true);
  WriteMnistSplit(dir, "t10k", 3, 3, /*gzip=*/true);
  for (bool train : {true, false}) {
    graphc_dataset_t* raw = nullptr;
    GRAPHC_ASSERT_OK(graphc_dataset_load_mnist(dir.path().c_str(), train, &raw));
    DatasetPtr dataset(raw);
    const int64_t count = train ? 5 : 3;
    EXPECT_EQ(graphc_dataset_count(dataset.get()), count);
    ASSERT_EQ(graphc_dataset_image_rank(dataset.get()), 3);
    const int64_t* image_shape = graphc_dataset_image_shape(dataset.get());
    EXPECT_EQ(std::vector<int64_t>(image_shape, image_shape + 3), (std::vector<int64_t>{1, 4, 3}));
    graphc_tensor_t* images = graphc_dataset_images(dataset.get());
    graphc_tensor_t* labels = graphc_dataset_labels(dataset.get());
    EXPECT_EQ(Shape(images), (std::vector<int64_t>{count, 1, 4, 3}));
    EXPECT_EQ(Shape(labels), (std::vector<int64_t>{count}));
    std::vector<int64_t> expected_labels;
    for (uint8_t label : TestLabels(static_cast<uint32_t>(count))) {
      expected_labels.push_back(label);
    }
    EXPECT_EQ(Values<int64_t>(labels), expected_labels);
  }
}

TEST(MnistDatasetTest, AcceptsUncompressedNames) {
  TempDir dir;
  WriteMnistSplit(dir, "train", 4, 4, /*gzip=*/false);
  graphc_dataset_t* raw = nullptr;
  GRAPHC_ASSERT_OK(graphc_dataset_load_mnist(dir.path().c_str(), true, &raw));
  DatasetPtr dataset(raw);
  EXPECT_EQ(graphc_dataset_count(dataset.get()), 4);
  // And a trailing slash in the directory.
  GRAPHC_ASSERT_OK(graphc_dataset_load_mnist((dir.path() + "/").c_str(), true, &raw));
  graphc_dataset_release(raw);
}

TEST(MnistDatasetTest, MissingDirectoryNamesPathAndDebianPackage) {
  TempDir dir;
  const std::string missing = dir.file("no-such-dir");
  EXPECT_TRUE(IsError(
      LoadMnistStatus(missing, true), GRAPHC_NOT_FOUND,
      {"'" + missing + "'", "dataset-fashion-mnist", "apt-get install dataset-fashion-mnist"}));
  const std::string file = dir.file("a-file");
  WriteFileBytes(file, "x");
  EXPECT_TRUE(IsError(LoadMnistStatus(file, true), GRAPHC_NOT_FOUND,
                      {file, "not a directory", "dataset-fashion-mnist"}));
}

TEST(MnistDatasetTest, MissingFileNamesPathAndDebianPackage) {
  TempDir dir;
  WriteMnistSplit(dir, "train", 4, 4, /*gzip=*/true);
  EXPECT_TRUE(IsError(LoadMnistStatus(dir.path(), false), GRAPHC_NOT_FOUND,
                      {dir.file("t10k-images-idx3-ubyte.gz"), dir.file("t10k-images-idx3-ubyte"),
                       "dataset-fashion-mnist"}));
  std::remove(dir.file("train-labels-idx1-ubyte.gz").c_str());
  EXPECT_TRUE(IsError(LoadMnistStatus(dir.path(), true), GRAPHC_NOT_FOUND,
                      {dir.file("train-labels-idx1-ubyte.gz"), "dataset-fashion-mnist"}));
}

TEST(MnistDatasetTest, LabelCountMustMatchImageCount) {
  TempDir dir;
  WriteMnistSplit(dir, "train", 5, 4, /*gzip=*/true);
  EXPECT_TRUE(IsError(LoadMnistStatus(dir.path(), true), GRAPHC_DATA_LOSS,
                      {dir.file("train-labels-idx1-ubyte.gz") + "' has 4 labels",
                       dir.file("train-images-idx3-ubyte.gz") + "' has 5 images"}));
}

TEST(MnistDatasetTest, SwappedFilesAreDataLoss) {
  TempDir dir;
  WriteGzipFile(dir.file("train-images-idx3-ubyte.gz"), LabelsFile(3));
  WriteGzipFile(dir.file("train-labels-idx1-ubyte.gz"), LabelsFile(3));
  EXPECT_TRUE(IsError(LoadMnistStatus(dir.path(), true), GRAPHC_DATA_LOSS,
                      {dir.file("train-images-idx3-ubyte.gz"), "holds labels"}));
}

TEST(MnistDatasetTest, CorruptFileErrorsNameTheFile) {
  TempDir dir;
  WriteMnistSplit(dir, "train", 5, 5, /*gzip=*/true);
  const std::string images = dir.file("train-images-idx3-ubyte.gz");
  const std::string bytes = ReadFileBytes(images);
  WriteFileBytes(images, bytes.substr(0, bytes.size() - 4));
  EXPECT_TRUE(IsError(LoadMnistStatus(dir.path(), true), GRAPHC_DATA_LOSS,
                      {"IDX file '" + images + "'", "truncated"}));
}

TEST(MnistDatasetTest, EmptyDirArgumentIsInvalid) {
  graphc_dataset_t* dataset = nullptr;
  EXPECT_TRUE(IsError(graphc_dataset_load_mnist("", true, &dataset), GRAPHC_INVALID_ARGUMENT,
                      {GRAPHC_FASHION_MNIST_DIR}));
  EXPECT_TRUE(IsError(graphc_dataset_load_mnist(nullptr, true, nullptr), GRAPHC_INVALID_ARGUMENT,
                      {"out_dataset"}));
}

bool HasFashionMnist() {
  struct stat st;
  for (const char* name : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                           "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) {
    std::string path = std::string(GRAPHC_FASHION_MNIST_DIR) + "/" + name;
    if (::stat(path.c_str(), &st) != 0) return false;
  }
  return true;
}

TEST(FashionMnistTest, LoadsTheDebianPackage) {
  if (!HasFashionMnist()) {
    GTEST_SKIP() << GRAPHC_FASHION_MNIST_DIR
                 << " does not hold the four Fashion-MNIST files; install the Debian package "
                    "dataset-fashion-mnist (apt-get install dataset-fashion-mnist) to run this "
                    "test";
  }
  struct Split {
    bool train;
    int64_t count;
    std::vector<int64_t> first_labels;
    int64_t first_image_pixel_sum;  // of the bytes, from Python's gzip + numpy
    int64_t total_pixel_sum;
  };
  const Split splits[] = {
      {true, 60000, {9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, 76247, 3431114169},
      {false, 10000, {9, 2, 1, 1, 6, 1, 4, 6, 5, 7}, 33456, 573469082},
  };
  for (const Split& split : splits) {
    graphc_dataset_t* raw = nullptr;
    GRAPHC_ASSERT_OK(graphc_dataset_load_mnist(nullptr, split.train, &raw));  // default dir
    DatasetPtr dataset(raw);
    ASSERT_EQ(graphc_dataset_count(dataset.get()), split.count);
    const int64_t* image_shape = graphc_dataset_image_shape(dataset.get());
    EXPECT_EQ(std::vector<int64_t>(image_shape, image_shape + 3),
              (std::vector<int64_t>{1, 28, 28}));
    const std::vector<int64_t> labels = Values<int64_t>(graphc_dataset_labels(dataset.get()));
    EXPECT_EQ(std::vector<int64_t>(labels.begin(), labels.begin() + 10), split.first_labels);
    // Fashion-MNIST is balanced: 10 classes, equally many of each.
    std::vector<int64_t> per_class(10, 0);
    for (int64_t label : labels) {
      ASSERT_TRUE(label >= 0 && label <= 9) << label;
      ++per_class[static_cast<size_t>(label)];
    }
    EXPECT_EQ(per_class, std::vector<int64_t>(10, split.count / 10));

    graphc_tensor_t* images = graphc_dataset_images(dataset.get());
    const float* pixels = static_cast<const float*>(graphc_tensor_data(images));
    int64_t first_sum = 0, total_sum = 0;
    for (int64_t i = 0; i < graphc_tensor_numel(images); ++i) {
      ASSERT_TRUE(pixels[i] >= 0.0f && pixels[i] <= 1.0f);
      const int64_t byte = std::lround(pixels[i] * 255.0f);
      if (i < 784) first_sum += byte;
      total_sum += byte;
    }
    EXPECT_EQ(first_sum, split.first_image_pixel_sum);
    EXPECT_EQ(total_sum, split.total_pixel_sum);
  }
}

TEST(FashionMnistTest, SeedLoaderShapes) {
  if (!HasFashionMnist()) {
    GTEST_SKIP() << GRAPHC_FASHION_MNIST_DIR
                 << " does not hold Fashion-MNIST; apt-get install dataset-fashion-mnist";
  }
  // The seeds: DataLoader(trainset, batch_size=64, shuffle=True) with
  // Normalize((0.5,), (0.5,)).
  Dataset train = Dataset::loadMnist();
  LoaderOptions options;
  options.shuffle = true;
  options.seed = 1;
  DataLoader loader(train, options);
  EXPECT_EQ(loader.numBatches(), 938);  // 937 full batches and one of 32
  Tensor images, labels;
  int64_t batches = 0, seen = 0;
  float min = 1, max = -1;
  while (loader.next(images, labels)) {
    ++batches;
    seen += labels.numel();
    for (float v : images.toVector<float>()) {
      min = std::min(min, v);
      max = std::max(max, v);
    }
  }
  EXPECT_EQ(batches, 938);
  EXPECT_EQ(seen, 60000);
  EXPECT_EQ(images.get(), nullptr);
  EXPECT_EQ(min, -1.0f);
  EXPECT_EQ(max, 1.0f);
}

// ---- Datasets from tensors -------------------------------------------------

// `count` images of shape [1, 2, 2] whose pixels are all `index / 255`, and
// labels equal to the index, so a batch reveals which samples it holds.
DatasetPtr IndexDataset(int64_t count) {
  std::vector<float> pixels;
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < count; ++i) {
    for (int k = 0; k < 4; ++k) pixels.push_back(static_cast<float>(i % 256) / 255.0f);
    labels.push_back(i);
  }
  TensorPtr images = MakeTensor(GRAPHC_DTYPE_F32, {count, 1, 2, 2}, pixels.data());
  TensorPtr label_tensor = MakeTensor(GRAPHC_DTYPE_I64, {count}, labels.data());
  graphc_dataset_t* dataset = nullptr;
  StatusPtr status(graphc_dataset_create(images.get(), label_tensor.get(), &dataset));
  EXPECT_EQ(status, nullptr) << graphc_status_message(status.get());
  return DatasetPtr(dataset);
}

LoaderPtr MakeLoader(graphc_dataset_t* dataset, int64_t batch_size, bool shuffle, bool drop_last,
                     uint64_t seed = 0, float mean = 0.0f, float std_dev = 1.0f) {
  graphc_loader_t* loader = nullptr;
  StatusPtr status(
      graphc_loader_create(dataset, batch_size, shuffle, drop_last, seed, mean, std_dev, &loader));
  EXPECT_EQ(status, nullptr) << graphc_status_message(status.get());
  return LoaderPtr(loader);
}

// The labels of every remaining batch of the epoch, one vector per batch.
std::vector<std::vector<int64_t>> DrainLabels(graphc_loader_t* loader) {
  std::vector<std::vector<int64_t>> batches;
  for (;;) {
    graphc_tensor_t* images = nullptr;
    graphc_tensor_t* labels = nullptr;
    graphc_status_t status = graphc_loader_next(loader, &images, &labels);
    if (status) {
      EXPECT_TRUE(IsError(status, GRAPHC_OUT_OF_RANGE, {"is over"}));
      EXPECT_EQ(images, nullptr);
      EXPECT_EQ(labels, nullptr);
      return batches;
    }
    batches.push_back(Values<int64_t>(labels));
    graphc_tensor_release(images);
    graphc_tensor_release(labels);
  }
}

std::vector<int64_t> EpochOrder(graphc_loader_t* loader, uint64_t epoch) {
  EXPECT_TRUE(IsOk(graphc_loader_set_epoch(loader, epoch)));
  std::vector<int64_t> order;
  for (const auto& batch : DrainLabels(loader))
    order.insert(order.end(), batch.begin(), batch.end());
  return order;
}

TEST(DatasetTest, CreateSharesTensorsAndValidates) {
  DatasetPtr dataset = IndexDataset(6);
  ASSERT_NE(dataset, nullptr);
  EXPECT_EQ(graphc_dataset_count(dataset.get()), 6);
  EXPECT_EQ(graphc_dataset_image_rank(dataset.get()), 3);

  TensorPtr images = MakeTensor(GRAPHC_DTYPE_F32, {3, 2});
  TensorPtr labels = MakeTensor(GRAPHC_DTYPE_I64, {3});
  TensorPtr few_labels = MakeTensor(GRAPHC_DTYPE_I64, {2});
  TensorPtr int_images = MakeTensor(GRAPHC_DTYPE_I32, {3, 2});
  TensorPtr scalar = MakeTensor(GRAPHC_DTYPE_F32, {});
  TensorPtr float_labels = MakeTensor(GRAPHC_DTYPE_F32, {3});
  graphc_dataset_t* raw = nullptr;
  EXPECT_TRUE(IsError(graphc_dataset_create(images.get(), few_labels.get(), &raw),
                      GRAPHC_INVALID_ARGUMENT, {"2 labels for 3 images"}));
  EXPECT_TRUE(IsError(graphc_dataset_create(int_images.get(), labels.get(), &raw),
                      GRAPHC_INVALID_ARGUMENT, {"images is int32 of shape [3, 2]"}));
  EXPECT_TRUE(IsError(graphc_dataset_create(scalar.get(), labels.get(), &raw),
                      GRAPHC_INVALID_ARGUMENT, {"rank >= 1"}));
  EXPECT_TRUE(IsError(graphc_dataset_create(images.get(), float_labels.get(), &raw),
                      GRAPHC_INVALID_ARGUMENT, {"labels is float32"}));
  EXPECT_TRUE(IsError(graphc_dataset_create(nullptr, labels.get(), &raw), GRAPHC_INVALID_ARGUMENT,
                      {"NULL"}));
  EXPECT_EQ(raw, nullptr);

  // No copy: the dataset holds the caller's tensors.
  GRAPHC_ASSERT_OK(graphc_dataset_create(images.get(), labels.get(), &raw));
  DatasetPtr shared(raw);
  EXPECT_EQ(graphc_dataset_images(shared.get()), images.get());
  EXPECT_EQ(graphc_dataset_labels(shared.get()), labels.get());
  const int64_t* image_shape = graphc_dataset_image_shape(shared.get());
  EXPECT_EQ(graphc_dataset_image_rank(shared.get()), 1);
  EXPECT_EQ(image_shape[0], 2);

  EXPECT_EQ(graphc_dataset_count(nullptr), 0);
  EXPECT_EQ(graphc_dataset_image_shape(nullptr), nullptr);
  EXPECT_EQ(graphc_dataset_images(nullptr), nullptr);
  graphc_dataset_retain(nullptr);
  graphc_dataset_release(nullptr);
}

// ---- Loader -----------------------------------------------------------------

TEST(LoaderTest, ReturnsTheLastPartialBatchUnlessDropLast) {
  DatasetPtr dataset = IndexDataset(10);
  LoaderPtr loader = MakeLoader(dataset.get(), 4, /*shuffle=*/false, /*drop_last=*/false);
  EXPECT_EQ(graphc_loader_num_batches(loader.get()), 3);
  EXPECT_EQ(DrainLabels(loader.get()),
            (std::vector<std::vector<int64_t>>{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9}}));

  LoaderPtr dropping = MakeLoader(dataset.get(), 4, /*shuffle=*/false, /*drop_last=*/true);
  EXPECT_EQ(graphc_loader_num_batches(dropping.get()), 2);
  EXPECT_EQ(DrainLabels(dropping.get()),
            (std::vector<std::vector<int64_t>>{{0, 1, 2, 3}, {4, 5, 6, 7}}));

  // An exact multiple has no partial batch either way.
  LoaderPtr exact = MakeLoader(dataset.get(), 5, false, false);
  EXPECT_EQ(graphc_loader_num_batches(exact.get()), 2);
  // A batch larger than the dataset: one short batch, or none.
  LoaderPtr big = MakeLoader(dataset.get(), 64, false, false);
  EXPECT_EQ(DrainLabels(big.get()).size(), 1u);
  LoaderPtr big_dropping = MakeLoader(dataset.get(), 64, false, true);
  EXPECT_EQ(graphc_loader_num_batches(big_dropping.get()), 0);
  EXPECT_TRUE(DrainLabels(big_dropping.get()).empty());
}

// Data-parallel training: each process takes its part of every batch, the
// parts together being the batch (DistributedSampler with the global batch
// cut in contiguous parts); the number of batches is the same for all.
TEST(LoaderTest, ShardsCutEveryBatchIntoContiguousParts) {
  DatasetPtr dataset = IndexDataset(10);
  std::vector<std::vector<int64_t>> whole;
  {
    LoaderPtr loader = MakeLoader(dataset.get(), 4, /*shuffle=*/true, /*drop_last=*/false);
    whole = DrainLabels(loader.get());
  }
  // Three parts of 4 rows are 1, 1 and 2 rows; of the last batch's 2 rows,
  // 0, 1 and 1.
  std::vector<std::vector<std::vector<int64_t>>> parts;
  for (int64_t part = 0; part < 3; ++part) {
    LoaderPtr loader = MakeLoader(dataset.get(), 4, true, false);
    GRAPHC_ASSERT_OK(graphc_loader_set_shard(loader.get(), part, part + 1, 3));
    EXPECT_EQ(graphc_loader_num_batches(loader.get()), 3);
    parts.push_back(DrainLabels(loader.get()));
  }
  for (size_t b = 0; b < whole.size(); ++b) {
    std::vector<int64_t> joined;
    for (const auto& batches : parts) joined.insert(joined.end(), batches[b].begin(), batches[b].end());
    EXPECT_EQ(joined, whole[b]) << "batch " << b;
  }
  EXPECT_EQ(parts[0][2].size(), 0u);
  EXPECT_EQ(parts[2][0].size(), 2u);
  // Two of the three parts at once are their rows together.
  LoaderPtr two = MakeLoader(dataset.get(), 4, true, false);
  GRAPHC_ASSERT_OK(graphc_loader_set_shard(two.get(), 1, 3, 3));
  EXPECT_EQ(DrainLabels(two.get())[0],
            (std::vector<int64_t>{whole[0][1], whole[0][2], whole[0][3]}));
  EXPECT_TRUE(IsError(graphc_loader_set_shard(two.get(), 2, 2, 3), GRAPHC_INVALID_ARGUMENT,
                      {"expected 0 <= begin < end <= parts"}));
}

TEST(LoaderTest, BatchShapesAndDtypes) {
  DatasetPtr dataset = IndexDataset(10);
  LoaderPtr loader = MakeLoader(dataset.get(), 4, false, false);
  const std::vector<int64_t> sizes = {4, 4, 2};
  for (int64_t size : sizes) {
    graphc_tensor_t* images = nullptr;
    graphc_tensor_t* labels = nullptr;
    GRAPHC_ASSERT_OK(graphc_loader_next(loader.get(), &images, &labels));
    TensorPtr owned_images(images), owned_labels(labels);
    EXPECT_EQ(graphc_tensor_dtype(images), GRAPHC_DTYPE_F32);
    EXPECT_EQ(Shape(images), (std::vector<int64_t>{size, 1, 2, 2}));
    EXPECT_EQ(graphc_tensor_dtype(labels), GRAPHC_DTYPE_I64);
    EXPECT_EQ(Shape(labels), (std::vector<int64_t>{size}));
    // Fresh tensors, not views of the dataset.
    EXPECT_NE(graphc_tensor_data(images), graphc_tensor_data(graphc_dataset_images(dataset.get())));
  }
}

TEST(LoaderTest, EndOfEpochIsOutOfRangeUntilReset) {
  DatasetPtr dataset = IndexDataset(3);
  LoaderPtr loader = MakeLoader(dataset.get(), 2, false, false);
  EXPECT_EQ(DrainLabels(loader.get()).size(), 2u);
  EXPECT_EQ(graphc_loader_batch_index(loader.get()), 2);
  graphc_tensor_t* images = reinterpret_cast<graphc_tensor_t*>(0x1);
  graphc_tensor_t* labels = reinterpret_cast<graphc_tensor_t*>(0x1);
  EXPECT_TRUE(IsError(graphc_loader_next(loader.get(), &images, &labels), GRAPHC_OUT_OF_RANGE,
                      {"graphc_loader_next: epoch 0 is over after 2 batches"}));
  EXPECT_EQ(images, nullptr);
  EXPECT_EQ(labels, nullptr);
  GRAPHC_ASSERT_OK(graphc_loader_reset(loader.get()));
  EXPECT_EQ(graphc_loader_batch_index(loader.get()), 0);
  EXPECT_EQ(DrainLabels(loader.get()), (std::vector<std::vector<int64_t>>{{0, 1}, {2}}));
}

TEST(LoaderTest, EmptyDatasetHasNoBatches) {
  DatasetPtr dataset = IndexDataset(0);
  LoaderPtr loader = MakeLoader(dataset.get(), 4, true, false);
  EXPECT_EQ(graphc_loader_num_batches(loader.get()), 0);
  EXPECT_TRUE(DrainLabels(loader.get()).empty());
}

TEST(LoaderTest, NormalizesLikeTorchvision) {
  // Pixels 0, 128 and 255 as ToTensor makes them (x / 255 in float32).
  const std::vector<float> pixels = {0.0f, 128.0f / 255.0f, 1.0f, 77.0f / 255.0f};
  TensorPtr images = MakeTensor(GRAPHC_DTYPE_F32, {1, 1, 2, 2}, pixels.data());
  const int64_t label = 3;
  TensorPtr labels = MakeTensor(GRAPHC_DTYPE_I64, {1}, &label);
  graphc_dataset_t* raw = nullptr;
  GRAPHC_ASSERT_OK(graphc_dataset_create(images.get(), labels.get(), &raw));
  DatasetPtr dataset(raw);

  auto first_batch = [&](float mean, float std_dev) {
    LoaderPtr loader = MakeLoader(dataset.get(), 1, false, false, 0, mean, std_dev);
    graphc_tensor_t* x = nullptr;
    graphc_tensor_t* y = nullptr;
    EXPECT_TRUE(IsOk(graphc_loader_next(loader.get(), &x, &y)));
    TensorPtr owned_x(x), owned_y(y);
    EXPECT_EQ(Values<int64_t>(y), std::vector<int64_t>{3});
    return Values<float>(x);
  };
  // The seeds' Normalize((0.5,), (0.5,)): [0, 1] -> [-1, 1].
  const std::vector<float> seeds = first_batch(0.5f, 0.5f);
  EXPECT_EQ(seeds[0], -1.0f);
  EXPECT_EQ(seeds[2], 1.0f);
  for (size_t i = 0; i < pixels.size(); ++i) {
    // torch: x.sub_(0.5).div_(0.5) in float32.
    const float expected = (pixels[i] - 0.5f) / 0.5f;
    EXPECT_EQ(seeds[i], expected) << i;
  }
  // MNIST's usual statistics, and the identity.
  const std::vector<float> mnist = first_batch(0.1307f, 0.3081f);
  for (size_t i = 0; i < pixels.size(); ++i) {
    EXPECT_EQ(mnist[i], (pixels[i] - 0.1307f) / 0.3081f) << i;
  }
  EXPECT_EQ(first_batch(0.0f, 1.0f), pixels);
}

TEST(LoaderTest, ShuffleIsDeterministicPerSeedAndEpoch) {
  DatasetPtr dataset = IndexDataset(1000);
  LoaderPtr a = MakeLoader(dataset.get(), 64, /*shuffle=*/true, false, /*seed=*/7);
  LoaderPtr b = MakeLoader(dataset.get(), 64, /*shuffle=*/true, false, /*seed=*/7);
  LoaderPtr other_seed = MakeLoader(dataset.get(), 64, /*shuffle=*/true, false, /*seed=*/8);

  const std::vector<int64_t> epoch0 = EpochOrder(a.get(), 0);
  const std::vector<int64_t> epoch1 = EpochOrder(a.get(), 1);
  std::vector<int64_t> identity(1000);
  std::iota(identity.begin(), identity.end(), 0);
  for (const auto& order : {epoch0, epoch1}) {
    // Every index exactly once.
    std::vector<int64_t> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, identity);
    EXPECT_NE(order, identity);
  }
  EXPECT_NE(epoch0, epoch1);
  // The same (seed, epoch) in another loader, in another order of calls.
  EXPECT_EQ(EpochOrder(b.get(), 1), epoch1);
  EXPECT_EQ(EpochOrder(b.get(), 0), epoch0);
  // Going back to an epoch reproduces it: the order depends on nothing else.
  EXPECT_EQ(EpochOrder(a.get(), 0), epoch0);
  EXPECT_NE(EpochOrder(other_seed.get(), 0), epoch0);
  // A fresh loader starts in epoch 0.
  LoaderPtr fresh = MakeLoader(dataset.get(), 64, true, false, 7);
  EXPECT_EQ(graphc_loader_epoch(fresh.get()), 0u);
  std::vector<int64_t> fresh_order;
  for (const auto& batch : DrainLabels(fresh.get())) {
    fresh_order.insert(fresh_order.end(), batch.begin(), batch.end());
  }
  EXPECT_EQ(fresh_order, epoch0);
  // Batch size does not change the order, only how it is cut.
  LoaderPtr small = MakeLoader(dataset.get(), 3, true, false, 7);
  EXPECT_EQ(EpochOrder(small.get(), 1), epoch1);
}

TEST(LoaderTest, ShuffleOrderIsPinned) {
  // The documented algorithm (seed_seq{seed lo, seed hi, epoch lo, epoch hi},
  // mt19937_64, Fisher-Yates with rejection sampling). These values must
  // never change: they are what makes a run reproducible across graphc
  // versions and standard libraries. gen_shuffle_reference.py computes them
  // with an independent Python model of seed_seq and mt19937_64.
  DatasetPtr dataset = IndexDataset(10);
  LoaderPtr loader = MakeLoader(dataset.get(), 4, true, false, 42);
  EXPECT_EQ(EpochOrder(loader.get(), 0), (std::vector<int64_t>{0, 6, 5, 1, 3, 9, 7, 8, 4, 2}));
  EXPECT_EQ(EpochOrder(loader.get(), 1), (std::vector<int64_t>{3, 8, 9, 4, 7, 2, 1, 0, 5, 6}));
  LoaderPtr big_seed = MakeLoader(dataset.get(), 4, true, false, 0x123456789ABCDEF0ull);
  EXPECT_EQ(EpochOrder(big_seed.get(), 0x100000002ull),
            (std::vector<int64_t>{0, 4, 2, 6, 7, 3, 5, 8, 9, 1}));
}

TEST(LoaderTest, WithoutShuffleEveryEpochIsInOrder) {
  DatasetPtr dataset = IndexDataset(5);
  LoaderPtr loader = MakeLoader(dataset.get(), 2, false, false, 42);
  EXPECT_EQ(EpochOrder(loader.get(), 3), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(graphc_loader_epoch(loader.get()), 3u);
}

TEST(LoaderTest, SeekResumesMidEpoch) {
  DatasetPtr dataset = IndexDataset(10);
  LoaderPtr loader = MakeLoader(dataset.get(), 3, true, false, 5);
  GRAPHC_ASSERT_OK(graphc_loader_set_epoch(loader.get(), 2));
  const auto batches = DrainLabels(loader.get());
  ASSERT_EQ(batches.size(), 4u);

  // Another process resuming at batch 2 of epoch 2 sees the same batches.
  LoaderPtr resumed = MakeLoader(dataset.get(), 3, true, false, 5);
  GRAPHC_ASSERT_OK(graphc_loader_set_epoch(resumed.get(), 2));
  GRAPHC_ASSERT_OK(graphc_loader_seek(resumed.get(), 2));
  EXPECT_EQ(graphc_loader_batch_index(resumed.get()), 2);
  EXPECT_EQ(DrainLabels(resumed.get()),
            (std::vector<std::vector<int64_t>>{batches[2], batches[3]}));

  GRAPHC_ASSERT_OK(graphc_loader_seek(resumed.get(), 4));  // == num_batches: epoch over
  EXPECT_TRUE(DrainLabels(resumed.get()).empty());
  EXPECT_TRUE(IsError(graphc_loader_seek(resumed.get(), 5), GRAPHC_OUT_OF_RANGE,
                      {"batch_index is 5; expected 0..4"}));
  EXPECT_TRUE(IsError(graphc_loader_seek(resumed.get(), -1), GRAPHC_OUT_OF_RANGE));
}

TEST(LoaderTest, InvalidArguments) {
  DatasetPtr dataset = IndexDataset(4);
  graphc_loader_t* loader = nullptr;
  EXPECT_TRUE(IsError(graphc_loader_create(dataset.get(), 0, false, false, 0, 0, 1, &loader),
                      GRAPHC_INVALID_ARGUMENT, {"batch_size is 0; expected >= 1"}));
  EXPECT_TRUE(IsError(graphc_loader_create(dataset.get(), 2, false, false, 0, 0.5f, 0.0f, &loader),
                      GRAPHC_INVALID_ARGUMENT, {"non-zero std"}));
  EXPECT_TRUE(
      IsError(graphc_loader_create(dataset.get(), 2, false, false, 0, std::nanf(""), 1.0f, &loader),
              GRAPHC_INVALID_ARGUMENT, {"finite"}));
  EXPECT_TRUE(IsError(graphc_loader_create(nullptr, 2, false, false, 0, 0, 1, &loader),
                      GRAPHC_INVALID_ARGUMENT, {"dataset is NULL"}));
  EXPECT_TRUE(IsError(graphc_loader_create(dataset.get(), 2, false, false, 0, 0, 1, nullptr),
                      GRAPHC_INVALID_ARGUMENT, {"out_loader"}));
  EXPECT_EQ(loader, nullptr);
  graphc_tensor_t* x = nullptr;
  graphc_tensor_t* y = nullptr;
  EXPECT_TRUE(IsError(graphc_loader_next(nullptr, &x, &y), GRAPHC_INVALID_ARGUMENT));
  EXPECT_TRUE(IsError(graphc_loader_set_epoch(nullptr, 1), GRAPHC_INVALID_ARGUMENT));
  EXPECT_TRUE(IsError(graphc_loader_reset(nullptr), GRAPHC_INVALID_ARGUMENT));
  EXPECT_EQ(graphc_loader_num_batches(nullptr), 0);
  graphc_loader_retain(nullptr);
  graphc_loader_release(nullptr);
}

TEST(LoaderTest, LoaderKeepsTheDatasetAlive) {
  DatasetPtr dataset = IndexDataset(4);
  LoaderPtr loader = MakeLoader(dataset.get(), 4, false, false);
  dataset.reset();
  EXPECT_EQ(DrainLabels(loader.get()), (std::vector<std::vector<int64_t>>{{0, 1, 2, 3}}));
}

// ---- C++ layer ---------------------------------------------------------------

TEST(DataHppTest, LoadIdxDatasetAndLoader) {
  TempDir dir;
  WriteMnistSplit(dir, "train", 10, 10, /*gzip=*/true);
  Tensor images = loadIdx(dir.file("train-images-idx3-ubyte.gz"));
  EXPECT_EQ(images.shape(), (std::vector<int64_t>{10, 1, 4, 3}));

  Dataset train = Dataset::loadMnist(dir.path(), true);
  EXPECT_EQ(train.size(), 10);
  EXPECT_EQ(train.imageShape(), (std::vector<int64_t>{1, 4, 3}));
  EXPECT_EQ(train.images().toVector<float>(), images.toVector<float>());
  EXPECT_EQ(train.labels().numel(), 10);

  LoaderOptions options;
  options.batchSize = 4;
  options.shuffle = true;
  options.seed = 3;
  DataLoader loader(train, options);
  EXPECT_EQ(loader.numBatches(), 3);
  Tensor x, y;
  std::vector<int64_t> sizes;
  while (loader.next(x, y)) {
    sizes.push_back(y.numel());
    EXPECT_EQ(x.shape()[0], y.numel());
  }
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4, 2}));
  EXPECT_FALSE(x);
  EXPECT_FALSE(loader.next(x, y));
  loader.setEpoch(1);
  EXPECT_EQ(loader.epoch(), 1u);
  EXPECT_TRUE(loader.next(x, y));
  EXPECT_EQ(loader.batchIndex(), 1);
  // Default options are the seeds' Normalize((0.5,), (0.5,)).
  DataLoader seeds(train);
  ASSERT_TRUE(seeds.next(x, y));
  EXPECT_EQ(x.toVector<float>()[0], -1.0f);  // pixel 0
}

TEST(DataHppTest, ErrorsThrow) {
  TempDir dir;
  try {
    Dataset::loadMnist(dir.file("nowhere"));
    FAIL() << "expected Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), GRAPHC_NOT_FOUND);
    EXPECT_NE(std::string(e.what()).find("dataset-fashion-mnist"), std::string::npos) << e.what();
  }
  EXPECT_THROW(loadIdx(dir.file("nothing")), Error);
  LoaderOptions options;
  options.batchSize = 0;
  Dataset dataset =
      Dataset::fromTensors(Tensor::zeros({2, 3}), Tensor::zeros({2}, GRAPHC_DTYPE_I64));
  EXPECT_THROW({ DataLoader loader(dataset, options); }, Error);
  DataLoader empty;
  Tensor x, y;
  EXPECT_THROW(empty.next(x, y), Error);  // a null loader is an error, not an empty epoch
}

}  // namespace
}  // namespace graphc::rt::testing
