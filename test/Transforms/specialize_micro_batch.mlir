// RUN: graphc-opt %s --split-input-file --verify-diagnostics \
// RUN:   --graphc-specialize-micro-batch="rows=4" | FileCheck %s
// RUN: graphc-opt %s --split-input-file --verify-diagnostics \
// RUN:   --graphc-specialize-micro-batch="rows=4" | FileCheck %s --check-prefix=ERASED

// Tests that train_step_gradients gets a copy at a static batch of 4 rows,
// train_step_micro_gradients, with the same names and roles, and stays
// dynamic itself (for a last part of fewer rows); train_step is erased (the
// step runs as its halves).
// ERASED-NOT: func.func @train_step(
// CHECK-LABEL: func.func @train_step_gradients(
// CHECK-SAME: tensor<?x3xf32>
// CHECK: graph.mul %{{.*}} : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
// CHECK-LABEL: func.func @train_step_micro_gradients(
// CHECK-SAME: %[[X:.*]]: tensor<4x3xf32> {graph.name = "x", graph.role = #graph.role<input>},
// CHECK-SAME: %[[W:.*]]: tensor<3xf32> {graph.name = "w", graph.role = #graph.role<parameter>})
// CHECK-SAME: -> (tensor<f32> {graph.name = "loss"}, tensor<3xf32> {graph.name = "w", graph.role = #graph.role<gradient>})
// CHECK: graph.mul %[[X]], %[[W]] : tensor<4x3xf32>, tensor<3xf32> -> tensor<4x3xf32>
// CHECK: graph.reduce_mean %{{.*}} {dims = array<i64: 0, 1>} : tensor<4x3xf32> -> tensor<f32>
// CHECK: graph.reduce_mean %{{.*}} {dims = array<i64: 0>} : tensor<4x3xf32> -> tensor<3xf32>
func.func @train_step_gradients(%x: tensor<?x3xf32> {graph.name = "x", graph.role = #graph.role<input>},
                                %w: tensor<3xf32> {graph.name = "w", graph.role = #graph.role<parameter>})
    -> (tensor<f32> {graph.name = "loss"}, tensor<3xf32> {graph.name = "w", graph.role = #graph.role<gradient>}) {
  %0 = graph.mul %x, %w : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %1 = graph.reduce_mean %0 {dims = array<i64: 0, 1>} : tensor<?x3xf32> -> tensor<f32>
  %2 = graph.reduce_mean %x {dims = array<i64: 0>} : tensor<?x3xf32> -> tensor<3xf32>
  return %1, %2 : tensor<f32>, tensor<3xf32>
}
func.func @train_step(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  return %x : tensor<?x3xf32>
}

// -----

// Tests that a step carrying a buffer (BatchNorm's running statistics) is
// refused: its parts would each update it.
// expected-error @+1 {{--micro-batch: the step updates the buffer 'm', which couples the batch's rows}}
func.func @train_step_gradients(%x: tensor<?x3xf32> {graph.name = "x", graph.role = #graph.role<input>},
                                %m: tensor<3xf32> {graph.name = "m", graph.role = #graph.role<buffer>})
    -> (tensor<f32> {graph.name = "loss"}, tensor<3xf32> {graph.name = "m", graph.role = #graph.role<buffer>}) {
  %0 = graph.reduce_mean %x {dims = array<i64: 0, 1>} : tensor<?x3xf32> -> tensor<f32>
  %1 = graph.reduce_mean %x {dims = array<i64: 0>} : tensor<?x3xf32> -> tensor<3xf32>
  return %0, %1 : tensor<f32>, tensor<3xf32>
}

// -----

// Tests that a gradient other than float32 is refused (the runtime adds
// the parts in a float32 buffer).
// expected-error @+1 {{--micro-batch: the runtime adds float32 gradients; the gradient of 'w' is 'tensor<3xf64>'}}
func.func @train_step_gradients(%x: tensor<?x3xf64> {graph.name = "x", graph.role = #graph.role<input>},
                                %w: tensor<3xf64> {graph.name = "w", graph.role = #graph.role<parameter>})
    -> (tensor<f64> {graph.name = "loss"}, tensor<3xf64> {graph.name = "w", graph.role = #graph.role<gradient>}) {
  %0 = graph.reduce_mean %x {dims = array<i64: 0, 1>} : tensor<?x3xf64> -> tensor<f64>
  %1 = graph.reduce_mean %x {dims = array<i64: 0>} : tensor<?x3xf64> -> tensor<3xf64>
  return %0, %1 : tensor<f64>, tensor<3xf64>
}

// -----

// Tests that a static batch is refused.
// expected-error @+1 {{--micro-batch: the batch is static already}}
func.func @train_step_gradients(%x: tensor<8x3xf32> {graph.name = "x", graph.role = #graph.role<input>})
    -> (tensor<f32> {graph.name = "loss"}) {
  %0 = graph.reduce_mean %x {dims = array<i64: 0, 1>} : tensor<8x3xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Tests that a module without the data-parallel step is refused.
// expected-error @+1 {{--micro-batch needs the data-parallel step's first half, 'train_step_gradients'}}
module {
  func.func @train_step(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
    return %x : tensor<?x3xf32>
  }
}
