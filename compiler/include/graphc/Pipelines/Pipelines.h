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
  /// A test of the CUDA target without a GPU: the loop nests are mapped
  /// to kernels as the CUDA pipeline maps them (buildGpuLaunchPipeline) and
  /// each launch runs on the CPU (graphc-emulate-gpu-launches), instead of
  /// the CPU's tiled and vectorized loops.
  Option<bool> emulateGpuKernels{
      *this, "emulate-gpu-kernels",
      llvm::cl::desc("Run the loops as the CUDA target maps them, emulated on the CPU"),
      llvm::cl::init(false)};
  /// The register tiles' shapes follow the target's vector registers: tiles
  /// sized for AVX-512's 32 registers of 16 floats spill on AVX2's 16 of 8.
  /// The drivers pass vectorBitsOf(their TargetMachine).
  Option<unsigned> vectorBits{
      *this, "vector-bits",
      llvm::cl::desc("Bits of the target's vector registers: 512 (AVX-512) or 256 (AVX2)"),
      llvm::cl::init(512)};
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
  Option<std::string> optimizer{*this, "optimizer",
                                llvm::cl::desc("sgd, adam, adamw, rmsprop or adagrad"),
                                llvm::cl::init("sgd")};
  Option<double> momentum{*this, "momentum", llvm::cl::desc("SGD and RMSprop momentum"),
                          llvm::cl::init(0.0)};
  Option<double> dampening{*this, "dampening", llvm::cl::desc("SGD dampening"),
                           llvm::cl::init(0.0)};
  Option<bool> nesterov{*this, "nesterov", llvm::cl::desc("SGD Nesterov momentum"),
                        llvm::cl::init(false)};
  Option<double> weightDecay{*this, "weight-decay",
                             llvm::cl::desc("-1: the optimizer's default (0, or 0.01 for adamw)"),
                             llvm::cl::init(-1.0)};
  Option<double> beta1{*this, "beta1", llvm::cl::desc("Adam beta1"), llvm::cl::init(0.9)};
  Option<double> beta2{*this, "beta2", llvm::cl::desc("Adam beta2"), llvm::cl::init(0.999)};
  Option<double> eps{*this, "eps",
                     llvm::cl::desc("-1: the optimizer's default (1e-8, or 1e-10 for adagrad)"),
                     llvm::cl::init(-1.0)};
  Option<double> alpha{*this, "alpha", llvm::cl::desc("RMSprop smoothing constant"),
                       llvm::cl::init(0.99)};
  Option<bool> centered{*this, "centered", llvm::cl::desc("RMSprop centered"),
                        llvm::cl::init(false)};
  Option<double> lrDecay{*this, "lr-decay", llvm::cl::desc("Adagrad learning-rate decay"),
                         llvm::cl::init(0.0)};
  Option<double> initialAccumulatorValue{
      *this, "initial-accumulator-value", llvm::cl::desc("Adagrad: the sum's starting value"),
      llvm::cl::init(0.0)};
  Option<bool> dataParallel{
      *this, "data-parallel",
      llvm::cl::desc("Also build the step's two halves, train_step_gradients and "
                     "train_step_apply, for data-parallel training"),
      llvm::cl::init(false)};
  Option<int64_t> microBatch{
      *this, "micro-batch",
      llvm::cl::desc("With data-parallel: also the first half at a static batch of N rows "
                     "(train_step_micro_gradients), which the runtime runs on each N-row part "
                     "of a larger batch (0: none)"),
      llvm::cl::init(0)};
};

/// The training step of a model function: graphc-append-loss (loss and
/// eval) -> inline -> graphc-autodiff (the loss's gradient) ->
/// graphc-optimizer (train_step) -> canonicalize, cse [->
/// graphc-specialize-micro-batch, with a micro-batch]. Registered as
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
/// `unfoldForWeightGradients`: graphc-unfold-window-columns's
/// for-weight-gradients (the CPU target; the CUDA target's kernels were not
/// measured with it).
void buildGraphToLinalgPipeline(mlir::OpPassManager &pm, bool unfoldForWeightGradients = true);

/// Elementwise fusion on linalg tensors (graphc-fuse-elementwise): the first
/// step of code generation, and what `graphc --emit=fusion-report` reports on.
void buildFusionPipeline(mlir::OpPassManager &pm);

/// Code generation on linalg tensors: fusion (buildFusionPipeline), then
/// register-tiled, vectorized matmuls and convolutions (graphc-tile-matmuls,
/// graphc-tile-convolutions), their tiles sized for `vectorBits`-bit
/// vector registers (CpuPipelineOptions::vectorBits).
void buildTensorCodegenPipeline(mlir::OpPassManager &pm, unsigned vectorBits = 512);

/// The bufferization both targets share: in-place updates
/// (graphc-update-in-place), empty tensors to allocations, one-shot
/// bufferization across function boundaries (identity layouts),
/// graphc-verify-updates-in-place, graphc-number-constant-globals and
/// drop-equivalent-buffer-results.
void addOneShotBufferization(mlir::OpPassManager &pm);
/// linalg on tensors -> memrefs: C-interface and read-only marks
/// (graphc-mark-c-interface), in-place updates (graphc-update-in-place),
/// one-shot bufferization across function boundaries (identity layouts,
/// read-only arguments unless marked writable), dropping results that are
/// updated arguments, the other results written into buffers the caller
/// passes (buffer-results-to-out-params), and deallocation.
void buildBufferizationPipeline(mlir::OpPassManager &pm, bool gpuKernels = false);
/// The loop nests shaped for GPU threads, on buffers before arena planning
/// (graphc-split-reductions, graphc-fold-transposes-into-consumers,
/// graphc-fuse-fills-into-consumers): the CUDA
/// bufferization's last steps, and buildBufferizationPipeline's with
/// `gpuKernels` (the CPU emulation of the kernels).
void addGpuKernelShaping(mlir::OpPassManager &pm);

/// memrefs -> LLVM dialect: loops and the conversions to the LLVM dialect.
void buildMemRefToLLVMPipeline(mlir::OpPassManager &pm, const CpuPipelineOptions &options);

/// Both of the above.
void buildLinalgToLLVMPipeline(mlir::OpPassManager &pm, const CpuPipelineOptions &options);

/// Both of the above: graph dialect -> LLVM dialect for the host CPU.
void buildCpuPipeline(mlir::OpPassManager &pm, const CpuPipelineOptions &options);

struct CudaPipelineOptions : mlir::PassPipelineOptions<CudaPipelineOptions> {
  Option<std::string> gpuArch{*this, "gpu-arch",
                              llvm::cl::desc("The GPU the PTX is for (driver --gpu-arch)"),
                              llvm::cl::init("sm_90")};
  Option<unsigned> optLevel{*this, "opt-level", llvm::cl::desc("0..3, for the kernels"),
                            llvm::cl::init(2)};
  Option<std::string> libdevice{
      *this, "libdevice",
      llvm::cl::desc("CUDA's libdevice bitcode, linked into the kernels (default: the "
                     "toolkit's found when graphc was configured, cudaLibdevicePath())"),
      llvm::cl::init("")};
  Option<int64_t> blockSize{*this, "block-size", llvm::cl::desc("Threads per block"),
                            llvm::cl::init(256)};
  Option<bool> hostToLLVM{
      *this, "host-to-llvm",
      llvm::cl::desc("Lower the host functions that launch the kernels to the LLVM dialect "
                     "(calls to the runtime's mgpu* functions); off: they stay func.func with "
                     "gpu.launch_func, for structural checks"),
      llvm::cl::init(true)};
};

/// libdevice.10.bc of the CUDA toolkit found when graphc was configured
/// (CUDAToolkit_ROOT, /usr/local/cuda by default); empty if there was none.
std::string cudaLibdevicePath();

/// linalg on tensors -> memrefs for the GPU: in-place updates, one-shot
/// bufferization, results written into the caller's buffers
/// (buffer-results-to-out-params), every copy a linalg.copy and every
/// temporary in the caller's arena (graphc-plan-temporary-arena).
void buildCudaBufferizationPipeline(mlir::OpPassManager &pm);
/// memref linalg -> one gpu.launch per loop nest: named ops generalized,
/// parallel dimensions first (graphc-parallel-dims-first), parallel loops,
/// blocks and threads (graphc-map-loops-to-gpu), gpu.launch.
void buildGpuLaunchPipeline(mlir::OpPassManager &pm, int64_t blockSize);
/// buildGpuLaunchPipeline, then the kernels outlined into one gpu.module
/// (gpu-kernel-outlining, graphc-merge-gpu-modules).
void buildGpuMappingPipeline(mlir::OpPassManager &pm, const CudaPipelineOptions &options);
/// gpu.module -> NVVM -> PTX (a gpu.binary holding the PTX text), libdevice linked.
void buildGpuKernelLoweringPipeline(mlir::OpPassManager &pm, const CudaPipelineOptions &options);
/// The host functions -> LLVM dialect: every launch of a call on one stream
/// (gpu-async-region), memrefs as descriptors with MLIR's C interface, the
/// launches as calls to the mgpu* functions the graphc runtime defines over
/// the CUDA driver (runtime/src/cuda_launch.cc).
void buildCudaHostToLLVMPipeline(mlir::OpPassManager &pm);
/// All of the above: graph dialect -> CUDA kernels (PTX) and the host
/// functions that launch them (LLVM dialect, or gpu.launch_func without
/// host-to-llvm). Registered as --graphc-cuda-pipeline; what `graphc
/// --target=cuda` runs for every --emit.
void buildCudaPipeline(mlir::OpPassManager &pm, const CudaPipelineOptions &options);

} // namespace graphc

#endif // GRAPHC_PIPELINES_PIPELINES_H
