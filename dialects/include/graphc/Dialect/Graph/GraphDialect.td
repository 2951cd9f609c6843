//===- GraphDialect.td - the graph dialect -----------------*- tablegen -*-===//
//
// The `graph` dialect is graphc's model IR: a small closed set of primitive
// tensor ops with static shapes (the batch dimension may be dynamic). Every op
// has a verifier, a shape rule (result type inference), a gradient rule
// (Transforms/Autodiff) and a lowering (Conversion/GraphToLinalg).
//
//===----------------------------------------------------------------------===//

#ifndef GRAPHC_DIALECT_GRAPH_GRAPHDIALECT_TD
#define GRAPHC_DIALECT_GRAPH_GRAPHDIALECT_TD

include "mlir/IR/OpBase.td"

def Graph_Dialect : Dialect {
  let name = "graph";
  let summary = "graphc's computation-graph dialect";
  let description = [{
    Tensor-level primitives traced from graphc's C++ builder DSL. Composite
    operations (softmax, log_softmax, linear, flatten, losses) are written as
    decompositions into these primitives by the DSL, so that each primitive
    needs exactly one verifier, shape rule, gradient rule and lowering.
  }];
  let cppNamespace = "::graphc::graph";
  let hasConstantMaterializer = 1;
}

class Graph_Op<string mnemonic, list<Trait> traits = []> :
    Op<Graph_Dialect, mnemonic, traits>;

#endif // GRAPHC_DIALECT_GRAPH_GRAPHDIALECT_TD
