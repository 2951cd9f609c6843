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
  let hasRegionResultAttrVerify = 1;
  let hasOperationAttrVerify = 1;
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    // Every attribute graphc's layers exchange, by its declared name; the
    // dialect verifies each one's kind (verifyRegionArgAttribute, ...).

    /// Argument or result: its PyTorch-facing name (`fc1.weight`, `target`).
    static constexpr ::llvm::StringLiteral getNameAttrName() {
      return ::llvm::StringLiteral("graph.name");
    }
    /// Argument: its role (#graph.role<...>, ArgumentRole).
    static constexpr ::llvm::StringLiteral getRoleAttrName() {
      return ::llvm::StringLiteral("graph.role");
    }
    /// Argument (unit): differentiated by --graphc-autodiff, trained by
    /// --graphc-optimizer.
    static constexpr ::llvm::StringLiteral getRequiresGradAttrName() {
      return ::llvm::StringLiteral("graph.requires_grad");
    }
    /// Parameter: PyTorch's default init U(-bound, bound) (f64 > 0).
    static constexpr ::llvm::StringLiteral getInitBoundAttrName() {
      return ::llvm::StringLiteral("graph.init_bound");
    }
    /// Parameter: its initial value (dense elements of the argument's type),
    /// where the model set one by hand.
    static constexpr ::llvm::StringLiteral getInitValueAttrName() {
      return ::llvm::StringLiteral("graph.init_value");
    }
    /// Result: the new value of argument #i (i64), written in place.
    static constexpr ::llvm::StringLiteral getUpdatesArgumentAttrName() {
      return ::llvm::StringLiteral("graph.updates_argument");
    }
    /// Function: this function is the named one traced with the model in
    /// training mode (string: "forward"), which differs where modules do
    /// (BatchNorm's batch statistics, Dropout); --graphc-append-loss builds
    /// the loss on it and eval on the named one.
    static constexpr ::llvm::StringLiteral getTrainModeOfAttrName() {
      return ::llvm::StringLiteral("graph.train_mode_of");
    }
    /// Function: the function a gradient function differentiates (string).
    static constexpr ::llvm::StringLiteral getGradientOfAttrName() {
      return ::llvm::StringLiteral("graph.gradient_of");
    }
    /// Argument (unit): the caller's arena for the temporaries.
    static constexpr ::llvm::StringLiteral getArenaAttrName() {
      return ::llvm::StringLiteral("graph.arena");
    }
    /// Function: the arena's bytes, array<i64: perBatch, fixed>.
    static constexpr ::llvm::StringLiteral getArenaBytesAttrName() {
      return ::llvm::StringLiteral("graph.arena_bytes");
    }
    /// scf.for (unit): its iterations touch disjoint data (a matmul's row
    /// tiles), so --graphc-parallelize-independent-loops may run them on
    /// threads once the loop carries no values.
    static constexpr ::llvm::StringLiteral getIndependentIterationsAttrName() {
      return ::llvm::StringLiteral("graph.independent_iterations");
    }
    /// scf.for (unit), constant trip count: its iterations write disjoint
    /// data and its inner loops' bounds do not depend on it, so
    /// --graphc-unroll-and-jam may run all its iterations in one copy of its
    /// inner loops (a weight gradient's window columns, each image's output
    /// gradient loaded once for all of them).
    static constexpr ::llvm::StringLiteral getUnrollAndJamAttrName() {
      return ::llvm::StringLiteral("graph.unroll_and_jam");
    }
    /// Module: the loss the graph was traced for (string).
    static constexpr ::llvm::StringLiteral getLossAttrName() {
      return ::llvm::StringLiteral("graph.loss");
    }
    /// Module or train_step: the optimizer (string: sgd, adam, adamw).
    static constexpr ::llvm::StringLiteral getOptimizerAttrName() {
      return ::llvm::StringLiteral("graph.optimizer");
    }
    /// Module: the optimizer's settings (dictionary of f64 and bool).
    static constexpr ::llvm::StringLiteral getOptimizerOptionsAttrName() {
      return ::llvm::StringLiteral("graph.optimizer_options");
    }

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
