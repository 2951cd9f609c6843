//===- FusionReport.h - which graph ops each loop nest computes -*- C++ -*-===//
#ifndef GRAPHC_TOOLS_GRAPHC_FUSIONREPORT_H
#define GRAPHC_TOOLS_GRAPHC_FUSIONREPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace graphc {

/// For each function of `module` (lowered to linalg and fused), one line per
/// linalg op (a loop nest of the generated code) with the graph ops it
/// computes, read from the names graphc-convert-graph-to-linalg gives their
/// locations, and a summary line. With `epiloguesInTiles` (the CPU target,
/// whose register tiling computes a matmul's or convolution's elementwise
/// epilogue in its tiles), such an epilogue is listed on its
/// multiply-accumulate's line, as one loop nest.
void emitFusionReport(mlir::ModuleOp module, llvm::raw_ostream &os, bool epiloguesInTiles);

} // namespace graphc

#endif // GRAPHC_TOOLS_GRAPHC_FUSIONREPORT_H
