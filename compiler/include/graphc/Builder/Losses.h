//===- Losses.h - torch.nn losses as DSL composites -------------*- C++ -*-===//
//
// Each loss is a decomposition into graph primitives, so it lowers and
// differentiates like any other code. Class-index targets (NLLLoss,
// CrossEntropyLoss) select their log-probability through a one-hot mask
// built by comparing the targets with the class indices, which keeps the op
// set free of a gather.
//
//===----------------------------------------------------------------------===//
#ifndef GRAPHC_BUILDER_LOSSES_H
#define GRAPHC_BUILDER_LOSSES_H

#include "graphc/Builder/NN.h"
#include "graphc/Builder/Tensor.h"

#include <string>

namespace graphc {

/// How a loss combines its per-element values, as PyTorch's `reduction`.
enum class Reduction { Mean, Sum, None };

/// mean((input - target)^2).
Tensor mse_loss(const Tensor &input, const Tensor &target, Reduction reduction = Reduction::Mean,
                SourceLoc loc = SourceLoc::current());
/// -logp[i, target[i]], for log-probabilities [N, C] and int64 class indices [N].
Tensor nll_loss(const Tensor &logProbabilities, const Tensor &target,
                Reduction reduction = Reduction::Mean, SourceLoc loc = SourceLoc::current());
/// nll_loss(log_softmax(logits, 1), target): log-sum-exp stable.
Tensor cross_entropy(const Tensor &logits, const Tensor &target,
                     Reduction reduction = Reduction::Mean, SourceLoc loc = SourceLoc::current());
/// max(x, 0) - x*y + log(1 + exp(-|x|)): stable for large |x|.
Tensor binary_cross_entropy_with_logits(const Tensor &logits, const Tensor &target,
                                        Reduction reduction = Reduction::Mean,
                                        SourceLoc loc = SourceLoc::current());

/// How many rows of `logits` [N, C] have their largest value at the label's
/// class (int64 labels [N]), as a float32 scalar: the accuracy numerator.
/// A row whose maximum is tied counts when the label is among the maxima.
Tensor correct_count(const Tensor &logits, const Tensor &labels,
                     SourceLoc loc = SourceLoc::current());

namespace nn {

/// Losses as modules, as torch.nn.MSELoss() etc.: `criterion(output, target)`.
class Loss : public Module {
public:
  explicit Loss(Reduction reduction) : reduction(reduction) {}
  virtual Tensor forward(const Tensor &input, const Tensor &target) = 0;
  Tensor operator()(const Tensor &input, const Tensor &target) { return forward(input, target); }
  using Module::forward;
  Reduction reduction;
};

class MSELoss : public Loss {
public:
  explicit MSELoss(Reduction r = Reduction::Mean) : Loss(r) {}
  Tensor forward(const Tensor &input, const Tensor &target) override {
    return mse_loss(input, target, reduction);
  }
  std::string name() const override { return "MSELoss"; }
};

class NLLLoss : public Loss {
public:
  explicit NLLLoss(Reduction r = Reduction::Mean) : Loss(r) {}
  Tensor forward(const Tensor &input, const Tensor &target) override {
    return nll_loss(input, target, reduction);
  }
  std::string name() const override { return "NLLLoss"; }
};

class CrossEntropyLoss : public Loss {
public:
  explicit CrossEntropyLoss(Reduction r = Reduction::Mean) : Loss(r) {}
  Tensor forward(const Tensor &input, const Tensor &target) override {
    return cross_entropy(input, target, reduction);
  }
  std::string name() const override { return "CrossEntropyLoss"; }
};

class BCEWithLogitsLoss : public Loss {
public:
  explicit BCEWithLogitsLoss(Reduction r = Reduction::Mean) : Loss(r) {}
  Tensor forward(const Tensor &input, const Tensor &target) override {
    return binary_cross_entropy_with_logits(input, target, reduction);
  }
  std::string name() const override { return "BCEWithLogitsLoss"; }
};

} // namespace nn
} // namespace graphc

#endif // GRAPHC_BUILDER_LOSSES_H
