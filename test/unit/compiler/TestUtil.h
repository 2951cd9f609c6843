// Helpers shared by the compiler tests: trace + JIT + run in one call,
// seeded random tensors, and comparison against the reference arrays.
#ifndef GRAPHC_TEST_UNIT_COMPILER_TESTUTIL_H
#define GRAPHC_TEST_UNIT_COMPILER_TESTUTIL_H

#include "Reference.h"

#include "graphc/Builder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace testutil {

using graphc::rt::Tensor;

/// Traces `fn` on inputs shaped like `inputs` (dim 0 dynamic if asked),
/// compiles with the JIT and runs it on `inputs`.
inline std::vector<Tensor>
run(const std::vector<Tensor> &inputs,
    const std::function<std::vector<graphc::Tensor>(const std::vector<graphc::Tensor> &)> &fn,
    bool dynamicBatch = false) {
  graphc::nn::Module noParameters;
  std::vector<graphc::InputSpec> specs;
  for (size_t i = 0; i < inputs.size(); ++i)
    specs.push_back({"x" + std::to_string(i), inputs[i].shape(), inputs[i].dtype()});
  graphc::TraceOptions options;
  options.dynamicBatch = dynamicBatch;
  graphc::Graph graph = graphc::trace(noParameters, specs, fn, options);
  return graph.compile().run(inputs);
}

inline Tensor run1(const std::vector<Tensor> &inputs,
                   const std::function<graphc::Tensor(const std::vector<graphc::Tensor> &)> &fn,
                   bool dynamicBatch = false) {
  return run(inputs, [&](const std::vector<graphc::Tensor> &xs) {
           return std::vector<graphc::Tensor>{fn(xs)};
         }, dynamicBatch).at(0);
}

/// U(lo, hi) values of the given dtype (integers are rounded).
inline Tensor random(const std::vector<int64_t> &shape, graphc_dtype_t dtype = GRAPHC_DTYPE_F32,
                     double lo = -2, double hi = 2, uint64_t seed = 7) {
  static graphc::Generator gen;
  gen.manualSeed(seed + shape.size() * 131 + (shape.empty() ? 0 : shape[0]));
  Tensor f64 = Tensor::zeros(shape, GRAPHC_DTYPE_F64);
  gen.uniform(f64, lo, hi);
  Tensor out = Tensor::zeros(shape, dtype);
  for (int64_t i = 0; i < f64.numel(); ++i) {
    double v = f64.data<double>()[i];
    switch (dtype) {
    case GRAPHC_DTYPE_F32: out.data<float>()[i] = static_cast<float>(v); break;
    case GRAPHC_DTYPE_F64: out.data<double>()[i] = v; break;
    case GRAPHC_DTYPE_I32: out.data<int32_t>()[i] = static_cast<int32_t>(std::lround(v)); break;
    case GRAPHC_DTYPE_I64: out.data<int64_t>()[i] = std::lround(v); break;
    case GRAPHC_DTYPE_BOOL: out.data<bool>()[i] = v > 0; break;
    }
  }
  return out;
}

inline ref::Array toRef(const Tensor &t) {
  ref::Array a{t.shape(), {}};
  for (int64_t i = 0; i < t.numel(); ++i) {
    switch (t.dtype()) {
    case GRAPHC_DTYPE_F32: a.data.push_back(t.data<float>()[i]); break;
    case GRAPHC_DTYPE_F64: a.data.push_back(t.data<double>()[i]); break;
    case GRAPHC_DTYPE_I32: a.data.push_back(t.data<int32_t>()[i]); break;
    case GRAPHC_DTYPE_I64: a.data.push_back(static_cast<double>(t.data<int64_t>()[i])); break;
    case GRAPHC_DTYPE_BOOL: a.data.push_back(t.data<bool>()[i] ? 1 : 0); break;
    }
  }
  return a;
}

/// |got - want| <= atol + rtol * |want| everywhere; NaNs must match.
inline void expectClose(const Tensor &got, const ref::Array &want, double rtol = 1e-5,
                        double atol = 1e-5, const std::string &what = "") {
  ASSERT_EQ(got.shape(), want.shape) << what;
  ref::Array g = toRef(got);
  int reported = 0;
  for (size_t i = 0; i < want.data.size(); ++i) {
    double a = g.data[i], b = want.data[i];
    bool ok = (std::isnan(a) && std::isnan(b)) || (a == b) ||
              std::abs(a - b) <= atol + rtol * std::abs(b);
    if (!ok && reported++ < 5)
      ADD_FAILURE() << what << " element " << i << ": got " << a << ", want " << b;
  }
}

/// Sample `index` of a batch-first tensor ([N, ...] -> [...]), as a new
/// tensor: one batch of a stack of batches, t[index] in PyTorch.
inline Tensor rowsOf(const Tensor &t, int64_t index) {
  std::vector<int64_t> shape = t.shape();
  shape.erase(shape.begin());
  Tensor out = Tensor::zeros(shape, t.dtype());
  const char *from = static_cast<const char *>(t.rawData()) + index * out.nbytes();
  std::copy(from, from + out.nbytes(), static_cast<char *>(out.rawData()));
  return out;
}

} // namespace testutil

#endif // GRAPHC_TEST_UNIT_COMPILER_TESTUTIL_H
