// RUN: graphc-opt %s --split-input-file --graphc-autodiff --canonicalize --cse --verify-diagnostics | FileCheck %s
// Every gradient stays in the dynamic-size model (each dynamic size k*B), and
// none has a zero-sized dimension.
// RUN: graphc-opt %s --split-input-file --graphc-autodiff --graphc-verify-batch-multiples --verify-diagnostics | FileCheck %s --check-prefix=MODEL
// MODEL-NOT: {{tensor<([0-9?]+x)*0x}}

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

// Tests relu's rule (the gradient is 0 where the result y = relu(x) is
// <= 0 and passes elsewhere, NaN included, as PyTorch's threshold_backward)
// and that only marked arguments get gradients.
// CHECK-LABEL: func @relu_grad
// CHECK-SAME: -> (tensor<f32>, tensor<4xf32> {graph.name = "grad.x"})
// CHECK-DAG: %[[Y:.*]] = graph.relu %arg0
// CHECK-DAG: %[[ZERO:.*]] = graph.constant dense<0.000000e+00> : tensor<f32>
// CHECK: %[[OFF:.*]] = graph.le %[[Y]], %[[ZERO]]
// CHECK: graph.select %[[OFF]], %[[ZERO]], %{{.*}}
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

// -----

// Tests matmul's rule for a shared rhs under a dynamic M: [2, B, 2] x [2, 5]
// gives dW = X^T dY with X and dY viewed as 2B rows (not as zero rows).
// CHECK-LABEL: func @matmul_shared_rhs_grad
// CHECK-SAME: (%[[X:.*]]: tensor<2x?x2xf32> {{.*}}, %[[W:.*]]: tensor<2x5xf32> {{.*}}, %[[DY:.*]]: tensor<2x?x5xf32> {graph.name = "grad_output"})
// CHECK-DAG: %[[X2:.*]] = graph.reshape %[[X]] : tensor<2x?x2xf32> -> tensor<?x2xf32>
// CHECK-DAG: %[[DY2:.*]] = graph.reshape %[[DY]] : tensor<2x?x5xf32> -> tensor<?x5xf32>
// CHECK-DAG: %[[XT:.*]] = graph.transpose %[[X2]] {permutation = array<i64: 1, 0>} : tensor<?x2xf32> -> tensor<2x?xf32>
// CHECK: %[[DW:.*]] = graph.matmul %[[XT]], %[[DY2]] : tensor<2x?xf32>, tensor<?x5xf32> -> tensor<2x5xf32>
// CHECK: return %{{.*}}, %[[DW]]
func.func @matmul_shared_rhs(%x: tensor<2x?x2xf32> {graph.name = "x"},
                             %w: tensor<2x5xf32> {graph.name = "w", graph.requires_grad}) -> tensor<2x?x5xf32> {
  %0 = graph.matmul %x, %w : tensor<2x?x2xf32>, tensor<2x5xf32> -> tensor<2x?x5xf32>
  return %0 : tensor<2x?x5xf32>
}

// -----

// Tests matmul's rule for a shared rhs when both the batch and M are
// dynamic: a batched X^T dY summed over the batch.
// CHECK-LABEL: func @matmul_shared_rhs_dynamic_grad
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x2xf32> {{.*}}, %[[W:.*]]: tensor<2x5xf32> {{.*}}, %[[DY:.*]]: tensor<?x?x5xf32> {graph.name = "grad_output"})
// CHECK: %[[XT:.*]] = graph.transpose %[[X]] {permutation = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
// CHECK: %[[P:.*]] = graph.matmul %[[XT]], %[[DY]] : tensor<?x2x?xf32>, tensor<?x?x5xf32> -> tensor<?x2x5xf32>
// CHECK: %[[DW:.*]] = graph.reduce_sum %[[P]] {dims = array<i64: 0>} : tensor<?x2x5xf32> -> tensor<2x5xf32>
// CHECK: return %{{.*}}, %[[DW]]
func.func @matmul_shared_rhs_dynamic(%x: tensor<?x?x2xf32> {graph.name = "x"},
                                     %w: tensor<2x5xf32> {graph.name = "w", graph.requires_grad}) -> tensor<?x?x5xf32> {
  %0 = graph.matmul %x, %w : tensor<?x?x2xf32>, tensor<2x5xf32> -> tensor<?x?x5xf32>
  return %0 : tensor<?x?x5xf32>
}

// -----

// Tests that a program with two dynamic dimensions differentiates: the
// gradient of broadcast_to sums the new leading axis away and reshapes
// [1, B, B] to [B, B].
// CHECK-LABEL: func @broadcast_two_dynamic_grad
// CHECK-SAME: (%[[X:.*]]: tensor<?x?xf32> {{.*}}, %[[S:.*]]: tensor<f32> {{.*}}, %[[DY:.*]]: tensor<2x?x?xf32> {graph.name = "grad_output"})
// CHECK: %[[SUM:.*]] = graph.reduce_sum %[[DY]] {dims = array<i64: 0>, keepdim = true} : tensor<2x?x?xf32> -> tensor<1x?x?xf32>
// CHECK: %[[D0:.*]] = graph.reshape %[[SUM]] : tensor<1x?x?xf32> -> tensor<?x?xf32>
// CHECK: %[[P:.*]] = graph.mul %[[D0]], %[[X]] : tensor<?x?xf32>, tensor<?x?xf32> -> tensor<?x?xf32>
// CHECK: %[[T:.*]] = graph.reduce_sum %[[P]] {dims = array<i64: 0, 1>, keepdim = true} : tensor<?x?xf32> -> tensor<1x1xf32>
// CHECK: %[[DS:.*]] = graph.reshape %[[T]] : tensor<1x1xf32> -> tensor<f32>
// CHECK: return %{{.*}}, %[[DS]]
func.func @broadcast_two_dynamic(%x: tensor<?x?xf32> {graph.name = "x"},
                                 %s: tensor<f32> {graph.name = "s", graph.requires_grad}) -> tensor<2x?x?xf32> {
  %0 = graph.mul %x, %s : tensor<?x?xf32>, tensor<f32> -> tensor<?x?xf32>
  %1 = graph.broadcast_to %0 : tensor<?x?xf32> -> tensor<2x?x?xf32>
  return %1 : tensor<2x?x?xf32>
}

// -----

// Tests that a reduction over the static dimension of [B, B, 4] spreads its
// gradient back over both dynamic dimensions.
// CHECK-LABEL: func @mean_two_dynamic_grad
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x4xf32> {{.*}}, %[[DY:.*]]: tensor<?x?xf32> {graph.name = "grad_output"})
// CHECK: %[[D:.*]] = graph.reshape %[[DY]] : tensor<?x?xf32> -> tensor<?x?x1xf32>
// CHECK: graph.broadcast_to %[[D]] like %[[X]] : tensor<?x?x1xf32>, tensor<?x?x4xf32> -> tensor<?x?x4xf32>
func.func @mean_two_dynamic(%x: tensor<?x?x4xf32> {graph.name = "x", graph.requires_grad}) -> tensor<?x?xf32> {
  %0 = graph.reduce_mean %x {dims = array<i64: 2>} : tensor<?x?x4xf32> -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// Tests that [B, 5, 1] x [1, B] differentiates: the shared rhs gets the
// batched product summed over the batch.
// CHECK-LABEL: func @matmul_two_dynamic_grad
// CHECK-SAME: (%[[X:.*]]: tensor<?x5x1xf32> {{.*}}, %[[W:.*]]: tensor<1x?xf32> {{.*}}, %[[DY:.*]]: tensor<?x5x?xf32> {graph.name = "grad_output"})
// CHECK-DAG: %[[WT:.*]] = graph.transpose %[[W]] {permutation = array<i64: 1, 0>} : tensor<1x?xf32> -> tensor<?x1xf32>
// CHECK-DAG: %[[DX:.*]] = graph.matmul %[[DY]], %[[WT]] : tensor<?x5x?xf32>, tensor<?x1xf32> -> tensor<?x5x1xf32>
// CHECK-DAG: %[[XT:.*]] = graph.transpose %[[X]] {permutation = array<i64: 0, 2, 1>} : tensor<?x5x1xf32> -> tensor<?x1x5xf32>
// CHECK-DAG: %[[P:.*]] = graph.matmul %[[XT]], %[[DY]] : tensor<?x1x5xf32>, tensor<?x5x?xf32> -> tensor<?x1x?xf32>
// CHECK-DAG: %[[DW:.*]] = graph.reduce_sum %[[P]] {dims = array<i64: 0>} : tensor<?x1x?xf32> -> tensor<1x?xf32>
// CHECK: return %{{.*}}, %[[DX]], %[[DW]]
func.func @matmul_two_dynamic(%x: tensor<?x5x1xf32> {graph.name = "x", graph.requires_grad},
                              %w: tensor<1x?xf32> {graph.name = "w", graph.requires_grad}) -> tensor<?x5x?xf32> {
  %0 = graph.matmul %x, %w : tensor<?x5x1xf32>, tensor<1x?xf32> -> tensor<?x5x?xf32>
  return %0 : tensor<?x5x?xf32>
}

// -----

// Tests concat's rule along the dynamic batch: the [2B, 3] gradient is
// viewed as [2, B, 3] and each operand gets its static slice of the leading
// axis, reshaped back to [B, 3].
// CHECK-LABEL: func @concat_batch_grad
// CHECK-SAME: (%[[X:.*]]: tensor<?x3xf32> {{.*}}, %[[W:.*]]: tensor<3xf32> {{.*}}, %[[DY:.*]]: tensor<3xf32> {graph.name = "grad_output"})
// CHECK: %[[CAT:.*]] = graph.concat
// CHECK: %[[D:.*]] = graph.broadcast_to %{{.*}} like %[[CAT]] : tensor<1x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
// CHECK: %[[SPLIT:.*]] = graph.reshape %[[D]] : tensor<?x3xf32> -> tensor<2x?x3xf32>
// CHECK: %[[S0:.*]] = graph.slice %[[SPLIT]] {start = array<i64: 0, 0, 0>, step = array<i64: 1, 1, 1>, stop = array<i64: 1, 9223372036854775807, 9223372036854775807>} : tensor<2x?x3xf32> -> tensor<1x?x3xf32>
// CHECK: %[[D0:.*]] = graph.reshape %[[S0]] : tensor<1x?x3xf32> -> tensor<?x3xf32>
// CHECK: %[[S1:.*]] = graph.slice %[[SPLIT]] {start = array<i64: 1, 0, 0>, step = array<i64: 1, 1, 1>, stop = array<i64: 2, 9223372036854775807, 9223372036854775807>} : tensor<2x?x3xf32> -> tensor<1x?x3xf32>
// CHECK: %[[D1:.*]] = graph.reshape %[[S1]] : tensor<1x?x3xf32> -> tensor<?x3xf32>
// CHECK-DAG: %[[DXW:.*]] = graph.mul %[[D0]], %[[W]]
// CHECK-DAG: graph.mul %[[D0]], %[[X]]
// CHECK: %[[DX:.*]] = graph.add %[[D1]], %[[DXW]]
// CHECK: return %{{.*}}, %[[DX]], %{{.*}}
func.func @concat_batch(%x: tensor<?x3xf32> {graph.name = "x", graph.requires_grad},
                        %w: tensor<3xf32> {graph.name = "w", graph.requires_grad}) -> tensor<3xf32> {
  %0 = graph.mul %x, %w : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %1 = graph.concat %0, %x {dim = 0 : i64} : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  %2 = graph.reduce_sum %1 {dims = array<i64: 0>} : tensor<?x3xf32> -> tensor<3xf32>
  return %2 : tensor<3xf32>
}

// -----

// Tests concat's rule along the batch for operands of different multiples:
// [2B, 3] and [B, 3] are the slices [0, 2) and [2, 3) of the [3, B, 3] view.
// CHECK-LABEL: func @concat_multiples_grad
// CHECK: graph.reshape %{{.*}} : tensor<?x3xf32> -> tensor<3x?x3xf32>
// CHECK: graph.slice %{{.*}} {start = array<i64: 0, 0, 0>, step = array<i64: 1, 1, 1>, stop = array<i64: 2, 9223372036854775807, 9223372036854775807>} : tensor<3x?x3xf32> -> tensor<2x?x3xf32>
// CHECK: graph.reshape %{{.*}} : tensor<2x?x3xf32> -> tensor<?x3xf32>
// CHECK: graph.slice %{{.*}} {start = array<i64: 2, 0, 0>, step = array<i64: 1, 1, 1>, stop = array<i64: 3, 9223372036854775807, 9223372036854775807>} : tensor<3x?x3xf32> -> tensor<1x?x3xf32>
func.func @concat_multiples(%x: tensor<?x3xf32> {graph.name = "x", graph.requires_grad}) -> tensor<3xf32> {
  %0 = graph.concat %x, %x {dim = 0 : i64} : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  %1 = graph.concat %0, %x {dim = 0 : i64} : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  %2 = graph.reduce_sum %1 {dims = array<i64: 0>} : tensor<?x3xf32> -> tensor<3xf32>
  return %2 : tensor<3xf32>
}

// -----

// Tests that concat along a dynamic dimension has no gradient when another
// dimension is dynamic too (the [K, B] view would need two).
func.func @concat_two_dynamic(%x: tensor<?x?xf32> {graph.name = "x", graph.requires_grad}) -> tensor<f32> {
  // expected-error @+1 {{'graph.concat' op has no gradient along a dynamic dimension when another dimension is dynamic too}}
  %0 = graph.concat %x, %x {dim = 1 : i64} : tensor<?x?xf32>, tensor<?x?xf32> -> tensor<?x?xf32>
  %1 = graph.reduce_sum %0 {dims = array<i64: 0, 1>} : tensor<?x?xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// Tests that a detached value is not differentiated through: the gradient
// of sum(detach(w) * w) is detach(w) itself (the mul's rule for its live
// operand), with nothing computed for the detached one.
// CHECK-LABEL: func.func @detached_grad
// CHECK: %[[D:.*]] = graph.detach %arg0 : tensor<3xf32>
// CHECK: graph.mul %[[D]], %arg0
// CHECK-NOT: graph.add
// CHECK: %[[G:.*]] = graph.mul %{{.*}}, %[[D]]
// CHECK-NOT: graph.add
// CHECK: return %{{.*}}, %[[G]] : tensor<f32>, tensor<3xf32>
func.func @detached(%w: tensor<3xf32> {graph.requires_grad}) -> tensor<f32> {
  %d = graph.detach %w : tensor<3xf32>
  %p = graph.mul %d, %w : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  %s = graph.reduce_sum %p {dims = array<i64: 0>} : tensor<3xf32> -> tensor<f32>
  return %s : tensor<f32>
}
