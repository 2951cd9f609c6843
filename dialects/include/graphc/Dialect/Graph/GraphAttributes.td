//===- GraphAttributes.td - the graph dialect's attributes --*- tablegen -*-===//
//
// The typed contracts between graphc's layers: what each argument of an entry
// point is (its role), set by the pass or tracer that creates the argument and
// read by the C interface and program objects, never derived from a name.
//
//===----------------------------------------------------------------------===//

#ifndef GRAPHC_DIALECT_GRAPH_GRAPHATTRIBUTES_TD
#define GRAPHC_DIALECT_GRAPH_GRAPHATTRIBUTES_TD

include "graphc/Dialect/Graph/GraphDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Graph_ArgumentRole : I32EnumAttr<"ArgumentRole",
    "what an entry point's argument is to its caller", [
  I32EnumAttrCase<"Input", 0, "input">,
  I32EnumAttrCase<"Target", 1, "target">,
  I32EnumAttrCase<"Parameter", 2, "parameter">,
  I32EnumAttrCase<"OptimizerState", 3, "optimizer_state">,
  I32EnumAttrCase<"Step", 4, "step">,
  I32EnumAttrCase<"LearningRate", 5, "lr">,
  I32EnumAttrCase<"Buffer", 6, "buffer">,
  I32EnumAttrCase<"RngState", 7, "rng_state">,
  // A parameter's gradient, under the parameter's name: the results of
  // train_step_gradients and the arguments of train_step_apply, the two
  // halves of the step that data-parallel training sums across processes.
  I32EnumAttrCase<"Gradient", 8, "gradient">
]> {
  let cppNamespace = "::graphc::graph";
  let genSpecializedAttr = 0;
}

/// `graph.role = #graph.role<parameter>` on a function argument.
def Graph_ArgumentRoleAttr : EnumAttr<Graph_Dialect, Graph_ArgumentRole, "role"> {
  let assemblyFormat = "`<` $value `>`";
}

#endif // GRAPHC_DIALECT_GRAPH_GRAPHATTRIBUTES_TD
