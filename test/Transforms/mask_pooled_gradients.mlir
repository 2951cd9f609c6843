// RUN: graphc-opt %s --split-input-file --graphc-mask-pooled-gradients | FileCheck %s

// Tests that a ReLU's mask over a max pooling's input gradient, as autodiff
// writes it for conv -> relu -> pool, is applied to the windows instead: the
// forward pass's window maxima are compared with the same threshold, the
// upstream gradient is masked, and only then scattered.
// CHECK-LABEL: func.func @relu_before_pool
// CHECK-SAME: (%[[Y:.+]]: tensor<?x6x28x28xf32>, %[[DY:.+]]: tensor<?x6x14x14xf32>)
// CHECK: %[[ZERO:.+]] = graph.constant dense<0.000000e+00> : tensor<f32>
// CHECK: %[[M:.+]] = graph.max_pool2d %[[Y]]
// CHECK-NOT: graph.max_pool2d %
// CHECK: %[[OFF:.+]] = graph.le %[[M]], %[[ZERO]] : tensor<?x6x14x14xf32>, tensor<f32> -> tensor<?x6x14x14xi1>
// CHECK: %[[MASKED:.+]] = graph.select %[[OFF]], %[[ZERO]], %[[DY]] : tensor<?x6x14x14xi1>, tensor<f32>, tensor<?x6x14x14xf32> -> tensor<?x6x14x14xf32>
// CHECK: %[[DX:.+]] = graph.max_pool2d_grad %[[MASKED]], %[[Y]] {kernel_size = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>}
// CHECK-NOT: graph.le
// CHECK-NOT: graph.select
// CHECK: return %[[M]], %[[DX]]
func.func @relu_before_pool(%y: tensor<?x6x28x28xf32>, %dy: tensor<?x6x14x14xf32>) -> (tensor<?x6x14x14xf32>, tensor<?x6x28x28xf32>) {
  %zero = graph.constant dense<0.0> : tensor<f32>
  %m = graph.max_pool2d %y {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<?x6x28x28xf32> -> tensor<?x6x14x14xf32>
  %g = graph.max_pool2d_grad %dy, %y {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<?x6x14x14xf32>, tensor<?x6x28x28xf32> -> tensor<?x6x28x28xf32>
  %off = graph.le %y, %zero : tensor<?x6x28x28xf32>, tensor<f32> -> tensor<?x6x28x28xi1>
  %dx = graph.select %off, %zero, %g : tensor<?x6x28x28xi1>, tensor<f32>, tensor<?x6x28x28xf32> -> tensor<?x6x28x28xf32>
  return %m, %dx : tensor<?x6x14x14xf32>, tensor<?x6x28x28xf32>
}

// -----

// Tests the zero as the false value, another comparison, overlapping windows
// with padding, and no forward pooling in the function: a new max_pool2d of
// the input (same attributes) gives the maxima.
// CHECK-LABEL: func.func @keep_where_above
// CHECK-SAME: (%[[X:.+]]: tensor<2x3x7x7xf32>, %[[DY:.+]]: tensor<2x3x4x4xf32>, %[[T:.+]]: tensor<f32>)
// CHECK: %[[ZERO:.+]] = graph.constant dense<0.000000e+00> : tensor<f32>
// CHECK: %[[M:.+]] = graph.max_pool2d %[[X]] {kernel_size = array<i64: 3, 3>, padding = array<i64: 1, 1>, stride = array<i64: 2, 2>} : tensor<2x3x7x7xf32> -> tensor<2x3x4x4xf32>
// CHECK: %[[ON:.+]] = graph.gt %[[M]], %[[T]] : tensor<2x3x4x4xf32>, tensor<f32> -> tensor<2x3x4x4xi1>
// CHECK: %[[MASKED:.+]] = graph.select %[[ON]], %[[DY]], %[[ZERO]]
// CHECK: %[[DX:.+]] = graph.max_pool2d_grad %[[MASKED]], %[[X]]
// CHECK: return %[[DX]]
func.func @keep_where_above(%x: tensor<2x3x7x7xf32>, %dy: tensor<2x3x4x4xf32>, %t: tensor<f32>) -> tensor<2x3x7x7xf32> {
  %g = graph.max_pool2d_grad %dy, %x {kernel_size = array<i64: 3, 3>, stride = array<i64: 2, 2>, padding = array<i64: 1, 1>} : tensor<2x3x4x4xf32>, tensor<2x3x7x7xf32> -> tensor<2x3x7x7xf32>
  %on = graph.gt %x, %t : tensor<2x3x7x7xf32>, tensor<f32> -> tensor<2x3x7x7xi1>
  %zero = graph.constant dense<0.0> : tensor<f32>
  %dx = graph.select %on, %g, %zero : tensor<2x3x7x7xi1>, tensor<2x3x7x7xf32>, tensor<f32> -> tensor<2x3x7x7xf32>
  return %dx : tensor<2x3x7x7xf32>
}

// -----

// Tests what stays: a mask whose other value is -0.0 (the pooling gradient's
// other positions are +0.0), a per-element threshold, a comparison of
// another tensor, a pooling gradient with another use, a zero that is not
// rank 0, and a threshold defined after the pooling gradient.
// CHECK-LABEL: func.func @unchanged
// CHECK-COUNT-6: graph.max_pool2d_grad
// CHECK-NOT: graph.max_pool2d
func.func @unchanged(%x: tensor<1x1x4x4xf32>, %z: tensor<1x1x4x4xf32>, %dy: tensor<1x1x2x2xf32>) -> (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) {
  %zero = graph.constant dense<0.0> : tensor<f32>
  %negzero = graph.constant dense<-0.0> : tensor<f32>
  %g1 = graph.max_pool2d_grad %dy, %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x1x2x2xf32>, tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  %c1 = graph.le %x, %zero : tensor<1x1x4x4xf32>, tensor<f32> -> tensor<1x1x4x4xi1>
  %r1 = graph.select %c1, %negzero, %g1 : tensor<1x1x4x4xi1>, tensor<f32>, tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  %g2 = graph.max_pool2d_grad %dy, %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x1x2x2xf32>, tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  %c2 = graph.le %x, %z : tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32> -> tensor<1x1x4x4xi1>
  %r2 = graph.select %c2, %zero, %g2 : tensor<1x1x4x4xi1>, tensor<f32>, tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  %g3 = graph.max_pool2d_grad %dy, %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x1x2x2xf32>, tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  %c3 = graph.le %z, %zero : tensor<1x1x4x4xf32>, tensor<f32> -> tensor<1x1x4x4xi1>
  %r3 = graph.select %c3, %zero, %g3 : tensor<1x1x4x4xi1>, tensor<f32>, tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  %g4 = graph.max_pool2d_grad %dy, %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x1x2x2xf32>, tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  %c4 = graph.le %x, %zero : tensor<1x1x4x4xf32>, tensor<f32> -> tensor<1x1x4x4xi1>
  %r4 = graph.select %c4, %zero, %g4 : tensor<1x1x4x4xi1>, tensor<f32>, tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  %zeros = graph.constant dense<0.0> : tensor<1x1x4x4xf32>
  %g5 = graph.max_pool2d_grad %dy, %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x1x2x2xf32>, tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  %c5 = graph.le %x, %zero : tensor<1x1x4x4xf32>, tensor<f32> -> tensor<1x1x4x4xi1>
  %r5 = graph.select %c5, %zeros, %g5 : tensor<1x1x4x4xi1>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  %g6 = graph.max_pool2d_grad %dy, %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x1x2x2xf32>, tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  %late = graph.reduce_max %dy {dims = array<i64: 0, 1, 2, 3>} : tensor<1x1x2x2xf32> -> tensor<f32>
  %c6 = graph.le %x, %late : tensor<1x1x4x4xf32>, tensor<f32> -> tensor<1x1x4x4xi1>
  %r6 = graph.select %c6, %zero, %g6 : tensor<1x1x4x4xi1>, tensor<f32>, tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  return %r1, %r2, %r3, %r4, %g4, %r5, %r6 : tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>
}
