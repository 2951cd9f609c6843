// RUN: graphc-opt %s --split-input-file --graphc-convert-graph-to-linalg | FileCheck %s

// Tests that reduce_sum over several dims is one linalg.reduce with addf into
// a zero-filled init that keeps the dynamic batch.

// CHECK-LABEL: func.func @reduce_sum
// CHECK-SAME: (%[[X:.+]]: tensor<?x3x4xf32>)
func.func @reduce_sum(%x: tensor<?x3x4xf32>) -> tensor<?xf32> {
  // CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
  // CHECK: %[[C0:.+]] = arith.constant 0 : index
  // CHECK: %[[N:.+]] = tensor.dim %[[X]], %[[C0]] : tensor<?x3x4xf32>
  // CHECK: %[[EMPTY:.+]] = tensor.empty(%[[N]]) : tensor<?xf32>
  // CHECK: %[[INIT:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<?xf32>)
  // CHECK: %[[R:.+]] = linalg.reduce ins(%[[X]] : tensor<?x3x4xf32>) outs(%[[INIT]] : tensor<?xf32>) dimensions = [1, 2]
  // CHECK-NEXT: (%[[IN:.+]]: f32, %[[ACC:.+]]: f32) {
  // CHECK-NEXT: %[[S:.+]] = arith.addf %[[IN]], %[[ACC]] : f32
  // CHECK-NEXT: linalg.yield %[[S]] : f32
  // CHECK-NOT: tensor.expand_shape
  // CHECK: return %[[R]]
  %0 = graph.reduce_sum %x {dims = array<i64: 1, 2>} : tensor<?x3x4xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// Tests that an integer reduce_sum with keepdim uses addi and puts the
// reduced middle dim back with an expand_shape grouping it with the dim before.

// CHECK-LABEL: func.func @reduce_sum_int_keepdim
// CHECK-SAME: (%[[X:.+]]: tensor<2x3x4xi64>)
func.func @reduce_sum_int_keepdim(%x: tensor<2x3x4xi64>) -> tensor<2x1x4xi64> {
  // CHECK: %[[ZERO:.+]] = arith.constant 0 : i64
  // CHECK: %[[INIT:.+]] = linalg.fill ins(%[[ZERO]] : i64) outs(%{{.+}} : tensor<2x4xi64>)
  // CHECK: %[[R:.+]] = linalg.reduce ins(%[[X]] : tensor<2x3x4xi64>) outs(%[[INIT]] : tensor<2x4xi64>) dimensions = [1]
  // CHECK: arith.addi %{{.+}}, %{{.+}} : i64
  // CHECK: %[[E:.+]] = tensor.expand_shape %[[R]] {{\[}}[0, 1], [2]] output_shape [2, 1, 4]
  // CHECK-SAME: : tensor<2x4xi64> into tensor<2x1x4xi64>
  // CHECK: return %[[E]]
  %0 = graph.reduce_sum %x {dims = array<i64: 1>, keepdim = true} : tensor<2x3x4xi64> -> tensor<2x1x4xi64>
  return %0 : tensor<2x1x4xi64>
}

// -----

// Tests that reduce_mean over a negative (last) static dim divides the sum by
// the constant count, then keeps the dim, reading the batch from the input.

// CHECK-DAG: #[[$ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @reduce_mean_keepdim
// CHECK-SAME: (%[[X:.+]]: tensor<?x3x4xf32>)
func.func @reduce_mean_keepdim(%x: tensor<?x3x4xf32>) -> tensor<?x3x1xf32> {
  // CHECK: %[[R:.+]] = linalg.reduce ins(%[[X]] : tensor<?x3x4xf32>) outs(%{{.+}} : tensor<?x3xf32>) dimensions = [2]
  // CHECK: arith.addf
  // CHECK: %[[COUNT:.+]] = arith.constant 4.000000e+00 : f32
  // CHECK: %[[MEAN:.+]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ID]]], iterator_types = ["parallel", "parallel"]}
  // CHECK-SAME: ins(%[[R]] : tensor<?x3xf32>)
  // CHECK: ^bb0(%[[IN:.+]]: f32, %{{.+}}: f32):
  // CHECK-NEXT: arith.divf %[[IN]], %[[COUNT]] : f32
  // CHECK: %[[N:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x3x4xf32>
  // CHECK: %[[E:.+]] = tensor.expand_shape %[[MEAN]] {{\[}}[0], [1, 2]] output_shape [%[[N]], 3, 1]
  // CHECK-SAME: : tensor<?x3xf32> into tensor<?x3x1xf32>
  // CHECK: return %[[E]]
  %0 = graph.reduce_mean %x {dims = array<i64: -1>, keepdim = true} : tensor<?x3x4xf32> -> tensor<?x3x1xf32>
  return %0 : tensor<?x3x1xf32>
}

// -----

// Tests that reduce_mean over the dynamic batch divides by its run-time size:
// tensor.dim, index_cast, sitofp, times the static count.

// CHECK-LABEL: func.func @reduce_mean_dynamic
// CHECK-SAME: (%[[X:.+]]: tensor<?x10xf64>)
func.func @reduce_mean_dynamic(%x: tensor<?x10xf64>) -> tensor<10xf64> {
  // CHECK: %[[EMPTY:.+]] = tensor.empty() : tensor<10xf64>
  // CHECK: %[[R:.+]] = linalg.reduce ins(%[[X]] : tensor<?x10xf64>) outs(%{{.+}} : tensor<10xf64>) dimensions = [0]
  // CHECK: arith.addf %{{.+}}, %{{.+}} : f64
  // CHECK: %[[C0:.+]] = arith.constant 0 : index
  // CHECK: %[[N:.+]] = tensor.dim %[[X]], %[[C0]] : tensor<?x10xf64>
  // CHECK: %[[STATIC:.+]] = arith.constant 1.000000e+00 : f64
  // CHECK: %[[NI:.+]] = arith.index_cast %[[N]] : index to i64
  // CHECK: %[[NF:.+]] = arith.sitofp %[[NI]] : i64 to f64
  // CHECK: %[[COUNT:.+]] = arith.mulf %[[STATIC]], %[[NF]] : f64
  // CHECK: linalg.generic
  // CHECK-SAME: ins(%[[R]] : tensor<10xf64>)
  // CHECK: ^bb0(%[[IN:.+]]: f64, %{{.+}}: f64):
  // CHECK-NEXT: arith.divf %[[IN]], %[[COUNT]] : f64
  %0 = graph.reduce_mean %x {dims = array<i64: 0>} : tensor<?x10xf64> -> tensor<10xf64>
  return %0 : tensor<10xf64>
}

// -----

// Tests that reduce_mean over every dim gives a rank-0 result whose count
// multiplies the static dims (3) by the dynamic one.

// CHECK-DAG: #[[$SCALAR:.+]] = affine_map<() -> ()>
// CHECK-LABEL: func.func @reduce_mean_all
// CHECK-SAME: (%[[X:.+]]: tensor<?x3xf32>)
func.func @reduce_mean_all(%x: tensor<?x3xf32>) -> tensor<f32> {
  // CHECK: %[[R:.+]] = linalg.reduce ins(%[[X]] : tensor<?x3xf32>) outs(%{{.+}} : tensor<f32>) dimensions = [0, 1]
  // CHECK: %[[N:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x3xf32>
  // CHECK: %[[STATIC:.+]] = arith.constant 3.000000e+00 : f32
  // CHECK: %[[NI:.+]] = arith.index_cast %[[N]] : index to i64
  // CHECK: %[[NF:.+]] = arith.sitofp %[[NI]] : i64 to f32
  // CHECK: %[[COUNT:.+]] = arith.mulf %[[STATIC]], %[[NF]] : f32
  // CHECK: linalg.generic {indexing_maps = [#[[$SCALAR]], #[[$SCALAR]]], iterator_types = []}
  // CHECK-SAME: ins(%[[R]] : tensor<f32>)
  // CHECK: arith.divf %{{.+}}, %[[COUNT]] : f32
  %0 = graph.reduce_mean %x {dims = array<i64: 0, 1>} : tensor<?x3xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Tests that reduce_max starts from -inf, combines with maximumf (NaN
// propagating) and keeps the trailing reduced dims in the batch's group.

// CHECK-LABEL: func.func @reduce_max_keepdim
// CHECK-SAME: (%[[X:.+]]: tensor<?x3x4xf32>)
func.func @reduce_max_keepdim(%x: tensor<?x3x4xf32>) -> tensor<?x1x1xf32> {
  // CHECK: %[[NEG_INF:.+]] = arith.constant 0xFF800000 : f32
  // CHECK: %[[INIT:.+]] = linalg.fill ins(%[[NEG_INF]] : f32) outs(%{{.+}} : tensor<?xf32>)
  // CHECK: %[[R:.+]] = linalg.reduce ins(%[[X]] : tensor<?x3x4xf32>) outs(%[[INIT]] : tensor<?xf32>) dimensions = [1, 2]
  // CHECK-NEXT: (%[[IN:.+]]: f32, %[[ACC:.+]]: f32) {
  // CHECK-NEXT: arith.maximumf %[[IN]], %[[ACC]] : f32
  // CHECK: %[[N:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x3x4xf32>
  // CHECK: tensor.expand_shape %[[R]] {{\[}}[0, 1, 2]] output_shape [%[[N]], 1, 1]
  // CHECK-SAME: : tensor<?xf32> into tensor<?x1x1xf32>
  %0 = graph.reduce_max %x {dims = array<i64: 1, 2>, keepdim = true} : tensor<?x3x4xf32> -> tensor<?x1x1xf32>
  return %0 : tensor<?x1x1xf32>
}

// -----

// Tests that an integer reduce_max starts from the signed minimum, uses maxsi,
// and that a leading reduced dim joins the first kept dim's group.

// CHECK-LABEL: func.func @reduce_max_int_leading
// CHECK-SAME: (%[[X:.+]]: tensor<5x?xi32>)
func.func @reduce_max_int_leading(%x: tensor<5x?xi32>) -> tensor<1x?xi32> {
  // CHECK: %[[MIN:.+]] = arith.constant -2147483648 : i32
  // CHECK: %[[N:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<5x?xi32>
  // CHECK: %[[EMPTY:.+]] = tensor.empty(%[[N]]) : tensor<?xi32>
  // CHECK: %[[INIT:.+]] = linalg.fill ins(%[[MIN]] : i32) outs(%[[EMPTY]] : tensor<?xi32>)
  // CHECK: %[[R:.+]] = linalg.reduce ins(%[[X]] : tensor<5x?xi32>) outs(%[[INIT]] : tensor<?xi32>) dimensions = [0]
  // CHECK: arith.maxsi %{{.+}}, %{{.+}} : i32
  // CHECK: %[[N2:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<5x?xi32>
  // CHECK: tensor.expand_shape %[[R]] {{\[}}[0, 1]] output_shape [1, %[[N2]]]
  // CHECK-SAME: : tensor<?xi32> into tensor<1x?xi32>
  %0 = graph.reduce_max %x {dims = array<i64: 0>, keepdim = true} : tensor<5x?xi32> -> tensor<1x?xi32>
  return %0 : tensor<1x?xi32>
}

// -----

// Tests that reducing every dim with keepdim expands the rank-0 result with
// an empty reassociation.

// CHECK-LABEL: func.func @reduce_max_all_keepdim
func.func @reduce_max_all_keepdim(%x: tensor<2x3xf32>) -> tensor<1x1xf32> {
  // CHECK: %[[R:.+]] = linalg.reduce ins(%{{.+}} : tensor<2x3xf32>) outs(%{{.+}} : tensor<f32>) dimensions = [0, 1]
  // CHECK: tensor.expand_shape %[[R]] [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
  %0 = graph.reduce_max %x {dims = array<i64: 0, 1>, keepdim = true} : tensor<2x3xf32> -> tensor<1x1xf32>
  return %0 : tensor<1x1xf32>
}
