// RUN: graphc-opt %s --split-input-file --verify-diagnostics | FileCheck %s

// Tests that the graph dialect's declared attributes round-trip: roles as
// #graph.role<...>, an initial value of the argument's type, the arena's
// size, the training defaults on the module.
// CHECK: module attributes {graph.loss = "nll", graph.optimizer = "adam"}
// CHECK-LABEL: func.func @forward
// CHECK-SAME: {graph.name = "x", graph.role = #graph.role<input>}
// CHECK-SAME: {graph.init_value = dense<1.000000e+00> : tensor<4xf32>, graph.name = "scale", graph.requires_grad, graph.role = #graph.role<parameter>}
// CHECK-SAME: {graph.name = "lr", graph.role = #graph.role<lr>}
// CHECK-SAME: attributes {graph.arena_bytes = array<i64: 16, 0>}
module attributes {graph.loss = "nll", graph.optimizer = "adam"} {
func.func @forward(%x: tensor<?x4xf32> {graph.name = "x", graph.role = #graph.role<input>},
                   %s: tensor<4xf32> {graph.name = "scale", graph.requires_grad,
                                      graph.role = #graph.role<parameter>,
                                      graph.init_value = dense<1.0> : tensor<4xf32>},
                   %lr: tensor<f64> {graph.name = "lr", graph.role = #graph.role<lr>})
    -> (tensor<?x4xf32> {graph.name = "y"}) attributes {graph.arena_bytes = array<i64: 16, 0>} {
  %0 = graph.mul %x, %s : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
}

// -----

// expected-error @+1 {{argument #0: graph.role must be a #graph.role<...>}}
func.func @bad_role(%x: tensor<4xf32> {graph.role = "parameter"}) {
  return
}

// -----

// expected-error @+1 {{argument #0: graph.init_value must be dense elements of the argument's type 'tensor<4xf32>'}}
func.func @bad_init_value(%x: tensor<4xf32> {graph.init_value = dense<1.0> : tensor<3xf32>}) {
  return
}

// -----

// expected-error @+1 {{argument #0: unknown attribute graph.optimizer_state of the graph dialect}}
func.func @unknown_argument_attribute(%x: tensor<4xf32> {graph.optimizer_state}) {
  return
}

// -----

// expected-error @+1 {{result #0: graph.updates_argument must be the index of an argument}}
func.func @bad_update(%x: tensor<4xf32>) -> (tensor<4xf32> {graph.updates_argument = 3 : i64}) {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{graph.arena_bytes must be array<i64: perBatch, fixed> of sizes >= 0}}
func.func @bad_arena() attributes {graph.arena_bytes = array<i64: 16>} {
  return
}

// -----

// expected-error @+1 {{unknown attribute graph.no_such_thing of the graph dialect}}
module attributes {graph.no_such_thing = 1} {
}

// -----

// expected-error @+2 {{expected ::graphc::graph::ArgumentRole to be one of: input, target, parameter, optimizer_state, step, lr}}
// expected-error @+1 {{failed to parse Graph_ArgumentRoleAttr parameter 'value'}}
func.func @unknown_role(%x: tensor<4xf32> {graph.role = #graph.role<weights>}) {
  return
}
