//===- Trace.cpp - tracing DSL code into the graph dialect ----------------===//

#include "graphc/Builder/Trace.h"
#include "Tracer.h"
#include "graphc/Builder/Losses.h"
#include "graphc/Dialect/Graph/BatchMultiples.h"
#include "graphc/Pipelines/Pipelines.h"
#include "graphc/Support/InputLimits.h"
#include "graphc/Transforms/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

using namespace mlir;

namespace graphc {


Graph::Graph(std::shared_ptr<MLIRContext> context, OwningOpRef<ModuleOp> module,
             std::vector<std::pair<std::string, Parameter>> parameters)
    : context_(std::move(context)),
      module_(std::make_unique<OwningOpRef<ModuleOp>>(std::move(module))),
      parameters_(std::move(parameters)) {}

Graph::Graph(Graph &&) noexcept = default;

// The module must go before the context that owns its storage.
Graph::~Graph() { module_.reset(); }

ModuleOp Graph::module() const { return module_->get(); }

std::string Graph::str(bool withLocations) const {
  std::string text;
  llvm::raw_string_ostream os(text);
  OpPrintingFlags flags;
  if (withLocations)
    flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false);
  module()->print(os, flags);
  return text;
}

void Graph::save(const std::string &path) const {
  // LLVM's atomic output (the driver's too): a temporary file beside the
  // target, renamed over it once complete, so a crash never leaves a
  // half-written graph where a good one was.
  std::string text = str(/*withLocations=*/true);
  if (llvm::Error error = llvm::writeToOutput(path, [&](llvm::raw_ostream &os) {
        os << text;
        return llvm::Error::success();
      }))
    throw std::runtime_error("cannot write " + path + ": " + llvm::toString(std::move(error)));
}

Graph Graph::load(const std::string &path) {
  auto ctx = createContext();
  std::string error;
  auto file = openInputFile(path, &error);
  if (!file)
    throw std::runtime_error("cannot read graph " + path + ": " + error);
  llvm::SourceMgr sourceMgr;
  unsigned buffer = sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  // Diagnostics print as FILE:LINE:COL with the offending line, like mlir-opt's.
  std::string collected;
  llvm::raw_string_ostream os(collected);
  sourceMgr.setDiagHandler([](const llvm::SMDiagnostic &d, void *out) {
    d.print(nullptr, *static_cast<llvm::raw_string_ostream *>(out));
  }, &os);
  if (!checkNestingDepth(sourceMgr, buffer))
    throw std::runtime_error("cannot parse graph " + path + ":\n" + collected);
  llvm::StringRef text = sourceMgr.getMemoryBuffer(buffer)->getBuffer();
  if (isBytecode(text) && !bytecodeReadsSafely(text, ctx.get()))
    throw std::runtime_error("cannot parse graph " + path +
                             ": corrupt MLIR bytecode (MLIR's bytecode reader crashes on it)");
  SourceMgrDiagnosticHandler handler(sourceMgr, ctx.get(), os);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, ctx.get());
  if (!module)
    throw std::runtime_error("cannot parse graph " + path + ":\n" + collected);
  return Graph(ctx, std::move(module), {});
}

Graph &Graph::differentiate() {
  DiagnosticCollector diagnostics(context_.get());
  PassManager pm(context_.get());
  pm.addPass(createAutodiff());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (failed(pm.run(module())))
    throw CompileError("differentiation failed:\n" + diagnostics.text());
  return *this;
}

/// The training pipeline's options for `optimizer` and `loss`: the one
/// place the DSL's settings map to the compiler's.
static void setTrainingOptions(TrainingPipelineOptions &options, const std::string &loss,
                               const OptimizerConfig &optimizer) {
  options.loss = loss;
  options.optimizer = optimizer.name;
  options.momentum = optimizer.momentum;
  options.dampening = optimizer.dampening;
  options.nesterov = optimizer.nesterov;
  options.weightDecay = optimizer.weightDecay;
  options.beta1 = optimizer.beta1;
  options.beta2 = optimizer.beta2;
  options.eps = optimizer.eps;
}

Graph &Graph::setTrainingDefaults(const std::string &loss, const OptimizerConfig &optimizer) {
  TrainingPipelineOptions options;
  setTrainingOptions(options, loss, optimizer);
  recordTrainingSettings(module(), options);
  return *this;
}

const char *lossName(LossKind loss) {
  switch (loss) {
  case LossKind::MSE:
    return "mse";
  case LossKind::CrossEntropy:
    return "cross_entropy";
  case LossKind::NLL:
    return "nll";
  case LossKind::BCEWithLogits:
    return "bce_with_logits";
  }
  return "";
}

LogicalResult addTrainingFunctions(ModuleOp module, const std::string &forward, LossKind loss,
                                   const OptimizerConfig &optimizer) {
  TrainingPipelineOptions options;
  options.function = forward;
  setTrainingOptions(options, lossName(loss), optimizer);
  PassManager pm(module.getContext());
  buildTrainingPipeline(pm, options);
  return pm.run(module);
}

Graph &Graph::addTrainStep(const OptimizerConfig &optimizer, const std::string &function) {
  if (!module().lookupSymbol((function + "_grad")))
    differentiate();
  DiagnosticCollector diagnostics(context_.get());
  PassManager pm(context_.get());
  TrainingPipelineOptions options;
  setTrainingOptions(options, /*loss=*/"", optimizer);
  pm.addPass(createOptimizer(optimizerPassOptions(options, function)));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (failed(pm.run(module())))
    throw CompileError("building the training step failed:\n" + diagnostics.text());
  return *this;
}

TrainProgram Graph::compileTrainStep(const JitOptions &options) const {
  if (!module().lookupSymbol("train_step"))
    throw CompileError("the graph has no train_step; call addTrainStep first");
  std::shared_ptr<JitModule> jit = JitModule::compile(module(), options);
  return TrainProgram(std::move(jit), parameters_);
}

TrainProgram::TrainProgram(std::shared_ptr<JitModule> jit,
                           std::vector<std::pair<std::string, Parameter>> parameters)
    : jit_(std::move(jit)), parameters_(std::move(parameters)),
      bound_(parameters_.size(), nullptr),
      program_(std::make_unique<rt::Program>(jit_->model())) {
  // The program starts with zero optimizer state and step, as torch.optim
  // (the first SGD step copies the gradient into the momentum buffer itself).
  const std::string prefix = GRAPHC_CHECKPOINT_OPTIMIZER_PREFIX;
  for (int32_t i = 0; i < graphc_program_num_tensors(program_->get()); ++i) {
    std::string name = graphc_program_tensor_name(program_->get(), i);
    if (name.rfind(prefix, 0) == 0)
      state_.emplace_back(name.substr(prefix.size()),
                          rt::Tensor::borrow(graphc_program_tensor(program_->get(), i)));
  }
}

void TrainProgram::bindParameters() {
  for (size_t i = 0; i < parameters_.size(); ++i) {
    const rt::Tensor &value = parameters_[i].second.value();
    if (value.get() == bound_[i])
      continue;
    program_->bind(parameters_[i].first, value);
    bound_[i] = value.get();
  }
}

double TrainProgram::step(const std::vector<rt::Tensor> &inputs, double learningRate) {
  bindParameters();
  std::vector<rt::Tensor> results = program_->run("train_step", inputs, learningRate);
  const rt::Tensor &loss = results.at(0);
  return loss.dtype() == GRAPHC_DTYPE_F64 ? loss.data<double>()[0] : loss.data<float>()[0];
}

int64_t TrainProgram::stepCount() const {
  return static_cast<int64_t>(state_.back().second.data<double>()[0]);
}

void TrainProgram::loadState(const std::map<std::string, rt::Tensor> &state) {
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

Program Graph::compile(const JitOptions &options) const {
  std::shared_ptr<JitModule> jit = JitModule::compile(module(), options);
  return Program(std::move(jit), parameters_);
}

Program::Program(std::shared_ptr<JitModule> jit,
                 std::vector<std::pair<std::string, Parameter>> params)
    : jit_(std::move(jit)), parameters_(std::move(params)) {}

std::vector<rt::Tensor> Program::run(const std::vector<rt::Tensor> &inputs,
                                     const std::string &function) const {
  std::vector<rt::Tensor> arguments(inputs);
  for (auto &[name, p] : parameters_)
    arguments.push_back(p.value());
  return jit_->call(function, arguments, arena_.get());
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

BackwardResult Program::backward(const std::vector<rt::Tensor> &inputs,
                                 const rt::Tensor &gradOutput,
                                 const std::string &function) const {
  const std::string gradFunction = function + "_grad";
  const FunctionSignature &forward = jit_->signature(function);
  const FunctionSignature &signature = jit_->signature(gradFunction);
  std::vector<rt::Tensor> arguments(inputs);
  for (auto &[name, p] : parameters_)
    arguments.push_back(p.value());
  bool wantsGradOutput = signature.arguments.size() == forward.arguments.size() + 1;
  if (wantsGradOutput) {
    if (!gradOutput.get())
      throw CallError("backward of '" + function +
                      "' needs a gradient for its non-scalar result (Z.backward(dZ))");
    arguments.push_back(gradOutput);
  } else if (gradOutput.get() && gradOutput.numel() != 1) {
    throw CallError("backward of '" + function + "': its result is a scalar, but the given "
                    "gradient has " + std::to_string(gradOutput.numel()) + " elements");
  }
  std::vector<rt::Tensor> results = jit_->call(gradFunction, arguments, arena_.get());
  // y.backward(torch.tensor(c)) on a scalar y: the compiled seed is 1, so
  // the gradients scale by c (a no-op for the usual c = 1).
  if (!wantsGradOutput && gradOutput.get()) {
    double seed = gradOutput.dtype() == GRAPHC_DTYPE_F64 ? gradOutput.data<double>()[0]
                                                         : gradOutput.data<float>()[0];
    if (seed != 1.0)
      for (size_t i = forward.results.size(); i < results.size(); ++i) {
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
  size_t at = forward.results.size();
  out.outputs.assign(results.begin(), results.begin() + at);
  // Gradients come in argument order: marked inputs, then marked parameters.
  size_t gradCount = results.size() - at;
  size_t paramsWithGrad = 0;
  for (auto &[name, p] : parameters_)
    paramsWithGrad += p.requiresGrad();
  size_t inputGrads = gradCount - paramsWithGrad;
  for (size_t i = 0; i < inputGrads; ++i)
    out.inputGrads.push_back(results[at + i]);
  size_t next = at + inputGrads;
  for (auto &[name, p] : parameters_) {
    if (!p.requiresGrad())
      continue;
    Parameter param = p;
    accumulateGrad(param, results[next++]);
  }
  return out;
}

Graph trace(const nn::Module &module, const std::vector<InputSpec> &inputs,
            const std::function<std::vector<Tensor>(const std::vector<Tensor> &)> &fn,
            const TraceOptions &options) {
  return trace(module.namedParameters(), inputs, fn, options);
}

Graph trace(const std::vector<std::pair<std::string, Parameter>> &parameters,
            const std::vector<InputSpec> &inputs,
            const std::function<std::vector<Tensor>(const std::vector<Tensor> &)> &fn,
            const TraceOptions &options) {
  auto ctx = createContext();
  OpBuilder builder(ctx.get());
  OwningOpRef<ModuleOp> moduleOp(ModuleOp::create(builder.getUnknownLoc()));
  {
    Tracer tracer(ctx.get(), *moduleOp, options.function);
    std::vector<Tensor> symbolic;
    for (const InputSpec &in : inputs) {
      SmallVector<int64_t> shape;
      for (size_t i = 0; i < in.shape.size(); ++i)
        shape.push_back(in.shape[i] == kDynamic || (i == 0 && options.dynamicBatch)
                            ? ShapedType::kDynamic
                            : in.shape[i]);
      symbolic.push_back(tracer.addArgument(
          RankedTensorType::get(shape, elementTypeFor(ctx.get(), in.dtype)), in.name,
          graph::ArgumentRole::Input, in.requiresGrad));
    }
    for (auto &[name, p] : parameters) {
      const rt::Tensor &v = p.value();
      auto type = RankedTensorType::get(v.shape(), elementTypeFor(ctx.get(), v.dtype()));
      Tensor arg = tracer.addArgument(type, name, graph::ArgumentRole::Parameter, p.requiresGrad());
      // How a compiled program initializes it: PyTorch's default rule where
      // the module used one, else the value the module gave it by hand.
      if (p.initBound() > 0)
        tracer.setArgumentAttr(arg, graph::GraphDialect::getInitBoundAttrName(),
                               builder.getF64FloatAttr(p.initBound()));
      else
        tracer.setArgumentAttr(arg, graph::GraphDialect::getInitValueAttrName(),
                               denseElementsOf(type, v));
      tracer.bindParameter(p.id(), arg);
    }
    tracer.finish(fn(symbolic));
  }
  if (failed(verify(*moduleOp)))
    throw std::logic_error("internal error: the traced graph does not verify");
  return Graph(ctx, std::move(moduleOp), std::move(parameters));
}

Graph trace(nn::Module &module, const rt::Tensor &example, const TraceOptions &options) {
  InputSpec input{"input", example.shape(), example.dtype()};
  return trace(module, {input},
               [&](const std::vector<Tensor> &xs) { return std::vector<Tensor>{module(xs[0])}; },
               options);
}

} // namespace graphc
