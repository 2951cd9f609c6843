//===- DotEmitter.h - graph functions as Graphviz DOT -----------*- C++ -*-===//
#ifndef GRAPHC_TOOLS_GRAPHC_DOTEMITTER_H
#define GRAPHC_TOOLS_GRAPHC_DOTEMITTER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace graphc {

/// One cluster per function: arguments (named, with shapes) and ops (name
/// and result shape) as nodes, SSA uses as edges.
void emitDot(mlir::ModuleOp module, llvm::raw_ostream &os);

} // namespace graphc

#endif // GRAPHC_TOOLS_GRAPHC_DOTEMITTER_H
