// Seeded random tensors, *_like and narrow views.
#include <gtest/gtest.h>

#include <cmath>

#include "graphc/runtime/random.h"
#include "graphc/runtime/runtime.hpp"

using graphc::rt::Tensor;

namespace {

Tensor rand(std::vector<int64_t> shape, graphc_generator_t* g, bool normal = false,
            graphc_dtype_t dtype = GRAPHC_DTYPE_F32) {
  graphc_tensor_t* t = nullptr;
  graphc::rt::check(normal ? graphc_tensor_randn(dtype, (int32_t)shape.size(), shape.data(), g, &t)
                           : graphc_tensor_rand(dtype, (int32_t)shape.size(), shape.data(), g, &t));
  return Tensor::adopt(t);
}

struct Generator {
  graphc_generator_t* g = nullptr;
  explicit Generator(uint64_t seed) { graphc::rt::check(graphc_generator_create(seed, &g)); }
  ~Generator() { graphc_generator_release(g); }
};

}  // namespace

TEST(Random, RandMatchesTorchManualSeed) {
  // torch.manual_seed(0); torch.rand(3)  and  torch.manual_seed(42); torch.rand(2, 2)
  Generator g(0);
  EXPECT_EQ(rand({3}, g.g).str(), "tensor([0.4963, 0.7682, 0.0885])");
  graphc_generator_manual_seed(g.g, 42);
  EXPECT_EQ(rand({2, 2}, g.g).str(), "tensor([[0.8823, 0.9150],\n        [0.3829, 0.9593]])");
}

TEST(Random, SameSeedSameValuesAndDefaultGenerator) {
  Generator a(7), b(7);
  Tensor x = rand({100}, a.g, true), y = rand({100}, b.g, true);
  EXPECT_EQ(std::vector<float>(x.data<float>(), x.data<float>() + 100),
            std::vector<float>(y.data<float>(), y.data<float>() + 100));
  graphc_generator_manual_seed(graphc_default_generator(), 0);
  EXPECT_EQ(rand({3}, nullptr).str(), "tensor([0.4963, 0.7682, 0.0885])");
}

TEST(Random, NormalHasTheRightMoments) {
  Generator g(3);
  Tensor x = rand({100001}, g.g, true, GRAPHC_DTYPE_F64);  // odd size: the last pair is cut
  double sum = 0, squares = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    double v = x.data<double>()[i];
    ASSERT_TRUE(std::isfinite(v));
    sum += v;
    squares += v * v;
  }
  double mean = sum / x.numel(), var = squares / x.numel() - mean * mean;
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(var, 1.0, 0.02);
}

TEST(Random, RejectsNonFloatTensorsAndBadRanges) {
  Tensor ints = Tensor::zeros({4}, GRAPHC_DTYPE_I64);
  graphc_status_t s = graphc_tensor_uniform(ints.get(), nullptr, 0, 1);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(graphc_status_code(s), GRAPHC_INVALID_ARGUMENT);
  EXPECT_NE(std::string(graphc_status_message(s)).find("int64"), std::string::npos);
  graphc_status_free(s);
  Tensor f = Tensor::zeros({4});
  s = graphc_tensor_uniform(f.get(), nullptr, 1, 0);
  ASSERT_NE(s, nullptr);
  graphc_status_free(s);
}

TEST(TensorViews, NarrowSharesMemoryAndKeepsTheParentAlive) {
  Tensor t = Tensor::fromData({0, 1, 2, 3, 4, 5, 6, 7}, {4, 2});
  graphc_tensor_t* view = nullptr;
  graphc::rt::check(graphc_tensor_narrow(t.get(), 1, 2, &view));
  Tensor v = Tensor::adopt(view);
  EXPECT_EQ(v.shape(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(v.str(), "tensor([[2., 3.],\n        [4., 5.]])");
  v.data<float>()[0] = 20;  // writes through to the parent, as a torch view does
  EXPECT_EQ(t.data<float>()[2], 20.0f);
  t = Tensor();             // the view still holds the buffer
  EXPECT_EQ(v.data<float>()[3], 5.0f);
  graphc_status_t s = graphc_tensor_narrow(v.get(), 1, 2, &view);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(graphc_status_code(s), GRAPHC_OUT_OF_RANGE);
  graphc_status_free(s);
}

TEST(TensorViews, CreateLikeAndDevice) {
  Tensor t = Tensor::zeros({2, 3}, GRAPHC_DTYPE_F64);
  graphc_tensor_t* like = nullptr;
  graphc::rt::check(graphc_tensor_create_like(t.get(), &like));
  Tensor l = Tensor::adopt(like);
  EXPECT_EQ(l.shape(), t.shape());
  EXPECT_EQ(l.dtype(), GRAPHC_DTYPE_F64);
  EXPECT_EQ(graphc_tensor_device(l.get()), GRAPHC_DEVICE_CPU);
}

TEST(Random, InitialSeedIsTheLastSeedGiven) {
  graphc_generator_t* g = nullptr;
  ASSERT_EQ(graphc_generator_create(42, &g), nullptr);
  EXPECT_EQ(graphc_generator_initial_seed(g), 42u);
  graphc_generator_manual_seed(g, 18446744073709551615ull);
  EXPECT_EQ(graphc_generator_initial_seed(g), 18446744073709551615ull); // all 64 bits kept
  graphc_generator_release(g);
  EXPECT_EQ(graphc_generator_initial_seed(nullptr), 0u);
}
