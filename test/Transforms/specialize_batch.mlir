// RUN: graphc-opt %s --graphc-specialize-batch="batch=8" | FileCheck %s
// RUN: graphc %s --batch=8 --emit=header | FileCheck %s --check-prefix=HEADER
// RUN: not graphc-opt %s --graphc-specialize-batch="batch=0" 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: not graphc %s --batch=4611686018427387904 --emit=header 2>&1 | FileCheck %s --check-prefix=HUGE
// RUN: graphc-opt %s --graphc-specialize-batch="function=broadcast_from_one batch=1" | FileCheck %s --check-prefix=BROADCAST1
// RUN: graphc %s --name=one --function=broadcast_from_one --batch=1 --emit=header | FileCheck %s --check-prefix=BROADCAST1-HEADER
// RUN: graphc-opt %s --graphc-specialize-batch="function=flatten batch=1" | FileCheck %s --check-prefix=FLATTEN1
// RUN: graphc-opt %s --graphc-specialize-batch="function=flatten batch=8" | FileCheck %s --check-prefix=FLATTEN8
// RUN: graphc-opt %s --graphc-specialize-batch="function=two_dynamic batch=8" | FileCheck %s --check-prefix=TWO8
// RUN: graphc-opt %s --graphc-specialize-batch="function=concat_rows batch=8" | FileCheck %s --check-prefix=CONCAT8
// RUN: graphc-opt %s --graphc-specialize-batch="function=declared_multiples batch=2" | FileCheck %s --check-prefix=DECLARED

// Tests that the dynamic batch becomes 8 through inferred types, a
// SameOperandsAndResultType op, a reshape and a broadcast_to with `like`.
// CHECK-LABEL: func.func @forward
// CHECK-SAME: (%[[X:.*]]: tensor<8x2x3xf32> {graph.name = "x"}, %{{.*}}: tensor<6x4xf32> {graph.name = "w"}) -> tensor<8x4xf32>
// CHECK: graph.reshape %[[X]] : tensor<8x2x3xf32> -> tensor<8x6xf32>
// CHECK: graph.matmul {{.*}} -> tensor<8x4xf32>
// CHECK: graph.relu %{{.*}} : tensor<8x4xf32>
// CHECK: graph.broadcast_to %{{.*}} like %{{.*}} : tensor<f32>, tensor<8x4xf32> -> tensor<8x4xf32>
// HEADER: {"x", 0, 3, {8, 2, 3}, 0},
// ZERO: --batch must be at least 1 and at most 2^40, got 0
// HUGE: --batch must be at least 1 and at most 2^40, got 4611686018427387904
func.func @forward(%x: tensor<?x2x3xf32> {graph.name = "x"}, %w: tensor<6x4xf32> {graph.name = "w"}) -> tensor<?x4xf32> {
  %0 = graph.reshape %x : tensor<?x2x3xf32> -> tensor<?x6xf32>
  %1 = graph.matmul %0, %w : tensor<?x6xf32>, tensor<6x4xf32> -> tensor<?x4xf32>
  %2 = graph.relu %1 : tensor<?x4xf32>
  %c = graph.constant dense<1.0> : tensor<f32>
  %3 = graph.broadcast_to %c like %2 : tensor<f32>, tensor<?x4xf32> -> tensor<?x4xf32>
  %4 = graph.add %2, %3 : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  return %4 : tensor<?x4xf32>
}

// Tests that at batch 1 a size an operand made static 1 does not stay
// dynamic in the result: broadcasting [B, 1] to [B, 10] gives [1, 10] (the
// driver refused this program with --batch=1 alone).
// BROADCAST1-LABEL: func.func @broadcast_from_one
// BROADCAST1-SAME: (%[[X:.*]]: tensor<1x1xf32> {graph.name = "x"}) -> tensor<1x10xf32>
// BROADCAST1: graph.broadcast_to %[[X]] : tensor<1x1xf32> -> tensor<1x10xf32>
// BROADCAST1-HEADER: static const graphc_model_tensor_info one_broadcast_from_one_arguments[] = {
// BROADCAST1-HEADER-NEXT: {"x", 0, 2, {1, 1}, 0}, /* [1, 1] */
// BROADCAST1-HEADER: static const graphc_model_tensor_info one_broadcast_from_one_results[] = {
// BROADCAST1-HEADER-NEXT: {"result #0", 0, 2, {1, 10}, 0}, /* [1, 10] */
func.func @broadcast_from_one(%x: tensor<?x1xf32> {graph.name = "x"}) -> tensor<?x10xf32> {
  %0 = graph.broadcast_to %x : tensor<?x1xf32> -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// Tests that a flattened [B, 3] has 3B elements: 3 at batch 1 and 24 at
// batch 8.
// FLATTEN1-LABEL: func.func @flatten
// FLATTEN1-SAME: (%[[X:.*]]: tensor<1x3xf32> {graph.name = "x"}) -> tensor<3xf32>
// FLATTEN1: graph.reshape %[[X]] : tensor<1x3xf32> -> tensor<3xf32>
// FLATTEN8-LABEL: func.func @flatten
// FLATTEN8-SAME: (%[[X:.*]]: tensor<8x3xf32> {graph.name = "x"}) -> tensor<24xf32>
// FLATTEN8: graph.reshape %[[X]] : tensor<8x3xf32> -> tensor<24xf32>
func.func @flatten(%x: tensor<?x3xf32> {graph.name = "x"}) -> tensor<?xf32> {
  %0 = graph.reshape %x : tensor<?x3xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// Tests that both dynamic dimensions of an argument are the batch.
// TWO8-LABEL: func.func @two_dynamic
// TWO8-SAME: (%[[X:.*]]: tensor<8x8xf32> {graph.name = "x"}, %[[S:.*]]: tensor<f32> {graph.name = "s"}) -> tensor<2x8x8xf32>
// TWO8: %[[M:.*]] = graph.mul %[[X]], %[[S]] : tensor<8x8xf32>, tensor<f32> -> tensor<8x8xf32>
// TWO8: graph.broadcast_to %[[M]] : tensor<8x8xf32> -> tensor<2x8x8xf32>
func.func @two_dynamic(%x: tensor<?x?xf32> {graph.name = "x"}, %s: tensor<f32> {graph.name = "s"}) -> tensor<2x?x?xf32> {
  %0 = graph.mul %x, %s : tensor<?x?xf32>, tensor<f32> -> tensor<?x?xf32>
  %1 = graph.broadcast_to %0 : tensor<?x?xf32> -> tensor<2x?x?xf32>
  return %1 : tensor<2x?x?xf32>
}

// Tests that a concat of two [B, 3] along the batch has 2B rows.
// CONCAT8-LABEL: func.func @concat_rows
// CONCAT8-SAME: (%[[X:.*]]: tensor<8x3xf32> {graph.name = "x"}) -> tensor<16x3xf32>
// CONCAT8: graph.concat %[[X]], %[[X]] {dim = 0 : i64} : tensor<8x3xf32>, tensor<8x3xf32> -> tensor<16x3xf32>
func.func @concat_rows(%x: tensor<?x3xf32> {graph.name = "x"}) -> tensor<?x3xf32> {
  %0 = graph.concat %x, %x {dim = 0 : i64} : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// Tests that an argument declared 2B becomes 2N = 4 and loses its
// graph.batch_multiples, which a static dimension may not carry.
// DECLARED-LABEL: func.func @declared_multiples
// DECLARED-SAME: (%{{[^:]*}}: tensor<4x3xf32>) -> tensor<4x3xf32>
func.func @declared_multiples(%g: tensor<?x3xf32> {graph.batch_multiples = array<i64: 2, 0>}) -> tensor<?x3xf32> {
  %0 = graph.relu %g : tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
