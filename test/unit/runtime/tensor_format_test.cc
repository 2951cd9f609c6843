// Tests graphc_tensor_format against PyTorch's repr().
//
// The bulk of the cases come from tensor_format_golden.json, produced by
// gen_tensor_format_golden.py with real torch; the test needs neither.

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "graphc/runtime/tensor.h"
#include "test_util.h"

#ifndef GRAPHC_RUNTIME_TEST_DIR
#error "GRAPHC_RUNTIME_TEST_DIR must point at test/unit/runtime"
#endif

namespace graphc::rt::testing {
namespace {

TensorPtr FloatTensor(std::vector<int64_t> shape, const std::vector<float>& values) {
  return MakeTensor(GRAPHC_DTYPE_F32, std::move(shape), values.data());
}

// The examples the design doc quotes, spelled out so a failure is readable
// without the golden file.
TEST(TensorFormatTest, DocumentedExamples) {
  EXPECT_EQ(Format(FloatTensor({}, {2}).get()), "tensor(2.)");
  EXPECT_EQ(Format(FloatTensor({2, 3}, {3, 9, 15, 3, 9, 15}).get()),
            "tensor([[ 3.,  9., 15.],\n        [ 3.,  9., 15.]])");
  EXPECT_EQ(Format(FloatTensor({2}, {4, 4}).get()), "tensor([4., 4.])");
  EXPECT_EQ(Format(FloatTensor({1, 3}, {0.0363f, -0.0747f, 0.1019f}).get()),
            "tensor([[ 0.0363, -0.0747,  0.1019]])");
  EXPECT_EQ(Format(FloatTensor({2}, {1e-5f, 1.0f}).get()), "tensor([1.0000e-05, 1.0000e+00])");
}

TEST(TensorFormatTest, NegativeAndNonFinite) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(Format(FloatTensor({3}, {-1, 2, -3}).get()), "tensor([-1.,  2., -3.])");
  EXPECT_EQ(Format(FloatTensor({4}, {nan, inf, -inf, 1.5f}).get()),
            "tensor([   nan,    inf,   -inf, 1.5000])");
  // A NaN with the sign bit set still prints as "nan", as in Python.
  EXPECT_EQ(Format(FloatTensor({2}, {-nan, 1}).get()), "tensor([nan, 1.])");
  EXPECT_EQ(Format(FloatTensor({2}, {-0.0f, 1}).get()), "tensor([-0., 1.])");
}

TEST(TensorFormatTest, IntBoolAndSuffixes) {
  const int64_t i64[] = {1, 2, 3};
  EXPECT_EQ(Format(MakeTensor(GRAPHC_DTYPE_I64, {3}, i64).get()), "tensor([1, 2, 3])");
  const int32_t i32[] = {-100, 5};
  EXPECT_EQ(Format(MakeTensor(GRAPHC_DTYPE_I32, {2}, i32).get()),
            "tensor([-100,    5], dtype=torch.int32)");
  const uint8_t b[] = {1, 0};
  EXPECT_EQ(Format(MakeTensor(GRAPHC_DTYPE_BOOL, {2}, b).get()), "tensor([ True, False])");
  const double f64[] = {1.5, 2.5};
  EXPECT_EQ(Format(MakeTensor(GRAPHC_DTYPE_F64, {2}, f64).get()),
            "tensor([1.5000, 2.5000], dtype=torch.float64)");
  EXPECT_EQ(Format(MakeTensor(GRAPHC_DTYPE_F32, {0}).get()), "tensor([])");
}

TEST(TensorFormatTest, LargeTensorIsSummarized) {
  std::vector<float> values(2000);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i);
  EXPECT_EQ(Format(FloatTensor({2000}, values).get()),
            "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
            "        1.9990e+03])");
}

TEST(TensorFormatTest, ThreeDimensionalHasBlankLineBetweenBlocks) {
  std::vector<float> values(8);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i);
  EXPECT_EQ(Format(FloatTensor({2, 2, 2}, values).get()),
            "tensor([[[0., 1.],\n"
            "         [2., 3.]],\n"
            "\n"
            "        [[4., 5.],\n"
            "         [6., 7.]]])");
}

TEST(TensorFormatTest, BoolBytesOtherThanOneAreTrue) {
  const uint8_t b[] = {2, 0, 255};
  EXPECT_EQ(Format(MakeTensor(GRAPHC_DTYPE_BOOL, {3}, b).get()), "tensor([ True, False,  True])");
}

TEST(TensorFormatTest, RejectsNullArguments) {
  char* text = reinterpret_cast<char*>(0x1);
  EXPECT_TRUE(
      IsError(graphc_tensor_format(nullptr, &text), GRAPHC_INVALID_ARGUMENT, {"tensor is NULL"}));
  EXPECT_EQ(text, nullptr);
  TensorPtr t = FloatTensor({1}, {1});
  EXPECT_TRUE(IsError(graphc_tensor_format(t.get(), nullptr), GRAPHC_INVALID_ARGUMENT,
                      {"out_string is NULL"}));
}

// ---- Golden cases from PyTorch ----------------------------------------------

// Must match lcg_ints in gen_tensor_format_golden.py.
std::vector<int64_t> LcgInts(uint64_t seed, int64_t count, int64_t bound) {
  std::vector<int64_t> out;
  uint64_t x = seed;
  for (int64_t i = 0; i < count; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    out.push_back(static_cast<int64_t>((x >> 33) % static_cast<uint64_t>(2 * bound + 1)) - bound);
  }
  return out;
}

graphc_dtype_t DtypeFromName(const std::string& name) {
  if (name == "float32") return GRAPHC_DTYPE_F32;
  if (name == "float64") return GRAPHC_DTYPE_F64;
  if (name == "int32") return GRAPHC_DTYPE_I32;
  if (name == "int64") return GRAPHC_DTYPE_I64;
  if (name == "bool") return GRAPHC_DTYPE_BOOL;
  ADD_FAILURE() << "unknown dtype " << name;
  return GRAPHC_DTYPE_F32;
}

double JsonDouble(const nlohmann::json& value) {
  if (value.is_string()) return std::strtod(value.get<std::string>().c_str(), nullptr);
  return value.get<double>();
}

// Stores element `index` from a double (floats, bool) or exact integer.
void Store(graphc_tensor_t* tensor, int64_t index, double real, int64_t integer, bool is_integer) {
  void* data = graphc_tensor_data(tensor);
  switch (graphc_tensor_dtype(tensor)) {
    case GRAPHC_DTYPE_F32:
      static_cast<float*>(data)[index] = static_cast<float>(real);
      break;
    case GRAPHC_DTYPE_F64:
      static_cast<double*>(data)[index] = real;
      break;
    case GRAPHC_DTYPE_I32:
      static_cast<int32_t*>(data)[index] =
          static_cast<int32_t>(is_integer ? integer : static_cast<int64_t>(real));
      break;
    case GRAPHC_DTYPE_I64:
      static_cast<int64_t*>(data)[index] = is_integer ? integer : static_cast<int64_t>(real);
      break;
    case GRAPHC_DTYPE_BOOL:
      static_cast<uint8_t*>(data)[index] = (is_integer ? integer != 0 : real != 0) ? 1 : 0;
      break;
  }
}

TensorPtr BuildGoldenTensor(const nlohmann::json& c) {
  graphc_dtype_t dtype = DtypeFromName(c.at("dtype").get<std::string>());
  std::vector<int64_t> shape = c.at("shape").get<std::vector<int64_t>>();
  TensorPtr tensor = MakeTensor(dtype, shape);
  if (!tensor) return tensor;
  const int64_t n = graphc_tensor_numel(tensor.get());
  const bool is_int = dtype == GRAPHC_DTYPE_I32 || dtype == GRAPHC_DTYPE_I64;
  const nlohmann::json& data = c.at("data");
  if (data.contains("hex")) {
    std::string hex = data.at("hex").get<std::string>();
    EXPECT_EQ(hex.size(), 2 * graphc_tensor_nbytes(tensor.get()));
    auto* bytes = static_cast<uint8_t*>(graphc_tensor_data(tensor.get()));
    for (size_t i = 0; i + 1 < hex.size() && i / 2 < graphc_tensor_nbytes(tensor.get()); i += 2) {
      bytes[i / 2] = static_cast<uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16));
    }
  } else if (data.contains("lcg")) {
    const auto& p = data.at("lcg");
    std::vector<int64_t> ks =
        LcgInts(p.at("seed").get<uint64_t>(), n, p.at("bound").get<int64_t>());
    const double scale = std::ldexp(1.0, -p.at("scale_log2").get<int>());
    for (int64_t i = 0; i < n; ++i) {
      Store(tensor.get(), i, static_cast<double>(ks[i]) * scale, ks[i],
            is_int || dtype == GRAPHC_DTYPE_BOOL);
    }
  } else if (data.contains("arange")) {
    const auto& p = data.at("arange");
    if (is_int) {
      const int64_t start = p.at("start").get<int64_t>(), step = p.at("step").get<int64_t>();
      for (int64_t i = 0; i < n; ++i) Store(tensor.get(), i, 0, start + i * step, true);
    } else {
      const double start = JsonDouble(p.at("start")), step = JsonDouble(p.at("step"));
      for (int64_t i = 0; i < n; ++i) {
        Store(tensor.get(), i, start + static_cast<double>(i) * step, 0, false);
      }
    }
  } else if (data.contains("fill")) {
    const double fill = JsonDouble(data.at("fill"));
    // Store converts `real` itself for integer dtypes (whose fills are
    // integral); converting NaN to an integer here would be UB.
    for (int64_t i = 0; i < n; ++i) Store(tensor.get(), i, fill, 0, false);
    if (data.contains("overrides")) {
      for (const auto& o : data.at("overrides")) {
        Store(tensor.get(), o.at(0).get<int64_t>(), JsonDouble(o.at(1)), 0, false);
      }
    }
  } else {
    ADD_FAILURE() << "unknown data spec " << data.dump();
  }
  return tensor;
}

nlohmann::json LoadGolden() {
  const std::string path = std::string(GRAPHC_RUNTIME_TEST_DIR) + "/tensor_format_golden.json";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  return nlohmann::json::parse(in);
}

TEST(TensorFormatGoldenTest, MatchesTorchRepr) {
  nlohmann::json golden = LoadGolden();
  const auto& cases = golden.at("cases");
  ASSERT_GT(cases.size(), 50u);
  int checked = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    TensorPtr tensor = BuildGoldenTensor(c);
    ASSERT_NE(tensor, nullptr);
    EXPECT_EQ(Format(tensor.get()), c.at("expected").get<std::string>())
        << "case " << c.at("name").get<std::string>() << " (torch "
        << golden.at("torch_version").get<std::string>() << ")";
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(cases.size()));
}

}  // namespace
}  // namespace graphc::rt::testing
