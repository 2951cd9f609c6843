#include "graphc/runtime/tensor.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <thread>
#include <vector>

#include "test_util.h"

namespace graphc::rt::testing {
namespace {

TEST(DtypeTest, SizesAndNames) {
  EXPECT_EQ(graphc_dtype_size(GRAPHC_DTYPE_F32), 4u);
  EXPECT_EQ(graphc_dtype_size(GRAPHC_DTYPE_F64), 8u);
  EXPECT_EQ(graphc_dtype_size(GRAPHC_DTYPE_I32), 4u);
  EXPECT_EQ(graphc_dtype_size(GRAPHC_DTYPE_I64), 8u);
  EXPECT_EQ(graphc_dtype_size(GRAPHC_DTYPE_BOOL), 1u);
  // 7 is the largest value the enum can hold in C++ (range 0..7).
  EXPECT_EQ(graphc_dtype_size(static_cast<graphc_dtype_t>(7)), 0u);
  EXPECT_STREQ(graphc_dtype_name(GRAPHC_DTYPE_F32), "float32");
  EXPECT_STREQ(graphc_dtype_name(GRAPHC_DTYPE_F64), "float64");
  EXPECT_STREQ(graphc_dtype_name(GRAPHC_DTYPE_I32), "int32");
  EXPECT_STREQ(graphc_dtype_name(GRAPHC_DTYPE_I64), "int64");
  EXPECT_STREQ(graphc_dtype_name(GRAPHC_DTYPE_BOOL), "bool");
  EXPECT_STREQ(graphc_dtype_name(static_cast<graphc_dtype_t>(7)), "unknown");
}

TEST(TensorTest, CreateZeroFilledWithAccessors) {
  const int64_t shape[] = {2, 3, 4};
  graphc_tensor_t* raw = nullptr;
  GRAPHC_ASSERT_OK(graphc_tensor_create(GRAPHC_DTYPE_F64, 3, shape, nullptr, &raw));
  TensorPtr tensor(raw);
  EXPECT_EQ(graphc_tensor_rank(raw), 3);
  EXPECT_EQ(graphc_tensor_dtype(raw), GRAPHC_DTYPE_F64);
  EXPECT_EQ(graphc_tensor_numel(raw), 24);
  EXPECT_EQ(graphc_tensor_nbytes(raw), 24u * 8u);
  ASSERT_NE(graphc_tensor_shape(raw), nullptr);
  EXPECT_EQ(graphc_tensor_shape(raw)[0], 2);
  EXPECT_EQ(graphc_tensor_shape(raw)[1], 3);
  EXPECT_EQ(graphc_tensor_shape(raw)[2], 4);
  auto* data = static_cast<double*>(graphc_tensor_data(raw));
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(data) % GRAPHC_TENSOR_ALIGNMENT, 0u);
  for (int i = 0; i < 24; ++i) EXPECT_EQ(data[i], 0.0);
}

TEST(TensorTest, CreateCopiesData) {
  std::vector<int32_t> values = {1, -2, 3, -4, 5, -6};
  const int64_t shape[] = {3, 2};
  graphc_tensor_t* raw = nullptr;
  GRAPHC_ASSERT_OK(graphc_tensor_create(GRAPHC_DTYPE_I32, 2, shape, values.data(), &raw));
  TensorPtr tensor(raw);
  values[0] = 100;  // the tensor must hold its own copy
  auto* data = static_cast<int32_t*>(graphc_tensor_data(raw));
  EXPECT_EQ(data[0], 1);
  EXPECT_EQ(data[5], -6);
}

TEST(TensorTest, ScalarAcceptsNullShape) {
  graphc_tensor_t* raw = nullptr;
  GRAPHC_ASSERT_OK(graphc_tensor_create(GRAPHC_DTYPE_F32, 0, nullptr, nullptr, &raw));
  TensorPtr tensor(raw);
  EXPECT_EQ(graphc_tensor_rank(raw), 0);
  EXPECT_EQ(graphc_tensor_numel(raw), 1);
  EXPECT_EQ(graphc_tensor_nbytes(raw), 4u);
}

TEST(TensorTest, EmptyTensorHasNonNullBuffer) {
  const int64_t shape[] = {0, 5};
  graphc_tensor_t* raw = nullptr;
  GRAPHC_ASSERT_OK(graphc_tensor_create(GRAPHC_DTYPE_I64, 2, shape, nullptr, &raw));
  TensorPtr tensor(raw);
  EXPECT_EQ(graphc_tensor_numel(raw), 0);
  EXPECT_EQ(graphc_tensor_nbytes(raw), 0u);
  EXPECT_NE(graphc_tensor_data(raw), nullptr);
}

TEST(TensorTest, MaxRankIsAccepted) {
  const int64_t shape[GRAPHC_TENSOR_MAX_RANK] = {1, 2, 1, 2, 1, 2, 1, 2};
  TensorPtr tensor =
      MakeTensor(GRAPHC_DTYPE_BOOL, std::vector<int64_t>(shape, shape + GRAPHC_TENSOR_MAX_RANK));
  EXPECT_EQ(graphc_tensor_numel(tensor.get()), 16);
}

TEST(TensorTest, CreateRejectsNegativeDimension) {
  const int64_t shape[] = {2, -3};
  graphc_tensor_t* raw = reinterpret_cast<graphc_tensor_t*>(0x1);
  EXPECT_TRUE(IsError(graphc_tensor_create(GRAPHC_DTYPE_F32, 2, shape, nullptr, &raw),
                      GRAPHC_INVALID_ARGUMENT,
                      {"graphc_tensor_create", "shape[1] is -3", "expected a non-negative"}));
  EXPECT_EQ(raw, nullptr);  // cleared on failure
}

TEST(TensorTest, CreateRejectsRankAboveMax) {
  const int64_t shape[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  graphc_tensor_t* raw = nullptr;
  EXPECT_TRUE(IsError(graphc_tensor_create(GRAPHC_DTYPE_F32, 9, shape, nullptr, &raw),
                      GRAPHC_INVALID_ARGUMENT, {"rank is 9", "expected 0..8"}));
  EXPECT_TRUE(IsError(graphc_tensor_create(GRAPHC_DTYPE_F32, -1, shape, nullptr, &raw),
                      GRAPHC_INVALID_ARGUMENT, {"rank is -1"}));
}

TEST(TensorTest, CreateRejectsNullOutAndShape) {
  const int64_t shape[] = {2};
  EXPECT_TRUE(IsError(graphc_tensor_create(GRAPHC_DTYPE_F32, 1, shape, nullptr, nullptr),
                      GRAPHC_INVALID_ARGUMENT, {"out_tensor is NULL"}));
  graphc_tensor_t* raw = nullptr;
  EXPECT_TRUE(IsError(graphc_tensor_create(GRAPHC_DTYPE_F32, 1, nullptr, nullptr, &raw),
                      GRAPHC_INVALID_ARGUMENT, {"shape is NULL", "expected 1 dimensions"}));
}

TEST(TensorTest, CreateRejectsInvalidDtype) {
  const int64_t shape[] = {2};
  graphc_tensor_t* raw = nullptr;
  EXPECT_TRUE(IsError(graphc_tensor_create(static_cast<graphc_dtype_t>(7), 1, shape, nullptr, &raw),
                      GRAPHC_INVALID_ARGUMENT, {"dtype 7"}));
}

TEST(TensorTest, CreateRejectsOverflowingShape) {
  const int64_t shape[] = {int64_t{1} << 40, int64_t{1} << 40};
  graphc_tensor_t* raw = nullptr;
  EXPECT_TRUE(IsError(graphc_tensor_create(GRAPHC_DTYPE_F32, 2, shape, nullptr, &raw),
                      GRAPHC_OUT_OF_RANGE, {"[1099511627776, 1099511627776]"}));
  const int64_t bytes_overflow[] = {int64_t{1} << 62};
  EXPECT_TRUE(IsError(graphc_tensor_create(GRAPHC_DTYPE_F64, 1, bytes_overflow, nullptr, &raw),
                      GRAPHC_OUT_OF_RANGE, {"bytes"}));
}

TEST(TensorTest, ZeroDimensionDoesNotHideNegativeOne) {
  // Checked separately from the product, so a 0 cannot mask the error.
  const int64_t shape[] = {0, -1};
  graphc_tensor_t* raw = nullptr;
  EXPECT_TRUE(IsError(graphc_tensor_create(GRAPHC_DTYPE_F32, 2, shape, nullptr, &raw),
                      GRAPHC_INVALID_ARGUMENT, {"shape[1] is -1"}));
}

struct ReleaseCounter {
  int calls = 0;
  static void Release(void* user) { ++static_cast<ReleaseCounter*>(user)->calls; }
};

TEST(TensorTest, WrapSharesMemoryAndCallsReleaseOnce) {
  std::vector<float> storage = {1, 2, 3, 4};
  ReleaseCounter counter;
  const int64_t shape[] = {2, 2};
  graphc_tensor_t* raw = nullptr;
  GRAPHC_ASSERT_OK(graphc_tensor_wrap(GRAPHC_DTYPE_F32, 2, shape, storage.data(),
                                      &ReleaseCounter::Release, &counter, &raw));
  EXPECT_EQ(graphc_tensor_data(raw), storage.data());
  // Writes through either side are visible to the other, like from_numpy.
  static_cast<float*>(graphc_tensor_data(raw))[0] = 10;
  EXPECT_EQ(storage[0], 10);
  storage[3] = 40;
  EXPECT_EQ(static_cast<float*>(graphc_tensor_data(raw))[3], 40);

  graphc_tensor_retain(raw);
  graphc_tensor_release(raw);
  EXPECT_EQ(counter.calls, 0);
  graphc_tensor_release(raw);
  EXPECT_EQ(counter.calls, 1);
}

TEST(TensorTest, WrapWithoutReleaseCallback) {
  int64_t value = 7;
  graphc_tensor_t* raw = nullptr;
  GRAPHC_ASSERT_OK(
      graphc_tensor_wrap(GRAPHC_DTYPE_I64, 0, nullptr, &value, nullptr, nullptr, &raw));
  EXPECT_EQ(*static_cast<int64_t*>(graphc_tensor_data(raw)), 7);
  graphc_tensor_release(raw);
}

TEST(TensorTest, WrapRejectsMisalignedDataWithoutCallingRelease) {
  alignas(8) unsigned char storage[16] = {};
  ReleaseCounter counter;
  const int64_t shape[] = {2};
  graphc_tensor_t* raw = nullptr;
  EXPECT_TRUE(IsError(graphc_tensor_wrap(GRAPHC_DTYPE_F32, 1, shape, storage + 1,
                                         &ReleaseCounter::Release, &counter, &raw),
                      GRAPHC_INVALID_ARGUMENT, {"not aligned", "4-byte"}));
  EXPECT_EQ(raw, nullptr);
  EXPECT_EQ(counter.calls, 0);
}

TEST(TensorTest, WrapRejectsNullDataUnlessEmpty) {
  const int64_t shape[] = {3};
  graphc_tensor_t* raw = nullptr;
  EXPECT_TRUE(
      IsError(graphc_tensor_wrap(GRAPHC_DTYPE_F32, 1, shape, nullptr, nullptr, nullptr, &raw),
              GRAPHC_INVALID_ARGUMENT, {"data is NULL", "12 bytes"}));
  const int64_t empty[] = {0};
  GRAPHC_ASSERT_OK(graphc_tensor_wrap(GRAPHC_DTYPE_F32, 1, empty, nullptr, nullptr, nullptr, &raw));
  GRAPHC_EXPECT_OK(graphc_tensor_fill(raw, 1.0));  // nothing to write, must not crash
  graphc_tensor_release(raw);
}

TEST(TensorTest, WrapValidatesShape) {
  float value = 0;
  const int64_t shape[] = {-1};
  graphc_tensor_t* raw = nullptr;
  EXPECT_TRUE(
      IsError(graphc_tensor_wrap(GRAPHC_DTYPE_F32, 1, shape, &value, nullptr, nullptr, &raw),
              GRAPHC_INVALID_ARGUMENT, {"graphc_tensor_wrap", "shape[0] is -1"}));
  EXPECT_TRUE(
      IsError(graphc_tensor_wrap(GRAPHC_DTYPE_F32, 0, nullptr, &value, nullptr, nullptr, nullptr),
              GRAPHC_INVALID_ARGUMENT, {"out_tensor is NULL"}));
}

TEST(TensorTest, NullHandlesAreSafe) {
  graphc_tensor_retain(nullptr);
  graphc_tensor_release(nullptr);
  EXPECT_EQ(graphc_tensor_rank(nullptr), 0);
  EXPECT_EQ(graphc_tensor_shape(nullptr), nullptr);
  EXPECT_EQ(graphc_tensor_data(nullptr), nullptr);
  EXPECT_EQ(graphc_tensor_numel(nullptr), 0);
  EXPECT_EQ(graphc_tensor_nbytes(nullptr), 0u);
  EXPECT_TRUE(IsError(graphc_tensor_fill(nullptr, 1.0), GRAPHC_INVALID_ARGUMENT));
}

TEST(TensorTest, RefcountIsThreadSafe) {
  TensorPtr tensor = MakeTensor(GRAPHC_DTYPE_F32, {4});
  graphc_tensor_t* raw = tensor.get();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([raw] {
      for (int i = 0; i < 10000; ++i) {
        graphc_tensor_retain(raw);
        graphc_tensor_release(raw);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(graphc_tensor_numel(raw), 4);
}

TEST(TensorFillTest, FloatTypes) {
  TensorPtr f32 = MakeTensor(GRAPHC_DTYPE_F32, {3});
  GRAPHC_ASSERT_OK(graphc_tensor_fill(f32.get(), 2.5));
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(static_cast<float*>(graphc_tensor_data(f32.get()))[i], 2.5f);
  GRAPHC_ASSERT_OK(graphc_tensor_fill(f32.get(), std::numeric_limits<double>::infinity()));
  EXPECT_TRUE(std::isinf(static_cast<float*>(graphc_tensor_data(f32.get()))[0]));
  EXPECT_TRUE(IsError(graphc_tensor_fill(f32.get(), 1e300), GRAPHC_OUT_OF_RANGE, {"float32"}));

  TensorPtr f64 = MakeTensor(GRAPHC_DTYPE_F64, {2});
  GRAPHC_ASSERT_OK(graphc_tensor_fill(f64.get(), 1e300));
  EXPECT_EQ(static_cast<double*>(graphc_tensor_data(f64.get()))[1], 1e300);
}

TEST(TensorFillTest, IntegerTypesTruncateAndCheckRange) {
  TensorPtr i32 = MakeTensor(GRAPHC_DTYPE_I32, {2});
  GRAPHC_ASSERT_OK(graphc_tensor_fill(i32.get(), -2.7));
  EXPECT_EQ(static_cast<int32_t*>(graphc_tensor_data(i32.get()))[0], -2);
  GRAPHC_ASSERT_OK(graphc_tensor_fill(i32.get(), 2147483647.0));
  EXPECT_EQ(static_cast<int32_t*>(graphc_tensor_data(i32.get()))[1], 2147483647);
  EXPECT_TRUE(IsError(graphc_tensor_fill(i32.get(), 2147483648.0), GRAPHC_OUT_OF_RANGE, {"int32"}));
  EXPECT_TRUE(IsError(graphc_tensor_fill(i32.get(), std::nan("")), GRAPHC_OUT_OF_RANGE));

  TensorPtr i64 = MakeTensor(GRAPHC_DTYPE_I64, {2});
  GRAPHC_ASSERT_OK(graphc_tensor_fill(i64.get(), -9223372036854775808.0));
  EXPECT_EQ(static_cast<int64_t*>(graphc_tensor_data(i64.get()))[0],
            std::numeric_limits<int64_t>::min());
  EXPECT_TRUE(IsError(graphc_tensor_fill(i64.get(), 9223372036854775808.0), GRAPHC_OUT_OF_RANGE));
  EXPECT_TRUE(IsError(graphc_tensor_fill(i64.get(), -std::numeric_limits<double>::infinity()),
                      GRAPHC_OUT_OF_RANGE, {"int64"}));
}

TEST(TensorFillTest, BoolIsNonZero) {
  TensorPtr b = MakeTensor(GRAPHC_DTYPE_BOOL, {3});
  auto* bytes = static_cast<unsigned char*>(graphc_tensor_data(b.get()));
  GRAPHC_ASSERT_OK(graphc_tensor_fill(b.get(), 0.5));
  EXPECT_EQ(bytes[2], 1);
  GRAPHC_ASSERT_OK(graphc_tensor_fill(b.get(), -0.0));
  EXPECT_EQ(bytes[2], 0);
  GRAPHC_ASSERT_OK(graphc_tensor_fill(b.get(), std::nan("")));
  EXPECT_EQ(bytes[0], 1);
}

}  // namespace
}  // namespace graphc::rt::testing
