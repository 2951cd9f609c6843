#include <sstream>
#include <string>
#include <vector>

#include "graphc/runtime/runtime.hpp"
#include "test_util.h"

namespace graphc::rt {
namespace {

TEST(RuntimeHppTest, FactoriesAndAccessors) {
  Tensor z = Tensor::zeros({2, 3});
  EXPECT_EQ(z.dtype(), GRAPHC_DTYPE_F32);
  EXPECT_EQ(z.shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(z.rank(), 2);
  EXPECT_EQ(z.numel(), 6);
  EXPECT_EQ(z.nbytes(), 24u);
  EXPECT_EQ(z.toVector<float>(), std::vector<float>(6, 0.0f));

  Tensor ones = Tensor::ones({2}, GRAPHC_DTYPE_I64);
  EXPECT_EQ(ones.toVector<int64_t>(), (std::vector<int64_t>{1, 1}));

  Tensor full = Tensor::full({}, 2.0);
  EXPECT_EQ(full.str(), "tensor(2.)");
}

TEST(RuntimeHppTest, FromDataAndStr) {
  Tensor t = Tensor::fromData({3, 9, 15, 3, 9, 15}, {2, 3});
  EXPECT_EQ(t.str(), "tensor([[ 3.,  9., 15.],\n        [ 3.,  9., 15.]])");
  std::ostringstream os;
  os << Tensor::fromData({4, 4}, {2});
  EXPECT_EQ(os.str(), "tensor([4., 4.])");

  Tensor d = Tensor::fromData(std::vector<double>{1.5, 2.5}, {2});
  EXPECT_EQ(d.dtype(), GRAPHC_DTYPE_F64);
  EXPECT_EQ(d.str(), "tensor([1.5000, 2.5000], dtype=torch.float64)");

  Tensor b = Tensor::fromData(std::vector<uint8_t>{1, 0}, {2}, GRAPHC_DTYPE_BOOL);
  EXPECT_EQ(b.str(), "tensor([ True, False])");
  EXPECT_TRUE(b.data<bool>()[0]);
}

TEST(RuntimeHppTest, FromDataRejectsWrongCount) {
  try {
    Tensor::fromData({1, 2, 3}, {2, 2});
    FAIL() << "expected Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), GRAPHC_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("3 values do not fill shape [2, 2]"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(Tensor::fromData(std::vector<int32_t>{1}, {1}, GRAPHC_DTYPE_I64), Error);
}

TEST(RuntimeHppTest, TypedDataChecksDtype) {
  Tensor t = Tensor::zeros({2});
  t.data<float>()[1] = 7.0f;
  EXPECT_EQ(t.toVector<float>(), (std::vector<float>{0.0f, 7.0f}));
  EXPECT_THROW(t.data<int32_t>(), Error);
  const Tensor& ct = t;
  EXPECT_EQ(ct.data<float>()[1], 7.0f);
  EXPECT_THROW(Tensor().data<float>(), Error);
}

TEST(RuntimeHppTest, CopiesShareAndReleaseOnce) {
  static int released = 0;
  released = 0;
  std::vector<float> storage = {1, 2};
  graphc_tensor_t* raw = nullptr;
  const int64_t shape[] = {2};
  ASSERT_EQ(
      graphc_tensor_wrap(
          GRAPHC_DTYPE_F32, 1, shape, storage.data(), [](void*) { ++released; }, nullptr, &raw),
      nullptr);
  {
    Tensor a = Tensor::adopt(raw);
    Tensor b = a;  // retain
    Tensor c;
    c = b;
    Tensor& alias = c;
    c = alias;  // self-assignment must keep the reference
    Tensor d = std::move(c);
    EXPECT_FALSE(c);  // NOLINT(bugprone-use-after-move): moved-from is null by contract
    d.data<float>()[0] = 5;
    EXPECT_EQ(a.data<float>()[0], 5);
    EXPECT_EQ(storage[0], 5);
    EXPECT_EQ(released, 0);
  }
  EXPECT_EQ(released, 1);
}

TEST(RuntimeHppTest, WrapSharesCallerMemory) {
  std::vector<int32_t> storage = {1, 2, 3};
  Tensor t = Tensor::wrap(storage.data(), {3});
  storage[2] = 30;
  EXPECT_EQ(t.str(), "tensor([ 1,  2, 30], dtype=torch.int32)");
}

TEST(RuntimeHppTest, CheckThrowsErrorWithCodeAndMessage) {
  EXPECT_NO_THROW(check(nullptr));
  try {
    Tensor::zeros({-1});
    FAIL() << "expected Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), GRAPHC_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("shape[0] is -1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Tensor::full({2}, 1e40, GRAPHC_DTYPE_I32), Error);
}

TEST(RuntimeHppTest, SafetensorsRoundTrip) {
  testing::TempDir dir;
  const std::string path = dir.file("model.safetensors");
  std::map<std::string, Tensor> tensors;
  tensors["fc1.weight"] = Tensor::fromData({1, 2, 3, 4, 5, 6}, {2, 3});
  tensors["fc1.bias"] = Tensor::fromData(std::vector<double>{0.5, -0.5}, {2});
  tensors["step"] = Tensor::fromData(std::vector<int64_t>{42}, {});
  saveSafetensors(path, tensors, {{"epoch", "3"}});

  std::map<std::string, std::string> metadata;
  std::map<std::string, Tensor> loaded = loadSafetensors(path, &metadata);
  ASSERT_EQ(loaded.size(), 3u);
  EXPECT_EQ(loaded["fc1.weight"].str(), tensors["fc1.weight"].str());
  EXPECT_EQ(loaded["fc1.bias"].toVector<double>(), (std::vector<double>{0.5, -0.5}));
  EXPECT_EQ(loaded["step"].str(), "tensor(42)");
  EXPECT_EQ(metadata, (std::map<std::string, std::string>{{"epoch", "3"}}));

  try {
    loadSafetensors(dir.file("missing.safetensors"));
    FAIL() << "expected Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), GRAPHC_NOT_FOUND);
    EXPECT_NE(std::string(e.what()).find("missing.safetensors"), std::string::npos);
  }
}

}  // namespace
}  // namespace graphc::rt
