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

Tensor nll_loss(const Tensor &logProbabilities, const Tensor &target, Reduction reduction,
                SourceLoc loc) {
  if (logProbabilities.dim() != 2)
    throw TraceError(loc, "nll_loss", "expects log-probabilities [N, C], got rank " +
                                          std::to_string(logProbabilities.dim()));
  if (target.dim() != 1 ||
      (target.dtype() != GRAPHC_DTYPE_I64 && target.dtype() != GRAPHC_DTYPE_I32))
    throw TraceError(loc, "nll_loss", "expects integer class indices [N] as the target");
  int64_t classes = logProbabilities.size(1);
  if (classes == kDynamic)
    throw TraceError(loc, "nll_loss", "needs a static number of classes");
  // One-hot mask: classes [C] == target [N, 1] -> [N, C].
  Tensor mask = oneHot(target, classes, logProbabilities.dtype(), loc);
  Tensor picked = sum(mul(logProbabilities, mask, loc), {1}, false, loc);
  return reduce(neg(picked, loc), reduction, loc);
}


Tensor correct_count(const Tensor &logits, const Tensor &labels, SourceLoc loc) {
  if (logits.dim() != 2 || labels.dim() != 1)
    throw TraceError(loc, "correct_count", "expects logits [N, C] and labels [N]");
  Tensor isMax = eq(logits, amax(logits, {1}, true, loc), loc).to(GRAPHC_DTYPE_F32, loc);
  Tensor hits = mul(isMax, oneHot(labels, logits.size(1), GRAPHC_DTYPE_F32, loc), loc);
  return minimum(sum(hits, {1}, false, loc), 1.0, loc).sum(loc);
}

Tensor cross_entropy(const Tensor &logits, const Tensor &target, Reduction reduction,
                     SourceLoc loc) {
  return nll_loss(log_softmax(logits, 1, loc), target, reduction, loc);
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
