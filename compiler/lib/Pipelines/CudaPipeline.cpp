//===- CudaPipeline.cpp - graph dialect to CUDA kernels (PTX) --------------===//
//
// The same linalg the CPU path fuses, bufferized with every temporary in the
// program's arena, each loop nest mapped to one kernel (blocks and threads),
// the kernels outlined into a gpu.module and lowered through NVVM to PTX
// with libdevice linked. ../shared/CUDA-NOTES.md has the facts this follows
// (MLIR 19's traps: host loops reading device memory, launches per
// iteration, unresolved libdevice calls).
//
//===----------------------------------------------------------------------===//

#include "graphc/Pipelines/Pipelines.h"
#include "graphc/Transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/GPUCommon/GPUCommonPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToGPU/SCFToGPUPass.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

std::string graphc::cudaLibdevicePath() { return GRAPHC_CUDA_LIBDEVICE; }

void graphc::buildCudaBufferizationPipeline(OpPassManager &pm) {
  // The same C interface as the CPU target's (_mlir_ciface_F), which the
  // generated entry points call.
  pm.addPass(createMarkCInterface());
  addOneShotBufferization(pm);
  // Results go into buffers the caller passes (device memory): nothing a
  // kernel writes is allocated on the host.
  pm.addPass(bufferization::createBufferResultsToOutParamsPass());
  bufferization::BufferDeallocationPipelineOptions deallocation;
  bufferization::buildBufferDeallocationPipeline(pm, deallocation);
  pm.addPass(createBufferizationToMemRefPass());
  pm.addPass(createCanonicalizerPass());
  // Every copy a kernel, as any other loop nest (a device-to-device copy).
  StridedCopyToLinalgOptions copies;
  copies.allCopies = true;
  pm.addNestedPass<func::FuncOp>(createStridedCopyToLinalg(copies));
  addGpuKernelShaping(pm);
  // Every temporary in the arena the program allocates on the device once.
  PlanTemporaryArenaOptions arena;
  arena.arenaArgument = true;
  pm.addNestedPass<func::FuncOp>(createPlanTemporaryArena(arena));
}

void graphc::buildGpuLaunchPipeline(OpPassManager &pm, int64_t blockSize) {
  pm.addNestedPass<func::FuncOp>(createLinalgGeneralizeNamedOpsPass());
  pm.addNestedPass<func::FuncOp>(createParallelDimsFirst());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  MapLoopsToGpuOptions mapping;
  mapping.blockSize = blockSize;
  pm.addNestedPass<func::FuncOp>(createMapLoopsToGpu(mapping));
  pm.addNestedPass<func::FuncOp>(createParallelLoopToGpuPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<func::FuncOp>(createSinkIntoKernels());
}

void graphc::buildGpuMappingPipeline(OpPassManager &pm, const CudaPipelineOptions &options) {
  buildGpuLaunchPipeline(pm, options.blockSize);
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createMergeGpuModules());
}

void graphc::buildGpuKernelLoweringPipeline(OpPassManager &pm,
                                            const CudaPipelineOptions &options) {
  GpuNVVMAttachTargetOptions target;
  target.chip = options.gpuArch;
  // PTX ISA 7.8, which LLVM 19 writes for sm_90 and CUDA 13's ptxas reads.
  target.features = "+ptx78";
  target.optLevel = options.optLevel;
  // math.exp and friends become calls to libdevice's __nv_expf: linked
  // here, or ptxas finds them unresolved.
  std::vector<std::string> libdevice;
  std::string path = options.libdevice.empty() ? cudaLibdevicePath() : options.libdevice.getValue();
  if (!path.empty())
    libdevice.push_back(path);
  target.linkLibs = libdevice;
  pm.addPass(createGpuNVVMAttachTarget(target));
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(createStripDebugInfoPass());
  kernels.addPass(createConvertSCFToCFPass());
  kernels.addPass(memref::createExpandStridedMetadataPass());
  kernels.addPass(createLowerAffinePass());
  kernels.addPass(createConvertGpuOpsToNVVMOps());
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createCSEPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = "isa"; // PTX text: no CUDA tool needed to build
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

void graphc::buildCudaHostToLLVMPipeline(OpPassManager &pm) {
  // One stream per call: each launch is ordered after the previous one by
  // its token and the function waits for the last before it returns. Without
  // this, MLIR 19 creates, synchronizes and destroys a stream around every
  // launch (../shared/CUDA-NOTES.md, trap 3).
  pm.addNestedPass<func::FuncOp>(createGpuAsyncRegionPass());
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  // Kernels take memref descriptors as the NVVM lowering made them (not bare
  // pointers: the batch size of eval is dynamic).
  pm.addPass(createGpuToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void graphc::buildCudaPipeline(OpPassManager &pm, const CudaPipelineOptions &options) {
  // Unfolding LeNet's conv1 for its weight gradient took its train_step
  // from 108 to 116 kernels (small copies padding the input); with no GPU
  // to measure it on, the CUDA target keeps the widened output gradient.
  buildGraphToLinalgPipeline(pm, /*unfoldForWeightGradients=*/false);
  buildFusionPipeline(pm);
  buildCudaBufferizationPipeline(pm);
  pm.addNestedPass<func::FuncOp>(createStripGraphArgumentAttributes());
  buildGpuMappingPipeline(pm, options);
  buildGpuKernelLoweringPipeline(pm, options);
  if (options.hostToLLVM)
    buildCudaHostToLLVMPipeline(pm);
}
