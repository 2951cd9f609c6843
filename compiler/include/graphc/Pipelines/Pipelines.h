//===- Pipelines.h - graphc's registration and lowering pipelines -*- C++ -*-===//
#ifndef GRAPHC_PIPELINES_PIPELINES_H
#define GRAPHC_PIPELINES_PIPELINES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"

namespace graphc {

/// The graph dialect plus every upstream dialect, interface and LLVM IR
/// translation that graphc's pipelines create or need.
void registerAllDialects(mlir::DialectRegistry &registry);

/// graphc's passes and the named pipelines (for graphc-opt and lit).
void registerAllPasses();

struct CpuPipelineOptions {
  /// 0..3, as -O0..-O3 in the driver.
  unsigned optLevel = 2;
};

/// graph dialect -> linalg on tensors (graphc-convert-graph-to-linalg plus cleanups).
void buildGraphToLinalgPipeline(mlir::OpPassManager &pm);

/// linalg on tensors -> memrefs: in-place updates (graphc-update-in-place),
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

/// Marks every public function for the C interface (`_mlir_ciface_NAME`,
/// memref descriptors by pointer) and every argument not explicitly marked
/// `bufferization.writable` as read-only, so compiled code never writes into
/// a caller's input.
void prepareForCpuCompilation(mlir::ModuleOp module);

/// Removes graphc's argument and result attributes (graph.name, ...) once
/// they have served: the LLVM IR translation does not know them and would
/// warn for each one it finds on a C-interface wrapper.
void stripGraphAttributes(mlir::ModuleOp module);

} // namespace graphc

#endif // GRAPHC_PIPELINES_PIPELINES_H
