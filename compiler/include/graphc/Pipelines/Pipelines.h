//===- Pipelines.h - graphc's registration and lowering pipelines -*- C++ -*-===//
#ifndef GRAPHC_PIPELINES_PIPELINES_H
#define GRAPHC_PIPELINES_PIPELINES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace graphc {

/// The graph dialect plus every upstream dialect, interface and LLVM IR
/// translation that graphc's pipelines create or need.
void registerAllDialects(mlir::DialectRegistry &registry);

/// graphc's passes and the named pipelines (for graphc-opt and lit).
void registerAllPasses();

struct CpuPipelineOptions : mlir::PassPipelineOptions<CpuPipelineOptions> {
  Option<unsigned> optLevel{*this, "opt-level",
                            llvm::cl::desc("0..3, as -O0..-O3 in the driver"),
                            llvm::cl::init(2)};
};

/// graph dialect -> linalg on tensors (graphc-convert-graph-to-linalg plus cleanups).
void buildGraphToLinalgPipeline(mlir::OpPassManager &pm);

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
