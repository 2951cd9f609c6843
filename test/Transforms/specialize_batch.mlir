// RUN: graphc-opt %s --graphc-specialize-batch="batch=8" | FileCheck %s
// RUN: graphc %s --batch=8 --emit=header | FileCheck %s --check-prefix=HEADER
// RUN: not graphc-opt %s --graphc-specialize-batch="batch=0" 2>&1 | FileCheck %s --check-prefix=ZERO

// Tests that the dynamic batch becomes 8 through inferred types, a
// SameOperandsAndResultType op, a reshape and a broadcast_to with `like`.
// CHECK-LABEL: func.func @forward
// CHECK-SAME: (%[[X:.*]]: tensor<8x2x3xf32> {graph.name = "x"}, %{{.*}}: tensor<6x4xf32> {graph.name = "w"}) -> tensor<8x4xf32>
// CHECK: graph.reshape %[[X]] : tensor<8x2x3xf32> -> tensor<8x6xf32>
// CHECK: graph.matmul {{.*}} -> tensor<8x4xf32>
// CHECK: graph.relu %{{.*}} : tensor<8x4xf32>
// CHECK: graph.broadcast_to %{{.*}} like %{{.*}} : tensor<f32>, tensor<8x4xf32> -> tensor<8x4xf32>
// HEADER: {"x", 0, 3, {8, 2, 3}, 0},
// ZERO: --batch must be at least 1, got 0
func.func @forward(%x: tensor<?x2x3xf32> {graph.name = "x"}, %w: tensor<6x4xf32> {graph.name = "w"}) -> tensor<?x4xf32> {
  %0 = graph.reshape %x : tensor<?x2x3xf32> -> tensor<?x6xf32>
  %1 = graph.matmul %0, %w : tensor<?x6xf32>, tensor<6x4xf32> -> tensor<?x4xf32>
  %2 = graph.relu %1 : tensor<?x4xf32>
  %c = graph.constant dense<1.0> : tensor<f32>
  %3 = graph.broadcast_to %c like %2 : tensor<f32>, tensor<?x4xf32> -> tensor<?x4xf32>
  %4 = graph.add %2, %3 : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  return %4 : tensor<?x4xf32>
}
