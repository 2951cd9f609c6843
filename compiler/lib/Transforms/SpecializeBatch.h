//===- SpecializeBatch.h - a function's dynamic batch made static -*- C++ -*-===//
//
// Shared by --graphc-specialize-batch (the driver's --batch) and
// --graphc-specialize-micro-batch (--micro-batch).
//
//===----------------------------------------------------------------------===//
#ifndef GRAPHC_TRANSFORMS_SPECIALIZEBATCH_H
#define GRAPHC_TRANSFORMS_SPECIALIZEBATCH_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace graphc {

/// Gives the batch B of `func` the static size `batch`: every dynamic size,
/// which the batch-multiple analysis knows as k*B, becomes k*batch. Errors
/// name `flag` (the option that set `batch`) and are emitted at `func`.
mlir::LogicalResult specializeBatch(mlir::func::FuncOp func, int64_t batch, llvm::StringRef flag);

} // namespace graphc

#endif // GRAPHC_TRANSFORMS_SPECIALIZEBATCH_H
