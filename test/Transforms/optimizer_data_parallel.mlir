// RUN: graphc-opt %s --graphc-autodiff --graphc-optimizer="optimizer=sgd momentum=0.9 data-parallel=true" --canonicalize --cse | FileCheck %s
// RUN: graphc-opt %s --graphc-autodiff --graphc-optimizer="optimizer=sgd momentum=0.9" | FileCheck %s --check-prefix=FUSED

// Tests that data-parallel=true adds train_step's two halves beside it:
// train_step_gradients takes train_step's inputs and parameters (a buffer is
// an input) and returns the loss, the buffer's new value under its name and
// role (not tied: the caller chooses whose to keep), and each parameter's
// gradient with role gradient; train_step_apply takes the parameters, the
// optimizer state, the gradients, step and lr, and returns the same tied
// updates as train_step.
// CHECK-LABEL: func @train_step(
// CHECK-LABEL: func @train_step_gradients(
// CHECK-SAME: %[[X:.*]]: tensor<?x3xf32> {graph.name = "x", graph.role = #graph.role<input>},
// CHECK-SAME: %[[M:.*]]: tensor<3xf32> {graph.name = "m", graph.role = #graph.role<buffer>},
// CHECK-SAME: %[[W:.*]]: tensor<3xf32> {graph.name = "w", graph.role = #graph.role<parameter>})
// CHECK-SAME: -> (tensor<f32> {graph.name = "loss"},
// CHECK-SAME: tensor<3xf32> {graph.name = "m", graph.role = #graph.role<buffer>},
// CHECK-SAME: tensor<3xf32> {graph.name = "w", graph.role = #graph.role<gradient>})
// CHECK-NOT: graph.updates_argument
// CHECK: return
// CHECK-LABEL: func @train_step_apply(
// CHECK-SAME: %[[AW:.*]]: tensor<3xf32> {graph.name = "w", graph.role = #graph.role<parameter>},
// CHECK-SAME: %[[BUF:.*]]: tensor<3xf32> {graph.name = "momentum_buffer.w", graph.role = #graph.role<optimizer_state>},
// CHECK-SAME: %[[G:.*]]: tensor<3xf32> {graph.name = "w", graph.role = #graph.role<gradient>},
// CHECK-SAME: %[[STEP:.*]]: tensor<f64> {graph.name = "step", graph.role = #graph.role<step>},
// CHECK-SAME: %[[LR:.*]]: tensor<f64> {graph.name = "lr", graph.role = #graph.role<lr>})
// CHECK-SAME: -> (tensor<3xf32> {graph.name = "w", graph.updates_argument = 0 : i64},
// CHECK-SAME: tensor<3xf32> {graph.name = "momentum_buffer.w", graph.updates_argument = 1 : i64},
// CHECK-SAME: tensor<f64> {graph.name = "step", graph.updates_argument = 3 : i64})
// The update reads the gradient argument, as train_step reads its own.
// CHECK: graph.add %{{.*}}, %[[G]]
// CHECK: graph.select %{{.*}}, %[[G]],
// CHECK: graph.sub %[[AW]],

// Without the option, train_step alone.
// FUSED-LABEL: func @train_step(
// FUSED-NOT: func @train_step_gradients
// FUSED-NOT: func @train_step_apply
func.func @forward(%x: tensor<?x3xf32> {graph.name = "x"},
                   %w: tensor<3xf32> {graph.name = "w", graph.requires_grad},
                   %m: tensor<3xf32> {graph.name = "m", graph.role = #graph.role<buffer>})
    -> (tensor<f32>, tensor<3xf32> {graph.name = "m", graph.updates_argument = 2 : i64}) {
  %0 = graph.mul %x, %w : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %1 = graph.reduce_mean %0 {dims = array<i64: 0, 1>} : tensor<?x3xf32> -> tensor<f32>
  %2 = graph.reduce_mean %0 {dims = array<i64: 0>} : tensor<?x3xf32> -> tensor<3xf32>
  %3 = graph.add %m, %2 : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  return %1, %3 : tensor<f32>, tensor<3xf32>
}
