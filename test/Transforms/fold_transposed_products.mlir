// RUN: graphc-opt %s --split-input-file --graphc-fold-transposed-products | FileCheck %s

// Tests that a weight gradient as autodiff writes it, the transpose of
// x^T . dy, becomes dy^T . x: the input's transpose and the result's cancel
// and one transpose of dy is left.
// CHECK-LABEL: func.func @weight_gradient
// CHECK-SAME: (%[[X:.*]]: tensor<?x784xf32>, %[[DY:.*]]: tensor<?x128xf32>)
// CHECK: %[[DYT:.*]] = graph.transpose %[[DY]] {permutation = array<i64: 1, 0>} : tensor<?x128xf32> -> tensor<128x?xf32>
// CHECK: %[[DW:.*]] = graph.matmul %[[DYT]], %[[X]] : tensor<128x?xf32>, tensor<?x784xf32> -> tensor<128x784xf32>
// CHECK-NOT: graph.transpose
// CHECK: return %[[DW]]
func.func @weight_gradient(%x: tensor<?x784xf32>, %dy: tensor<?x128xf32>) -> tensor<128x784xf32> {
  %xt = graph.transpose %x {permutation = array<i64: 1, 0>} : tensor<?x784xf32> -> tensor<784x?xf32>
  %p = graph.matmul %xt, %dy : tensor<784x?xf32>, tensor<?x128xf32> -> tensor<784x128xf32>
  %dw = graph.transpose %p {permutation = array<i64: 1, 0>} : tensor<784x128xf32> -> tensor<128x784xf32>
  return %dw : tensor<128x784xf32>
}

// -----

// Tests a batched product (last two dimensions swapped, the batch kept):
// both operands are plain tensors, so both get a transpose.
// CHECK-LABEL: func.func @batched
// CHECK-SAME: (%[[A:.*]]: tensor<2x3x4xf32>, %[[B:.*]]: tensor<2x4x5xf32>)
// CHECK-DAG: %[[BT:.*]] = graph.transpose %[[B]] {permutation = array<i64: 0, 2, 1>} : tensor<2x4x5xf32> -> tensor<2x5x4xf32>
// CHECK-DAG: %[[AT:.*]] = graph.transpose %[[A]] {permutation = array<i64: 0, 2, 1>} : tensor<2x3x4xf32> -> tensor<2x4x3xf32>
// CHECK: graph.matmul %[[BT]], %[[AT]] : tensor<2x5x4xf32>, tensor<2x4x3xf32> -> tensor<2x5x3xf32>
func.func @batched(%a: tensor<2x3x4xf32>, %b: tensor<2x4x5xf32>) -> tensor<2x5x3xf32> {
  %p = graph.matmul %a, %b : tensor<2x3x4xf32>, tensor<2x4x5xf32> -> tensor<2x3x5xf32>
  %t = graph.transpose %p {permutation = array<i64: 0, 2, 1>} : tensor<2x3x5xf32> -> tensor<2x5x3xf32>
  return %t : tensor<2x5x3xf32>
}

// -----

// Tests what stays: a product with another use (it would be computed
// twice), a shared rhs (its transpose would be a shared lhs), and a
// permutation that moves the batch dimension.
// CHECK-LABEL: func.func @kept
// CHECK: %[[P:.*]] = graph.matmul %arg0, %arg1
// CHECK: graph.transpose %[[P]] {permutation = array<i64: 1, 0>}
// CHECK: %[[Q:.*]] = graph.matmul %arg2, %arg1
// CHECK: graph.transpose %[[Q]] {permutation = array<i64: 0, 2, 1>}
// CHECK: %[[R:.*]] = graph.matmul %arg2, %arg1
// CHECK: graph.transpose %[[R]] {permutation = array<i64: 1, 0, 2>}
// CHECK-NEXT: return
func.func @kept(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>, %c: tensor<2x3x4xf32>) -> (tensor<3x5xf32>, tensor<5x3xf32>, tensor<2x5x3xf32>, tensor<3x2x5xf32>) {
  %p = graph.matmul %a, %b : tensor<3x4xf32>, tensor<4x5xf32> -> tensor<3x5xf32>
  %pt = graph.transpose %p {permutation = array<i64: 1, 0>} : tensor<3x5xf32> -> tensor<5x3xf32>
  %q = graph.matmul %c, %b : tensor<2x3x4xf32>, tensor<4x5xf32> -> tensor<2x3x5xf32>
  %qt = graph.transpose %q {permutation = array<i64: 0, 2, 1>} : tensor<2x3x5xf32> -> tensor<2x5x3xf32>
  %r = graph.matmul %c, %b : tensor<2x3x4xf32>, tensor<4x5xf32> -> tensor<2x3x5xf32>
  %rt = graph.transpose %r {permutation = array<i64: 1, 0, 2>} : tensor<2x3x5xf32> -> tensor<3x2x5xf32>
  return %p, %pt, %qt, %rt : tensor<3x5xf32>, tensor<5x3xf32>, tensor<2x5x3xf32>, tensor<3x2x5xf32>
}
