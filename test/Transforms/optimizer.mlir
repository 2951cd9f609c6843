// RUN: graphc-opt %s --split-input-file --graphc-autodiff --graphc-optimizer="optimizer=sgd momentum=0.9" --canonicalize --cse | FileCheck %s --check-prefix=SGD
// RUN: graphc-opt %s --split-input-file --graphc-autodiff --graphc-optimizer="optimizer=adam" --canonicalize --cse | FileCheck %s --check-prefix=ADAM
// RUN: graphc-opt %s --split-input-file --graphc-autodiff --graphc-optimizer="optimizer=rmsprop momentum=0.5 centered=true" --canonicalize --cse | FileCheck %s --check-prefix=RMSPROP
// RUN: graphc-opt %s --split-input-file --graphc-autodiff --graphc-optimizer="optimizer=adagrad initial-accumulator-value=0.1" --canonicalize --cse | FileCheck %s --check-prefix=ADAGRAD
// RUN: graphc-opt %s --split-input-file --graphc-optimizer --verify-diagnostics -o /dev/null

// Tests that train_step takes inputs, parameters, state, step and lr, each
// with its role (an argument without one is a parameter where it is marked
// requires_grad, else an input), and returns the loss followed by every update tied to its argument.
// SGD-LABEL: func @train_step
// SGD-SAME: (%[[X:.*]]: tensor<?x3xf32> {graph.name = "x", graph.role = #graph.role<input>}, %[[W:.*]]: tensor<3xf32> {graph.name = "w", graph.role = #graph.role<parameter>},
// SGD-SAME: %[[BUF:.*]]: tensor<3xf32> {graph.name = "momentum_buffer.w", graph.role = #graph.role<optimizer_state>},
// SGD-SAME: %[[STEP:.*]]: tensor<f64> {graph.name = "step", graph.role = #graph.role<step>}, %[[LR:.*]]: tensor<f64> {graph.name = "lr", graph.role = #graph.role<lr>})
// SGD-SAME: -> (tensor<f32> {graph.name = "loss"}, tensor<3xf32> {graph.name = "w", graph.updates_argument = 1 : i64},
// SGD-SAME: tensor<3xf32> {graph.name = "momentum_buffer.w", graph.updates_argument = 2 : i64},
// SGD-SAME: tensor<f64> {graph.name = "step", graph.updates_argument = 3 : i64})
// The momentum buffer starts as the first gradient, then buf * momentum + grad.
// SGD: %[[SCALED:.*]] = graph.mul %[[BUF]], %{{.*}} : tensor<3xf32>, tensor<f32>
// SGD: %[[LATER:.*]] = graph.add %[[SCALED]], %[[G:.*]] : tensor<3xf32>, tensor<3xf32>
// SGD: %[[FIRST:.*]] = graph.eq %[[STEP]], %{{.*}} : tensor<f64>, tensor<f64> -> tensor<i1>
// SGD: %[[NEWBUF:.*]] = graph.select %[[FIRST]], %[[G]], %[[LATER]]
// SGD: %[[LR32:.*]] = graph.cast %[[LR]] : tensor<f64> -> tensor<f32>
// SGD: %[[DELTA:.*]] = graph.mul %[[NEWBUF]], %[[LR32]]
// SGD: %[[NEWW:.*]] = graph.sub %[[W]], %[[DELTA]]
// SGD: return %{{.*}}, %[[NEWW]], %[[NEWBUF]], %{{.*}}

// Tests Adam's state (exp_avg, exp_avg_sq) and its bias corrections in f64.
// ADAM-LABEL: func @train_step
// ADAM-SAME: {graph.name = "exp_avg.w", graph.role = #graph.role<optimizer_state>}
// ADAM-SAME: {graph.name = "exp_avg_sq.w", graph.role = #graph.role<optimizer_state>}
// ADAM: graph.pow %{{.*}}, %{{.*}} : tensor<f64>, tensor<f64> -> tensor<f64>
// ADAM: graph.sqrt %{{.*}} : tensor<3xf32>
// ADAM: graph.sub %arg1, %{{.*}} : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>

// Tests RMSprop's state in torch.optim's order, each updated in place.
// RMSPROP-LABEL: func @train_step
// RMSPROP-SAME: {graph.name = "square_avg.w", graph.role = #graph.role<optimizer_state>}
// RMSPROP-SAME: {graph.name = "momentum_buffer.w", graph.role = #graph.role<optimizer_state>}
// RMSPROP-SAME: {graph.name = "grad_avg.w", graph.role = #graph.role<optimizer_state>}
// RMSPROP-SAME: {graph.name = "square_avg.w", graph.updates_argument = 2 : i64}
// RMSPROP-SAME: {graph.name = "momentum_buffer.w", graph.updates_argument = 3 : i64}
// RMSPROP-SAME: {graph.name = "grad_avg.w", graph.updates_argument = 4 : i64}
// RMSPROP: graph.sqrt %{{.*}} : tensor<3xf32>

// Tests Adagrad's sum, which takes initial_accumulator_value at step 0
// (the program starts every state at zero).
// ADAGRAD-LABEL: func @train_step
// ADAGRAD-SAME: %[[SUM:[^:]*]]: tensor<3xf32> {graph.name = "sum.w", graph.role = #graph.role<optimizer_state>}
// ADAGRAD-SAME: %[[STEP:[^:]*]]: tensor<f64> {graph.name = "step"
// ADAGRAD: %[[FIRST:.*]] = graph.eq %[[STEP]], %{{.*}} : tensor<f64>, tensor<f64> -> tensor<i1>
// ADAGRAD: %[[START:.*]] = graph.add %[[SUM]], %{{.*}} : tensor<3xf32>, tensor<f32>
// ADAGRAD: graph.select %[[FIRST]], %[[START]], %[[SUM]]

// (Without --graphc-autodiff, the last RUN line expects the optimizer to refuse.)
// expected-error @+1 {{has no gradient function 'forward_grad'; run --graphc-autodiff first}}
func.func @forward(%x: tensor<?x3xf32> {graph.name = "x"},
                   %w: tensor<3xf32> {graph.name = "w", graph.requires_grad}) -> tensor<f32> {
  %0 = graph.mul %x, %w : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %1 = graph.reduce_mean %0 {dims = array<i64: 0, 1>} : tensor<?x3xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// Tests that the optimizer needs the gradient function (run by the third RUN line only).
// expected-error @+1 {{has no gradient function 'forward_grad'; run --graphc-autodiff first}}
func.func @forward(%w: tensor<3xf32> {graph.requires_grad}) -> tensor<f32> {
  %0 = graph.reduce_sum %w {dims = array<i64: 0>} : tensor<3xf32> -> tensor<f32>
  return %0 : tensor<f32>
}
