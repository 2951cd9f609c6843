//===- Losses.cpp - torch.nn losses as DSL composites ---------------------===//

#include "graphc/Builder/Losses.h"

#include <numeric>

namespace graphc {

namespace {

Tensor reduce(const Tensor &perElement, Reduction reduction, const SourceLoc &loc) {
  switch (reduction) {
  case Reduction::Mean:
    return perElement.dim() == 0 ? perElement : perElement.mean(loc);
  case Reduction::Sum:
    return perElement.dim() == 0 ? perElement : perElement.sum(loc);
  case Reduction::None:
    return perElement;
  }
  return perElement;
}

void requireSameShape(const Tensor &a, const Tensor &b, const char *op, const SourceLoc &loc) {
  auto sa = a.shape(), sb = b.shape();
  bool same = sa.size() == sb.size();
  for (size_t i = 0; same && i < sa.size(); ++i)
    same = sa[i] == sb[i] || sa[i] == kDynamic || sb[i] == kDynamic;
  if (!same) {
    auto text = [](const std::vector<int64_t> &s) {
      std::string t = "[";
      for (size_t i = 0; i < s.size(); ++i)
        t += (i ? ", " : "") + (s[i] == kDynamic ? std::string("?") : std::to_string(s[i]));
      return t + "]";
    };
    throw TraceError(loc, op, "input " + text(sa) + " and target " + text(sb) +
                                  " must have the same shape");
  }
}

} // namespace

namespace {
/// [N, C] float mask of each row's label class.
Tensor oneHot(const Tensor &labels, int64_t classes, graphc_dtype_t dtype, const SourceLoc &loc) {
  std::vector<int64_t> indices(classes);
  std::iota(indices.begin(), indices.end(), 0);
  Tensor classIds = constant(rt::Tensor::fromData(indices, {classes}), loc);
  Tensor column = reshape(labels.to(GRAPHC_DTYPE_I64, loc), {-1, 1}, loc);
  return eq(classIds, column, loc).to(dtype, loc);
}
} // namespace

Tensor mse_loss(const Tensor &input, const Tensor &target, Reduction reduction, SourceLoc loc) {
  requireSameShape(input, target, "mse_loss", loc);
  Tensor diff = sub(input, target, loc);
  return reduce(mul(diff, diff, loc), reduction, loc);
}

Tensor l1_loss(const Tensor &input, const Tensor &target, Reduction reduction, SourceLoc loc) {
  requireSameShape(input, target, "l1_loss", loc);
  return reduce(abs(sub(input, target, loc), loc), reduction, loc);
}

namespace {
/// Quadratic `0.5 d^2 * quadraticScale` where |d| < knee, linear
/// `(|d| - 0.5 knee) * linearScale` beyond: SmoothL1 and Huber differ in the scales.
Tensor quadraticThenLinear(const Tensor &input, const Tensor &target, Reduction reduction,
                           double knee, double quadraticScale, double linearScale,
                           const char *op, const SourceLoc &loc) {
  requireSameShape(input, target, op, loc);
  if (!(knee >= 0))
    throw TraceError(loc, op, "needs a non-negative beta/delta, got " + std::to_string(knee));
  Tensor diff = sub(input, target, loc);
  Tensor magnitude = abs(diff, loc);
  if (knee == 0) // smooth_l1_loss with beta = 0 is l1_loss
    return reduce(mul(magnitude, linearScale, loc), reduction, loc);
  Tensor quadratic = mul(mul(diff, diff, loc), 0.5 * quadraticScale, loc);
  Tensor linear = mul(sub(magnitude, 0.5 * knee, loc), linearScale, loc);
  return reduce(where(lt(magnitude, knee, loc), quadratic, linear, loc), reduction, loc);
}

/// The rows whose target is not `ignoreIndex`, as 1/0 of `dtype` [N].
Tensor keptRows(const Tensor &target, int64_t ignoreIndex, graphc_dtype_t dtype,
                const SourceLoc &loc) {
  Tensor ignored = scalar(static_cast<double>(ignoreIndex), GRAPHC_DTYPE_I64, loc);
  return ne(target.to(GRAPHC_DTYPE_I64, loc), ignored, loc).to(dtype, loc);
}

/// The mean over the kept rows (PyTorch divides by their count, not N), or
/// the sum, or the per-row values.
Tensor reduceKept(const Tensor &perRow, const Tensor &kept, Reduction reduction,
                  const SourceLoc &loc) {
  if (reduction == Reduction::Mean)
    return div(perRow.sum(loc), kept.sum(loc), loc);
  return reduce(perRow, reduction, loc);
}

void checkClassTarget(const Tensor &scores, const Tensor &target, const char *op,
                      const SourceLoc &loc) {
  if (scores.dim() != 2)
    throw TraceError(loc, op, "expects scores [N, C], got rank " + std::to_string(scores.dim()));
  if (target.dim() != 1 ||
      (target.dtype() != GRAPHC_DTYPE_I64 && target.dtype() != GRAPHC_DTYPE_I32))
    throw TraceError(loc, op, "expects integer class indices [N] as the target");
  if (scores.size(1) == kDynamic)
    throw TraceError(loc, op, "needs a static number of classes");
}

/// -logp[i, target[i]] for each row, 0 in the ignored rows.
Tensor pickedNegLogProbability(const Tensor &logProbabilities, const Tensor &target,
                               const Tensor &kept, int64_t ignoreIndex, const SourceLoc &loc) {
  int64_t classes = logProbabilities.size(1);
  // One-hot mask: classes [C] == target [N, 1] -> [N, C]. An ignore index
  // outside [0, C) (PyTorch's -100) already has an all-zero row.
  Tensor mask = oneHot(target, classes, logProbabilities.dtype(), loc);
  if (ignoreIndex >= 0 && ignoreIndex < classes)
    mask = mul(mask, reshape(kept, {-1, 1}, loc), loc);
  return neg(sum(mul(logProbabilities, mask, loc), {1}, false, loc), loc);
}
} // namespace

Tensor smooth_l1_loss(const Tensor &input, const Tensor &target, Reduction reduction, double beta,
                      SourceLoc loc) {
  return quadraticThenLinear(input, target, reduction, beta, beta > 0 ? 1.0 / beta : 0.0, 1.0,
                             "smooth_l1_loss", loc);
}

Tensor huber_loss(const Tensor &input, const Tensor &target, Reduction reduction, double delta,
                  SourceLoc loc) {
  if (!(delta > 0))
    throw TraceError(loc, "huber_loss", "needs a positive delta, got " + std::to_string(delta));
  return quadraticThenLinear(input, target, reduction, delta, 1.0, delta, "huber_loss", loc);
}

Tensor nll_loss(const Tensor &logProbabilities, const Tensor &target, Reduction reduction,
                int64_t ignoreIndex, SourceLoc loc) {
  checkClassTarget(logProbabilities, target, "nll_loss", loc);
  Tensor kept = keptRows(target, ignoreIndex, logProbabilities.dtype(), loc);
  return reduceKept(pickedNegLogProbability(logProbabilities, target, kept, ignoreIndex, loc),
                    kept, reduction, loc);
}


Tensor correct_count(const Tensor &logits, const Tensor &labels, SourceLoc loc) {
  if (logits.dim() != 2 || labels.dim() != 1)
    throw TraceError(loc, "correct_count", "expects logits [N, C] and labels [N]");
  Tensor isMax = eq(logits, amax(logits, {1}, true, loc), loc).to(GRAPHC_DTYPE_F32, loc);
  Tensor hits = mul(isMax, oneHot(labels, logits.size(1), GRAPHC_DTYPE_F32, loc), loc);
  return minimum(sum(hits, {1}, false, loc), 1.0, loc).sum(loc);
}

Tensor cross_entropy(const Tensor &logits, const Tensor &target, Reduction reduction,
                     int64_t ignoreIndex, double labelSmoothing, SourceLoc loc) {
  checkClassTarget(logits, target, "cross_entropy", loc);
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
    throw TraceError(loc, "cross_entropy",
                     "label_smoothing must be in [0, 1], got " + std::to_string(labelSmoothing));
  Tensor logProbabilities = log_softmax(logits, 1, loc);
  Tensor kept = keptRows(target, ignoreIndex, logits.dtype(), loc);
  Tensor perRow = pickedNegLogProbability(logProbabilities, target, kept, ignoreIndex, loc);
  if (labelSmoothing > 0) {
    // The uniform part: -sum_c logp[i, c] / C, zero in the ignored rows.
    double classes = static_cast<double>(logits.size(1));
    Tensor uniform = mul(neg(sum(logProbabilities, {1}, false, loc), loc), kept, loc);
    perRow = add(mul(perRow, 1 - labelSmoothing, loc), mul(uniform, labelSmoothing / classes, loc),
                 loc);
  }
  return reduceKept(perRow, kept, reduction, loc);
}

Tensor binary_cross_entropy_with_logits(const Tensor &logits, const Tensor &target,
                                        Reduction reduction, SourceLoc loc) {
  requireSameShape(logits, target, "binary_cross_entropy_with_logits", loc);
  Tensor positive = maximum(logits, 0.0, loc);
  Tensor softplus = log(add(exp(neg(abs(logits, loc), loc), loc), 1.0, loc), loc);
  Tensor perElement = add(sub(positive, mul(logits, target, loc), loc), softplus, loc);
  return reduce(perElement, reduction, loc);
}

} // namespace graphc
