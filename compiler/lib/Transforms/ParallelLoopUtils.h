//===- ParallelLoopUtils.h - helpers of the parallel-loop and region passes -===//

#ifndef GRAPHC_TRANSFORMS_PARALLELLOOPUTILS_H
#define GRAPHC_TRANSFORMS_PARALLELLOOPUTILS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"

namespace graphc {

/// Replaces `loop` (no reductions) by a nest of scf.for with the same body,
/// which then runs on the calling thread.
void sequentialize(mlir::scf::ParallelOp loop);

/// The last op of `block` before its terminator, or null.
mlir::Operation *lastBeforeTerminator(mlir::Block &block);

/// Whether every thread of an OpenMP team waits at a barrier when `op`
/// ends: a worksharing loop without nowait, an explicit barrier, or an
/// scf.for whose every iteration ends so (its bounds are the same for every
/// thread, so all threads run the same iterations).
bool endsWithBarrier(mlir::Operation *op);

/// `func.func private @name() -> i32` in `module` (an OpenMP runtime query
/// such as omp_get_thread_num), declared if missing.
mlir::func::FuncOp runtimeQuery(mlir::ModuleOp module, llvm::StringRef name);

} // namespace graphc

#endif // GRAPHC_TRANSFORMS_PARALLELLOOPUTILS_H
