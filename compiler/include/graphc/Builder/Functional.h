//===- Functional.h - torch.nn.functional's activations and norms -*- C++ -*-===//
//
// Composites: each is written in graph primitives, so it gets its shape
// rule, gradient and lowering from its parts. Where PyTorch's kernel uses a
// function the op set lacks (log1p, expm1), the composite uses a form that is
// equal in exact arithmetic and stays finite everywhere; the docs list the
// differences (ulps near 0 for very negative inputs).
//
//===----------------------------------------------------------------------===//
#ifndef GRAPHC_BUILDER_FUNCTIONAL_H
#define GRAPHC_BUILDER_FUNCTIONAL_H

#include "graphc/Builder/Tensor.h"

#include <optional>
#include <vector>

namespace graphc {

/// F.leaky_relu: x if x > 0 else negativeSlope * x.
Tensor leaky_relu(const Tensor &x, double negativeSlope = 0.01,
                  SourceLoc loc = SourceLoc::current());

/// F.gelu's two forms: the exact x * Phi(x) (erf), or PyTorch's tanh approximation.
enum class GeluApproximation { None, Tanh };
/// F.gelu: 0.5 x (1 + erf(x / sqrt 2)), or with Tanh 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
Tensor gelu(const Tensor &x, GeluApproximation approximate = GeluApproximation::None,
            SourceLoc loc = SourceLoc::current());
/// F.silu: x * sigmoid(x).
Tensor silu(const Tensor &x, SourceLoc loc = SourceLoc::current());
/// F.softplus: log(1 + exp(beta x)) / beta, and x itself where beta x > threshold.
Tensor softplus(const Tensor &x, double beta = 1.0, double threshold = 20.0,
                SourceLoc loc = SourceLoc::current());
/// F.elu: x if x > 0 else alpha (exp(x) - 1).
Tensor elu(const Tensor &x, double alpha = 1.0, SourceLoc loc = SourceLoc::current());

/// F.layer_norm: normalizes over the trailing dimensions `normalizedShape`
/// (which must equal x's last sizes) with the biased variance, then scales by
/// `weight` and shifts by `bias` when given (both of shape normalizedShape).
Tensor layer_norm(const Tensor &x, const std::vector<int64_t> &normalizedShape,
                  const Tensor &weight = Tensor(), const Tensor &bias = Tensor(),
                  double eps = 1e-5, SourceLoc loc = SourceLoc::current());

/// F.embedding(indices, weight, padding_idx): the rows of weight [V, D...]
/// at the integer indices, shaped indices.shape + [D...]; the gradient adds
/// each index's gradient into its row, except for the row paddingIdx. An
/// index outside [0, V) reads zeros (PyTorch raises an IndexError).
Tensor embedding(const Tensor &indices, const Tensor &weight,
                 std::optional<int64_t> paddingIdx = std::nullopt,
                 SourceLoc loc = SourceLoc::current());

/// torch.rand_like(x): uniform numbers in [0, 1) of x's shape and float
/// dtype (float32 for an integer x), from the traced function's generator
/// state (graph.random_uniform): deterministic for a seed and a call count,
/// whatever the thread count, and new on every call.
Tensor rand_like(const Tensor &x, SourceLoc loc = SourceLoc::current());

/// F.dropout(x, p, training): in training mode each element is kept with
/// probability 1 - p and scaled by 1 / (1 - p) (x * mask / (1 - p), as
/// PyTorch); otherwise x itself. p must be in [0, 1].
Tensor dropout(const Tensor &x, double p = 0.5, bool training = true,
               SourceLoc loc = SourceLoc::current());

/// F.batch_norm(x, running_mean, running_var, weight, bias, training,
/// momentum, eps) on x [N, C, ...], per channel C. With `training` it
/// normalizes with the batch's mean and biased variance and, when running
/// buffers are given, assigns them (1 - momentum) * running + momentum *
/// batch statistic, the variance unbiased, as PyTorch updates them in place;
/// otherwise it normalizes with the running statistics (both required).
/// weight and bias [C] are optional.
Tensor batch_norm(const Tensor &x, const Buffer *runningMean, const Buffer *runningVar,
                  const Tensor &weight = Tensor(), const Tensor &bias = Tensor(),
                  bool training = false, double momentum = 0.1, double eps = 1e-5,
                  SourceLoc loc = SourceLoc::current());

} // namespace graphc

#endif // GRAPHC_BUILDER_FUNCTIONAL_H
