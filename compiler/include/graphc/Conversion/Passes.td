//===- Passes.td - graphc conversion passes ----------------*- tablegen -*-===//

#ifndef GRAPHC_CONVERSION_PASSES_TD
#define GRAPHC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertGraphToLinalg : Pass<"graphc-convert-graph-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lowers graph dialect ops to linalg, tensor, arith and math";
  let description = [{
    Every graph op has exactly one lowering, grouped by op family in
    Conversion/GraphToLinalg (Elementwise, Linear, Pooling, Reduction,
    DataMovement). The pass fails, naming the op, if any graph op is left.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::linalg::LinalgDialect",
    "mlir::math::MathDialect",
    "mlir::tensor::TensorDialect",
  ];
}

#endif // GRAPHC_CONVERSION_PASSES_TD
