// RUN: graphc-opt %s --split-input-file --verify-diagnostics --graphc-append-loss="loss=cross_entropy" | FileCheck %s
// RUN: graphc-opt %s --split-input-file --graphc-append-loss="loss=mse" | FileCheck %s --check-prefix=MSE

// Tests that the loss and eval functions call the model with its arguments
// (names and roles kept, requires_grad only on the loss's), take the target
// (int64 class indices for cross entropy, role target), and apply the loss
// as the DSL writes it: log_softmax (max-shifted), the one-hot mask of the
// labels, the negated row sum, the mean; eval sums instead and counts the
// rows whose argmax is the label.
// CHECK-LABEL: func.func @forward(
// CHECK-SAME: {graph.name = "x", graph.role = #graph.role<input>}
// CHECK-SAME: {graph.name = "w", graph.role = #graph.role<parameter>}
// CHECK-LABEL: func.func @loss(
// CHECK-SAME: {graph.name = "w", graph.requires_grad, graph.role = #graph.role<parameter>}
// CHECK-SAME: %[[T:.*]]: tensor<?xi64> {graph.name = "target", graph.role = #graph.role<target>}) -> tensor<f32>
// CHECK: %[[P:.*]] = call @forward
// CHECK: %[[MAX:.*]] = graph.reduce_max %[[P]] {dims = array<i64: 1>, keepdim = true}
// CHECK: %[[SHIFTED:.*]] = graph.sub %[[P]], %[[MAX]]
// CHECK: graph.exp %[[SHIFTED]]
// CHECK: graph.log
// CHECK: %[[LOGP:.*]] = graph.sub %[[SHIFTED]]
// CHECK: %[[IDS:.*]] = graph.constant dense<[0, 1, 2]> : tensor<3xi64>
// CHECK: %[[COL:.*]] = graph.reshape %[[T]] : tensor<?xi64> -> tensor<?x1xi64>
// CHECK: %[[EQ:.*]] = graph.eq %[[IDS]], %[[COL]]
// CHECK: %[[MASK:.*]] = graph.cast %[[EQ]]
// CHECK: %[[PICKED:.*]] = graph.mul %[[LOGP]], %[[MASK]]
// CHECK: %[[ROWS:.*]] = graph.reduce_sum %[[PICKED]] {dims = array<i64: 1>}
// CHECK: %[[NEG:.*]] = graph.neg %[[ROWS]]
// CHECK: %[[MEAN:.*]] = graph.reduce_mean %[[NEG]] {dims = array<i64: 0>}
// CHECK: return %[[MEAN]]
// CHECK-LABEL: func.func @eval(
// CHECK-NOT: requires_grad
// CHECK-SAME: -> (tensor<f32>, tensor<f32>)
// CHECK: graph.reduce_sum %{{.*}} {dims = array<i64: 0>}
// CHECK: graph.min
// CHECK: return
// MSE-LABEL: func.func @loss(
// MSE-SAME: %{{.*}}: tensor<?x3xf32> {graph.name = "target", graph.role = #graph.role<target>}) -> tensor<f32>
// MSE: graph.sub
// MSE: graph.mul
// MSE: graph.reduce_mean
// MSE-LABEL: func.func @eval(
// MSE: graph.constant dense<0.000000e+00> : tensor<f32>
func.func @forward(%x: tensor<?x4xf32> {graph.name = "x"},
                   %w: tensor<4x3xf32> {graph.name = "w", graph.requires_grad}) -> tensor<?x3xf32> {
  %0 = graph.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// Tests that a prediction the class losses cannot take is refused at the
// model's return, naming the model, the type and the loss.
func.func @forward(%x: tensor<?x4xf32> {graph.name = "x"}) -> tensor<?xf32> {
  %0 = graph.reduce_sum %x {dims = array<i64: 1>, keepdim = false} : tensor<?x4xf32> -> tensor<?xf32>
  // expected-error @+1 {{'forward' returns tensor<?xf32>; --loss=cross_entropy takes class scores [B, C] (float, rank 2) (--loss=mse takes any float prediction)}}
  return %0 : tensor<?xf32>
}

// -----

// Tests that a model traced in training mode too (graph.train_mode_of) gets
// the loss, which also returns the buffer updates tied to the same arguments,
// while eval calls the model as traced for inference.
// CHECK-LABEL: func.func @loss(
// CHECK-SAME: -> (tensor<f32>, tensor<3xf32> {graph.name = "bn.running_mean", graph.updates_argument = 2 : i64})
// CHECK: %[[CALL:.*]]:2 = call @forward_train(
// CHECK: return %{{.*}}, %[[CALL]]#1
// CHECK-LABEL: func.func @eval(
// CHECK: call @forward(
func.func @forward(%x: tensor<?x3xf32> {graph.name = "x"},
                   %w: tensor<3xf32> {graph.name = "w", graph.requires_grad},
                   %rm: tensor<3xf32> {graph.name = "bn.running_mean", graph.role = #graph.role<buffer>}) -> tensor<?x3xf32> {
  %0 = graph.sub %x, %rm : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %1 = graph.mul %0, %w : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}
func.func @forward_train(%x: tensor<?x3xf32> {graph.name = "x"},
                         %w: tensor<3xf32> {graph.name = "w", graph.requires_grad},
                         %rm: tensor<3xf32> {graph.name = "bn.running_mean", graph.role = #graph.role<buffer>})
    -> (tensor<?x3xf32>, tensor<3xf32> {graph.name = "bn.running_mean", graph.updates_argument = 2 : i64})
    attributes {graph.train_mode_of = "forward"} {
  %m = graph.reduce_mean %x {dims = array<i64: 0>} : tensor<?x3xf32> -> tensor<3xf32>
  %0 = graph.sub %x, %m : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %1 = graph.mul %0, %w : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %2 = graph.add %rm, %m : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  return %1, %2 : tensor<?x3xf32>, tensor<3xf32>
}
