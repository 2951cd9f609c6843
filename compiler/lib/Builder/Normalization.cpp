//===- Normalization.cpp - F.layer_norm -----------------------------------===//

#include "Tracer.h"
#include "graphc/Builder/Functional.h"
#include "graphc/Builder/NN.h"

#include <string>

namespace graphc {

Tensor reshapeForChannels(const Tensor &perChannel, int64_t rank, const SourceLoc &loc);


Tensor layer_norm(const Tensor &x, const std::vector<int64_t> &normalizedShape,
                  const Tensor &weight, const Tensor &bias, double eps, SourceLoc loc) {
  requireFloat(x, loc, "layer_norm");
  int64_t k = static_cast<int64_t>(normalizedShape.size()), rank = x.dim();
  std::vector<int64_t> xShape = x.shape();
  bool matches = k >= 1 && k <= rank;
  for (int64_t i = 0; matches && i < k; ++i)
    matches = xShape[rank - k + i] == normalizedShape[i];
  if (!matches)
    throw TraceError(loc, "layer_norm",
                     "normalized_shape " + shapeText(normalizedShape) +
                         " must equal the input's last dimensions, got input " +
                         shapeText(xShape));
  for (const Tensor *t : {&weight, &bias})
    if (t->defined() && t->shape() != normalizedShape)
      throw TraceError(loc, "layer_norm",
                       std::string(t == &weight ? "weight" : "bias") + " must have shape " +
                           shapeText(normalizedShape) + ", got " + shapeText(t->shape()));
  std::vector<int64_t> dims;
  for (int64_t i = rank - k; i < rank; ++i)
    dims.push_back(i);
  // The biased variance, as PyTorch normalizes with.
  Tensor centered = sub(x, mean(x, dims, true, loc), loc);
  Tensor variance = mean(mul(centered, centered, loc), dims, true, loc);
  Tensor y = mul(centered, rsqrt(add(variance, eps, loc), loc), loc);
  if (weight.defined())
    y = mul(y, weight, loc);
  if (bias.defined())
    y = add(y, bias, loc);
  return y;
}

namespace {

/// The number of elements per channel of x [N, C, ...]: N (known only at
/// run time when the batch is dynamic) times the trailing sizes, as a scalar
/// of x's dtype. A dynamic N is counted from one element per sample.
Tensor elementsPerChannel(const Tensor &x, const SourceLoc &loc) {
  double trailing = 1;
  for (int64_t d = 2; d < x.dim(); ++d)
    trailing *= static_cast<double>(x.size(d));
  if (x.size(0) != kDynamic)
    return scalar(trailing * static_cast<double>(x.size(0)), x.dtype(), loc);
  // One element of each sample, made 1 whatever its value ((v == v) +
  // (v != v): x * 0 + 1 would be NaN for an infinite x), summed: N.
  Tensor firstOfEach = slice(reshape(x, {-1, x.size(1) * static_cast<int64_t>(trailing)}, loc),
                             1, 0, 1, 1, loc);
  Tensor ones = add(eq(firstOfEach, firstOfEach, loc).to(x.dtype(), loc),
                    ne(firstOfEach, firstOfEach, loc).to(x.dtype(), loc), loc);
  return mul(ones.sum(loc), trailing, loc);
}

struct Statistics {
  Tensor mean, biasedVariance, unbiasedVariance; // [C]
};

/// Per-channel statistics of x [N, C, ...] over every other dimension.
Statistics batchStatistics(const Tensor &x, const SourceLoc &loc) {
  std::vector<int64_t> dims{0};
  for (int64_t d = 2; d < x.dim(); ++d)
    dims.push_back(d);
  Tensor mean = graphc::mean(x, dims, /*keepdim=*/false, loc);
  Tensor centered = sub(x, reshapeForChannels(mean, x.dim(), loc), loc);
  Tensor sumOfSquares = sum(mul(centered, centered, loc), dims, false, loc);
  Tensor n = elementsPerChannel(x, loc);
  return {mean, div(sumOfSquares, n, loc), div(sumOfSquares, sub(n, 1.0, loc), loc)};
}

} // namespace

Tensor reshapeForChannels(const Tensor &perChannel, int64_t rank, const SourceLoc &loc) {
  std::vector<int64_t> shape(rank, 1);
  shape[1] = perChannel.size(0);
  return reshape(perChannel, shape, loc);
}

Tensor batchNormWithFactor(const Tensor &x, const Buffer *runningMean, const Buffer *runningVar,
                           const Tensor &weight, const Tensor &bias, bool training,
                           const Tensor &factor, double eps, const SourceLoc &loc) {
  requireFloat(x, loc, "batch_norm");
  if (x.dim() < 2)
    throw TraceError(loc, "batch_norm",
                     "expects an input [N, C, ...], got rank " + std::to_string(x.dim()));
  int64_t channels = x.size(1);
  if (channels == kDynamic)
    throw TraceError(loc, "batch_norm", "needs a static number of channels (dimension 1)");
  std::vector<int64_t> perChannel{channels};
  for (const Tensor *t : {&weight, &bias})
    if (t->defined() && t->shape() != perChannel)
      throw TraceError(loc, "batch_norm",
                       std::string(t == &weight ? "weight" : "bias") + " must have shape " +
                           shapeText(perChannel) + ", got " + shapeText(t->shape()));
  for (const Buffer *b : {runningMean, runningVar})
    if (b && b->shape() != perChannel)
      throw TraceError(loc, "batch_norm",
                       std::string(b == runningMean ? "running_mean" : "running_var") +
                           " must have shape " + shapeText(perChannel) + ", got " +
                           shapeText(b->shape()));
  if (!training && (!runningMean || !runningVar))
    throw TraceError(loc, "batch_norm",
                     "needs running_mean and running_var when not training");
  if (training && x.size(0) != kDynamic) {
    // PyTorch's check: one value per channel has no variance (a dynamic
    // batch of 1 gives NaN statistics, as it cannot be seen here).
    int64_t perChannel = x.size(0);
    for (int64_t d = 2; d < x.dim(); ++d)
      perChannel *= x.size(d);
    if (perChannel == 1)
      throw TraceError(loc, "batch_norm",
                       "expected more than 1 value per channel when training, got input size " +
                           shapeText(x.shape()));
  }
  Tensor mean, variance;
  if (training) {
    Statistics s = batchStatistics(x, loc);
    mean = s.mean;
    variance = s.biasedVariance;
    if (runningMean)
      runningMean->assign(add(mul(Tensor(*runningMean), (1.0 - Operand(factor, loc)), loc),
                              mul(s.mean, factor, loc), loc),
                          loc);
    if (runningVar)
      runningVar->assign(add(mul(Tensor(*runningVar), (1.0 - Operand(factor, loc)), loc),
                             mul(s.unbiasedVariance, factor, loc), loc),
                         loc);
  } else {
    mean = Tensor(*runningMean);
    variance = Tensor(*runningVar);
  }
  int64_t rank = x.dim();
  Tensor scale = rsqrt(add(variance, eps, loc), loc); // [C]
  if (weight.defined())
    scale = mul(scale, weight, loc);
  Tensor y = mul(sub(x, reshapeForChannels(mean, rank, loc), loc),
                 reshapeForChannels(scale, rank, loc), loc);
  if (bias.defined())
    y = add(y, reshapeForChannels(bias, rank, loc), loc);
  return y;
}

Tensor batch_norm(const Tensor &x, const Buffer *runningMean, const Buffer *runningVar,
                  const Tensor &weight, const Tensor &bias, bool training, double momentum,
                  double eps, SourceLoc loc) {
  return batchNormWithFactor(x, runningMean, runningVar, weight, bias, training,
                             scalar(momentum, x.defined() ? x.dtype() : GRAPHC_DTYPE_F32, loc),
                             eps, loc);
}

namespace nn {

Tensor BatchNorm::forward(const Tensor &input) {
  SourceLoc loc = moduleCallSite();
  bool rankOk = false;
  for (int64_t r : ranks_)
    rankOk |= input.dim() == r;
  if (!rankOk)
    throw TraceError(loc, kind_,
                     std::string("expects a ") +
                         (ranks_.size() == 1 ? "4-D input [N, C, H, W]"
                                             : "2-D or 3-D input [N, C] or [N, C, L]") +
                         ", got rank " + std::to_string(input.dim()));
  if (input.size(1) != numFeatures)
    throw TraceError(loc, kind_,
                     "expects " + std::to_string(numFeatures) + " channels (dimension 1), got " +
                         (input.size(1) == kDynamic ? std::string("?")
                                                    : std::to_string(input.size(1))));
  bool training = isTraining() || !trackRunningStats;
  Tensor factor; // the running averages' weight of this batch
  if (isTraining() && trackRunningStats) {
    // num_batches_tracked += 1; momentum None averages over every batch so far.
    Tensor tracked = add(Tensor(numBatchesTracked), 1, loc);
    numBatchesTracked.assign(tracked, loc);
    factor = momentum ? scalar(*momentum, input.dtype(), loc)
                      : 1.0 / Operand(tracked.to(input.dtype(), loc), loc);
  } else {
    factor = scalar(0.0, input.dtype(), loc); // unused: nothing is assigned
  }
  bool updates = isTraining() && trackRunningStats;
  return batchNormWithFactor(input, trackRunningStats && (updates || !training) ? &runningMean : nullptr,
                             trackRunningStats && (updates || !training) ? &runningVar : nullptr,
                             affine ? Tensor(weight) : Tensor(), affine ? Tensor(bias) : Tensor(),
                             training, factor, eps, loc);
}

} // namespace nn

} // namespace graphc
