//===- Graph.cpp - a traced graph: I/O, differentiation, training step ---===//

#include "graphc/Builder/Graph.h"
#include "graphc/Builder/Compiled.h"
#include "graphc/Pipelines/Pipelines.h"
#include "graphc/Support/InputLimits.h"
#include "graphc/Transforms/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

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
  error.clear();
  if (!prepareGraphBuffer(sourceMgr, buffer, path, ctx.get(), error))
    throw std::runtime_error("cannot parse graph " + path + ":\n" +
                             (error.empty() ? collected : error));
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
  options.alpha = optimizer.alpha;
  options.centered = optimizer.centered;
  options.lrDecay = optimizer.lrDecay;
  options.initialAccumulatorValue = optimizer.initialAccumulatorValue;
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
                                   const OptimizerConfig &optimizer, bool dataParallel,
                                   int64_t microBatch) {
  TrainingPipelineOptions options;
  options.function = forward;
  options.dataParallel = dataParallel;
  options.microBatch = microBatch;
  setTrainingOptions(options, lossName(loss), optimizer);
  PassManager pm(module.getContext());
  buildTrainingPipeline(pm, options);
  return pm.run(module);
}

Graph &Graph::addTrainStep(const OptimizerConfig &optimizer, const std::string &function,
                           int64_t microBatch) {
  if (microBatch < 0)
    throw CompileError("addTrainStep: microBatch must be at least 1 (0: none), got " +
                       std::to_string(microBatch));
  if (!module().lookupSymbol((function + "_grad")))
    differentiate();
  DiagnosticCollector diagnostics(context_.get());
  PassManager pm(context_.get());
  TrainingPipelineOptions options;
  setTrainingOptions(options, /*loss=*/"", optimizer);
  options.dataParallel = microBatch > 0;
  pm.addPass(createOptimizer(optimizerPassOptions(options, function)));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (microBatch > 0) {
    // The step as its halves, the first also at a static batch of
    // microBatch rows; no whole train_step (graphc_program_train_step runs
    // the halves, in parts).
    SpecializeMicroBatchOptions micro;
    micro.rows = microBatch;
    pm.addPass(createSpecializeMicroBatch(micro));
  }
  if (failed(pm.run(module())))
    throw CompileError("building the training step failed:\n" + diagnostics.text());
  return *this;
}

CompiledTrainStep Graph::compileTrainStep(const JitOptions &options) const {
  // addTrainStep's microBatch builds the step as its two halves only.
  if (!module().lookupSymbol("train_step") && !module().lookupSymbol("train_step_apply"))
    throw CompileError("the graph has no train_step; call addTrainStep first");
  return CompiledTrainStep(JitModule::compile(module(), options), parameters_);
}

CompiledModule Graph::compile(const JitOptions &options) const {
  return CompiledModule(JitModule::compile(module(), options), parameters_);
}

} // namespace graphc
