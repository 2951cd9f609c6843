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
  let hasRegionArgAttrVerify = 1;
  let extraClassDeclaration = [{
    /// A function argument's dynamic sizes as multiples of the batch B
    /// (`array<i64: k...>`, one entry per dim: k >= 1 where dynamic, 0 where
    /// static). Without it every dynamic argument size is B itself. The
    /// gradient function of a result of, say, 2B rows gets it on its
    /// grad_output argument (BatchMultiples.h).
    static constexpr ::llvm::StringLiteral getBatchMultiplesAttrName() {
      return ::llvm::StringLiteral("graph.batch_multiples");
    }
  }];
}

class Graph_Op<string mnemonic, list<Trait> traits = []> :
    Op<Graph_Dialect, mnemonic, traits>;

#endif // GRAPHC_DIALECT_GRAPH_GRAPHDIALECT_TD
