//===- Registration.cpp - dialects, passes and pipelines ------------------===//

#include "graphc/Conversion/Passes.h"
#include "graphc/Dialect/Graph/GraphDialect.h"
#include "graphc/Pipelines/Pipelines.h"
#include "graphc/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/Extensions/InlinerExtension.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Conversion/SCFToGPU/SCFToGPUPass.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/SubsetInsertionOpInterfaceImpl.h"
#include "mlir/Dialect/Linalg/Transforms/TilingInterfaceImpl.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Vector/Transforms/SubsetOpInterfaceImpl.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void graphc::registerAllDialects(DialectRegistry &registry) {
  registry.insert<graph::GraphDialect, affine::AffineDialect, arith::ArithDialect,
                  bufferization::BufferizationDialect, cf::ControlFlowDialect,
                  func::FuncDialect, linalg::LinalgDialect, LLVM::LLVMDialect,
                  math::MathDialect, memref::MemRefDialect, omp::OpenMPDialect, scf::SCFDialect,
                  tensor::TensorDialect, vector::VectorDialect, gpu::GPUDialect,
                  NVVM::NVVMDialect>();
  // The CUDA target: #nvvm.target serializes a gpu.module to PTX, which
  // translates it to LLVM IR first.
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerGPUDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
  // A gpu.binary's PTX embedded in the host object, loaded by the launches
  // (#gpu.select_object, the default offloading handler).
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
  // Tiling linalg ops (scf::tileUsingSCF), hoisting loop-invariant subsets
  // (slices, transfers) and bufferizing vector transfers on tensors.
  linalg::registerTilingInterfaceExternalModels(registry);
  tensor::registerSubsetOpInterfaceExternalModels(registry);
  vector::registerSubsetOpInterfaceExternalModels(registry);
  vector::registerBufferizableOpInterfaceExternalModels(registry);
  func::registerInlinerExtension(registry);
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(registry);
  linalg::registerBufferizableOpInterfaceExternalModels(registry);
  scf::registerBufferizableOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
}

std::shared_ptr<MLIRContext> graphc::createContext() {
  DialectRegistry registry;
  registerAllDialects(registry);
  auto ctx = std::make_shared<MLIRContext>(registry);
  ctx->loadAllAvailableDialects();
  return ctx;
}

void graphc::registerAllPasses() {
  registerGraphcConversionPasses();
  registerGraphcTransformsPasses();
  registerCanonicalizerPass();
  registerCSEPass();
  // The upstream steps of the CUDA pipeline, so that graphc-opt can run it
  // step by step (and lit tests can check one step's output).
  registerPass([] { return createParallelLoopToGpuPass(); });
  registerPass([] { return createGpuKernelOutliningPass(); });
  // The bufferization step graphc-compute-into-padding readies values for.
  registerPass([] { return bufferization::createEmptyTensorEliminationPass(); });
  PassPipelineRegistration<>("graphc-graph-to-linalg",
                             "graph dialect to linalg on tensors",
                             [](OpPassManager &pm) { buildGraphToLinalgPipeline(pm); });
  PassPipelineRegistration<>("graphc-fusion",
                             "elementwise fusion on linalg tensors (graphc --emit=fusion-report)",
                             [](OpPassManager &pm) { buildFusionPipeline(pm); });
  // Exactly what the driver and the JIT run (lowerToLLVMDialect), so that
  // graphc-opt reproduces graphc's --emit=llvm-mlir step by step.
  PassPipelineRegistration<CpuPipelineOptions>(
      "graphc-linalg-to-llvm", "linalg on tensors to the LLVM dialect for the host CPU",
      [](OpPassManager &pm, const CpuPipelineOptions &options) {
        buildLinalgToLLVMPipeline(pm, options);
      });
  PassPipelineRegistration<TrainingPipelineOptions>(
      "graphc-training-pipeline",
      "a model function's loss, eval, gradient and train_step (what graphc --train runs)",
      [](OpPassManager &pm, const TrainingPipelineOptions &options) {
        buildTrainingPipeline(pm, options);
      });
  PassPipelineRegistration<CpuPipelineOptions>(
      "graphc-cpu-pipeline", "graph dialect to the LLVM dialect for the host CPU",
      [](OpPassManager &pm, const CpuPipelineOptions &options) { buildCpuPipeline(pm, options); });
  PassPipelineRegistration<CudaPipelineOptions>(
      "graphc-cuda-pipeline",
      "graph dialect to CUDA kernels (PTX) and the host functions that launch them",
      [](OpPassManager &pm, const CudaPipelineOptions &options) {
        buildCudaPipeline(pm, options);
      });
  PassPipelineRegistration<CudaPipelineOptions>(
      "graphc-gpu-mapping", "memref linalg to one outlined GPU kernel per loop nest",
      [](OpPassManager &pm, const CudaPipelineOptions &options) {
        buildGpuMappingPipeline(pm, options);
      });
}
