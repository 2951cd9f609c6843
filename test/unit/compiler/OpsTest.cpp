// Every primitive op (and the DSL's composites) through trace -> GraphToLinalg
// -> CPU pipeline -> JIT, compared with the naive reference loops in
// Reference.h, in the spirit of ggml's test-backend-ops.
#include "TestUtil.h"

#include <cmath>

using namespace testutil;
namespace g = graphc;
using Fn1 = g::Tensor (*)(const g::Tensor &, g::SourceLoc);

namespace {

struct UnaryCase {
  const char *name;
  Fn1 fn;
  double (*reference)(double);
  double lo, hi;
};

double sigmoidRef(double x) { return 1 / (1 + std::exp(-x)); }
double reluRef(double x) { return x > 0 ? x : 0; }
double rsqrtRef(double x) { return 1 / std::sqrt(x); }

const UnaryCase kUnary[] = {
    {"neg", &g::neg, [](double x) { return -x; }, -3, 3},
    {"exp", &g::exp, [](double x) { return std::exp(x); }, -3, 3},
    {"log", &g::log, [](double x) { return std::log(x); }, 0.1, 5},
    {"sqrt", &g::sqrt, [](double x) { return std::sqrt(x); }, 0.1, 5},
    {"rsqrt", &g::rsqrt, &rsqrtRef, 0.1, 5},
    {"abs", &g::abs, [](double x) { return std::abs(x); }, -3, 3},
    {"relu", &g::relu, &reluRef, -3, 3},
    {"sigmoid", &g::sigmoid, &sigmoidRef, -6, 6},
    {"tanh", &g::tanh, [](double x) { return std::tanh(x); }, -3, 3},
    {"erf", &g::erf, [](double x) { return std::erf(x); }, -3, 3},
    {"floor", &g::floor, [](double x) { return std::floor(x); }, -3, 3},
    {"ceil", &g::ceil, [](double x) { return std::ceil(x); }, -3, 3},
    // Half to even, as torch.round: std::nearbyint in the default rounding mode.
    {"round", &g::round, [](double x) { return std::nearbyint(x); }, -3, 3},
    {"sin", &g::sin, [](double x) { return std::sin(x); }, -4, 4},
    {"cos", &g::cos, [](double x) { return std::cos(x); }, -4, 4},
    {"tan", &g::tan, [](double x) { return std::tan(x); }, -1.2, 1.2},
    {"asin", &g::asin, [](double x) { return std::asin(x); }, -0.95, 0.95},
    {"acos", &g::acos, [](double x) { return std::acos(x); }, -0.95, 0.95},
    {"atan", &g::atan, [](double x) { return std::atan(x); }, -4, 4},
    {"sinh", &g::sinh, [](double x) { return std::sinh(x); }, -3, 3},
    {"cosh", &g::cosh, [](double x) { return std::cosh(x); }, -3, 3},
    {"asinh", &g::asinh, [](double x) { return std::asinh(x); }, -4, 4},
    {"acosh", &g::acosh, [](double x) { return std::acosh(x); }, 1.05, 5},
    {"atanh", &g::atanh, [](double x) { return std::atanh(x); }, -0.95, 0.95},
};

} // namespace

TEST(UnaryOps, MatchReferenceInF32AndF64) {
  for (const UnaryCase &c : kUnary)
    for (graphc_dtype_t dtype : {GRAPHC_DTYPE_F32, GRAPHC_DTYPE_F64}) {
      Tensor x = random({3, 5}, dtype, c.lo, c.hi);
      Tensor y = run1({x}, [&](auto &xs) { return c.fn(xs[0], g::SourceLoc::current()); });
      double tol = dtype == GRAPHC_DTYPE_F32 ? 2e-6 : 1e-12;
      expectClose(y, ref::map(toRef(x), c.reference), tol, tol, c.name);
    }
}

TEST(UnaryOps, NegAbsReluOnIntegers) {
  Tensor x = random({7}, GRAPHC_DTYPE_I32, -5, 5);
  expectClose(run1({x}, [](auto &xs) { return g::neg(xs[0]); }),
              ref::map(toRef(x), [](double v) { return -v; }), 0, 0, "neg i32");
  expectClose(run1({x}, [](auto &xs) { return g::abs(xs[0]); }),
              ref::map(toRef(x), [](double v) { return std::abs(v); }), 0, 0, "abs i32");
  Tensor y = random({7}, GRAPHC_DTYPE_I64, -5, 5);
  expectClose(run1({y}, [](auto &xs) { return g::relu(xs[0]); }), ref::map(toRef(y), reluRef), 0,
              0, "relu i64");
}

TEST(UnaryOps, ReluPropagatesNaN) {
  Tensor x = Tensor::fromData({NAN, -1.0f, 2.0f}, {3});
  Tensor y = run1({x}, [](auto &xs) { return g::relu(xs[0]); });
  EXPECT_TRUE(std::isnan(y.data<float>()[0]));
  EXPECT_EQ(y.data<float>()[1], 0.0f);
  EXPECT_EQ(y.data<float>()[2], 2.0f);
}

TEST(UnaryOps, ReluGradientIsPyTorchsThresholdBackward) {
  // PyTorch: relu's gradient is threshold_backward(dy, y, 0) = (y <= 0 ? 0 : dy)
  // on the result y: 0 at x <= 0 (-0 included), dy where x > 0 and where x is NaN.
  Tensor x = Tensor::fromData({NAN, -1.0f, 2.0f, 0.0f, -0.0f}, {5});
  Tensor upstream = Tensor::fromData({0.5f, 0.25f, 0.75f, 1.5f, 2.0f}, {5});
  g::nn::Module none;
  g::Graph graph = g::trace(
      none, {{"x", {5}, GRAPHC_DTYPE_F32, true}, {"upstream", {5}, GRAPHC_DTYPE_F32}},
      [](const std::vector<g::Tensor> &xs) {
        return std::vector<g::Tensor>{(g::relu(xs[0]) * xs[1]).sum()};
      },
      {"forward", false});
  graph.differentiate();
  g::BackwardResult result = graph.compile().backward({x, upstream});
  const float *dx = result.inputGrads.at(0).data<float>();
  const float want[] = {0.5f, 0.0f, 0.75f, 0.0f, 0.0f};
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(dx[i], want[i]) << "d relu(x)/dx at x[" << i << "]";
}

TEST(BinaryOps, BroadcastLikePyTorch) {
  // [4,1,3] with [5,1] -> [4,5,3]: both a stretched size-1 dim and a missing leading dim.
  Tensor a = random({4, 1, 3}), b = random({5, 1}, GRAPHC_DTYPE_F32, 0.5, 2);
  ref::Array ra = toRef(a), rb = toRef(b);
  struct Case {
    const char *name;
    std::function<g::Tensor(const g::Tensor &, const g::Tensor &)> fn;
    std::function<double(double, double)> reference;
  };
  std::vector<Case> cases = {
      {"add", [](auto &x, auto &y) { return x + y; }, std::plus<double>()},
      {"sub", [](auto &x, auto &y) { return x - y; }, std::minus<double>()},
      {"mul", [](auto &x, auto &y) { return x * y; }, std::multiplies<double>()},
      {"div", [](auto &x, auto &y) { return x / y; }, std::divides<double>()},
      {"maximum", [](auto &x, auto &y) { return g::maximum(x, y); },
       [](double x, double y) { return std::max(x, y); }},
      {"minimum", [](auto &x, auto &y) { return g::minimum(x, y); },
       [](double x, double y) { return std::min(x, y); }},
  };
  for (auto &c : cases) {
    Tensor y = run1({a, b}, [&](auto &xs) { return c.fn(xs[0], xs[1]); });
    expectClose(y, ref::zip(ra, rb, c.reference), 1e-6, 1e-6, c.name);
  }
  // pow on a positive base.
  Tensor base = random({4, 1, 3}, GRAPHC_DTYPE_F32, 0.1, 3);
  Tensor p = run1({base, b}, [](auto &xs) { return g::pow(xs[0], xs[1]); });
  expectClose(p, ref::zip(toRef(base), rb, [](double x, double y) { return std::pow(x, y); }),
              1e-5, 1e-6, "pow");
}

TEST(BinaryOps, ScalarOperandsAndPromotion) {
  Tensor x = random({2, 3});
  Tensor y = run1({x}, [](auto &xs) { return 2.0 * xs[0] + 1 - xs[0] / 4.0; });
  expectClose(y, ref::map(toRef(x), [](double v) { return 2 * v + 1 - v / 4; }), 1e-6, 1e-6);
  // int32 + float64 promotes to float64; int / int is true division (float32).
  Tensor i = random({4}, GRAPHC_DTYPE_I32, -9, 9), d = random({4}, GRAPHC_DTYPE_F64);
  Tensor sum = run1({i, d}, [](auto &xs) { return xs[0] + xs[1]; });
  EXPECT_EQ(sum.dtype(), GRAPHC_DTYPE_F64);
  expectClose(sum, ref::zip(toRef(i), toRef(d), std::plus<double>()), 1e-12, 1e-12);
  Tensor j = Tensor::fromData(std::vector<int32_t>{7, -7, 3, 1}, {4});
  Tensor q = run1({j}, [](auto &xs) { return xs[0] / 2; });
  EXPECT_EQ(q.dtype(), GRAPHC_DTYPE_F32);
  expectClose(q, ref::Array{{4}, {3.5, -3.5, 1.5, 0.5}}, 0, 0);
}

TEST(BinaryOps, IntegerArithmetic) {
  Tensor a = random({3, 4}, GRAPHC_DTYPE_I64, -50, 50), b = random({4}, GRAPHC_DTYPE_I64, -9, 9);
  expectClose(run1({a, b}, [](auto &xs) { return xs[0] * xs[1] - xs[0]; }),
              ref::zip(toRef(a), toRef(b), [](double x, double y) { return x * y - x; }), 0, 0);
}

TEST(CompareOps, GiveBoolWithBroadcasting) {
  Tensor a = Tensor::fromData({1.f, 2.f, 3.f, NAN}, {4, 1});
  Tensor b = Tensor::fromData({2.f, NAN, 1.f}, {3});
  struct Case {
    const char *name;
    g::Tensor (*fn)(const g::Tensor &, const g::Operand &, g::SourceLoc);
    std::function<bool(double, double)> reference;
  };
  std::vector<Case> cases = {
      {"eq", &g::eq, [](double x, double y) { return x == y; }},
      {"ne", &g::ne, [](double x, double y) { return x != y; }},
      {"lt", &g::lt, [](double x, double y) { return x < y; }},
      {"le", &g::le, [](double x, double y) { return x <= y; }},
      {"gt", &g::gt, [](double x, double y) { return x > y; }},
      {"ge", &g::ge, [](double x, double y) { return x >= y; }},
  };
  for (auto &c : cases) {
    Tensor y = run1({a, b}, [&](auto &xs) { return c.fn(xs[0], xs[1], g::SourceLoc::current()); });
    EXPECT_EQ(y.dtype(), GRAPHC_DTYPE_BOOL) << c.name;
    expectClose(y, ref::zip(toRef(a), toRef(b), [&](double x, double y) {
                  return c.reference(x, y) ? 1.0 : 0.0;
                }), 0, 0, c.name);
  }
  Tensor i = Tensor::fromData(std::vector<int32_t>{1, 5, -2}, {3});
  expectClose(run1({i}, [](auto &xs) { return g::ge(xs[0], 1); }), ref::Array{{3}, {1, 1, 0}}, 0,
              0, "ge i32");
}

TEST(SelectOp, WhereBroadcastsThreeWays) {
  Tensor x = random({4, 3});
  Tensor y = run1({x}, [](auto &xs) { return g::where(g::gt(xs[0], 0.0), xs[0], 0.5); });
  expectClose(y, ref::map(toRef(x), [](double v) { return v > 0 ? v : 0.5; }), 0, 0);
}

TEST(CastOp, FollowsTorchTo) {
  Tensor f = Tensor::fromData({-2.7f, -0.5f, 0.f, 0.5f, 3.9f}, {5});
  expectClose(run1({f}, [](auto &xs) { return xs[0].to(GRAPHC_DTYPE_I32); }),
              ref::Array{{5}, {-2, 0, 0, 0, 3}}, 0, 0, "f32->i32 truncates");
  expectClose(run1({f}, [](auto &xs) { return xs[0].to(GRAPHC_DTYPE_BOOL); }),
              ref::Array{{5}, {1, 1, 0, 1, 1}}, 0, 0, "f32->bool");
  expectClose(run1({f}, [](auto &xs) { return xs[0].to(GRAPHC_DTYPE_F64); }), toRef(f), 0, 0,
              "f32->f64");
  Tensor b = Tensor::fromData(std::vector<uint8_t>{1, 0, 1}, {3}, GRAPHC_DTYPE_BOOL);
  expectClose(run1({b}, [](auto &xs) { return xs[0].to(GRAPHC_DTYPE_F32); }),
              ref::Array{{3}, {1, 0, 1}}, 0, 0, "bool->f32 is 0/1");
  expectClose(run1({b}, [](auto &xs) { return xs[0].to(GRAPHC_DTYPE_I64); }),
              ref::Array{{3}, {1, 0, 1}}, 0, 0, "bool->i64 is 0/1, not -1");
  Tensor l = Tensor::fromData(std::vector<int64_t>{-3, 0, 1LL << 40}, {3});
  expectClose(run1({l}, [](auto &xs) { return xs[0].to(GRAPHC_DTYPE_F64); }),
              ref::Array{{3}, {-3, 0, double(1LL << 40)}}, 0, 0, "i64->f64");
}

TEST(MatmulOp, TwoDBatchedAndSharedRhs) {
  for (graphc_dtype_t dtype : {GRAPHC_DTYPE_F32, GRAPHC_DTYPE_F64}) {
    double tol = dtype == GRAPHC_DTYPE_F32 ? 1e-5 : 1e-12;
    Tensor a = random({5, 7}, dtype), b = random({7, 3}, dtype);
    expectClose(run1({a, b}, [](auto &xs) { return g::matmul(xs[0], xs[1]); }),
                ref::matmul(toRef(a), toRef(b)), tol, tol, "2-D");
    Tensor ba = random({2, 4, 6}, dtype), bb = random({2, 6, 3}, dtype);
    expectClose(run1({ba, bb}, [](auto &xs) { return g::matmul(xs[0], xs[1]); }),
                ref::matmul(toRef(ba), toRef(bb)), tol, tol, "batched");
    Tensor shared = random({6, 5}, dtype);
    expectClose(run1({ba, shared}, [](auto &xs) { return g::matmul(xs[0], xs[1]); }),
                ref::matmul(toRef(ba), toRef(shared)), tol, tol, "shared rhs");
  }
}

TEST(MatmulOp, LinearOverEveryRemainderOfADynamicBatch) {
  // The register tiles take 6 or 8 rows (AVX2, AVX-512); the rows past the
  // last full tile of a dynamic batch are one more full tile shifted back
  // over them, or rows of 1 when the batch is smaller than a tile. 45
  // columns leave a column remainder too (16 + 16 + 8 + 4 + 1 on AVX2).
  // Each batch against the naive loops. From 8 rows on (a full tile on
  // either target), each row's first 44 columns bitwise the same as that
  // row in the largest batch: the shifted tile is the full tiles' code, so
  // a row must not depend on which of them computed it. The last, single
  // column is left out: it rounds 1 ulp apart in some rows of the shifted
  // tile (and of rows of 1), the copies of its code not compiled alike.
  constexpr int64_t kTiledColumns = 44;
  g::nn::Linear linear(37, 45);
  Tensor w = random({45, 37}), b = random({45});
  linear.loadStateDict({{"weight", w}, {"bias", b}});
  g::CompiledModule program = g::trace(linear, random({1, 37})).compile();
  Tensor all = random({64, 37});
  Tensor allOut = program(all);
  ref::Array wt = ref::permute(toRef(w), {1, 0});
  ref::Array bias{{1, 45}, toRef(b).data};
  for (int64_t batch : {1, 5, 6, 7, 8, 9, 13, 17, 64}) {
    std::vector<float> rows(all.data<float>(), all.data<float>() + batch * 37);
    Tensor x = Tensor::fromData(rows, {batch, 37});
    Tensor y = program(x);
    expectClose(y, ref::zip(ref::matmul(toRef(x), wt), bias, std::plus<double>()), 1e-5, 1e-5);
    for (int64_t i = 0; batch >= 8 && i < batch * 45; ++i)
      if (i % 45 < kTiledColumns)
        ASSERT_EQ(y.data<float>()[i], allOut.data<float>()[i])
          << "batch " << batch << ", row " << i / 45 << ", column " << i % 45;
  }
}

TEST(MatmulOp, NarrowProductsOverRowsAreWithinTheDotProductBound) {
  // A Linear with fewer outputs than AVX-512 has lanes, at a static batch
  // that is a multiple of 4, is computed over its rows
  // (graphc-tile-narrow-matmuls: 4 rows per 128-bit quad, 4 partial sums
  // over k per element). Against a double-precision reference, each
  // element within the bound of a float dot product's rounding,
  // (k + 2) u (sum |x w| + |b|) with u = 2^-24: a product left out or
  // counted twice is off by |x w|, about 1, far past it. 84 and 37 inputs
  // leave a partial block of 16 to pad; 12 outputs take one group of 4 rows
  // per step (24 accumulators), 10 and 3 two; a batch of 44 is no multiple
  // of 8, so one group; k of 3 and 5 is a padded block alone, and one
  // output a single accumulator.
  struct Case {
    int64_t batch, in, out;
  };
  for (Case c : std::vector<Case>{{48, 64, 10}, {48, 84, 10}, {48, 37, 12}, {48, 16, 3},
                                  {44, 64, 10}, {4, 3, 1}, {8, 5, 12}}) {
    SCOPED_TRACE(std::to_string(c.batch) + " x " + std::to_string(c.in) + " -> " +
                 std::to_string(c.out));
    Tensor w = random({c.out, c.in}), b = random({c.out}), x = random({c.batch, c.in});
    g::TraceOptions staticBatch;
    staticBatch.dynamicBatch = false;
    g::nn::Linear layer(c.in, c.out);
    layer.loadStateDict({{"weight", w}, {"bias", b}});
    auto compiled = g::trace(layer, x, staticBatch).compile();
    Tensor y = compiled(x);
    // With a ReLU after it, the bias add and the ReLU are the matmul's
    // epilogue, computed on each row before it is written (no closer to
    // the exact value than the bound: ReLU moves nothing apart).
    auto withRelu = g::trace(
                        layer, {{"x", {c.batch, c.in}}},
                        [&](const std::vector<g::Tensor> &xs) {
                          return std::vector<g::Tensor>{g::relu(layer(xs[0]))};
                        },
                        staticBatch)
                        .compile();
    Tensor activated = withRelu(x);
    const float *xs = x.data<float>(), *ws = w.data<float>(), *bs = b.data<float>();
    for (int64_t row = 0; row < c.batch; ++row)
      for (int64_t column = 0; column < c.out; ++column) {
        double exact = bs[column], magnitude = std::fabs(bs[column]);
        for (int64_t k = 0; k < c.in; ++k) {
          double product = double(xs[row * c.in + k]) * double(ws[column * c.in + k]);
          exact += product;
          magnitude += std::fabs(product);
        }
        double bound = double(c.in + 2) * std::ldexp(1.0, -24) * magnitude;
        ASSERT_LE(std::fabs(y.data<float>()[row * c.out + column] - exact), bound)
            << "row " << row << ", column " << column;
        ASSERT_LE(std::fabs(activated.data<float>()[row * c.out + column] - std::max(exact, 0.0)),
                  bound)
            << "with ReLU: row " << row << ", column " << column;
      }
    // Each row is computed the same way wherever it falls (another lane of
    // its quad, another group): the input's rows rotated by 1 and by 4 give
    // the same rows bit for bit.
    for (int64_t shift : {1, 4}) {
      std::vector<float> rotated(c.batch * c.in);
      for (int64_t row = 0; row < c.batch; ++row)
        std::copy(xs + row * c.in, xs + (row + 1) * c.in,
                  rotated.begin() + ((row + shift) % c.batch) * c.in);
      Tensor moved = compiled(Tensor::fromData(rotated, {c.batch, c.in}));
      for (int64_t row = 0; row < c.batch; ++row)
        for (int64_t column = 0; column < c.out; ++column)
          ASSERT_EQ(y.data<float>()[row * c.out + column],
                    moved.data<float>()[((row + shift) % c.batch) * c.out + column])
              << "shift " << shift << ", row " << row << ", column " << column;
    }
  }
}

TEST(MatmulOp, EpilogueOverAMaskKeepsItsBytes) {
  // A comparison, an add to a matmul's result and selects on the comparison:
  // fused, one elementwise op reading a matmul's result and yielding the mask
  // beside its values (the shape of a gradient through a select). Computed in
  // the matmul's register tiles, the mask was read and written as vectors of
  // i1, which LLVM keeps in memory as packed bits where a tensor of i1 has a
  // byte per element: the sum over the mask's false elements came out wrong
  // (graphc_difftest seed 1061). Against double-precision loops, at dynamic
  // batches below, at and past a 32-wide tile.
  Tensor g3 = random({3, 3}, GRAPHC_DTYPE_F32, -2, 2, 8);
  g::nn::Module none;
  auto compiled = g::trace(
                      none, {{"x", {1, 3}}, {"o", {1, 3}}},
                      [&](const std::vector<g::Tensor> &xs) {
                        g::Tensor xt = g::transpose(xs[0], 0, 1), ot = g::transpose(xs[1], 0, 1);
                        g::Tensor mask = g::gt(xt, 0.5);
                        g::Tensor sum = g::matmul(g::constant(g3), xt) + ot;
                        g::Tensor kept = g::where(mask, sum, 0.0) * xt;
                        g::Tensor dropped = g::where(mask, 0.0, sum);
                        return std::vector<g::Tensor>{kept.sum(), dropped.sum()};
                      })
                      .compile();
  for (int64_t batch : {1, 3, 9, 33, 40}) {
    Tensor x = random({batch, 3}, GRAPHC_DTYPE_F32, -2, 2, 7),
           o = random({batch, 3}, GRAPHC_DTYPE_F32, -2, 2, 9);
    std::vector<Tensor> sums = compiled.run({x, o});
    double kept = 0, dropped = 0;
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t b = 0; b < batch; ++b) {
        double xt = x.data<float>()[b * 3 + i], sum = o.data<float>()[b * 3 + i];
        for (int64_t k = 0; k < 3; ++k)
          sum += double(g3.data<float>()[i * 3 + k]) * x.data<float>()[b * 3 + k];
        (xt > 0.5 ? kept : dropped) += xt > 0.5 ? sum * xt : sum;
      }
    EXPECT_NEAR(sums.at(0).data<float>()[0], kept, 1e-4 * (1 + std::abs(kept))) << "batch " << batch;
    EXPECT_NEAR(sums.at(1).data<float>()[0], dropped, 1e-4 * (1 + std::abs(dropped)))
        << "batch " << batch;
  }
}

TEST(Conv2dOp, StridesPaddingDilationGroups) {
  struct Case {
    std::vector<int64_t> input, weight;
    int64_t sh, sw, ph, pw, dh, dw, groups;
  };
  std::vector<Case> cases = {
      {{1, 1, 6, 6}, {2, 1, 3, 3}, 1, 1, 0, 0, 1, 1, 1},
      {{2, 3, 9, 7}, {4, 3, 3, 2}, 2, 1, 1, 0, 1, 1, 1},   // non-square, strided, padded
      {{2, 4, 8, 8}, {6, 2, 3, 3}, 1, 2, 2, 1, 2, 1, 2},   // dilated, grouped
      {{1, 4, 5, 5}, {4, 1, 3, 3}, 1, 1, 1, 1, 1, 1, 4},   // depthwise
      {{2, 4, 7, 9}, {6, 2, 3, 2}, 1, 1, 2, 1, 1, 1, 2},   // stride 1 (flattened rows), grouped
      // Narrow rows: graphc-unfold-window-columns computes these over
      // column-shifted copies of the input (several channels: the kernel's
      // channel order is checked), with row padding, and LeNet's conv2.
      {{2, 3, 6, 7}, {4, 3, 3, 3}, 1, 1, 1, 0, 1, 1, 1},
      {{2, 6, 14, 14}, {16, 6, 5, 5}, 1, 1, 0, 0, 1, 1, 1},
      // A kernel one column wide with column padding: no garbage columns,
      // so no zero row below the padded input.
      {{2, 3, 5, 6}, {4, 3, 3, 1}, 1, 1, 1, 1, 1, 1, 1},
  };
  for (const Case &c : cases) {
    Tensor x = random(c.input, GRAPHC_DTYPE_F64), w = random(c.weight, GRAPHC_DTYPE_F64);
    Tensor y = run1({x, w}, [&](auto &xs) {
      return g::conv2d(xs[0], xs[1], g::Tensor(), {c.sh, c.sw}, {c.ph, c.pw}, {c.dh, c.dw},
                       c.groups);
    });
    expectClose(y, ref::conv2d(toRef(x), toRef(w), c.sh, c.sw, c.ph, c.pw, c.dh, c.dw, c.groups),
                1e-12, 1e-12, "conv2d");
  }
}

/// A stride-1 convolution's input gradient, dX[n, c, h, w] = sum over (o, kh,
/// kw) of dY[n, o, h + ph - kh, w + pw - kw] * W[o, c, kh, kw] where that
/// output position exists, against this test's own loops. These shapes pad
/// the gradient enough that graphc-band-convolution-rows computes each
/// kernel row over its own band of positions (LeNet's conv2: 71 % of the
/// full passes), including a kernel taller than it is wide, padding, a band
/// per row of a one-position output, and a plain 3x3.
TEST(Conv2dOp, InputGradientOverZeroPaddingLikeTheLoops) {
  struct Case {
    std::vector<int64_t> input, weight;
    int64_t ph, pw;
  };
  std::vector<Case> cases = {
      {{3, 6, 14, 14}, {16, 6, 5, 5}, 0, 0}, // LeNet's conv2
      {{2, 2, 6, 6}, {3, 2, 3, 3}, 0, 0},
      {{2, 3, 9, 8}, {4, 3, 5, 3}, 1, 1},    // rows of 9 with a garbage column
      {{2, 2, 5, 5}, {3, 2, 5, 5}, 0, 0},    // a 1x1 output
  };
  for (const Case &c : cases) {
    std::string what = "input " + std::to_string(c.input[2]) + "x" + std::to_string(c.input[3]) +
                       ", kernel " + std::to_string(c.weight[2]) + "x" +
                       std::to_string(c.weight[3]);
    int64_t n = c.input[0], ch = c.input[1], h = c.input[2], w = c.input[3];
    int64_t o = c.weight[0], kh = c.weight[2], kw = c.weight[3];
    int64_t oh = h + 2 * c.ph - kh + 1, ow = w + 2 * c.pw - kw + 1;
    Tensor x = random(c.input, GRAPHC_DTYPE_F64, -1, 1, 3);
    Tensor weight = random(c.weight, GRAPHC_DTYPE_F64, -1, 1, 4);
    Tensor upstream = random({n, o, oh, ow}, GRAPHC_DTYPE_F64, -1, 1, 5);
    g::nn::Module none;
    g::Graph graph =
        g::trace(none,
                 {{"x", c.input, GRAPHC_DTYPE_F64, true},
                  {"weight", c.weight, GRAPHC_DTYPE_F64},
                  {"upstream", upstream.shape(), GRAPHC_DTYPE_F64}},
                 [&](const std::vector<g::Tensor> &xs) {
                   g::Tensor y = g::conv2d(xs[0], xs[1], g::Tensor(), {1, 1}, {c.ph, c.pw});
                   return std::vector<g::Tensor>{(y * xs[2]).sum()};
                 },
                 // The weight's first dimension is not a batch (LeNet's
                 // dynamic batch goes through the training tests).
                 g::TraceOptions{"forward", /*dynamicBatch=*/false});
    graph.differentiate();
    g::BackwardResult result = graph.compile().backward({x, weight, upstream});
    const double *dx = result.inputGrads.at(0).data<double>();
    const double *dy = upstream.data<double>(), *k = weight.data<double>();
    int reported = 0;
    for (int64_t b = 0; b < n; ++b)
      for (int64_t i = 0; i < ch; ++i)
        for (int64_t y = 0; y < h; ++y)
          for (int64_t xx = 0; xx < w; ++xx) {
            double want = 0;
            for (int64_t f = 0; f < o; ++f)
              for (int64_t r = 0; r < kh; ++r)
                for (int64_t s = 0; s < kw; ++s) {
                  int64_t row = y + c.ph - r, column = xx + c.pw - s;
                  if (row >= 0 && row < oh && column >= 0 && column < ow)
                    want += dy[((b * o + f) * oh + row) * ow + column] *
                            k[((f * ch + i) * kh + r) * kw + s];
                }
            double got = dx[((b * ch + i) * h + y) * w + xx];
            if (std::abs(got - want) > 1e-12 * (1 + std::abs(want)) && reported++ < 5)
              ADD_FAILURE() << what << ": dX[" << b << ", " << i << ", " << y << ", " << xx
                            << "] = " << got << ", want " << want;
          }
  }
}

TEST(Conv2dOp, ModuleWithBiasAndDynamicBatch) {
  // Through nn::Conv2d, so the weight and bias are parameters and only the
  // input's batch is dynamic.
  g::nn::Conv2d conv(2, 4, 3, 1, 1);
  Tensor w = random({4, 2, 3, 3}), b = random({4});
  conv.loadStateDict({{"weight", w}, {"bias", b}});
  g::CompiledModule program = g::trace(conv, random({1, 2, 6, 6})).compile();
  for (int64_t batch : {1, 3}) {
    Tensor x = random({batch, 2, 6, 6});
    ref::Array want = ref::conv2d(toRef(x), toRef(w), 1, 1, 1, 1, 1, 1, 1);
    ref::Array bias{{4, 1, 1}, toRef(b).data};
    expectClose(program(x), ref::zip(want, bias, std::plus<double>()), 1e-5, 1e-5);
  }
}

TEST(PoolOps, MaxAndAverageWithStrideAndPadding) {
  Tensor x = random({2, 3, 7, 6}, GRAPHC_DTYPE_F64);
  struct Case {
    int64_t kh, kw, sh, sw, ph, pw;
  };
  for (Case c : {Case{2, 2, 2, 2, 0, 0}, Case{3, 3, 2, 2, 1, 1}, Case{3, 2, 1, 2, 1, 0}}) {
    Tensor m = run1({x}, [&](auto &xs) {
      return g::max_pool2d(xs[0], {c.kh, c.kw}, {c.sh, c.sw}, {c.ph, c.pw});
    });
    expectClose(m, ref::pool2d(toRef(x), c.kh, c.kw, c.sh, c.sw, c.ph, c.pw, true), 0, 0, "max");
    Tensor a = run1({x}, [&](auto &xs) {
      return g::avg_pool2d(xs[0], {c.kh, c.kw}, {c.sh, c.sw}, {c.ph, c.pw});
    });
    expectClose(a, ref::pool2d(toRef(x), c.kh, c.kw, c.sh, c.sw, c.ph, c.pw, false), 1e-12,
                1e-12, "avg");
  }
}

/// graphc's max pooling over windows (docs/dialect.md) as the scalar loops of
/// this test compute it (windows in row-major order, each read in (kh, kw)
/// order): forward, `x > max || isnan(x)` from -inf takes x (a NaN wins, the
/// last of several; a tie keeps the first), as PyTorch; backward, the upstream
/// gradient goes to the position the forward pass took, as PyTorch's CPU
/// kernel (a window of -inf only sends nothing, where PyTorch picks its first
/// position). Positions outside every window get no gradient.
template <typename T>
void expectMaxPoolLikeTheLoops(Tensor x, int64_t kh, int64_t kw, const std::string &what) {
  std::vector<int64_t> shape = x.shape();
  int64_t n = shape[0], c = shape[1], h = shape[2], w = shape[3], oh = h / kh, ow = w / kw;
  Tensor upstream = random({n, c, oh, ow}, x.dtype(), -1, 1, 5);
  g::nn::Module none;
  g::Graph graph = g::trace(
      none, {{"x", shape, x.dtype(), true}, {"upstream", upstream.shape(), x.dtype()}},
      [&](const std::vector<g::Tensor> &xs) {
        g::Tensor y = g::max_pool2d(xs[0], {kh, kw}, {kh, kw}, {0, 0});
        return std::vector<g::Tensor>{(y * xs[1]).sum(), y};
      });
  graph.differentiate();
  g::CompiledModule program = graph.compile();
  g::BackwardResult result = program.backward({x, upstream});
  ASSERT_EQ(result.outputs.size(), 2u) << what;
  const T *in = x.data<T>(), *dy = upstream.data<T>(), *y = result.outputs[1].data<T>();
  const T *dx = result.inputGrads.at(0).data<T>();
  std::vector<T> wantDx(x.numel(), 0);
  int reported = 0;
  for (int64_t plane = 0; plane < n * c; ++plane)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        T max = -INFINITY, best = -INFINITY;
        int64_t winner = -1;
        for (int64_t a = 0; a < kh; ++a)
          for (int64_t b = 0; b < kw; ++b) {
            int64_t at = (plane * h + i * kh + a) * w + j * kw + b;
            if (in[at] > max || std::isnan(in[at]))
              max = in[at];
            if (in[at] > best || std::isnan(in[at])) {
              best = in[at];
              winner = at;
            }
          }
        if (winner >= 0)
          wantDx[winner] = dy[(plane * oh + i) * ow + j];
        T got = y[(plane * oh + i) * ow + j];
        bool same = std::isnan(max) ? std::isnan(got) : got == max;
        if (!same && reported++ < 3)
          ADD_FAILURE() << what << ": window (" << plane << ", " << i << ", " << j
                        << ") max " << got << ", want " << max;
      }
  for (int64_t k = 0; k < x.numel(); ++k)
    if (dx[k] != wantDx[k] && reported++ < 6)
      ADD_FAILURE() << what << ": gradient at " << k << " is " << dx[k] << ", want "
                    << wantDx[k];
}

/// `x` with ties, NaNs and -inf planted in its windows.
template <typename T> Tensor withTiesAndNaNs(std::vector<int64_t> shape, graphc_dtype_t dtype) {
  Tensor x = random(shape, dtype, -2, 2, 11);
  T *v = x.data<T>();
  int64_t w = shape[3];
  v[0] = v[1] = v[w] = v[w + 1] = 1.5;          // a window's four values tie
  v[2] = NAN;                                   // a NaN first in its window
  v[5] = NAN;                                   // a NaN last in a row's window
  v[2 * w + 0] = v[2 * w + 1] = -INFINITY;      // a window of -inf...
  v[3 * w + 0] = -INFINITY;
  v[3 * w + 1] = NAN;                           // ...and NaN: the NaN wins
  v[x.numel() - 1] = 1e30;                      // the last window's last position
  return x;
}

TEST(PoolOps, MaxOverNonOverlappingWindowsTiesNaNsAndWideRows) {
  // 2x2 over 74 columns: 37 windows a row, more than one vector's worth.
  expectMaxPoolLikeTheLoops<float>(withTiesAndNaNs<float>({3, 2, 4, 74}, GRAPHC_DTYPE_F32), 2, 2,
                                   "f32 2x2, 37 windows a row");
  // LeNet's shapes.
  expectMaxPoolLikeTheLoops<float>(withTiesAndNaNs<float>({5, 6, 28, 28}, GRAPHC_DTYPE_F32), 2, 2,
                                   "f32 2x2 on 28x28");
  expectMaxPoolLikeTheLoops<float>(withTiesAndNaNs<float>({2, 16, 10, 10}, GRAPHC_DTYPE_F32), 2,
                                   2, "f32 2x2 on 10x10");
  // Three columns a window, in f64.
  expectMaxPoolLikeTheLoops<double>(withTiesAndNaNs<double>({2, 3, 6, 9}, GRAPHC_DTYPE_F64), 2, 3,
                                    "f64 2x3");
  // Rows and columns left over past the last window.
  expectMaxPoolLikeTheLoops<double>(withTiesAndNaNs<double>({2, 2, 5, 7}, GRAPHC_DTYPE_F64), 2, 2,
                                    "f64 2x2 on 5x7");
}

TEST(ReductionOps, MultipleDimsKeepdimNegative) {
  Tensor x = random({3, 4, 5}, GRAPHC_DTYPE_F64);
  struct Case {
    std::vector<int64_t> dims;
    bool keepdim;
  };
  for (Case c : {Case{{1}, false}, Case{{0, 2}, true}, Case{{-1}, true}, Case{{0, 1, 2}, false},
                 Case{{2, 0}, false}}) {
    expectClose(run1({x}, [&](auto &xs) { return g::sum(xs[0], c.dims, c.keepdim); }),
                ref::reduce(toRef(x), c.dims, c.keepdim, ref::Reduce::Sum), 1e-12, 1e-12, "sum");
    expectClose(run1({x}, [&](auto &xs) { return g::mean(xs[0], c.dims, c.keepdim); }),
                ref::reduce(toRef(x), c.dims, c.keepdim, ref::Reduce::Mean), 1e-12, 1e-12,
                "mean");
    expectClose(run1({x}, [&](auto &xs) { return g::amax(xs[0], c.dims, c.keepdim); }),
                ref::reduce(toRef(x), c.dims, c.keepdim, ref::Reduce::Max), 0, 0, "amax");
  }
}

TEST(ReductionOps, MeanOverDynamicBatch) {
  // The count of a dynamic dim is only known at run time.
  for (int64_t batch : {1, 6}) {
    Tensor x = random({batch, 3});
    Tensor m = run1({x}, [](auto &xs) { return g::mean(xs[0], {0, 1}); }, true);
    expectClose(m, ref::reduce(toRef(x), {0, 1}, false, ref::Reduce::Mean), 1e-6, 1e-6);
  }
}

TEST(DataMovement, ReshapePermuteTransposeBroadcast) {
  Tensor x = random({2, 3, 4});
  expectClose(run1({x}, [](auto &xs) { return xs[0].view({4, -1}); }),
              ref::Array{{4, 6}, toRef(x).data}, 0, 0, "view");
  expectClose(run1({x}, [](auto &xs) { return g::reshape(xs[0], {24}); }),
              ref::Array{{24}, toRef(x).data}, 0, 0, "flatten to 1-D");
  expectClose(run1({x}, [](auto &xs) { return g::permute(xs[0], {2, 0, 1}); }),
              ref::permute(toRef(x), {2, 0, 1}), 0, 0, "permute");
  expectClose(run1({x}, [](auto &xs) { return g::transpose(xs[0], 0, -1); }),
              ref::permute(toRef(x), {2, 1, 0}), 0, 0, "transpose");
  Tensor v = random({3, 1});
  ref::Array bc{{2, 3, 4}, {}};
  for (int64_t i = 0; i < 24; ++i)
    bc.data.push_back(toRef(v).data[(i / 4) % 3]);
  expectClose(run1({v}, [](auto &xs) { return g::broadcast_to(xs[0], {2, 3, 4}); }), bc, 0, 0,
              "broadcast_to");
  Tensor s = Tensor::fromData({5.f}, {});
  expectClose(run1({s}, [](auto &xs) { return g::reshape(xs[0], {1, 1}); }),
              ref::Array{{1, 1}, {5}}, 0, 0, "scalar to [1,1]");
  Tensor one = Tensor::fromData({7.f}, {1, 1});
  expectClose(run1({one}, [](auto &xs) { return g::reshape(xs[0], {}); }), ref::Array{{}, {7}}, 0,
              0, "[1,1] to scalar");
}

TEST(DataMovement, ReshapeWithDynamicBatch) {
  for (int64_t batch : {1, 5}) {
    Tensor x = random({batch, 2, 3, 3});
    Tensor y = run1({x}, [](auto &xs) { return g::flatten(xs[0], 1); }, true);
    expectClose(y, ref::Array{{batch, 18}, toRef(x).data}, 0, 0, "flatten");
    Tensor z = run1({x}, [](auto &xs) { return xs[0].view({-1, 9}); }, true);
    expectClose(z, ref::Array{{batch * 2, 9}, toRef(x).data}, 0, 0, "view(-1, 9)");
  }
}

TEST(DataMovement, SliceLikePython) {
  Tensor x = random({5, 6});
  auto sliced = [&](int64_t dim, int64_t start, int64_t stop, int64_t step) {
    return run1({x}, [&](auto &xs) { return g::slice(xs[0], dim, start, stop, step); });
  };
  ref::Array rx = toRef(x);
  auto reference = [&](int64_t dim, int64_t start, int64_t stop, int64_t step) {
    ref::Array out{{5, 6}, {}};
    std::vector<int64_t> kept;
    int64_t size = rx.shape[dim];
    if (start < 0) start += size;
    if (stop < 0) stop += size;
    stop = std::min(stop, size);
    for (int64_t i = start; i < stop; i += step)
      kept.push_back(i);
    out.shape[dim] = kept.size();
    for (int64_t r = 0; r < out.shape[0]; ++r)
      for (int64_t c = 0; c < out.shape[1]; ++c)
        out.data.push_back(dim == 0 ? rx.data[kept[r] * 6 + c] : rx.data[r * 6 + kept[c]]);
    return out;
  };
  expectClose(sliced(0, 1, 4, 1), reference(0, 1, 4, 1), 0, 0, "x[1:4]");
  expectClose(sliced(1, 0, 6, 2), reference(1, 0, 6, 2), 0, 0, "x[:, ::2]");
  expectClose(sliced(1, -3, g::kEnd, 1), reference(1, -3, 6, 1), 0, 0, "x[:, -3:]");
  expectClose(sliced(0, 2, 100, 2), reference(0, 2, 100, 2), 0, 0, "stop clamps");
}

TEST(DataMovement, ConcatAlongEachDim) {
  Tensor a = random({2, 3}), b = random({1, 3}), c = random({2, 2});
  ref::Array ra = toRef(a), rb = toRef(b), rc = toRef(c);
  ref::Array rows{{3, 3}, ra.data};
  rows.data.insert(rows.data.end(), rb.data.begin(), rb.data.end());
  expectClose(run1({a, b}, [](auto &xs) { return g::cat({xs[0], xs[1]}, 0); }), rows, 0, 0,
              "cat dim 0");
  ref::Array cols{{2, 5}, {}};
  for (int r = 0; r < 2; ++r) {
    cols.data.insert(cols.data.end(), ra.data.begin() + r * 3, ra.data.begin() + r * 3 + 3);
    cols.data.insert(cols.data.end(), rc.data.begin() + r * 2, rc.data.begin() + r * 2 + 2);
  }
  expectClose(run1({a, c}, [](auto &xs) { return g::cat({xs[0], xs[1]}, -1); }), cols, 0, 0,
              "cat dim -1");
}

TEST(DataMovement, Constants) {
  Tensor x = random({2, 2});
  Tensor k = Tensor::fromData({1.f, 2.f, 3.f, 4.f}, {2, 2});
  expectClose(run1({x}, [&](auto &xs) { return xs[0] + g::constant(k); }),
              ref::zip(toRef(x), toRef(k), std::plus<double>()), 1e-7, 0);  // one f32 rounding
}

TEST(Composites, SoftmaxLogSoftmaxLinear) {
  Tensor x = random({4, 10}, GRAPHC_DTYPE_F64, -30, 30);
  ref::Array rx = toRef(x);
  ref::Array m = ref::reduce(rx, {1}, true, ref::Reduce::Max);
  ref::Array e = ref::map(ref::zip(rx, m, std::minus<double>()), [](double v) { return std::exp(v); });
  ref::Array s = ref::reduce(e, {1}, true, ref::Reduce::Sum);
  expectClose(run1({x}, [](auto &xs) { return g::softmax(xs[0], 1); }),
              ref::zip(e, s, std::divides<double>()), 1e-12, 1e-14, "softmax");
  ref::Array logSoftmax = ref::zip(ref::zip(rx, m, std::minus<double>()),
                                   ref::map(s, [](double v) { return std::log(v); }),
                                   std::minus<double>());
  expectClose(run1({x}, [](auto &xs) { return g::log_softmax(xs[0], -1); }), logSoftmax, 1e-12,
              1e-12, "log_softmax");

  Tensor in = random({3, 5}), w = random({4, 5}), b = random({4});
  ref::Array wt = ref::permute(toRef(w), {1, 0});
  expectClose(run1({in, w, b}, [](auto &xs) { return g::linear(xs[0], xs[1], xs[2]); }),
              ref::zip(ref::matmul(toRef(in), wt), toRef(b), std::plus<double>()), 1e-5, 1e-5,
              "linear");
}

TEST(Composites, LogSoftmaxStaysFiniteForLargeLogits) {
  Tensor x = Tensor::fromData({1000.f, 0.f, -1000.f}, {1, 3});
  Tensor y = run1({x}, [](auto &xs) { return g::log_softmax(xs[0], 1); });
  EXPECT_FLOAT_EQ(y.data<float>()[0], 0.0f);
  EXPECT_FLOAT_EQ(y.data<float>()[1], -1000.0f);
  EXPECT_FLOAT_EQ(y.data<float>()[2], -2000.0f);
}

TEST(Execution, MultipleOutputsAndInputsUntouched) {
  Tensor x = random({3, 3});
  ref::Array before = toRef(x);
  auto outs = run({x}, [](auto &xs) {
    return std::vector<g::Tensor>{g::relu(xs[0]), xs[0] * 2.0, xs[0]};
  });
  ASSERT_EQ(outs.size(), 3u);
  expectClose(outs[0], ref::map(before, reluRef), 0, 0, "relu");
  expectClose(outs[1], ref::map(before, [](double v) { return 2 * v; }), 0, 0, "2x");
  expectClose(outs[2], before, 0, 0, "identity result is a copy");
  // Results are fresh buffers: the caller's input was neither written nor aliased.
  expectClose(x, before, 0, 0, "input untouched");
  EXPECT_NE(outs[2].rawData(), x.rawData());
}
