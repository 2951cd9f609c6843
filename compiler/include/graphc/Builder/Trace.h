//===- Trace.h - tracing DSL code into the graph dialect --------*- C++ -*-===//
//
// trace() runs a module's forward on symbolic inputs and records the ops, the
// way torch.jit.trace does: the result is a graph-dialect module with one
// function per entry point, inputs first, then every parameter in
// state_dict order, each argument named (`graph.name`). The graph can be
// printed, saved (--emit-graph), read back, and compiled.
//
//===----------------------------------------------------------------------===//
#ifndef GRAPHC_BUILDER_TRACE_H
#define GRAPHC_BUILDER_TRACE_H

#include "graphc/Pipelines/Pipelines.h"
#include "graphc/Builder/NN.h"
#include "graphc/Builder/Tensor.h"
#include "graphc/JIT/Jit.h"
#include "graphc/runtime/program.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
class ModuleOp;
template <typename OpTy>
class OwningOpRef;
} // namespace mlir

namespace graphc {

// createContext(): graphc/Pipelines/Pipelines.h.

/// An input of a traced function: its name, dtype and shape (kDynamic = -1
/// for a size known only at run time, typically the batch).
struct InputSpec {
  std::string name;
  std::vector<int64_t> shape;
  graphc_dtype_t dtype = GRAPHC_DTYPE_F32;
  /// Differentiate with respect to this input too (the seed's X.grad).
  bool requiresGrad = false;
};

struct TraceOptions {
  /// Name of the traced function.
  std::string function = "forward";
  /// Make dimension 0 of every input dynamic (a batch of any size).
  bool dynamicBatch = true;
};

class Program;
class TrainProgram;

/// torch.optim's optimizers and their hyperparameters (the learning rate is
/// given per step, so schedules need no recompilation).
struct OptimizerConfig {
  std::string name = "sgd"; // sgd, adam or adamw
  double momentum = 0, dampening = 0;
  bool nesterov = false;
  /// -1: the optimizer's default (0; 0.01 for adamw).
  double weightDecay = -1;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;

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
  /// the file: the loaded graph has none bound, so Program::run takes every
  /// argument, inputs then parameters in state_dict order.
  static Graph load(const std::string &path);

  const std::vector<std::pair<std::string, Parameter>> &parameters() const { return parameters_; }

  /// Runs the autodiff pass: adds `<function>_grad` for every traced
  /// function, differentiating its first result with respect to the inputs
  /// and parameters that require gradients. Returns *this.
  Graph &differentiate();

  /// Differentiates (if not done yet) and appends `train_step`: the loss
  /// (the first result of `function`), its gradients and the optimizer's
  /// update, compiled as one function. Returns *this.
  Graph &addTrainStep(const OptimizerConfig &optimizer, const std::string &function = "forward");

  /// Compiles a graph with a train step; the program updates the bound
  /// parameters and its optimizer state in place.
  TrainProgram compileTrainStep(const JitOptions &options = {}) const;

  /// Records how the model is meant to be trained (module attributes
  /// graph.loss, graph.optimizer and graph.optimizer_options), which the
  /// driver's --train uses when its own flags do not say otherwise.
  /// `loss` is mse, cross_entropy, nll or bce_with_logits.
  Graph &setTrainingDefaults(const std::string &loss, const OptimizerConfig &optimizer);

  /// Compiles with the in-process JIT.
  Program compile(const JitOptions &options = {}) const;

private:
  std::shared_ptr<mlir::MLIRContext> context_;
  std::unique_ptr<mlir::OwningOpRef<mlir::ModuleOp>> module_;
  std::vector<std::pair<std::string, Parameter>> parameters_;
};

/// A compiled graph bound to its parameters: call it with the inputs only.
/// What a backward pass returns besides the parameters' accumulated grads.
struct BackwardResult {
  /// The forward function's results (the loss first).
  std::vector<rt::Tensor> outputs;
  /// Gradients of the inputs that require them, in input order.
  std::vector<rt::Tensor> inputGrads;
};

class Program {
public:
  Program(std::shared_ptr<JitModule> jit, std::vector<std::pair<std::string, Parameter>> params);
  /// Runs `function` with `inputs` followed by the current parameter values.
  std::vector<rt::Tensor> run(const std::vector<rt::Tensor> &inputs,
                              const std::string &function = "forward") const;
  /// The single-output forward, like calling the module.
  rt::Tensor operator()(const rt::Tensor &input) const { return run({input}).at(0); }
  /// loss.backward() / Z.backward(gradOutput): runs `<function>_grad` (see
  /// Graph::differentiate) and adds each parameter's gradient to its .grad,
  /// accumulating across calls until zeroGrad(). `gradOutput` is required
  /// when the first result is not a scalar, and must have its shape.
  BackwardResult backward(const std::vector<rt::Tensor> &inputs,
                          const rt::Tensor &gradOutput = rt::Tensor(),
                          const std::string &function = "forward") const;
  const JitModule &jit() const { return *jit_; }

private:
  std::shared_ptr<JitModule> jit_;
  std::vector<std::pair<std::string, Parameter>> parameters_;
  // One arena for the temporaries of every call (shared by copies).
  std::shared_ptr<CallArena> arena_ = std::make_shared<CallArena>();
};

/// A compiled training step bound to its parameters: each step() runs the
/// forward pass, the backward pass and the optimizer update in one call and
/// writes the new parameters and optimizer state into their buffers. It runs
/// on the runtime's program object (graphc/runtime/program.hpp) over the
/// JIT's model table, as a standalone executable or a model's library does:
/// the DSL's parameters are bound into the program (so that the steps update
/// the module's own tensors), and the program holds the optimizer state, the
/// step count and the arena.
class TrainProgram {
public:
  TrainProgram(std::shared_ptr<JitModule> jit,
               std::vector<std::pair<std::string, Parameter>> parameters);
  /// One step on a batch (the loss function's inputs); returns the loss.
  double step(const std::vector<rt::Tensor> &inputs, double learningRate);
  /// Completed steps (torch.optim's state['step']).
  int64_t stepCount() const;
  /// The optimizer state by name (`exp_avg.fc1.weight`, `momentum_buffer.0.bias`, ...,
  /// and `step`); the tensors are the program's own, updated in place.
  const std::vector<std::pair<std::string, rt::Tensor>> &state() const { return state_; }
  /// Replaces the optimizer state (for resuming); names and shapes must match.
  void loadState(const std::map<std::string, rt::Tensor> &state);
  /// How many times the program allocated the arena of the steps'
  /// temporaries (once for a fixed batch, however many steps).
  int64_t arenaAllocations() const { return program_->arenaAllocations(); }

private:
  /// Binds every parameter whose tensor the module replaced since the last
  /// step (loadStateDict, assignment), so that the program reads the
  /// module's current values, as a call with them would.
  void bindParameters();

  std::shared_ptr<JitModule> jit_; // the code the program's table points at
  std::vector<std::pair<std::string, Parameter>> parameters_;
  std::vector<graphc_tensor_t *> bound_; // what each parameter was bound as
  std::unique_ptr<rt::Program> program_;
  std::vector<std::pair<std::string, rt::Tensor>> state_; // ends with "step"
};

/// The losses the driver can append to a traced model (--loss).
enum class LossKind { MSE, CrossEntropy, NLL, BCEWithLogits };
/// The loss's name in the training pipeline's options (cross_entropy, ...).
const char *lossName(LossKind loss);

/// What `graphc --train` adds to a traced model (its function `forward`):
/// the registered training pipeline (buildTrainingPipeline: `loss` and
/// `eval`, inlined; the loss differentiated; `train_step` with `optimizer`).
/// Diagnostics go to the context's handler; returns failure when a pass fails.
mlir::LogicalResult addTrainingFunctions(mlir::ModuleOp module, const std::string &forward,
                                         LossKind loss, const OptimizerConfig &optimizer);

/// Traces `fn` over symbolic inputs with `parameters` (named leaves, e.g.
/// the seed's x, w and b) as the function's trailing arguments.
Graph trace(const std::vector<std::pair<std::string, Parameter>> &parameters,
            const std::vector<InputSpec> &inputs,
            const std::function<std::vector<Tensor>(const std::vector<Tensor> &)> &fn,
            const TraceOptions &options = {});

/// Traces `fn` over symbolic inputs; `module` supplies the parameters.
Graph trace(const nn::Module &module, const std::vector<InputSpec> &inputs,
            const std::function<std::vector<Tensor>(const std::vector<Tensor> &)> &fn,
            const TraceOptions &options = {});

/// Traces module.forward on one input shaped like `example`.
Graph trace(nn::Module &module, const rt::Tensor &example, const TraceOptions &options = {});

/// The main of a tracer program, as CMake's graphc_add_dsl_model builds and
/// runs it (`NAME_tracer GRAPH.mlir`): calls `traceModel` (which builds the
/// model and returns its traced graph) and saves the graph to the one
/// argument. Returns the exit status: 0; 2 for another command line (with
/// the usage); 1 when building, tracing or saving throws (with the error,
/// naming the program).
int tracerMain(int argc, char **argv, const std::function<Graph()> &traceModel);

} // namespace graphc

#endif // GRAPHC_BUILDER_TRACE_H
