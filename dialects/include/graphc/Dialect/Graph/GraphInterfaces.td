//===- GraphInterfaces.td - graph dialect interfaces -------*- tablegen -*-===//

#ifndef GRAPHC_DIALECT_GRAPH_GRAPHINTERFACES_TD
#define GRAPHC_DIALECT_GRAPH_GRAPHINTERFACES_TD

include "mlir/IR/OpBase.td"

def Graph_GradientOpInterface : OpInterface<"GradientOpInterface"> {
  let description = [{
    The gradient rule of a primitive op (reverse mode). Given the gradients
    of the loss with respect to the op's results (a null Value for a result
    nothing depends on), the rule appends graph ops at the builder's
    insertion point and returns the gradient with respect to each operand:
    a Value of the operand's type, or a null Value where the operand gets
    no gradient (integer operands, conditions, indices). The rules live in
    GradientRules.cpp, one short function per op.
  }];
  let cppNamespace = "::graphc::graph";
  let methods = [
    InterfaceMethod<
      "Builds the gradients of the operands from those of the results.",
      "::mlir::LogicalResult", "buildGradients",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ArrayRef<::mlir::Value>":$resultGradients,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGradients)>,
  ];
}

#endif // GRAPHC_DIALECT_GRAPH_GRAPHINTERFACES_TD
