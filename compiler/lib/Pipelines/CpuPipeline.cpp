//===- CpuPipeline.cpp - graph dialect to LLVM for the host CPU -----------===//

#include "graphc/Pipelines/Pipelines.h"
#include "graphc/Conversion/Passes.h"
#include "graphc/Transforms/Passes.h"
#include "graphc/Dialect/Graph/GraphDialect.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/OpenMPToLLVM/ConvertOpenMPToLLVM.h"
#include "mlir/Conversion/SCFToOpenMP/SCFToOpenMP.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/ADT/SmallPtrSet.h"

using namespace mlir;

void graphc::buildGraphToLinalgPipeline(OpPassManager &pm, bool unfoldForWeightGradients) {
  // The lowering computes every dynamic size from the batch: refuse, at the
  // op, a program whose sizes are not multiples of it.
  pm.addPass(createVerifyBatchMultiples());
  // A weight gradient's transposed product as the product of the transposes:
  // one small transpose instead of two copies.
  pm.addNestedPass<func::FuncOp>(createFoldTransposedProducts());
  // A ReLU's mask over a max pooling's input gradient, decided per window
  // before the gradient is scattered: a quarter of the elements (2x2).
  pm.addNestedPass<func::FuncOp>(createMaskPooledGradients());
  // Narrow-row convolutions over column-shifted copies of their input, with
  // no garbage columns; one copy for the forward pass and weight gradient.
  UnfoldWindowColumnsOptions unfold;
  unfold.forWeightGradients = unfoldForWeightGradients;
  pm.addNestedPass<func::FuncOp>(createUnfoldWindowColumns(unfold));
  pm.addPass(createCSEPass());
  pm.addPass(createConvertGraphToLinalg());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void graphc::addOneShotBufferization(OpPassManager &pm) {
  pm.addNestedPass<func::FuncOp>(createUpdateInPlace());
  bufferization::OneShotBufferizationOptions bufferization;
  bufferization.bufferizeFunctionBoundaries = true;
  bufferization.setFunctionBoundaryTypeConversion(
      bufferization::LayoutMapOption::IdentityLayoutMap);
  // A padded value computed into its padding's buffer, not copied there.
  pm.addNestedPass<func::FuncOp>(createComputeIntoPadding());
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  pm.addPass(bufferization::createEmptyTensorToAllocTensorPass());
  pm.addPass(bufferization::createOneShotBufferizePass(bufferization));
  pm.addNestedPass<func::FuncOp>(createVerifyUpdatesInPlace());
  pm.addPass(createNumberConstantGlobals());
  // An updated parameter written into its argument's buffer is not returned.
  pm.addPass(bufferization::createDropEquivalentBufferResultsPass());
}

void graphc::addGpuKernelShaping(OpPassManager &pm) {
  // A reduction with few outputs (a weight gradient) in two nests with
  // threads enough; its partials are a temporary like any other.
  pm.addNestedPass<func::FuncOp>(createSplitReductions());
  // Nor a weight's transpose, nor an accumulator's fill.
  pm.addNestedPass<func::FuncOp>(createFoldTransposesIntoConsumers());
  pm.addNestedPass<func::FuncOp>(createFuseFillsIntoConsumers());
}

namespace {

/// Whether a return of `func` returns one value twice (which
/// buffer-results-to-out-params must not hoist; below).
bool returnsABufferTwice(func::FuncOp *func) {
  bool twice = false;
  func->walk([&](func::ReturnOp ret) {
    llvm::SmallPtrSet<Value, 8> seen;
    for (Value value : ret.getOperands())
      twice |= !seen.insert(value).second;
  });
  return twice;
}

bool returnsEachBufferOnce(func::FuncOp *func) { return !returnsABufferTwice(func); }

} // namespace

void graphc::buildBufferizationPipeline(OpPassManager &pm, bool gpuKernels) {
  pm.addPass(createMarkCInterface());
  addOneShotBufferization(pm);
  // Results go into buffers the caller passes. A result the function
  // allocates with static sizes is computed in the caller's buffer; any
  // other (a dynamic size, a view, a constant) is copied there once. Before,
  // each result was allocated, copied out by the C entry point and freed:
  // conv1's 4.8 MB forward result at batch 256 spent a quarter of its call
  // in that copy (docs/performance.md).
  // MLIR 19's hoisting erases a returned allocation and then copies the
  // erased value into the out-param of its second use (a crash: the
  // gradients of an ONNX Mean are one buffer returned once per input), so a
  // function returning a buffer twice gets copies only.
  // A tiled result is returned through its loops' iter_args (scf.for
  // yielding its own block argument); folded to the allocation itself, it is
  // one the hoisting sees, and the result is computed in place instead of
  // copied out (the MLP's fc3 input gradient, a static 256 x 64 result in
  // op_bench, spent 16 % of its samples in that copy).
  pm.addPass(createCanonicalizerPass());
  bufferization::BufferResultsToOutParamsOpts copiedOut;
  copiedOut.filterFn = returnsABufferTwice;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(copiedOut));
  bufferization::BufferResultsToOutParamsOpts computedInPlace;
  computedInPlace.filterFn = returnsEachBufferOnce;
  computedInPlace.hoistStaticAllocs = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(computedInPlace));
  // Every temporary is freed (or planned into the arena, below).
  bufferization::BufferDeallocationPipelineOptions deallocation;
  bufferization::buildBufferDeallocationPipeline(pm, deallocation);
  pm.addPass(createBufferizationToMemRefPass());
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createStridedCopyToLinalg());
  if (gpuKernels)
    addGpuKernelShaping(pm);
  else
    // Strided copies of short rows (an unfolded input's column slices): a
    // vector a row, where LLVM left the row loop scalar; before the arena,
    // while the allocations they copy between are still told apart.
    pm.addNestedPass<func::FuncOp>(createVectorizeRowCopies());
  // All temporaries in one arena the caller passes in (a program object
  // allocates it once), instead of a malloc and free each per call.
  PlanTemporaryArenaOptions arena;
  arena.arenaArgument = true;
  pm.addNestedPass<func::FuncOp>(createPlanTemporaryArena(arena));
}

void graphc::buildMemRefToLLVMPipeline(OpPassManager &pm, const CpuPipelineOptions &options) {
  pm.addNestedPass<func::FuncOp>(createStripGraphArgumentAttributes());
  // Weight-gradient tiles over a window's columns: one loop over the images
  // for all of them.
  pm.addNestedPass<func::FuncOp>(createUnrollAndJam());
  // Parallel dims become scf.parallel, and the outermost parallel loop of each
  // nest an OpenMP worksharing loop (the thread pool; --threads sets it).
  pm.addNestedPass<func::FuncOp>(createParallelizeIndependentLoops());
  // Reductions: each accumulator in a register, the innermost loop long and
  // vectorizable; every other op through the upstream lowering.
  pm.addNestedPass<func::FuncOp>(createLowerReductionsToLoops());
  // Elementwise ops over contiguous images as one long innermost loop.
  pm.addNestedPass<func::FuncOp>(createCollapseContiguousDims());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createSequentializeNestedParallel());
  // Loops too small to pay for a parallel region run on the calling thread.
  pm.addNestedPass<func::FuncOp>(createSequentializeSmallParallel());
  // The innermost dimension a loop of its own, which LLVM vectorizes.
  pm.addNestedPass<func::FuncOp>(createSequentializeInnermostDim());
  // The vectorized tiles' multi-dimensional transfers, unrolled to 1-D ones
  // that the LLVM conversion takes.
  VectorTransferToSCFOptions unrolled;
  unrolled.enableFullUnroll(true);
  pm.addNestedPass<func::FuncOp>(createConvertVectorToSCFPass(unrolled));
  pm.addPass(createConvertSCFToOpenMPPass());
  // A loop around a parallel region (a lane weight gradient's chunks of images)
  // forks the team once, not once per iteration.
  pm.addNestedPass<func::FuncOp>(createHoistParallelRegions());
  // Consecutive regions one region, with barriers between them, and the
  // serial code between them on thread 0: one fork and join for the run.
  pm.addPass(createMergeParallelRegions());
  // Each thread's iterations computed here, not by __kmpc_for_static_init,
  // which formats a debug message every call in Debian's libomp.
  pm.addPass(createPartitionWorksharingLoops());
  // The passes that take any op run per function, on the pass manager's
  // threads: a training executable's step, its two data-parallel halves and
  // its eval are independent (on 2 cores the LeNet executable's compile
  // went from about 5.4 to 4.8 s; docs/performance.md).
  OpPassManager &lowerLoops = pm.nest<func::FuncOp>();
  lowerLoops.addPass(createInlineAllocaScopes());
  lowerLoops.addPass(createLowerAffinePass());
  lowerLoops.addPass(createConvertSCFToCFPass());
  lowerLoops.addPass(memref::createExpandStridedMetadataPass());
  lowerLoops.addPass(createLowerAffinePass());
  lowerLoops.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  // Intrinsics where LLVM has them; libm for the rest (tanh, erf).
  pm.addNestedPass<func::FuncOp>(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  // The libm conversion calls its function once per element of a vector
  // (a matmul tile's tanh epilogue, vector<8x32xf32>), through
  // vector.extract and vector.insert that it creates after the vector
  // conversion above: those are lowered here. Left alone, they reached the
  // LLVM IR translation as unrealized casts, which failed it and then
  // crashed in the OpenMP finalization (a Linear followed by Tanh did not
  // compile; graphc_difftest seed 1164).
  pm.addNestedPass<func::FuncOp>(createConvertVectorToLLVMPass());
  OpPassManager &lowerScalars = pm.nest<func::FuncOp>();
  lowerScalars.addPass(createArithToLLVMConversionPass());
  lowerScalars.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  OpPassManager &cleanUp = pm.nest<LLVM::LLVMFuncOp>();
  cleanUp.addPass(createReconcileUnrealizedCastsPass());
  if (options.optLevel > 0)
    cleanUp.addPass(createCanonicalizerPass());
}

void graphc::buildFusionPipeline(OpPassManager &pm) {
  // Elementwise chains: one loop nest each instead of one per graph op.
  pm.addNestedPass<func::FuncOp>(createFuseElementwise());
}

namespace {

/// The register tiles' shapes for `vectorBits`-bit vector registers. A tile
/// carries its accumulators in registers through its whole reduction, so
/// its shape is set by how many registers the target has and how many
/// floats each holds. AVX-512 (32 registers of 16 floats): matmul tiles of
/// 8 x 32 (16 accumulators), convolution tiles of 8 channels x 32
/// positions, weight-gradient tiles of 4 x 6 channel pairs of 16 lanes (24),
/// measured on a Zen 5 (docs/performance.md). AVX2 (16 registers of 8):
/// those tiles need 32 to 48 registers and spill (LLVM splits each 16-float
/// vector in two). Its tiles: matmuls 6 x 16 (12 accumulators, BLIS's
/// Haswell sgemm shape; 4 x 16, 3 x 32, 8 x 8 and 2 x 32 were slower, 5 x 16
/// as fast), convolutions 6 channels x 16 positions (the 8 positions
/// doubled within the budget of 12; 3 and 4 channels were slower),
/// weight gradients at most 6 x 3 channel pairs, as many outputs as 12
/// registers hold (2 x 3 for LeNet's conv2, 6 x 1 for a one-channel conv1;
/// 3 and 6 input channels were slower; conv1 unfolded for its weight
/// gradient takes 3 x 2, which shares out evenly between two threads). On a Zen 3 (AVX2;
/// docs/performance.md), one thread, batch 256: the MLP's fc1 matmuls 2.1-2.4 -> 0.65-0.79 ms,
/// LeNet's training step 28.6 -> 20.9 ms.
struct RegisterTileShapes {
  graphc::TileMatmulsOptions matmuls;
  graphc::TileConvolutionsOptions convolutions;
};

RegisterTileShapes registerTileShapes(unsigned vectorBits) {
  RegisterTileShapes shapes;
  shapes.convolutions.vectorBits = vectorBits;
  if (vectorBits >= 512)
    return shapes;
  // Two registers' worth of floats across a matmul tile and a convolution
  // tile's positions (the convolutions' doubled once within the budget), a
  // register's worth per weight-gradient tile row.
  int64_t lanes = vectorBits / 32;
  shapes.matmuls.rows = 6;
  shapes.matmuls.columns = 2 * lanes;
  shapes.matmuls.maxRows = 6;
  shapes.convolutions.channels = 6;
  shapes.convolutions.positions = lanes;
  shapes.convolutions.gradChannels = 6;
  shapes.convolutions.gradInputs = 3;
  shapes.convolutions.gradPositions = lanes;
  return shapes;
}

} // namespace

void graphc::buildTensorCodegenPipeline(OpPassManager &pm, unsigned vectorBits) {
  RegisterTileShapes tiles = registerTileShapes(vectorBits);
  buildFusionPipeline(pm);
  // A convolution's bias add and activation over its flat rows, where its
  // register tiles can compute them (below).
  pm.addNestedPass<func::FuncOp>(createApplyEpiloguesBeforeCrop());
  // Matmuls with fewer columns than AVX-512 has lanes: over their rows, 4
  // rows of C per 128-bit quad and 16 k's across the quads (A transposed
  // within quads, B packed to match).
  if (vectorBits >= 512)
    pm.addNestedPass<func::FuncOp>(createTileNarrowMatmuls());
  // Matmuls: register tiles of C carried through the k loop in vectors,
  // each through its epilogue before it is written.
  pm.addNestedPass<func::FuncOp>(createTileMatmuls(tiles.matmuls));
  // Convolutions over zero padding (input gradients): one per kernel row,
  // over the positions whose window row reads data.
  pm.addNestedPass<func::FuncOp>(createBandConvolutionRows());
  // Stride-1 convolutions and weight gradients: the same, for output tiles
  // of channels x flat positions.
  pm.addNestedPass<func::FuncOp>(createTileConvolutions(tiles.convolutions));
  // Pooling over non-overlapping windows: whole rows of vectors instead of
  // a strided element at a time.
  pm.addNestedPass<func::FuncOp>(createVectorizeWindowPooling());
  // Transposes: 16 x 16 blocks through registers instead of gathers.
  pm.addNestedPass<func::FuncOp>(createVectorizeTransposes());
}

void graphc::buildLinalgToLLVMPipeline(OpPassManager &pm, const CpuPipelineOptions &options) {
  if (options.emulateGpuKernels) {
    // The loops as the CUDA target makes them, run on the CPU: fusion as
    // there (no CPU tiling), the C interface and arena as here.
    buildFusionPipeline(pm);
    buildBufferizationPipeline(pm, /*gpuKernels=*/true);
    buildGpuLaunchPipeline(pm, CudaPipelineOptions().blockSize);
    pm.addNestedPass<func::FuncOp>(createEmulateGpuLaunches());
    buildMemRefToLLVMPipeline(pm, options);
    return;
  }
  buildTensorCodegenPipeline(pm, options.vectorBits);
  buildBufferizationPipeline(pm);
  buildMemRefToLLVMPipeline(pm, options);
}

void graphc::buildCpuPipeline(OpPassManager &pm, const CpuPipelineOptions &options) {
  // Emulated GPU kernels are the CUDA target's loops: its graph too.
  buildGraphToLinalgPipeline(pm, /*unfoldForWeightGradients=*/!options.emulateGpuKernels);
  buildLinalgToLLVMPipeline(pm, options);
}

graphc::OptimizerOptions graphc::optimizerPassOptions(const TrainingPipelineOptions &options,
                                                      llvm::StringRef lossFunction) {
  OptimizerOptions optimizer;
  optimizer.function = lossFunction.str();
  optimizer.optimizer = options.optimizer;
  optimizer.momentum = options.momentum;
  optimizer.dampening = options.dampening;
  optimizer.nesterov = options.nesterov;
  optimizer.weightDecay = options.weightDecay;
  optimizer.beta1 = options.beta1;
  optimizer.beta2 = options.beta2;
  optimizer.eps = options.eps;
  optimizer.alpha = options.alpha;
  optimizer.centered = options.centered;
  optimizer.lrDecay = options.lrDecay;
  optimizer.initialAccumulatorValue = options.initialAccumulatorValue;
  optimizer.dataParallel = options.dataParallel;
  return optimizer;
}

void graphc::buildTrainingPipeline(OpPassManager &pm, const TrainingPipelineOptions &options) {
  AppendLossOptions append;
  append.function = options.function;
  append.loss = options.loss;
  pm.addPass(createAppendLoss(append));
  pm.addPass(createInlinerPass());
  pm.addPass(createAutodiff());
  pm.addPass(createOptimizer(optimizerPassOptions(options, append.lossFunction)));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (options.microBatch > 0) {
    SpecializeMicroBatchOptions micro;
    micro.rows = options.microBatch;
    pm.addPass(createSpecializeMicroBatch(micro));
  }
}

void graphc::recordTrainingSettings(ModuleOp module, const TrainingPipelineOptions &options) {
  OpBuilder b(module.getContext());
  module->setAttr(graph::GraphDialect::getLossAttrName(), b.getStringAttr(options.loss));
  module->setAttr(graph::GraphDialect::getOptimizerAttrName(), b.getStringAttr(options.optimizer));
  module->setAttr(
      graph::GraphDialect::getOptimizerOptionsAttrName(),
      b.getDictionaryAttr({b.getNamedAttr("momentum", b.getF64FloatAttr(options.momentum)),
                           b.getNamedAttr("dampening", b.getF64FloatAttr(options.dampening)),
                           b.getNamedAttr("nesterov", b.getBoolAttr(options.nesterov)),
                           b.getNamedAttr("weight_decay", b.getF64FloatAttr(options.weightDecay)),
                           b.getNamedAttr("beta1", b.getF64FloatAttr(options.beta1)),
                           b.getNamedAttr("beta2", b.getF64FloatAttr(options.beta2)),
                           b.getNamedAttr("eps", b.getF64FloatAttr(options.eps)),
                           b.getNamedAttr("alpha", b.getF64FloatAttr(options.alpha)),
                           b.getNamedAttr("centered", b.getBoolAttr(options.centered)),
                           b.getNamedAttr("lr_decay", b.getF64FloatAttr(options.lrDecay)),
                           b.getNamedAttr("initial_accumulator_value",
                                          b.getF64FloatAttr(options.initialAccumulatorValue))}));
}

void graphc::readTrainingSettings(
    ModuleOp module, TrainingPipelineOptions &options,
    llvm::function_ref<bool(llvm::StringRef, llvm::StringRef)> onRecorded) {
  auto text = [](auto value) {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << value;
    return s;
  };
  if (auto loss = module->getAttrOfType<StringAttr>(graph::GraphDialect::getLossAttrName()))
    if (onRecorded("loss", loss.getValue()))
      options.loss = loss.str();
  if (auto name = module->getAttrOfType<StringAttr>(graph::GraphDialect::getOptimizerAttrName()))
    if (onRecorded("optimizer", name.getValue()))
      options.optimizer = name.str();
  auto recorded =
      module->getAttrOfType<DictionaryAttr>(graph::GraphDialect::getOptimizerOptionsAttrName());
  if (!recorded)
    return;
  auto number = [&](detail::PassOptions::Option<double> &option, StringRef key, StringRef setting) {
    if (auto value = recorded.getAs<FloatAttr>(key))
      if (onRecorded(setting, text(value.getValueAsDouble())))
        option = value.getValueAsDouble();
  };
  number(options.momentum, "momentum", "momentum");
  number(options.dampening, "dampening", "dampening");
  number(options.weightDecay, "weight_decay", "weight-decay");
  number(options.beta1, "beta1", "beta1");
  number(options.beta2, "beta2", "beta2");
  number(options.eps, "eps", "eps");
  number(options.alpha, "alpha", "alpha");
  number(options.lrDecay, "lr_decay", "lr-decay");
  number(options.initialAccumulatorValue, "initial_accumulator_value",
         "initial-accumulator-value");
  auto boolean = [&](detail::PassOptions::Option<bool> &option, StringRef key) {
    if (auto value = recorded.getAs<BoolAttr>(key))
      if (onRecorded(key, value.getValue() ? "true" : "false"))
        option = value.getValue();
  };
  boolean(options.nesterov, "nesterov");
  boolean(options.centered, "centered");
}
