//===- Compiled.h - compiled graphs bound to the DSL's parameters -*- C++ -*-===//
//
// What Graph::compile and Graph::compileTrainStep return. Three classes run
// compiled code, and each has one job:
//   - JitModule (graphc/JIT/Jit.h) holds the machine code the JIT made and
//     its model table (`NAME_model`), as a linked object file would;
//   - rt::Program (graphc/runtime/program.hpp) is the runtime's program
//     object over a model table: it holds the parameters, optimizer state
//     and arena and runs the entry points, for every caller (the standalone
//     executable, a model's library, and the classes below);
//   - CompiledModule and CompiledTrainStep are the DSL's view: a program
//     object with the module's own parameter tensors bound into it, called
//     like the module (torch.jit's ScriptModule) or stepped like an optimizer.
//
//===----------------------------------------------------------------------===//
#ifndef GRAPHC_BUILDER_COMPILED_H
#define GRAPHC_BUILDER_COMPILED_H

#include "graphc/Builder/NN.h"
#include "graphc/JIT/Jit.h"
#include "graphc/runtime/program.hpp"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace graphc {

namespace detail {
/// A runtime program over a JIT's model table with the DSL's parameters
/// bound into it (Compiled.cpp).
class BoundProgram;
} // namespace detail

/// What a backward pass returns besides the parameters' accumulated grads.
struct BackwardResult {
  /// The forward function's results (the loss first).
  std::vector<rt::Tensor> outputs;
  /// Gradients of the inputs that require them, in input order.
  std::vector<rt::Tensor> inputGrads;
};

/// A compiled graph bound to its parameters: call it with the inputs only.
/// Copies share the compiled code, the program object and its arena; calls
/// on them from several threads run one at a time.
class CompiledModule {
public:
  CompiledModule(std::shared_ptr<JitModule> jit,
                 std::vector<std::pair<std::string, Parameter>> params);
  ~CompiledModule();
  /// Runs `function` with `inputs`; the program reads the current parameter
  /// values. A graph with no parameters bound (Graph::load) takes them
  /// after the inputs, in the order its function declares them.
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

private:
  std::shared_ptr<detail::BoundProgram> program_;
};

/// A compiled training step bound to its parameters: each step() runs the
/// forward pass, the backward pass and the optimizer update in one call and
/// writes the new parameters and optimizer state into their buffers. The
/// program object holds the optimizer state, the step count and the arena;
/// the module's own tensors are bound into it, so the steps update them.
class CompiledTrainStep {
public:
  CompiledTrainStep(std::shared_ptr<JitModule> jit,
                    std::vector<std::pair<std::string, Parameter>> parameters);
  ~CompiledTrainStep();
  CompiledTrainStep(CompiledTrainStep &&) noexcept;
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
  int64_t arenaAllocations() const;

private:
  std::unique_ptr<detail::BoundProgram> program_;
  std::vector<std::pair<std::string, rt::Tensor>> state_; // ends with "step"
};

} // namespace graphc

#endif // GRAPHC_BUILDER_COMPILED_H
