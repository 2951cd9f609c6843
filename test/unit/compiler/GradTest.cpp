// Gradient checks: every primitive op's gradient rule, through the autodiff
// pass, the lowering and the JIT, against central finite differences in
// float64 (and the seed-002 values derived by hand).
#include "TestUtil.h"

#include <cmath>

using namespace testutil;
namespace g = graphc;

namespace {

using Fn = std::function<g::Tensor(const std::vector<g::Tensor> &)>;

/// loss = sum(fn(xs) * R) for a fixed random R, so every output element gets
/// a distinct upstream gradient. Checks d loss / d xs[i] for every input
/// against central differences of the compiled forward function.
void gradCheck(const std::string &what, std::vector<Tensor> inputs, const Fn &fn,
               double tol = 1e-6, double eps = 1e-6) {
  g::nn::Module none;
  std::vector<g::InputSpec> specs;
  for (size_t i = 0; i < inputs.size(); ++i)
    specs.push_back({"x" + std::to_string(i), inputs[i].shape(), inputs[i].dtype(), true});
  // The output's shape is needed for R: trace once to learn it.
  std::vector<int64_t> outShape;
  g::trace(none, specs, [&](const std::vector<g::Tensor> &xs) {
    g::Tensor y = fn(xs);
    outShape = y.shape();
    return std::vector<g::Tensor>{y};
  }, {"forward", false});
  Tensor weights = random(outShape, GRAPHC_DTYPE_F64, -1, 1, 99);
  g::Graph graph = g::trace(none, specs, [&](const std::vector<g::Tensor> &xs) {
    g::Tensor y = fn(xs) * g::constant(weights);
    return std::vector<g::Tensor>{y.dim() == 0 ? y : y.sum()};
  }, {"forward", false});
  graph.differentiate();
  g::CompiledModule program = graph.compile();
  g::BackwardResult analytic = program.backward(inputs);
  ASSERT_EQ(analytic.inputGrads.size(), inputs.size()) << what;

  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor x = inputs[i];
    ASSERT_EQ(analytic.inputGrads[i].shape(), x.shape()) << what;
    const double *grad = analytic.inputGrads[i].data<double>();
    int reported = 0;
    for (int64_t k = 0; k < x.numel(); ++k) {
      double saved = x.data<double>()[k];
      x.data<double>()[k] = saved + eps;
      double plus = program.run(inputs).at(0).data<double>()[0];
      x.data<double>()[k] = saved - eps;
      double minus = program.run(inputs).at(0).data<double>()[0];
      x.data<double>()[k] = saved;
      double numeric = (plus - minus) / (2 * eps);
      if (std::abs(numeric - grad[k]) > tol * (1 + std::abs(numeric)) && reported++ < 3)
        ADD_FAILURE() << what << ": d/dx" << i << "[" << k << "] autodiff " << grad[k]
                      << " vs finite differences " << numeric;
    }
  }
}

Tensor f64(const std::vector<int64_t> &shape, double lo = -2, double hi = 2, uint64_t seed = 7) {
  return random(shape, GRAPHC_DTYPE_F64, lo, hi, seed);
}

} // namespace

TEST(GradCheck, UnaryOps) {
  gradCheck("neg", {f64({3, 4})}, [](auto &x) { return g::neg(x[0]); });
  gradCheck("exp", {f64({3, 4})}, [](auto &x) { return g::exp(x[0]); });
  gradCheck("log", {f64({3, 4}, 0.2, 3)}, [](auto &x) { return g::log(x[0]); });
  gradCheck("sqrt", {f64({3, 4}, 0.2, 3)}, [](auto &x) { return g::sqrt(x[0]); });
  gradCheck("rsqrt", {f64({3, 4}, 0.2, 3)}, [](auto &x) { return g::rsqrt(x[0]); });
  gradCheck("abs", {f64({3, 4})}, [](auto &x) { return g::abs(x[0]); });
  gradCheck("relu", {f64({3, 4})}, [](auto &x) { return g::relu(x[0]); });
  gradCheck("sigmoid", {f64({3, 4})}, [](auto &x) { return g::sigmoid(x[0]); });
  gradCheck("tanh", {f64({3, 4})}, [](auto &x) { return g::tanh(x[0]); });
  gradCheck("erf", {f64({3, 4})}, [](auto &x) { return g::erf(x[0]); });
  // Flat between integers (the random points are not integers): zero.
  gradCheck("floor", {f64({3, 4})}, [](auto &x) { return g::floor(x[0]); });
  gradCheck("ceil", {f64({3, 4})}, [](auto &x) { return g::ceil(x[0]); });
  gradCheck("round", {f64({3, 4})}, [](auto &x) { return g::round(x[0]); });
  gradCheck("sin", {f64({3, 4})}, [](auto &x) { return g::sin(x[0]); });
  gradCheck("cos", {f64({3, 4})}, [](auto &x) { return g::cos(x[0]); });
  gradCheck("tan", {f64({3, 4}, -1.2, 1.2)}, [](auto &x) { return g::tan(x[0]); });
  gradCheck("asin", {f64({3, 4}, -0.9, 0.9)}, [](auto &x) { return g::asin(x[0]); });
  gradCheck("acos", {f64({3, 4}, -0.9, 0.9)}, [](auto &x) { return g::acos(x[0]); });
  gradCheck("atan", {f64({3, 4})}, [](auto &x) { return g::atan(x[0]); });
  gradCheck("sinh", {f64({3, 4})}, [](auto &x) { return g::sinh(x[0]); });
  gradCheck("cosh", {f64({3, 4})}, [](auto &x) { return g::cosh(x[0]); });
  gradCheck("asinh", {f64({3, 4})}, [](auto &x) { return g::asinh(x[0]); });
  gradCheck("acosh", {f64({3, 4}, 1.1, 4)}, [](auto &x) { return g::acosh(x[0]); });
  gradCheck("atanh", {f64({3, 4}, -0.9, 0.9)}, [](auto &x) { return g::atanh(x[0]); });
}

TEST(GradCheck, BinaryOpsWithBroadcasting) {
  // [2,1,3] with [4,1]: a stretched dim on each side and a missing leading dim.
  auto a = [] { return f64({2, 1, 3}, -2, 2, 1); };
  auto b = [] { return f64({4, 1}, 0.5, 2, 2); };
  gradCheck("add", {a(), b()}, [](auto &x) { return x[0] + x[1]; });
  gradCheck("sub", {a(), b()}, [](auto &x) { return x[0] - x[1]; });
  gradCheck("mul", {a(), b()}, [](auto &x) { return x[0] * x[1]; });
  gradCheck("div", {a(), b()}, [](auto &x) { return x[0] / x[1]; });
  gradCheck("pow", {f64({2, 1, 3}, 0.5, 2, 3), b()}, [](auto &x) { return g::pow(x[0], x[1]); });
  gradCheck("maximum", {a(), f64({4, 1}, -2, 2, 4)},
            [](auto &x) { return g::maximum(x[0], x[1]); });
  gradCheck("minimum", {a(), f64({4, 1}, -2, 2, 4)},
            [](auto &x) { return g::minimum(x[0], x[1]); });
  gradCheck("scalar operands", {f64({3})}, [](auto &x) { return 3.0 * x[0] - 1 + x[0] / 2.0; });
}

TEST(GradCheck, WhereAndCast) {
  gradCheck("where", {f64({3, 4}), f64({4}, -2, 2, 5)},
            [](auto &x) { return g::where(g::gt(x[0], 0.0), x[0], x[1]); });
  // Through float32 the function is a staircase at 1e-7: difference over a
  // wide step (exact for this linear function up to rounding).
  gradCheck("cast f64->f32->f64", {f64({5})},
            [](auto &x) { return x[0].to(GRAPHC_DTYPE_F32).to(GRAPHC_DTYPE_F64); }, 1e-5, 1e-2);
}

TEST(GradCheck, Matmul) {
  gradCheck("2-D", {f64({3, 4}), f64({4, 5}, -2, 2, 3)},
            [](auto &x) { return g::matmul(x[0], x[1]); });
  gradCheck("batched", {f64({2, 3, 4}), f64({2, 4, 2}, -2, 2, 3)},
            [](auto &x) { return g::matmul(x[0], x[1]); });
  gradCheck("shared rhs", {f64({2, 3, 4}), f64({4, 2}, -2, 2, 3)},
            [](auto &x) { return g::matmul(x[0], x[1]); });
}

TEST(GradCheck, Conv2d) {
  gradCheck("plain", {f64({2, 2, 5, 5}), f64({3, 2, 3, 3}, -1, 1, 3)},
            [](auto &x) { return g::conv2d(x[0], x[1]); });
  gradCheck("stride, padding, non-square", {f64({1, 2, 7, 6}), f64({2, 2, 3, 2}, -1, 1, 3)},
            [](auto &x) { return g::conv2d(x[0], x[1], g::Tensor(), {2, 1}, {1, 0}); });
  gradCheck("dilation, groups", {f64({1, 4, 7, 7}), f64({4, 2, 2, 3}, -1, 1, 3)},
            [](auto &x) { return g::conv2d(x[0], x[1], g::Tensor(), 1, {1, 2}, {2, 1}, 2); });
  // Stride 1 and dilation 1 lower over flattened rows (forward and weight
  // gradient): padding, a non-square kernel and groups through that path.
  gradCheck("stride 1, padding", {f64({2, 3, 6, 5}), f64({4, 3, 3, 2}, -1, 1, 3)},
            [](auto &x) { return g::conv2d(x[0], x[1], g::Tensor(), 1, {2, 1}); });
  // The input gradient's padded rows wrap (the left zeros of one row are
  // the right zeros of the row before): with and without column padding.
  gradCheck("stride 1, row padding only", {f64({2, 3, 6, 5}), f64({4, 3, 3, 2}, -1, 1, 3)},
            [](auto &x) { return g::conv2d(x[0], x[1], g::Tensor(), 1, {1, 0}); });
  // Images narrower than the kernel: the wrapped rows' overrun still inside
  // the padded buffer (2 + 2 > 5 - 2), and the case where it would not be
  // (1 + 2), which pads both sides.
  gradCheck("stride 1, narrow image", {f64({1, 2, 3, 2}), f64({2, 2, 5, 5}, -1, 1, 3)},
            [](auto &x) { return g::conv2d(x[0], x[1], g::Tensor(), 1, {2, 2}); });
  gradCheck("stride 1, narrowest image", {f64({1, 1, 3, 1}), f64({2, 1, 3, 5}, -1, 1, 3)},
            [](auto &x) { return g::conv2d(x[0], x[1], g::Tensor(), 1, {1, 2}); });
  gradCheck("stride 1, wide kernel, column padding", {f64({1, 2, 6, 7}), f64({3, 2, 3, 5}, -1, 1, 3)},
            [](auto &x) { return g::conv2d(x[0], x[1], g::Tensor(), 1, {0, 1}); });
  gradCheck("stride 1, padding, groups", {f64({2, 4, 6, 5}), f64({4, 2, 3, 2}, -1, 1, 3)},
            [](auto &x) { return g::conv2d(x[0], x[1], g::Tensor(), 1, {1, 2}, 1, 2); });
  // Narrow rows: graphc-unfold-window-columns computes these over
  // column-shifted copies of the input (with row padding in the second).
  gradCheck("stride 1, narrow rows", {f64({2, 3, 6, 7}), f64({4, 3, 3, 3}, -1, 1, 3)},
            [](auto &x) { return g::conv2d(x[0], x[1]); });
  gradCheck("stride 1, narrow rows, row padding", {f64({1, 2, 5, 6}), f64({3, 2, 2, 4}, -1, 1, 3)},
            [](auto &x) { return g::conv2d(x[0], x[1], g::Tensor(), 1, {1, 0}); });
  gradCheck("bias", {f64({1, 1, 4, 4}), f64({2, 1, 2, 2}, -1, 1, 3), f64({2}, -1, 1, 4)},
            [](auto &x) { return g::conv2d(x[0], x[1], x[2], 2, 1); });
}

TEST(GradCheck, Pooling) {
  gradCheck("max 2x2", {f64({2, 2, 4, 6})}, [](auto &x) { return g::max_pool2d(x[0], 2); });
  gradCheck("max overlapping, padded", {f64({1, 2, 5, 5})},
            [](auto &x) { return g::max_pool2d(x[0], 3, 2, 1); });
  gradCheck("avg", {f64({1, 2, 5, 4})}, [](auto &x) { return g::avg_pool2d(x[0], {3, 2}, 1, {1, 1}); });
  // A ReLU before the pooling: graphc-mask-pooled-gradients applies its
  // mask to the windows (some of these are all negative).
  gradCheck("relu, then max 2x2", {f64({2, 3, 4, 6})},
            [](auto &x) { return g::max_pool2d(g::relu(x[0]), 2); });
  gradCheck("relu, then max overlapping, padded", {f64({1, 2, 5, 5})},
            [](auto &x) { return g::max_pool2d(g::relu(x[0]), 3, 2, 1); });
}

TEST(GradCheck, Reductions) {
  gradCheck("sum", {f64({3, 4, 2})}, [](auto &x) { return g::sum(x[0], {0, 2}); });
  gradCheck("sum keepdim", {f64({3, 4, 2})}, [](auto &x) { return g::sum(x[0], {1}, true); });
  gradCheck("mean", {f64({3, 4, 2})}, [](auto &x) { return g::mean(x[0], {-1, 0}); });
  gradCheck("amax", {f64({3, 4, 2})}, [](auto &x) { return g::amax(x[0], {1}); });
  gradCheck("full mean", {f64({3, 4})}, [](auto &x) { return x[0].mean(); });
}

TEST(GradCheck, DataMovement) {
  gradCheck("reshape", {f64({2, 6})}, [](auto &x) { return x[0].view({3, 4}); });
  gradCheck("permute", {f64({2, 3, 4})}, [](auto &x) { return g::permute(x[0], {2, 0, 1}); });
  gradCheck("broadcast_to", {f64({3, 1})}, [](auto &x) { return g::broadcast_to(x[0], {2, 3, 4}); });
  gradCheck("slice", {f64({5, 6})}, [](auto &x) { return g::slice(x[0], 1, 1, 6, 2); });
  gradCheck("cat", {f64({2, 3}), f64({2, 2}, -2, 2, 5)},
            [](auto &x) { return g::cat({x[0], x[1], x[0]}, 1); });
}

TEST(GradCheck, Composites) {
  gradCheck("softmax", {f64({3, 5})}, [](auto &x) { return g::softmax(x[0], 1); });
  gradCheck("log_softmax", {f64({3, 5})}, [](auto &x) { return g::log_softmax(x[0], -1); });
  gradCheck("linear", {f64({4, 3}), f64({2, 3}, -1, 1, 3), f64({2}, -1, 1, 4)},
            [](auto &x) { return g::linear(x[0], x[1], x[2]); });
}

TEST(Autodiff, GradAccumulatesUntilZeroGrad) {
  // Seed 002, scalar case: y = w * x + b with x = 4, w = 2, b = 3.
  g::Parameter x(Tensor::fromData({4.f}, {})), w(Tensor::fromData({2.f}, {})),
      b(Tensor::fromData({3.f}, {}));
  EXPECT_FALSE(x.grad().get()); // None before backward
  g::Graph graph = g::trace({{"x", x}, {"w", w}, {"b", b}}, {}, [&](auto &) {
    return std::vector<g::Tensor>{g::Tensor(w) * x + b};
  });
  g::CompiledModule program = graph.differentiate().compile();
  program.backward({});
  EXPECT_EQ(x.grad().str(), "tensor(2.)");
  EXPECT_EQ(w.grad().str(), "tensor(4.)");
  EXPECT_EQ(b.grad().str(), "tensor(1.)");
  program.backward({});
  EXPECT_EQ(x.grad().str(), "tensor(4.)"); // accumulated
  x.zeroGrad();
  EXPECT_FALSE(x.grad().get());
}

TEST(Autodiff, UpstreamGradientEqualsSumCase) {
  // Seed 002 "cas 2": Z.backward(dZ) with dZ = ones gives the X.grad of y = Z.sum().
  Tensor X = Tensor::fromData({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {4, 3});
  g::Parameter W(Tensor::fromData({1, 2, 3, 4, 5, 6}, {3, 2})), bias(Tensor::fromData({1, 1}, {2}));
  std::vector<std::pair<std::string, g::Parameter>> params{{"W", W}, {"b", bias}};
  g::InputSpec spec{"X", {4, 3}, GRAPHC_DTYPE_F32, true};
  g::TraceOptions fixed{"forward", false};
  g::CompiledModule viaSum = g::trace(params, {spec}, [&](auto &xs) {
    return std::vector<g::Tensor>{(g::matmul(xs[0], W) + bias).sum()};
  }, fixed).differentiate().compile();
  g::CompiledModule viaUpstream = g::trace(params, {spec}, [&](auto &xs) {
    return std::vector<g::Tensor>{g::matmul(xs[0], W) + bias};
  }, fixed).differentiate().compile();
  Tensor xGradSum = viaSum.backward({X}).inputGrads.at(0);
  EXPECT_EQ(xGradSum.str(), "tensor([[ 3.,  7., 11.],\n        [ 3.,  7., 11.],\n"
                            "        [ 3.,  7., 11.],\n        [ 3.,  7., 11.]])");
  EXPECT_EQ(W.grad().str(), "tensor([[22., 22.],\n        [26., 26.],\n        [30., 30.]])");
  EXPECT_EQ(bias.grad().str(), "tensor([4., 4.])");
  Tensor xGradUpstream = viaUpstream.backward({X}, Tensor::ones({4, 2})).inputGrads.at(0);
  expectClose(xGradUpstream, toRef(xGradSum), 0, 0);
  EXPECT_THROW(viaUpstream.backward({X}), g::CallError); // non-scalar needs dZ
}

// torch.no_grad() and x.detach(): values computed from detached operands
// carry no gradient; the gradient is the one of what remains (hand-derived).
TEST(NoGrad, DetachAndNoGradGuardCutTheGradient) {
  g::Parameter w(Tensor::fromData(std::vector<double>{1.5, -2.0, 3.0}, {3}));
  g::nn::Module none;
  auto gradientOf = [&](std::function<g::Tensor(const g::Tensor &)> fn) {
    w.zeroGrad();
    g::Graph graph = g::trace({{"w", w}}, {}, [&](const std::vector<g::Tensor> &) {
      return std::vector<g::Tensor>{fn(g::Tensor(w))};
    });
    graph.differentiate().compile().backward({});
    return toRef(w.grad()).data;
  };
  // d/dw sum(detach(w^2) * w) = w^2, not 3 w^2.
  EXPECT_EQ(gradientOf([](const g::Tensor &v) { return ((v * v).detach() * v).sum(); }),
            (std::vector<double>{2.25, 4.0, 9.0}));
  // y = 2 w computed under no_grad: d/dw sum(y * w) = y = 2 w, not 4 w.
  EXPECT_EQ(gradientOf([](const g::Tensor &v) {
              g::Tensor y;
              {
                g::NoGradGuard noGrad;
                EXPECT_FALSE(g::isGradEnabled());
                {
                  g::NoGradGuard nested;
                }
                EXPECT_FALSE(g::isGradEnabled()); // still inside the outer scope
                y = v * 2.0;
              }
              EXPECT_TRUE(g::isGradEnabled());
              return (y * v).sum();
            }),
            (std::vector<double>{3.0, -4.0, 6.0}));
}

// A tensor multiplied by its own transpose: its gradient takes both
// operands' contributions (dA = G A + G^T A), also through a scale and a
// select before it (the shape of graphc_difftest seed 1061's program; its
// wrong gradient came from the mask in a matmul's tiles:
// MatmulOp.EpilogueOverAMaskKeepsItsBytes).
TEST(GradCheck, MatmulWithItsOwnTranspose) {
  gradCheck("a a^T", {f64({3, 2})},
            [](auto &x) { return g::matmul(x[0], g::transpose(x[0], 0, 1)); });
  gradCheck("(0.75 + x^T) * p", {f64({2, 3}), f64({1})}, [](auto &x) {
    g::Tensor v11 = (g::transpose(x[0], 0, 1) + 0.75) * x[1];
    return g::matmul(v11, g::transpose(v11, 0, 1));
  });
  gradCheck("select", {f64({2, 3}), f64({1}), f64({3, 1}), f64({1})}, [](auto &x) {
    g::Tensor v11 = (g::transpose(x[0], 0, 1) + 0.75) * x[1];
    g::Tensor v15 = g::where(g::ne(v11, x[2]), v11, x[3]);
    return g::matmul(v15, g::transpose(v15, 0, 1));
  });
}

