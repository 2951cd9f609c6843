//===- Pipelines.h - graphc's registration and lowering pipelines -*- C++ -*-===//
#ifndef GRAPHC_PIPELINES_PIPELINES_H
#define GRAPHC_PIPELINES_PIPELINES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"

#include <memory>
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "graphc/Transforms/Passes.h"

namespace graphc {

/// The graph dialect plus every upstream dialect, interface and LLVM IR
/// translation that graphc's pipelines create or need.
void registerAllDialects(mlir::DialectRegistry &registry);

/// A context with every dialect above loaded: what the driver and the DSL
/// build and read graphs in.
std::shared_ptr<mlir::MLIRContext> createContext();

/// graphc's passes and the named pipelines (for graphc-opt and lit).
void registerAllPasses();

struct CpuPipelineOptions : mlir::PassPipelineOptions<CpuPipelineOptions> {
  Option<unsigned> optLevel{*this, "opt-level",
                            llvm::cl::desc("0..3, as -O0..-O3 in the driver"),
                            llvm::cl::init(2)};
};

/// Training settings: the one form every layer maps to. The DSL's
/// OptimizerConfig and the driver's flags become these, the graph records
/// them (recordTrainingSettings) and the training pipeline takes them.
struct TrainingPipelineOptions : mlir::PassPipelineOptions<TrainingPipelineOptions> {
  Option<std::string> function{*this, "function", llvm::cl::desc("The model function"),
                               llvm::cl::init("forward")};
  Option<std::string> loss{*this, "loss",
                           llvm::cl::desc("mse, cross_entropy, nll or bce_with_logits"),
                           llvm::cl::init("cross_entropy")};
  Option<std::string> optimizer{*this, "optimizer", llvm::cl::desc("sgd, adam or adamw"),
                                llvm::cl::init("sgd")};
  Option<double> momentum{*this, "momentum", llvm::cl::desc("SGD momentum"), llvm::cl::init(0.0)};
  Option<double> dampening{*this, "dampening", llvm::cl::desc("SGD dampening"),
                           llvm::cl::init(0.0)};
  Option<bool> nesterov{*this, "nesterov", llvm::cl::desc("SGD Nesterov momentum"),
                        llvm::cl::init(false)};
  Option<double> weightDecay{*this, "weight-decay",
                             llvm::cl::desc("-1: the optimizer's default (0, or 0.01 for adamw)"),
                             llvm::cl::init(-1.0)};
  Option<double> beta1{*this, "beta1", llvm::cl::desc("Adam beta1"), llvm::cl::init(0.9)};
  Option<double> beta2{*this, "beta2", llvm::cl::desc("Adam beta2"), llvm::cl::init(0.999)};
  Option<double> eps{*this, "eps", llvm::cl::desc("Adam epsilon"), llvm::cl::init(1e-8)};
};

/// The training step of a model function: graphc-append-loss (loss and
/// eval) -> inline -> graphc-autodiff (the loss's gradient) ->
/// graphc-optimizer (train_step) -> canonicalize, cse. Registered as
/// --graphc-training-pipeline; what `graphc --train` and the DSL run.
void buildTrainingPipeline(mlir::OpPassManager &pm, const TrainingPipelineOptions &options);

/// The --graphc-optimizer options of `options`, building train_step from
/// `lossFunction` and its gradient.
OptimizerOptions optimizerPassOptions(const TrainingPipelineOptions &options,
                                      llvm::StringRef lossFunction);

/// The settings as module attributes (graph.loss, graph.optimizer,
/// graph.optimizer_options): what a traced graph says it trains with.
void recordTrainingSettings(mlir::ModuleOp module, const TrainingPipelineOptions &options);
/// Each setting the module records, written into `options`; `onRecorded`
/// is told each one's name first, so that a caller can keep its own (a
/// flag given on the command line) instead: it returns true to take the
/// recorded value.
void readTrainingSettings(mlir::ModuleOp module, TrainingPipelineOptions &options,
                          llvm::function_ref<bool(llvm::StringRef setting,
                                                  llvm::StringRef recorded)> onRecorded);

/// graph dialect -> linalg on tensors (graphc-convert-graph-to-linalg plus cleanups).
void buildGraphToLinalgPipeline(mlir::OpPassManager &pm);

/// Elementwise fusion on linalg tensors (graphc-fuse-elementwise): the first
/// step of code generation, and what `graphc --emit=fusion-report` reports on.
void buildFusionPipeline(mlir::OpPassManager &pm);

/// Code generation on linalg tensors: fusion (buildFusionPipeline), then
/// register-tiled, vectorized matmuls and convolutions (graphc-tile-matmuls,
/// graphc-tile-convolutions).
void buildTensorCodegenPipeline(mlir::OpPassManager &pm);

/// linalg on tensors -> memrefs: C-interface and read-only marks
/// (graphc-mark-c-interface), in-place updates (graphc-update-in-place),
/// one-shot bufferization across function boundaries (identity layouts,
/// read-only arguments unless marked writable), dropping results that are
/// updated arguments, and deallocation.
void buildBufferizationPipeline(mlir::OpPassManager &pm);

/// memrefs -> LLVM dialect: loops and the conversions to the LLVM dialect.
void buildMemRefToLLVMPipeline(mlir::OpPassManager &pm, const CpuPipelineOptions &options);

/// Both of the above.
void buildLinalgToLLVMPipeline(mlir::OpPassManager &pm, const CpuPipelineOptions &options);

/// Both of the above: graph dialect -> LLVM dialect for the host CPU.
void buildCpuPipeline(mlir::OpPassManager &pm, const CpuPipelineOptions &options);

} // namespace graphc

#endif // GRAPHC_PIPELINES_PIPELINES_H
