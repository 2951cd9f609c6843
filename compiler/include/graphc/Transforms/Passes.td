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

def Autodiff : Pass<"graphc-autodiff", "mlir::ModuleOp"> {
  let summary = "Appends reverse-mode gradient functions to the module";
  let description = [{
    For every public function with arguments marked `graph.requires_grad`,
    adds `<name>_grad`: the same arguments, plus a trailing `grad_output`
    argument of the first result's type unless that result is a scalar
    (then the seed is 1, as `loss.backward()`). It returns the original
    results followed by the gradient of the first result with respect to
    each marked argument, in argument order, each named
    `graph.name = "grad.<argument name>"`.

    The backward graph is built by walking the forward ops in reverse and
    calling each op's gradient rule (GradientOpInterface), summing the
    contributions of values used more than once. Only ops on a path from a
    marked argument to the result are differentiated; an op on such a path
    without a rule fails the pass with an error naming it.
  }];
  let options = [
    Option<"suffix", "suffix", "std::string", /*default=*/"\"_grad\"",
           "Name suffix of the generated gradient functions">,
  ];
}

#endif // GRAPHC_TRANSFORMS_PASSES_TD
