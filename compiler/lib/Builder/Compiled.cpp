//===- Compiled.cpp - compiled graphs bound to the DSL's parameters -------===//
//
// Both classes run on the runtime's program object (rt::Program) over the
// JIT's model table, as a standalone executable or a model's library runs
// on its object file's: one argument check, one arena, one initialization.
//
//===----------------------------------------------------------------------===//

#include "graphc/Builder/Compiled.h"

#include <mutex>

namespace graphc {
namespace detail {

/// How many of the entry point's arguments a caller passes: its inputs and
/// targets, and with `withParameters` its parameters too (a loaded graph's
/// caller passes them).
size_t passedArguments(const graphc_model_entry_t &entry, bool withParameters) {
  size_t count = 0;
  for (int32_t i = 0; i < entry.num_arguments; ++i) {
    int32_t role = entry.arguments[i].role;
    count += role == GRAPHC_ROLE_INPUT || role == GRAPHC_ROLE_TARGET ||
             (withParameters && (role == GRAPHC_ROLE_PARAMETER || role == GRAPHC_ROLE_BUFFER));
  }
  return count;
}

class BoundProgram {
public:
  BoundProgram(std::shared_ptr<JitModule> jit,
               std::vector<std::pair<std::string, Parameter>> parameters)
      : jit_(std::move(jit)), parameters_(std::move(parameters)),
        bound_(parameters_.size(), nullptr),
        program_(std::make_unique<rt::Program>(jit_->model())) {}

  const std::vector<std::pair<std::string, Parameter>> &parameters() const { return parameters_; }
  rt::Program &program() { return *program_; }

  bool hasEntry(const std::string &name) const {
    const graphc_model_t *model = jit_->model();
    for (int32_t e = 0; e < model->num_entries; ++e)
      if (name == model->entries[e].name)
        return true;
    return false;
  }

  /// One training step on `given` (the loss function's inputs and
  /// targets) through graphc_program_train_step, which runs train_step or,
  /// for a step built as its two halves (addTrainStep's microBatch), the
  /// halves; returns the loss.
  double trainStep(const std::vector<rt::Tensor> &given, double learningRate) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (given.empty() || given.size() > 2)
      throw CallError("a step built as its two halves takes the input and the target (" +
                      std::to_string(given.size()) + " tensors given)");
    try {
      bindParameters();
      return program_->trainStep(given[0], given.size() > 1 ? given[1] : rt::Tensor(),
                                 learningRate);
    } catch (const rt::Error &error) {
      if (error.code() == GRAPHC_INVALID_ARGUMENT || error.code() == GRAPHC_NOT_FOUND)
        throw CallError(error.what());
      throw;
    }
  }

  const graphc_model_entry_t &entry(const std::string &name) const {
    const graphc_model_t *model = jit_->model();
    for (int32_t e = 0; e < model->num_entries; ++e)
      if (name == model->entries[e].name)
        return model->entries[e];
    throw CallError("no compiled function named '" + name + "'");
  }

  /// Runs `entryName` on `given`: the entry point's inputs and targets, or,
  /// for a graph with no DSL parameters bound (Graph::load), every argument
  /// in the function's order, parameters included. Argument errors from
  /// the program are CallErrors.
  std::vector<rt::Tensor> run(const std::string &entryName, const std::vector<rt::Tensor> &given,
                              double learningRate) {
    std::lock_guard<std::mutex> lock(mutex_);
    const graphc_model_entry_t &e = entry(entryName);
    std::vector<rt::Tensor> data;
    try {
      if (parameters_.empty() && given.size() == passedArguments(e, /*withParameters=*/true)) {
        size_t next = 0;
        for (int32_t i = 0; i < e.num_arguments; ++i) {
          int32_t role = e.arguments[i].role;
          if (role == GRAPHC_ROLE_PARAMETER || role == GRAPHC_ROLE_BUFFER)
            program_->bind(e.arguments[i].name, given[next++]);
          else if (role == GRAPHC_ROLE_INPUT || role == GRAPHC_ROLE_TARGET)
            data.push_back(given[next++]);
        }
      } else {
        bindParameters();
        data = given;
      }
      return program_->run(entryName, data, learningRate);
    } catch (const rt::Error &error) {
      if (error.code() == GRAPHC_INVALID_ARGUMENT || error.code() == GRAPHC_NOT_FOUND)
        throw CallError(error.what());
      throw;
    }
  }

private:
  /// Binds every parameter whose tensor the module replaced since the last
  /// call (loadStateDict, assignment), so that the program reads the
  /// module's current values, as a call with them would.
  void bindParameters() {
    for (size_t i = 0; i < parameters_.size(); ++i) {
      const rt::Tensor &value = parameters_[i].second.value();
      if (value.get() == bound_[i])
        continue;
      program_->bind(parameters_[i].first, value);
      bound_[i] = value.get();
    }
  }

  std::shared_ptr<JitModule> jit_; // the code the program's table points at
  std::vector<std::pair<std::string, Parameter>> parameters_;
  std::vector<graphc_tensor_t *> bound_; // what each parameter was bound as
  std::unique_ptr<rt::Program> program_;
  std::mutex mutex_; // the program runs one call at a time (one arena)
};

} // namespace detail

//===----------------------------------------------------------------------===//
// CompiledModule
//===----------------------------------------------------------------------===//

CompiledModule::CompiledModule(std::shared_ptr<JitModule> jit,
                               std::vector<std::pair<std::string, Parameter>> params)
    : program_(std::make_shared<detail::BoundProgram>(std::move(jit), std::move(params))) {}

CompiledModule::~CompiledModule() = default;

std::vector<rt::Tensor> CompiledModule::run(const std::vector<rt::Tensor> &inputs,
                                            const std::string &function) const {
  return program_->run(function, inputs, /*learningRate=*/0.0);
}

namespace {

/// grad += update, elementwise, on the host (gradients are float tensors).
void accumulateGrad(Parameter &p, const rt::Tensor &update) {
  if (!p.grad().get()) {
    p.setGrad(update);
    return;
  }
  rt::Tensor grad = p.grad();
  if (grad.dtype() == GRAPHC_DTYPE_F32) {
    float *g = grad.data<float>();
    const float *u = update.data<float>();
    for (int64_t i = 0, n = grad.numel(); i < n; ++i)
      g[i] += u[i];
  } else {
    double *g = grad.data<double>();
    const double *u = update.data<double>();
    for (int64_t i = 0, n = grad.numel(); i < n; ++i)
      g[i] += u[i];
  }
}

} // namespace

BackwardResult CompiledModule::backward(const std::vector<rt::Tensor> &inputs,
                                        const rt::Tensor &gradOutput,
                                        const std::string &function) const {
  const std::string gradFunction = function + "_grad";
  const graphc_model_entry_t &forward = program_->entry(function);
  const graphc_model_entry_t &gradient = program_->entry(gradFunction);
  // The gradient function takes the seed dZ after the forward's arguments
  // when the forward's first result is not a scalar (the autodiff pass).
  bool wantsGradOutput = detail::passedArguments(gradient, false) ==
                         detail::passedArguments(forward, false) + 1;
  std::vector<rt::Tensor> arguments(inputs);
  if (wantsGradOutput) {
    if (!gradOutput.get())
      throw CallError("backward of '" + function +
                      "' needs a gradient for its non-scalar result (Z.backward(dZ))");
    arguments.push_back(gradOutput);
  } else if (gradOutput.get() && gradOutput.numel() != 1) {
    throw CallError("backward of '" + function + "': its result is a scalar, but the given "
                    "gradient has " + std::to_string(gradOutput.numel()) + " elements");
  }
  std::vector<rt::Tensor> results = program_->run(gradFunction, arguments, 0.0);
  // y.backward(torch.tensor(c)) on a scalar y: the compiled seed is 1, so
  // the gradients scale by c (a no-op for the usual c = 1).
  size_t at = static_cast<size_t>(forward.num_results);
  if (!wantsGradOutput && gradOutput.get()) {
    double seed = gradOutput.dtype() == GRAPHC_DTYPE_F64 ? gradOutput.data<double>()[0]
                                                         : gradOutput.data<float>()[0];
    if (seed != 1.0)
      for (size_t i = at; i < results.size(); ++i) {
        rt::Tensor &g = results[i];
        for (int64_t k = 0; k < g.numel(); ++k) {
          if (g.dtype() == GRAPHC_DTYPE_F64)
            g.data<double>()[k] *= seed;
          else
            g.data<float>()[k] = static_cast<float>(g.data<float>()[k] * seed);
        }
      }
  }

  BackwardResult out;
  out.outputs.assign(results.begin(), results.begin() + at);
  // Gradients come in argument order: marked inputs, then marked parameters.
  size_t gradCount = results.size() - at;
  size_t paramsWithGrad = 0;
  for (auto &[name, p] : program_->parameters())
    paramsWithGrad += p.requiresGrad();
  size_t inputGrads = gradCount - paramsWithGrad;
  for (size_t i = 0; i < inputGrads; ++i)
    out.inputGrads.push_back(results[at + i]);
  size_t next = at + inputGrads;
  for (auto &[name, p] : program_->parameters()) {
    if (!p.requiresGrad())
      continue;
    Parameter param = p;
    accumulateGrad(param, results[next++]);
  }
  return out;
}

//===----------------------------------------------------------------------===//
// CompiledTrainStep
//===----------------------------------------------------------------------===//

CompiledTrainStep::CompiledTrainStep(std::shared_ptr<JitModule> jit,
                                     std::vector<std::pair<std::string, Parameter>> parameters)
    : program_(std::make_unique<detail::BoundProgram>(std::move(jit), std::move(parameters))) {
  // The program starts with zero optimizer state and step, as torch.optim
  // (the first SGD step copies the gradient into the momentum buffer itself).
  const std::string prefix = GRAPHC_CHECKPOINT_OPTIMIZER_PREFIX;
  graphc_program_t *program = program_->program().get();
  for (int32_t i = 0; i < graphc_program_num_tensors(program); ++i) {
    std::string name = graphc_program_tensor_name(program, i);
    if (name.rfind(prefix, 0) == 0)
      state_.emplace_back(name.substr(prefix.size()),
                          rt::Tensor::borrow(graphc_program_tensor(program, i)));
  }
}

CompiledTrainStep::~CompiledTrainStep() = default;
CompiledTrainStep::CompiledTrainStep(CompiledTrainStep &&) noexcept = default;

double CompiledTrainStep::step(const std::vector<rt::Tensor> &inputs, double learningRate) {
  if (!program_->hasEntry("train_step"))
    return program_->trainStep(inputs, learningRate);
  std::vector<rt::Tensor> results = program_->run("train_step", inputs, learningRate);
  const rt::Tensor &loss = results.at(0);
  return loss.dtype() == GRAPHC_DTYPE_F64 ? loss.data<double>()[0] : loss.data<float>()[0];
}

int64_t CompiledTrainStep::stepCount() const {
  return static_cast<int64_t>(state_.back().second.data<double>()[0]);
}

int64_t CompiledTrainStep::arenaAllocations() const {
  return program_->program().arenaAllocations();
}

void CompiledTrainStep::loadState(const std::map<std::string, rt::Tensor> &state) {
  for (auto &[name, tensor] : state_) {
    auto it = state.find(name);
    if (it == state.end())
      throw std::invalid_argument("optimizer state is missing " + name);
    if (it->second.shape() != tensor.shape() || it->second.dtype() != tensor.dtype())
      throw std::invalid_argument("optimizer state " + name + " has the wrong shape or dtype");
  }
  for (auto &[name, tensor] : state_) {
    const rt::Tensor &from = state.at(name);
    std::copy(static_cast<const char *>(from.rawData()),
              static_cast<const char *>(from.rawData()) + from.nbytes(),
              static_cast<char *>(tensor.rawData()));
  }
}

} // namespace graphc
