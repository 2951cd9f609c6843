//===- NN.h - torch.nn-shaped modules for the builder DSL -------*- C++ -*-===//
//
// Modules own named parameters (host tensors initialized like PyTorch's
// defaults, from graphc's seeded generator) and submodules, so that
// parameter names and layouts match PyTorch's state_dict: `conv1.weight` is
// [out, in, kh, kw], `fc1.weight` [out, in], `fc1.bias` [out].
//
//===----------------------------------------------------------------------===//
#ifndef GRAPHC_BUILDER_NN_H
#define GRAPHC_BUILDER_NN_H

#include "graphc/Builder/Functional.h"
#include "graphc/Builder/Random.h"
#include "graphc/Builder/Tensor.h"

#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace graphc {

/// A learnable tensor owned by a module: its current value lives on the
/// host; while tracing it becomes an argument of the traced function.
class Parameter {
public:
  Parameter() = default;
  explicit Parameter(rt::Tensor value, bool requiresGrad = true)
      : state_(std::make_shared<State>(State{std::move(value), rt::Tensor(), requiresGrad, 0})) {}

  const rt::Tensor &value() const { return state_->value; }
  /// The accumulated gradient (.grad); a null tensor until a backward pass
  /// reaches it, and again after zeroGrad(), as PyTorch's None.
  const rt::Tensor &grad() const { return state_->grad; }
  void setGrad(rt::Tensor grad) { state_->grad = std::move(grad); }
  /// zero_grad(set_to_none=True), PyTorch's default.
  void zeroGrad() { state_->grad = rt::Tensor(); }
  bool requiresGrad() const { return state_->requiresGrad; }
  /// The bound b of the U(-b, b) default initialization the module drew this
  /// parameter from (0: none recorded). Traced into the graph so that a
  /// standalone executable initializes it the same way from the same seed.
  double initBound() const { return state_->initBound; }
  void setInitBound(double bound) { state_->initBound = bound; }
  void setRequiresGrad(bool value) { state_->requiresGrad = value; }
  /// Replaces the value (same shape and dtype are checked by loadStateDict).
  void setValue(rt::Tensor value) { state_->value = std::move(value); }
  std::vector<int64_t> shape() const { return state_->value.shape(); }
  bool defined() const { return state_ != nullptr; }
  /// Identity of the parameter, shared by copies.
  const void *id() const { return state_.get(); }

private:
  struct State {
    rt::Tensor value;
    rt::Tensor grad;
    bool requiresGrad;
    double initBound = 0;
  };
  std::shared_ptr<State> state_;
};

/// Non-trainable module state, PyTorch's buffer (register_buffer):
/// BatchNorm's running_mean. It is part of the state_dict and of checkpoints,
/// never optimized; while tracing it becomes an argument of the traced
/// function (graph.role buffer), and assign() makes the compiled function
/// write its new value into the buffer's memory (graph.updates_argument).
class Buffer {
public:
  Buffer() = default;
  explicit Buffer(rt::Tensor value) : state_(std::move(value), /*requiresGrad=*/false) {}

  const rt::Tensor &value() const { return state_.value(); }
  void setValue(rt::Tensor value) { state_.setValue(std::move(value)); }
  std::vector<int64_t> shape() const { return state_.shape(); }
  bool defined() const { return state_.defined(); }
  const void *id() const { return state_.id(); }
  /// Inside trace(): the buffer's value after this call is `newValue`, which
  /// must have the buffer's shape and dtype (PyTorch's in-place update, as
  /// running_mean.mul_(1 - m).add_(m * mean)). Reading the buffer in the same
  /// call still gives the value it had on entry.
  void assign(const Tensor &newValue, SourceLoc loc = SourceLoc::current()) const;
  /// The shared state as the compiled programs bind it (by name, like a
  /// parameter that requires no gradient).
  const Parameter &asParameter() const { return state_; }

private:
  Parameter state_;
};

/// PyTorch's repr of a leaf tensor: `tensor(4., requires_grad=True)`.
std::ostream &operator<<(std::ostream &os, const Parameter &parameter);
/// PyTorch's repr of `.grad`: the tensor, or `None` before any backward.
std::string gradString(const Parameter &parameter);
/// torch.Size's repr: `torch.Size([4, 3])`.
std::string sizeString(const std::vector<int64_t> &shape);

namespace nn {

/// torch.nn.Module: named parameters, named submodules, forward and repr.
class Module {
public:
  virtual ~Module() = default;

  /// The single-input forward used by Sequential and trace(). Modules with
  /// other signatures define their own and need not override this one.
  virtual Tensor forward(const Tensor &input);
  /// Calls forward(). The call site is remembered while forward() runs, so
  /// that errors and IR locations inside a built-in module (Linear, Conv2d,
  /// ...) point at the user's line that called it.
  Tensor operator()(const Tensor &input, SourceLoc loc = SourceLoc::current());

  /// PyTorch's state_dict order: own parameters, then submodules', depth first.
  std::vector<std::pair<std::string, Parameter>> namedParameters() const;
  /// named_buffers(): own buffers, then submodules', depth first.
  std::vector<std::pair<std::string, Buffer>> namedBuffers() const;
  std::vector<Parameter> parameters() const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> namedChildren() const {
    return children_;
  }
  /// Sum of numel over all parameters.
  int64_t numParameters() const;
  /// Clears every parameter's gradient (zero_grad, set_to_none=True).
  void zeroGrad();

  /// module.train(mode) / module.eval(): sets the mode of this module and
  /// every submodule. Modules start in training mode, as PyTorch's. The mode
  /// is read while tracing, so a traced function is in the mode the module
  /// had when it was traced.
  Module &train(bool mode = true);
  Module &eval() { return train(false); }
  /// module.training.
  bool isTraining() const { return training_; }
  /// Whether this module or a submodule computes something else in training
  /// mode (BatchNorm with running statistics, Dropout), so that training
  /// needs its own trace (traceForTraining).
  bool dependsOnMode() const;

  /// name -> current value of every parameter and buffer, like state_dict()
  /// (tensors are shared, not copied).
  std::map<std::string, rt::Tensor> stateDict() const;
  /// Copies values in, checking that every parameter and buffer is present
  /// with its shape and dtype and that nothing unexpected is there (strict,
  /// like load_state_dict's default). Throws std::invalid_argument naming the tensor.
  void loadStateDict(const std::map<std::string, rt::Tensor> &state);

  /// The class name printed by repr: the C++ class name unless overridden.
  virtual std::string name() const;
  /// The text inside the parentheses, as PyTorch's extra_repr().
  virtual std::string extraRepr() const { return ""; }
  /// PyTorch's repr(module).
  std::string str() const;

protected:
  Parameter registerParameter(const std::string &name, rt::Tensor value);
  /// register_buffer(name, tensor): non-trainable state in the state_dict.
  Buffer registerBuffer(const std::string &name, rt::Tensor value);
  /// Overridden by modules whose own forward depends on the mode.
  virtual bool ownForwardDependsOnMode() const { return false; }
  template <class M>
  std::shared_ptr<M> registerModule(const std::string &name, std::shared_ptr<M> module) {
    children_.emplace_back(name, module);
    return module;
  }

private:
  std::vector<std::pair<std::string, Parameter>> parameters_;
  std::vector<std::pair<std::string, Buffer>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

std::ostream &operator<<(std::ostream &os, const Module &module);

/// torch.nn.Linear(in_features, out_features, bias=True).
class Linear : public Module {
public:
  Linear(int64_t inFeatures, int64_t outFeatures, bool bias = true);
  Tensor forward(const Tensor &input) override;
  std::string name() const override { return "Linear"; }
  std::string extraRepr() const override;
  Parameter weight, bias;
  int64_t inFeatures, outFeatures;
};

/// torch.nn.Conv2d(in, out, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True).
class Conv2d : public Module {
public:
  Conv2d(int64_t inChannels, int64_t outChannels, Pair kernelSize, Pair stride = 1,
         Pair padding = 0, Pair dilation = 1, int64_t groups = 1, bool bias = true);
  Tensor forward(const Tensor &input) override;
  std::string name() const override { return "Conv2d"; }
  std::string extraRepr() const override;
  Parameter weight, bias;
  int64_t inChannels, outChannels, groups;
  Pair kernelSize, stride, padding, dilation;
};

/// torch.nn.MaxPool2d(kernel_size, stride=kernel_size, padding=0).
class MaxPool2d : public Module {
public:
  MaxPool2d(Pair kernelSize, Pair stride = 0, Pair padding = 0);
  Tensor forward(const Tensor &input) override;
  std::string name() const override { return "MaxPool2d"; }
  std::string extraRepr() const override;
  Pair kernelSize, stride, padding;
};

/// torch.nn.AvgPool2d(kernel_size, stride=kernel_size, padding=0).
class AvgPool2d : public Module {
public:
  AvgPool2d(Pair kernelSize, Pair stride = 0, Pair padding = 0);
  Tensor forward(const Tensor &input) override;
  std::string name() const override { return "AvgPool2d"; }
  std::string extraRepr() const override;
  Pair kernelSize, stride, padding;
};

/// The innermost user call site of a module call in progress (see
/// Module::operator()), or `fallback` outside any module call.
SourceLoc moduleCallSite(SourceLoc fallback = SourceLoc::current());

class ReLU : public Module {
public:
  Tensor forward(const Tensor &input) override { return relu(input, moduleCallSite()); }
  std::string name() const override { return "ReLU"; }
};

class Sigmoid : public Module {
public:
  Tensor forward(const Tensor &input) override { return sigmoid(input, moduleCallSite()); }
  std::string name() const override { return "Sigmoid"; }
};

class Tanh : public Module {
public:
  Tensor forward(const Tensor &input) override { return tanh(input, moduleCallSite()); }
  std::string name() const override { return "Tanh"; }
};

/// torch.nn.LeakyReLU(negative_slope=0.01).
class LeakyReLU : public Module {
public:
  explicit LeakyReLU(double negativeSlope = 0.01) : negativeSlope(negativeSlope) {}
  Tensor forward(const Tensor &input) override {
    return leaky_relu(input, negativeSlope, moduleCallSite());
  }
  std::string name() const override { return "LeakyReLU"; }
  std::string extraRepr() const override;
  double negativeSlope;
};

/// torch.nn.GELU(approximate='none').
class GELU : public Module {
public:
  explicit GELU(GeluApproximation approximate = GeluApproximation::None)
      : approximate(approximate) {}
  Tensor forward(const Tensor &input) override {
    return gelu(input, approximate, moduleCallSite());
  }
  std::string name() const override { return "GELU"; }
  std::string extraRepr() const override;
  GeluApproximation approximate;
};

/// torch.nn.SiLU().
class SiLU : public Module {
public:
  Tensor forward(const Tensor &input) override { return silu(input, moduleCallSite()); }
  std::string name() const override { return "SiLU"; }
};

/// torch.nn.Softplus(beta=1.0, threshold=20.0).
class Softplus : public Module {
public:
  explicit Softplus(double beta = 1.0, double threshold = 20.0)
      : beta(beta), threshold(threshold) {}
  Tensor forward(const Tensor &input) override {
    return softplus(input, beta, threshold, moduleCallSite());
  }
  std::string name() const override { return "Softplus"; }
  std::string extraRepr() const override;
  double beta, threshold;
};

/// torch.nn.ELU(alpha=1.0).
class ELU : public Module {
public:
  explicit ELU(double alpha = 1.0) : alpha(alpha) {}
  Tensor forward(const Tensor &input) override { return elu(input, alpha, moduleCallSite()); }
  std::string name() const override { return "ELU"; }
  std::string extraRepr() const override;
  double alpha;
};

/// torch.nn.LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True):
/// weight (ones) and bias (zeros) of shape normalized_shape.
class LayerNorm : public Module {
public:
  LayerNorm(std::vector<int64_t> normalizedShape, double eps = 1e-5,
            bool elementwiseAffine = true, bool bias = true);
  Tensor forward(const Tensor &input) override;
  std::string name() const override { return "LayerNorm"; }
  std::string extraRepr() const override;
  Parameter weight, bias;
  std::vector<int64_t> normalizedShape;
  double eps;
  bool elementwiseAffine;
};

/// torch.nn.BatchNorm1d / BatchNorm2d(num_features, eps=1e-5, momentum=0.1,
/// affine=True, track_running_stats=True). In training mode it normalizes
/// with the batch's statistics (biased variance) and updates running_mean,
/// running_var (unbiased variance) and num_batches_tracked in place; in
/// eval mode it normalizes with the running statistics. A momentum of
/// std::nullopt is PyTorch's momentum=None: the cumulative average.
class BatchNorm : public Module {
public:
  Tensor forward(const Tensor &input) override;
  std::string extraRepr() const override;
  Parameter weight, bias;
  Buffer runningMean, runningVar, numBatchesTracked;
  int64_t numFeatures;
  double eps;
  std::optional<double> momentum;
  bool affine, trackRunningStats;

protected:
  BatchNorm(int64_t numFeatures, double eps, std::optional<double> momentum, bool affine,
            bool trackRunningStats, std::vector<int64_t> ranks, const char *kind);
  /// Without running statistics both modes use the batch's.
  bool ownForwardDependsOnMode() const override { return trackRunningStats; }

private:
  std::vector<int64_t> ranks_; // the input ranks the module takes
  const char *kind_;
};

class BatchNorm1d : public BatchNorm {
public:
  explicit BatchNorm1d(int64_t numFeatures, double eps = 1e-5,
                       std::optional<double> momentum = 0.1, bool affine = true,
                       bool trackRunningStats = true)
      : BatchNorm(numFeatures, eps, momentum, affine, trackRunningStats, {2, 3}, "BatchNorm1d") {}
  std::string name() const override { return "BatchNorm1d"; }
};

class BatchNorm2d : public BatchNorm {
public:
  explicit BatchNorm2d(int64_t numFeatures, double eps = 1e-5,
                       std::optional<double> momentum = 0.1, bool affine = true,
                       bool trackRunningStats = true)
      : BatchNorm(numFeatures, eps, momentum, affine, trackRunningStats, {4}, "BatchNorm2d") {}
  std::string name() const override { return "BatchNorm2d"; }
};

/// torch.nn.Embedding(num_embeddings, embedding_dim, padding_idx=None):
/// weight [num, dim] drawn N(0, 1) as PyTorch's, the padding row zero.
class Embedding : public Module {
public:
  Embedding(int64_t numEmbeddings, int64_t embeddingDim,
            std::optional<int64_t> paddingIdx = std::nullopt);
  Tensor forward(const Tensor &indices) override {
    return embedding(indices, weight, paddingIdx, moduleCallSite());
  }
  std::string name() const override { return "Embedding"; }
  std::string extraRepr() const override;
  Parameter weight;
  int64_t numEmbeddings, embeddingDim;
  std::optional<int64_t> paddingIdx;
};

/// torch.nn.Dropout(p=0.5): dropout(x, p) in training mode, the identity in
/// eval mode.
class Dropout : public Module {
public:
  explicit Dropout(double p = 0.5);
  Tensor forward(const Tensor &input) override {
    return dropout(input, p, isTraining(), moduleCallSite());
  }
  std::string name() const override { return "Dropout"; }
  std::string extraRepr() const override;
  double p;

protected:
  bool ownForwardDependsOnMode() const override { return p > 0; }
};

/// torch.nn.Flatten(start_dim=1, end_dim=-1).
class Flatten : public Module {
public:
  explicit Flatten(int64_t startDim = 1, int64_t endDim = -1)
      : startDim(startDim), endDim(endDim) {}
  Tensor forward(const Tensor &input) override {
    return flatten(input, startDim, endDim, moduleCallSite());
  }
  std::string name() const override { return "Flatten"; }
  std::string extraRepr() const override;
  int64_t startDim, endDim;
};

class Softmax : public Module {
public:
  explicit Softmax(int64_t dim) : dim(dim) {}
  Tensor forward(const Tensor &input) override { return softmax(input, dim, moduleCallSite()); }
  std::string name() const override { return "Softmax"; }
  std::string extraRepr() const override { return "dim=" + std::to_string(dim); }
  int64_t dim;
};

class LogSoftmax : public Module {
public:
  explicit LogSoftmax(int64_t dim) : dim(dim) {}
  Tensor forward(const Tensor &input) override {
    return log_softmax(input, dim, moduleCallSite());
  }
  std::string name() const override { return "LogSoftmax"; }
  std::string extraRepr() const override { return "dim=" + std::to_string(dim); }
  int64_t dim;
};

/// torch.nn.Sequential: children named "0", "1", ... applied in order.
class Sequential : public Module {
public:
  Sequential() = default;
  Sequential(std::vector<std::shared_ptr<Module>> modules);
  template <class... Ms>
  explicit Sequential(std::shared_ptr<Ms>... modules)
      : Sequential(std::vector<std::shared_ptr<Module>>{modules...}) {}
  void append(std::shared_ptr<Module> module);
  Tensor forward(const Tensor &input) override;
  std::string name() const override { return "Sequential"; }

private:
  std::vector<std::shared_ptr<Module>> layers_;
};

} // namespace nn
} // namespace graphc

#endif // GRAPHC_BUILDER_NN_H
