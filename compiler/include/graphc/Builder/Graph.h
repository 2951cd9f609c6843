//===- Graph.h - a traced graph and what can be done with it ----*- C++ -*-===//
//
// A Graph is what trace() returns: the graph-dialect module and the DSL
// parameters its arguments stand for. It prints, saves and loads, is
// differentiated and given a training step by the registered passes, and
// compiles into a CompiledModule or CompiledTrainStep (Compiled.h).
//
//===----------------------------------------------------------------------===//
#ifndef GRAPHC_BUILDER_GRAPH_H
#define GRAPHC_BUILDER_GRAPH_H

#include "graphc/Builder/NN.h"
#include "graphc/JIT/Jit.h"

#include "mlir/Support/LogicalResult.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace mlir {
class MLIRContext;
class ModuleOp;
template <typename OpTy>
class OwningOpRef;
} // namespace mlir

namespace graphc {

class CompiledModule;
class CompiledTrainStep;

/// torch.optim's optimizers and their hyperparameters (the learning rate is
/// given per step, so schedules need no recompilation).
struct OptimizerConfig {
  std::string name = "sgd"; // sgd, adam, adamw, rmsprop or adagrad
  double momentum = 0, dampening = 0;
  bool nesterov = false;
  /// -1: the optimizer's default (0; 0.01 for adamw).
  double weightDecay = -1;
  /// eps -1: the optimizer's default (1e-8; 1e-10 for adagrad).
  double beta1 = 0.9, beta2 = 0.999, eps = -1;
  double alpha = 0.99;  // RMSprop
  bool centered = false; // RMSprop
  double lrDecay = 0, initialAccumulatorValue = 0; // Adagrad

  static OptimizerConfig sgd(double momentum = 0, double dampening = 0, double weightDecay = 0,
                             bool nesterov = false) {
    OptimizerConfig c;
    c.momentum = momentum;
    c.dampening = dampening;
    c.weightDecay = weightDecay;
    c.nesterov = nesterov;
    return c;
  }
  static OptimizerConfig adam(double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
                              double weightDecay = 0) {
    OptimizerConfig c;
    c.name = "adam";
    c.beta1 = beta1;
    c.beta2 = beta2;
    c.eps = eps;
    c.weightDecay = weightDecay;
    return c;
  }
  static OptimizerConfig adamw(double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
                               double weightDecay = 0.01) {
    OptimizerConfig c = adam(beta1, beta2, eps, weightDecay);
    c.name = "adamw";
    return c;
  }
  static OptimizerConfig rmsprop(double alpha = 0.99, double eps = 1e-8, double weightDecay = 0,
                                 double momentum = 0, bool centered = false) {
    OptimizerConfig c;
    c.name = "rmsprop";
    c.alpha = alpha;
    c.eps = eps;
    c.weightDecay = weightDecay;
    c.momentum = momentum;
    c.centered = centered;
    return c;
  }
  static OptimizerConfig adagrad(double lrDecay = 0, double weightDecay = 0,
                                 double initialAccumulatorValue = 0, double eps = 1e-10) {
    OptimizerConfig c;
    c.name = "adagrad";
    c.lrDecay = lrDecay;
    c.weightDecay = weightDecay;
    c.initialAccumulatorValue = initialAccumulatorValue;
    c.eps = eps;
    return c;
  }
};

/// A traced graph: the MLIR module and the parameters its arguments stand for.
class Graph {
public:
  Graph(std::shared_ptr<mlir::MLIRContext> context, mlir::OwningOpRef<mlir::ModuleOp> module,
        std::vector<std::pair<std::string, Parameter>> parameters);
  Graph(Graph &&) noexcept;
  ~Graph();

  mlir::ModuleOp module() const;
  /// MLIR text (generic locations elided unless `withLocations`).
  std::string str(bool withLocations = false) const;
  /// Writes the MLIR text to `path` atomically (temp file, fsync, rename).
  void save(const std::string &path) const;
  /// Reads a graph written by save() or --emit-graph. Parameters are not in
  /// the file: the loaded graph has none bound, so CompiledModule::run takes
  /// every argument, inputs then parameters in state_dict order.
  static Graph load(const std::string &path);

  const std::vector<std::pair<std::string, Parameter>> &parameters() const { return parameters_; }

  /// Runs the autodiff pass: adds `<function>_grad` for every traced
  /// function, differentiating its first result with respect to the inputs
  /// and parameters that require gradients. Returns *this.
  Graph &differentiate();

  /// Differentiates (if not done yet) and appends `train_step`: the loss
  /// (the first result of `function`), its gradients and the optimizer's
  /// update, compiled as one function. Returns *this.
  ///
  /// With `microBatch` rows (graphc --micro-batch), the step is built as its
  /// two data-parallel halves instead, the first also at a static batch of
  /// `microBatch` rows: the compiled step computes a larger batch's
  /// gradients in parts of that many rows, added up weighted by rows (the
  /// batch's mean, up to rounding), so that its activations fit the caches.
  /// The graph's batch must be dynamic, and the loss a mean over rows that
  /// do not see each other (no BatchNorm or Dropout: refused).
  Graph &addTrainStep(const OptimizerConfig &optimizer, const std::string &function = "forward",
                      int64_t microBatch = 0);

  /// Compiles a graph with a train step; the program updates the bound
  /// parameters and its optimizer state in place.
  CompiledTrainStep compileTrainStep(const JitOptions &options = {}) const;

  /// Records how the model is meant to be trained (module attributes
  /// graph.loss, graph.optimizer and graph.optimizer_options), which the
  /// driver's --train uses when its own flags do not say otherwise.
  /// `loss` is mse, cross_entropy, nll or bce_with_logits.
  Graph &setTrainingDefaults(const std::string &loss, const OptimizerConfig &optimizer);

  /// Compiles with the in-process JIT.
  CompiledModule compile(const JitOptions &options = {}) const;

private:
  std::shared_ptr<mlir::MLIRContext> context_;
  std::unique_ptr<mlir::OwningOpRef<mlir::ModuleOp>> module_;
  std::vector<std::pair<std::string, Parameter>> parameters_;
};

/// The losses the driver can append to a traced model (--loss).
enum class LossKind { MSE, CrossEntropy, NLL, BCEWithLogits };
/// The loss's name in the training pipeline's options (cross_entropy, ...).
const char *lossName(LossKind loss);

/// What `graphc --train` adds to a traced model (its function `forward`):
/// the registered training pipeline (buildTrainingPipeline: `loss` and
/// `eval`, inlined; the loss differentiated; `train_step` with `optimizer`).
/// With `dataParallel`, also the step's two halves (train_step_gradients,
/// train_step_apply: graphc --data-parallel, docs/distributed.md), and with
/// `microBatch` rows the first half at that static batch (graphc
/// --micro-batch). Diagnostics go to the context's handler; returns failure
/// when a pass fails.
mlir::LogicalResult addTrainingFunctions(mlir::ModuleOp module, const std::string &forward,
                                         LossKind loss, const OptimizerConfig &optimizer,
                                         bool dataParallel = false, int64_t microBatch = 0);

} // namespace graphc

#endif // GRAPHC_BUILDER_GRAPH_H
