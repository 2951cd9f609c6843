//===- Passes.td - graphc transform passes -----------------*- tablegen -*-===//

#ifndef GRAPHC_TRANSFORMS_PASSES_TD
#define GRAPHC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def StridedCopyToLinalg : Pass<"graphc-strided-copy-to-linalg", "mlir::func::FuncOp"> {
  let summary = "Rewrites memref.copy between non-contiguous buffers as linalg.copy";
  let description = [{
    The LLVM lowering of a memref.copy that is not between two contiguous
    (identity-layout) buffers calls `memrefCopy` from MLIR's C runner
    utilities, a library graphc's JIT and standalone executables do not
    carry. As a linalg.copy the copy becomes plain loops instead. Contiguous
    copies are left alone: they lower to llvm.memcpy.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

#endif // GRAPHC_TRANSFORMS_PASSES_TD
