// RUN: graphc-opt %s --split-input-file --graphc-autodiff --canonicalize --cse --verify-diagnostics | FileCheck %s

// Tests that add broadcasts its gradient back: the bias gets the sum over the batch.
// CHECK-LABEL: func @add_bias_grad
// CHECK-SAME: -> (tensor<f32>, tensor<4x2xf32> {graph.name = "grad.x"}, tensor<2xf32> {graph.name = "grad.b"})
// CHECK: %[[SEED:.*]] = graph.constant dense<1.000000e+00> : tensor<1x1xf32>
// CHECK: %[[ONES:.*]] = graph.broadcast_to %[[SEED]] : tensor<1x1xf32> -> tensor<4x2xf32>
// CHECK: %[[SUM:.*]] = graph.reduce_sum %[[ONES]] {dims = array<i64: 0>, keepdim = true} : tensor<4x2xf32> -> tensor<1x2xf32>
// CHECK: %[[DB:.*]] = graph.reshape %[[SUM]] : tensor<1x2xf32> -> tensor<2xf32>
// CHECK: return %{{.*}}, %[[ONES]], %[[DB]]
func.func @add_bias(%x: tensor<4x2xf32> {graph.name = "x", graph.requires_grad},
                    %b: tensor<2xf32> {graph.name = "b", graph.requires_grad}) -> tensor<f32> {
  %0 = graph.add %x, %b : tensor<4x2xf32>, tensor<2xf32> -> tensor<4x2xf32>
  %1 = graph.reduce_sum %0 {dims = array<i64: 0, 1>} : tensor<4x2xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// Tests that mul sends each operand the other times the upstream gradient,
// and that a non-scalar result takes its gradient as a trailing argument.
// CHECK-LABEL: func @mul_grad
// CHECK-SAME: (%[[A:.*]]: tensor<3xf32> {{.*}}, %[[B:.*]]: tensor<3xf32> {{.*}}, %[[DY:.*]]: tensor<3xf32> {graph.name = "grad_output"})
// CHECK-DAG: %[[DA:.*]] = graph.mul %[[DY]], %[[B]]
// CHECK-DAG: %[[DB:.*]] = graph.mul %[[DY]], %[[A]]
// CHECK: return %{{.*}}, %[[DA]], %[[DB]]
func.func @mul(%a: tensor<3xf32> {graph.requires_grad}, %b: tensor<3xf32> {graph.requires_grad}) -> tensor<3xf32> {
  %0 = graph.mul %a, %b : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Tests matmul's rule: dA = dY W^T and dW = A^T dY, over a dynamic batch.
// CHECK-LABEL: func @matmul_grad
// CHECK-DAG: %[[WT:.*]] = graph.transpose %arg1 {permutation = array<i64: 1, 0>} : tensor<5x3xf32> -> tensor<3x5xf32>
// CHECK-DAG: graph.matmul %arg2, %[[WT]] : tensor<?x3xf32>, tensor<3x5xf32> -> tensor<?x5xf32>
// CHECK-DAG: %[[AT:.*]] = graph.transpose %arg0 {permutation = array<i64: 1, 0>} : tensor<?x5xf32> -> tensor<5x?xf32>
// CHECK-DAG: graph.matmul %[[AT]], %arg2 : tensor<5x?xf32>, tensor<?x3xf32> -> tensor<5x3xf32>
func.func @matmul(%a: tensor<?x5xf32> {graph.requires_grad}, %w: tensor<5x3xf32> {graph.requires_grad}) -> tensor<?x3xf32> {
  %0 = graph.matmul %a, %w : tensor<?x5xf32>, tensor<5x3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// Tests relu's rule (the gradient passes where x > 0) and that only marked
// arguments get gradients.
// CHECK-LABEL: func @relu_grad
// CHECK-SAME: -> (tensor<f32>, tensor<4xf32> {graph.name = "grad.x"})
// CHECK: %[[ZERO:.*]] = graph.constant dense<0.000000e+00> : tensor<f32>
// CHECK: %[[POS:.*]] = graph.gt %arg0, %[[ZERO]]
// CHECK: graph.select %[[POS]], %{{.*}}, %[[ZERO]]
func.func @relu(%x: tensor<4xf32> {graph.name = "x", graph.requires_grad}, %y: tensor<4xf32>) -> tensor<f32> {
  %0 = graph.relu %x : tensor<4xf32>
  %1 = graph.mul %0, %y : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %2 = graph.reduce_sum %1 {dims = array<i64: 0>} : tensor<4xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// Tests a mean over a dynamic batch: the gradient is spread with broadcast_to
// sized by the input and divided by a count taken at run time.
// CHECK-LABEL: func @mean_grad
// CHECK: graph.broadcast_to %{{.*}} like %arg0 : tensor<1x1xf32>, tensor<?x10xf32> -> tensor<?x10xf32>
// CHECK: graph.reduce_sum {{.*}}keepdim = true{{.*}} -> tensor<1x1xf32>
// CHECK: graph.div
func.func @mean(%x: tensor<?x10xf32> {graph.requires_grad}) -> tensor<f32> {
  %0 = graph.reduce_mean %x {dims = array<i64: 0, 1>} : tensor<?x10xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Tests that a value used twice sums both contributions: d(x*x)/dx = 2x.
// CHECK-LABEL: func @square_grad
// CHECK: %[[P:.*]] = graph.mul %arg1, %arg0
// CHECK: graph.add %[[P]], %[[P]]
func.func @square(%x: tensor<3xf32> {graph.requires_grad}) -> tensor<3xf32> {
  %0 = graph.mul %x, %x : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Tests that an op without a gradient rule on the differentiated path fails
// the pass and names the op.
func.func @no_rule(%dy: tensor<1x1x2x2xf32> {graph.requires_grad}, %x: tensor<1x1x4x4xf32>) -> tensor<f32> {
  // expected-error @+1 {{'graph.max_pool2d_grad' op has no gradient rule; cannot differentiate 'no_rule' through it}}
  %0 = graph.max_pool2d_grad %dy, %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>}
      : tensor<1x1x2x2xf32>, tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  %1 = graph.reduce_sum %0 {dims = array<i64: 0, 1, 2, 3>} : tensor<1x1x4x4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}
