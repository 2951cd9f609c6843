// RUN: graphc-opt %s --split-input-file --graphc-convert-graph-to-linalg | FileCheck %s

// Tests that a 2-D matmul becomes linalg.matmul accumulating into a
// zero-filled init whose dynamic rows come from the lhs.

// CHECK-LABEL: func.func @matmul_2d
// CHECK-SAME: (%[[X:.+]]: tensor<?x784xf32>, %[[W:.+]]: tensor<784x128xf32>)
func.func @matmul_2d(%x: tensor<?x784xf32>, %w: tensor<784x128xf32>) -> tensor<?x128xf32> {
  // CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
  // CHECK: %[[C0:.+]] = arith.constant 0 : index
  // CHECK: %[[M:.+]] = tensor.dim %[[X]], %[[C0]] : tensor<?x784xf32>
  // CHECK: %[[EMPTY:.+]] = tensor.empty(%[[M]]) : tensor<?x128xf32>
  // CHECK: %[[INIT:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<?x128xf32>)
  // CHECK: %[[MM:.+]] = linalg.matmul ins(%[[X]], %[[W]] : tensor<?x784xf32>, tensor<784x128xf32>)
  // CHECK-SAME: outs(%[[INIT]] : tensor<?x128xf32>)
  // CHECK: return %[[MM]]
  %0 = graph.matmul %x, %w : tensor<?x784xf32>, tensor<784x128xf32> -> tensor<?x128xf32>
  return %0 : tensor<?x128xf32>
}

// -----

// Tests that a batched matmul of f64 becomes linalg.batch_matmul.

// CHECK-LABEL: func.func @matmul_batched
// CHECK-SAME: (%[[A:.+]]: tensor<2x3x4xf64>, %[[B:.+]]: tensor<2x4x5xf64>)
func.func @matmul_batched(%a: tensor<2x3x4xf64>, %b: tensor<2x4x5xf64>) -> tensor<2x3x5xf64> {
  // CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f64
  // CHECK: %[[EMPTY:.+]] = tensor.empty() : tensor<2x3x5xf64>
  // CHECK: %[[INIT:.+]] = linalg.fill ins(%[[ZERO]] : f64) outs(%[[EMPTY]] : tensor<2x3x5xf64>)
  // CHECK: linalg.batch_matmul ins(%[[A]], %[[B]] : tensor<2x3x4xf64>, tensor<2x4x5xf64>)
  // CHECK-SAME: outs(%[[INIT]] : tensor<2x3x5xf64>)
  %0 = graph.matmul %a, %b : tensor<2x3x4xf64>, tensor<2x4x5xf64> -> tensor<2x3x5xf64>
  return %0 : tensor<2x3x5xf64>
}

// -----

// Tests that a batched matmul with a dynamic batch sizes its init from the lhs.

// CHECK-LABEL: func.func @matmul_batched_dynamic
// CHECK-SAME: (%[[A:.+]]: tensor<?x3x4xf32>, %[[B:.+]]: tensor<?x4x5xf32>)
func.func @matmul_batched_dynamic(%a: tensor<?x3x4xf32>, %b: tensor<?x4x5xf32>) -> tensor<?x3x5xf32> {
  // CHECK: %[[N:.+]] = tensor.dim %[[A]], %{{.+}} : tensor<?x3x4xf32>
  // CHECK: %[[EMPTY:.+]] = tensor.empty(%[[N]]) : tensor<?x3x5xf32>
  // CHECK: %[[INIT:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[EMPTY]] : tensor<?x3x5xf32>)
  // CHECK: linalg.batch_matmul ins(%[[A]], %[[B]] : tensor<?x3x4xf32>, tensor<?x4x5xf32>)
  // CHECK-SAME: outs(%[[INIT]] : tensor<?x3x5xf32>)
  %0 = graph.matmul %a, %b : tensor<?x3x4xf32>, tensor<?x4x5xf32> -> tensor<?x3x5xf32>
  return %0 : tensor<?x3x5xf32>
}

// -----

// Tests that [B,M,K] x [K,N] becomes a linalg.generic sharing the rhs across
// the batch: (b, m, n, k) with k a reduction, multiply-accumulate body.

// CHECK-DAG: #[[$LHS:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[$RHS:.+]] = affine_map<(d0, d1, d2, d3) -> (d3, d2)>
// CHECK-DAG: #[[$OUT:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @matmul_shared_rhs
// CHECK-SAME: (%[[A:.+]]: tensor<?x3x4xf32>, %[[B:.+]]: tensor<4x5xf32>)
func.func @matmul_shared_rhs(%a: tensor<?x3x4xf32>, %b: tensor<4x5xf32>) -> tensor<?x3x5xf32> {
  // CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
  // CHECK: %[[N:.+]] = tensor.dim %[[A]], %{{.+}} : tensor<?x3x4xf32>
  // CHECK: %[[EMPTY:.+]] = tensor.empty(%[[N]]) : tensor<?x3x5xf32>
  // CHECK: %[[INIT:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<?x3x5xf32>)
  // CHECK: linalg.generic {indexing_maps = [#[[$LHS]], #[[$RHS]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
  // CHECK-SAME: ins(%[[A]], %[[B]] : tensor<?x3x4xf32>, tensor<4x5xf32>) outs(%[[INIT]] : tensor<?x3x5xf32>)
  // CHECK: ^bb0(%[[L:.+]]: f32, %[[R:.+]]: f32, %[[ACC:.+]]: f32):
  // CHECK-NEXT: %[[P:.+]] = arith.mulf %[[L]], %[[R]] : f32
  // CHECK-NEXT: %[[S:.+]] = arith.addf %[[ACC]], %[[P]] : f32
  // CHECK-NEXT: linalg.yield %[[S]] : f32
  %0 = graph.matmul %a, %b : tensor<?x3x4xf32>, tensor<4x5xf32> -> tensor<?x3x5xf32>
  return %0 : tensor<?x3x5xf32>
}

// -----

// Tests that an unpadded, ungrouped conv2d is linalg.conv_2d_nchw_fchw on the
// input as is, accumulating into a zero-filled init with the dynamic batch.

// CHECK-LABEL: func.func @conv2d
// CHECK-SAME: (%[[X:.+]]: tensor<?x1x32x32xf32>, %[[W:.+]]: tensor<6x1x5x5xf32>)
func.func @conv2d(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) -> tensor<?x6x28x28xf32> {
  // CHECK-NOT: tensor.insert_slice
  // CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
  // CHECK: %[[N:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x1x32x32xf32>
  // CHECK: %[[EMPTY:.+]] = tensor.empty(%[[N]]) : tensor<?x6x28x28xf32>
  // CHECK: %[[INIT:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<?x6x28x28xf32>)
  // CHECK: %[[CONV:.+]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
  // CHECK-SAME: ins(%[[X]], %[[W]] : tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>) outs(%[[INIT]] : tensor<?x6x28x28xf32>)
  // CHECK: return %[[CONV]]
  %0 = graph.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>,
                            dilation = array<i64: 1, 1>, groups = 1 : i64}
      : tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32> -> tensor<?x6x28x28xf32>
  return %0 : tensor<?x6x28x28xf32>
}

// -----

// Tests that conv2d padding is a zero fill of the padded shape plus an
// insert_slice at the (pad_h, pad_w) offset, and that distinct h/w strides
// and dilations reach the named op.

// CHECK-LABEL: func.func @conv2d_padded
// CHECK-SAME: (%[[X:.+]]: tensor<?x3x8x8xf32>, %[[W:.+]]: tensor<4x3x3x3xf32>)
func.func @conv2d_padded(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<?x4x4x3xf32> {
  // CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
  // CHECK: %[[N:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x3x8x8xf32>
  // CHECK: %[[PEMPTY:.+]] = tensor.empty(%[[N]]) : tensor<?x3x10x12xf32>
  // CHECK: %[[PFILL:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[PEMPTY]] : tensor<?x3x10x12xf32>)
  // CHECK: %[[N2:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x3x8x8xf32>
  // CHECK: %[[PADDED:.+]] = tensor.insert_slice %[[X]] into %[[PFILL]][0, 0, 1, 2] [%[[N2]], 3, 8, 8] [1, 1, 1, 1]
  // CHECK-SAME: : tensor<?x3x8x8xf32> into tensor<?x3x10x12xf32>
  // CHECK: %[[N3:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x3x8x8xf32>
  // CHECK: %[[EMPTY:.+]] = tensor.empty(%[[N3]]) : tensor<?x4x4x3xf32>
  // CHECK: %[[INIT:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<?x4x4x3xf32>)
  // CHECK: linalg.conv_2d_nchw_fchw {dilations = dense<[1, 2]> : vector<2xi64>, strides = dense<[2, 3]> : vector<2xi64>}
  // CHECK-SAME: ins(%[[PADDED]], %[[W]] : tensor<?x3x10x12xf32>, tensor<4x3x3x3xf32>) outs(%[[INIT]] : tensor<?x4x4x3xf32>)
  %0 = graph.conv2d %x, %w {stride = array<i64: 2, 3>, padding = array<i64: 1, 2>,
                            dilation = array<i64: 1, 2>, groups = 1 : i64}
      : tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<?x4x4x3xf32>
  return %0 : tensor<?x4x4x3xf32>
}

// -----

// Tests that a grouped conv2d splits the input channels into [groups, C/groups]
// and the output channels of the weight into [groups, O/groups], runs
// linalg.conv_2d_ngchw_gfchw, and merges the output channels back.

// CHECK-LABEL: func.func @conv2d_grouped
// CHECK-SAME: (%[[X:.+]]: tensor<?x4x32x32xf32>, %[[W:.+]]: tensor<8x2x3x3xf32>)
func.func @conv2d_grouped(%x: tensor<?x4x32x32xf32>, %w: tensor<8x2x3x3xf32>) -> tensor<?x8x16x16xf32> {
  // CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
  // CHECK: %[[PFILL:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.+}} : tensor<?x4x34x34xf32>)
  // CHECK: %[[PADDED:.+]] = tensor.insert_slice %[[X]] into %[[PFILL]][0, 0, 1, 1] [%{{.+}}, 4, 32, 32] [1, 1, 1, 1]
  // CHECK: %[[N:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x4x32x32xf32>
  // CHECK: %[[GX:.+]] = tensor.expand_shape %[[PADDED]] {{\[}}[0], [1, 2], [3], [4]] output_shape [%[[N]], 2, 2, 34, 34]
  // CHECK-SAME: : tensor<?x4x34x34xf32> into tensor<?x2x2x34x34xf32>
  // CHECK: %[[GW:.+]] = tensor.expand_shape %[[W]] {{\[}}[0, 1], [2], [3], [4]] output_shape [2, 4, 2, 3, 3]
  // CHECK-SAME: : tensor<8x2x3x3xf32> into tensor<2x4x2x3x3xf32>
  // CHECK: %[[EMPTY:.+]] = tensor.empty(%{{.+}}) : tensor<?x2x4x16x16xf32>
  // CHECK: %[[INIT:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<?x2x4x16x16xf32>)
  // CHECK: %[[CONV:.+]] = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
  // CHECK-SAME: ins(%[[GX]], %[[GW]] : tensor<?x2x2x34x34xf32>, tensor<2x4x2x3x3xf32>) outs(%[[INIT]] : tensor<?x2x4x16x16xf32>)
  // CHECK: %[[OUT:.+]] = tensor.collapse_shape %[[CONV]] {{\[}}[0], [1, 2], [3], [4]]
  // CHECK-SAME: : tensor<?x2x4x16x16xf32> into tensor<?x8x16x16xf32>
  // CHECK: return %[[OUT]]
  %0 = graph.conv2d %x, %w {stride = array<i64: 2, 2>, padding = array<i64: 1, 1>,
                            dilation = array<i64: 1, 1>, groups = 2 : i64}
      : tensor<?x4x32x32xf32>, tensor<8x2x3x3xf32> -> tensor<?x8x16x16xf32>
  return %0 : tensor<?x8x16x16xf32>
}

// -----

// Tests that a static depthwise conv2d (groups = channels) of f64 needs no
// padding and no dynamic sizes.

// CHECK-LABEL: func.func @conv2d_depthwise
// CHECK-SAME: (%[[X:.+]]: tensor<2x4x8x8xf64>, %[[W:.+]]: tensor<4x1x3x3xf64>)
func.func @conv2d_depthwise(%x: tensor<2x4x8x8xf64>, %w: tensor<4x1x3x3xf64>) -> tensor<2x4x6x6xf64> {
  // CHECK-NOT: tensor.insert_slice
  // CHECK: %[[GX:.+]] = tensor.expand_shape %[[X]] {{\[}}[0], [1, 2], [3], [4]] output_shape [2, 4, 1, 8, 8]
  // CHECK: %[[GW:.+]] = tensor.expand_shape %[[W]] {{\[}}[0, 1], [2], [3], [4]] output_shape [4, 1, 1, 3, 3]
  // CHECK: %[[INIT:.+]] = linalg.fill ins(%{{.+}} : f64) outs(%{{.+}} : tensor<2x4x1x6x6xf64>)
  // CHECK: %[[CONV:.+]] = linalg.conv_2d_ngchw_gfchw
  // CHECK-SAME: ins(%[[GX]], %[[GW]] : tensor<2x4x1x8x8xf64>, tensor<4x1x1x3x3xf64>) outs(%[[INIT]] : tensor<2x4x1x6x6xf64>)
  // CHECK: tensor.collapse_shape %[[CONV]] {{\[}}[0], [1, 2], [3], [4]] : tensor<2x4x1x6x6xf64> into tensor<2x4x6x6xf64>
  %0 = graph.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>,
                            dilation = array<i64: 1, 1>, groups = 4 : i64}
      : tensor<2x4x8x8xf64>, tensor<4x1x3x3xf64> -> tensor<2x4x6x6xf64>
  return %0 : tensor<2x4x6x6xf64>
}
