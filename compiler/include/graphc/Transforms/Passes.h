//===- Passes.h - graphc transform passes -----------------------*- C++ -*-===//
#ifndef GRAPHC_TRANSFORMS_PASSES_H
#define GRAPHC_TRANSFORMS_PASSES_H

#include "graphc/Dialect/Graph/GraphDialect.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace graphc {

#define GEN_PASS_DECL
#include "graphc/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "graphc/Transforms/Passes.h.inc"

/// The optimizers --graphc-optimizer builds, as its `optimizer` option and
/// the driver's --optimizer spell them: sgd, adam, adamw, rmsprop, adagrad.
llvm::ArrayRef<llvm::StringLiteral> optimizerNames();
/// "sgd, adam, adamw, rmsprop or adagrad", for messages.
std::string optimizerNameList();
/// torch.optim's default epsilon of `optimizer` (the `eps` option's -1).
double defaultOptimizerEps(llvm::StringRef optimizer);
/// torch.optim's default weight decay of `optimizer` (the option's -1).
double defaultOptimizerWeightDecay(llvm::StringRef optimizer);

} // namespace graphc

#endif // GRAPHC_TRANSFORMS_PASSES_H
