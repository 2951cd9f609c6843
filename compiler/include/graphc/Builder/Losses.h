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
/// mean(|input - target|), as F.l1_loss.
Tensor l1_loss(const Tensor &input, const Tensor &target, Reduction reduction = Reduction::Mean,
               SourceLoc loc = SourceLoc::current());
/// F.smooth_l1_loss: 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta
/// (beta = 0 is l1_loss).
Tensor smooth_l1_loss(const Tensor &input, const Tensor &target,
                      Reduction reduction = Reduction::Mean, double beta = 1.0,
                      SourceLoc loc = SourceLoc::current());
/// F.huber_loss: 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta).
Tensor huber_loss(const Tensor &input, const Tensor &target, Reduction reduction = Reduction::Mean,
                  double delta = 1.0, SourceLoc loc = SourceLoc::current());

/// PyTorch's default ignore_index: a target of -100 adds nothing to the loss.
constexpr int64_t kDefaultIgnoreIndex = -100;
/// -logp[i, target[i]], for log-probabilities [N, C] and integer class
/// indices [N]. Rows whose target is `ignoreIndex` add nothing, and the mean
/// divides by the number of the other rows, as PyTorch's.
Tensor nll_loss(const Tensor &logProbabilities, const Tensor &target,
                Reduction reduction = Reduction::Mean, int64_t ignoreIndex = kDefaultIgnoreIndex,
                SourceLoc loc = SourceLoc::current());
/// nll_loss(log_softmax(logits, 1), target): log-sum-exp stable. With
/// labelSmoothing e the target is (1 - e) one-hot + e / C uniform:
/// (1 - e) nll + e mean_c(-logp), the ignored rows left out of both.
Tensor cross_entropy(const Tensor &logits, const Tensor &target,
                     Reduction reduction = Reduction::Mean,
                     int64_t ignoreIndex = kDefaultIgnoreIndex, double labelSmoothing = 0.0,
                     SourceLoc loc = SourceLoc::current());
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

class L1Loss : public Loss {
public:
  explicit L1Loss(Reduction r = Reduction::Mean) : Loss(r) {}
  Tensor forward(const Tensor &input, const Tensor &target) override {
    return l1_loss(input, target, reduction);
  }
  std::string name() const override { return "L1Loss"; }
};

class SmoothL1Loss : public Loss {
public:
  explicit SmoothL1Loss(Reduction r = Reduction::Mean, double beta = 1.0) : Loss(r), beta(beta) {}
  Tensor forward(const Tensor &input, const Tensor &target) override {
    return smooth_l1_loss(input, target, reduction, beta);
  }
  std::string name() const override { return "SmoothL1Loss"; }
  double beta;
};

class HuberLoss : public Loss {
public:
  explicit HuberLoss(Reduction r = Reduction::Mean, double delta = 1.0) : Loss(r), delta(delta) {}
  Tensor forward(const Tensor &input, const Tensor &target) override {
    return huber_loss(input, target, reduction, delta);
  }
  std::string name() const override { return "HuberLoss"; }
  double delta;
};

class NLLLoss : public Loss {
public:
  explicit NLLLoss(Reduction r = Reduction::Mean, int64_t ignoreIndex = kDefaultIgnoreIndex)
      : Loss(r), ignoreIndex(ignoreIndex) {}
  Tensor forward(const Tensor &input, const Tensor &target) override {
    return nll_loss(input, target, reduction, ignoreIndex);
  }
  std::string name() const override { return "NLLLoss"; }
  int64_t ignoreIndex;
};

class CrossEntropyLoss : public Loss {
public:
  explicit CrossEntropyLoss(Reduction r = Reduction::Mean,
                            int64_t ignoreIndex = kDefaultIgnoreIndex, double labelSmoothing = 0.0)
      : Loss(r), ignoreIndex(ignoreIndex), labelSmoothing(labelSmoothing) {}
  Tensor forward(const Tensor &input, const Tensor &target) override {
    return cross_entropy(input, target, reduction, ignoreIndex, labelSmoothing);
  }
  std::string name() const override { return "CrossEntropyLoss"; }
  int64_t ignoreIndex;
  double labelSmoothing;
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
