// RUN: graphc-opt %s --split-input-file --graphc-convert-graph-to-linalg | FileCheck %s

// Tests that a max_pool2d with non-overlapping, unpadded windows (2x2/2) is
// one strided slice of the input per window position, (0,0), (0,1), (1,0),
// (1,1), and an elementwise maximum over them in that order, starting from
// -inf, PyTorch's way (`x > max || isnan(x)` takes x), with the dynamic batch.

// CHECK-LABEL: func.func @max_pool2d
// CHECK-SAME: (%[[X:.+]]: tensor<?x6x28x28xf32>)
func.func @max_pool2d(%x: tensor<?x6x28x28xf32>) -> tensor<?x6x14x14xf32> {
  // CHECK: %[[NEG_INF:.+]] = arith.constant 0xFF800000 : f32
  // CHECK: %[[N:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x6x28x28xf32>
  // CHECK: %[[W00:.+]] = tensor.extract_slice %[[X]][0, 0, 0, 0] [%{{.+}}, 6, 14, 14] [1, 1, 2, 2]
  // CHECK: %[[W01:.+]] = tensor.extract_slice %[[X]][0, 0, 0, 1] [%{{.+}}, 6, 14, 14] [1, 1, 2, 2]
  // CHECK: %[[W10:.+]] = tensor.extract_slice %[[X]][0, 0, 1, 0] [%{{.+}}, 6, 14, 14] [1, 1, 2, 2]
  // CHECK: %[[W11:.+]] = tensor.extract_slice %[[X]][0, 0, 1, 1] [%{{.+}}, 6, 14, 14] [1, 1, 2, 2]
  // CHECK: %[[POOL:.+]] = linalg.generic
  // CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "parallel"]
  // CHECK-SAME: ins(%[[W00]], %[[W01]], %[[W10]], %[[W11]] :
  // CHECK: ^bb0(%[[A:.+]]: f32, %[[B:.+]]: f32, %[[C:.+]]: f32, %[[D:.+]]: f32, %{{.+}}: f32):
  // CHECK: %[[GT:.+]] = arith.cmpf ogt, %[[A]], %[[NEG_INF]] : f32
  // CHECK: %[[NAN:.+]] = arith.cmpf uno, %[[A]], %[[A]] : f32
  // CHECK: %[[TAKE:.+]] = arith.ori %[[GT]], %[[NAN]] : i1
  // CHECK: %[[MAX:.+]] = arith.select %[[TAKE]], %[[A]], %[[NEG_INF]] : f32
  // CHECK: arith.cmpf ogt, %[[B]], %[[MAX]] : f32
  // CHECK: arith.cmpf ogt, %[[C]],
  // CHECK: arith.cmpf ogt, %[[D]],
  // CHECK: linalg.yield
  // CHECK: return %[[POOL]]
  %0 = graph.max_pool2d %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>,
                            padding = array<i64: 0, 0>} : tensor<?x6x28x28xf32> -> tensor<?x6x14x14xf32>
  return %0 : tensor<?x6x14x14xf32>
}

// -----

// Tests that max_pool2d pads with -inf (not zero), so padding never wins the
// maximum, here for f64.

// CHECK-LABEL: func.func @max_pool2d_padded
// CHECK-SAME: (%[[X:.+]]: tensor<1x2x5x5xf64>)
func.func @max_pool2d_padded(%x: tensor<1x2x5x5xf64>) -> tensor<1x2x3x3xf64> {
  // CHECK: %[[NEG_INF:.+]] = arith.constant 0xFFF0000000000000 : f64
  // CHECK: %[[PEMPTY:.+]] = tensor.empty() : tensor<1x2x7x7xf64>
  // CHECK: %[[PFILL:.+]] = linalg.fill ins(%[[NEG_INF]] : f64) outs(%[[PEMPTY]] : tensor<1x2x7x7xf64>)
  // CHECK: %[[PADDED:.+]] = tensor.insert_slice %[[X]] into %[[PFILL]][0, 0, 1, 1] [1, 2, 5, 5] [1, 1, 1, 1]
  // CHECK: %[[INIT:.+]] = linalg.fill ins(%[[NEG_INF]] : f64) outs(%{{.+}} : tensor<1x2x3x3xf64>)
  // CHECK: %[[WINDOW:.+]] = tensor.empty() : tensor<3x3xf64>
  // CHECK: linalg.pooling_nchw_max {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
  // CHECK-SAME: ins(%[[PADDED]], %[[WINDOW]] : tensor<1x2x7x7xf64>, tensor<3x3xf64>) outs(%[[INIT]] : tensor<1x2x3x3xf64>)
  %0 = graph.max_pool2d %x {kernel_size = array<i64: 3, 3>, stride = array<i64: 2, 2>,
                            padding = array<i64: 1, 1>} : tensor<1x2x5x5xf64> -> tensor<1x2x3x3xf64>
  return %0 : tensor<1x2x3x3xf64>
}

// -----

// Tests that avg_pool2d zero-pads, sums with linalg.pooling_nchw_sum and then
// divides every window by its full size (count_include_pad): 3x3 = 9.

// CHECK-DAG: #[[$ID:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @avg_pool2d
// CHECK-SAME: (%[[X:.+]]: tensor<?x8x8x8xf32>)
func.func @avg_pool2d(%x: tensor<?x8x8x8xf32>) -> tensor<?x8x8x8xf32> {
  // CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
  // CHECK: %[[PFILL:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.+}} : tensor<?x8x10x10xf32>)
  // CHECK: %[[PADDED:.+]] = tensor.insert_slice %[[X]] into %[[PFILL]][0, 0, 1, 1] [%{{.+}}, 8, 8, 8] [1, 1, 1, 1]
  // CHECK: %[[N:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x8x8x8xf32>
  // CHECK: %[[EMPTY:.+]] = tensor.empty(%[[N]]) : tensor<?x8x8x8xf32>
  // CHECK: %[[INIT:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<?x8x8x8xf32>)
  // CHECK: %[[WINDOW:.+]] = tensor.empty() : tensor<3x3xf32>
  // CHECK: %[[SUMS:.+]] = linalg.pooling_nchw_sum {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
  // CHECK-SAME: ins(%[[PADDED]], %[[WINDOW]] : tensor<?x8x10x10xf32>, tensor<3x3xf32>) outs(%[[INIT]] : tensor<?x8x8x8xf32>)
  // CHECK: %[[COUNT:.+]] = arith.constant 9.000000e+00 : f32
  // CHECK: %[[AVG:.+]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ID]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
  // CHECK-SAME: ins(%[[SUMS]] : tensor<?x8x8x8xf32>)
  // CHECK: ^bb0(%[[IN:.+]]: f32, %{{.+}}: f32):
  // CHECK-NEXT: %[[Q:.+]] = arith.divf %[[IN]], %[[COUNT]] : f32
  // CHECK-NEXT: linalg.yield %[[Q]] : f32
  // CHECK: return %[[AVG]]
  %0 = graph.avg_pool2d %x {kernel_size = array<i64: 3, 3>, stride = array<i64: 1, 1>,
                            padding = array<i64: 1, 1>} : tensor<?x8x8x8xf32> -> tensor<?x8x8x8xf32>
  return %0 : tensor<?x8x8x8xf32>
}

// -----

// Tests that a non-square avg_pool2d window with distinct strides divides by
// kh * kw (2 * 4 = 8) and does not pad.

// CHECK-LABEL: func.func @avg_pool2d_rectangular
// CHECK-SAME: (%[[X:.+]]: tensor<2x3x6x4xf32>)
func.func @avg_pool2d_rectangular(%x: tensor<2x3x6x4xf32>) -> tensor<2x3x3x1xf32> {
  // CHECK-NOT: tensor.insert_slice
  // CHECK: %[[WINDOW:.+]] = tensor.empty() : tensor<2x4xf32>
  // CHECK: %[[SUMS:.+]] = linalg.pooling_nchw_sum {dilations = dense<1> : vector<2xi64>, strides = dense<[2, 1]> : vector<2xi64>}
  // CHECK-SAME: ins(%[[X]], %[[WINDOW]] : tensor<2x3x6x4xf32>, tensor<2x4xf32>)
  // CHECK: %[[COUNT:.+]] = arith.constant 8.000000e+00 : f32
  // CHECK: linalg.generic
  // CHECK-SAME: ins(%[[SUMS]] : tensor<2x3x3x1xf32>)
  // CHECK: arith.divf %{{.+}}, %[[COUNT]] : f32
  %0 = graph.avg_pool2d %x {kernel_size = array<i64: 2, 4>, stride = array<i64: 2, 1>,
                            padding = array<i64: 0, 0>} : tensor<2x3x6x4xf32> -> tensor<2x3x3x1xf32>
  return %0 : tensor<2x3x3x1xf32>
}

// -----

// Tests that the gradient of a max_pool2d whose windows do not overlap and
// tile the input (2x2/2 on 28x28) is one generic over the windows: the four
// window slices of the input and dy in, one strided slice of the result per
// window position out, each window's maximum from -inf found in (0,0),
// (0,1), (1,0), (1,1) order by the forward pass's rule (`x > max || isnan(x)`
// takes over), and the outputs inserted back at the same strided positions;
// no argmax tensor.

// CHECK-LABEL: func.func @max_pool2d_grad
// CHECK-SAME: (%[[DY:.+]]: tensor<?x6x14x14xf32>, %[[X:.+]]: tensor<?x6x28x28xf32>)
func.func @max_pool2d_grad(%dy: tensor<?x6x14x14xf32>, %x: tensor<?x6x28x28xf32>) -> tensor<?x6x28x28xf32> {
  // CHECK: %[[DX:.+]] = tensor.empty(%{{.+}}) : tensor<?x6x28x28xf32>
  // CHECK: %[[X00:.+]] = tensor.extract_slice %[[X]][0, 0, 0, 0] [%{{.+}}, 6, 14, 14] [1, 1, 2, 2]
  // CHECK: %[[O00:.+]] = tensor.extract_slice %[[DX]][0, 0, 0, 0] [%{{.+}}, 6, 14, 14] [1, 1, 2, 2]
  // CHECK: tensor.extract_slice %[[X]][0, 0, 1, 1] [%{{.+}}, 6, 14, 14] [1, 1, 2, 2]
  // CHECK: %[[G:.+]]:4 = linalg.generic
  // CHECK-SAME: ins(%[[X00]], %{{.+}}, %{{.+}}, %{{.+}}, %[[DY]] :
  // CHECK-SAME: outs(%[[O00]], %{{.+}}, %{{.+}}, %{{.+}} :
  // CHECK: ^bb0(%[[A:[^:]+]]: f32,
  // CHECK: %[[GT:.+]] = arith.cmpf ogt, %[[A]], %{{.+}} : f32
  // CHECK: %[[NAN:.+]] = arith.cmpf uno, %[[A]], %[[A]] : f32
  // CHECK: arith.ori %[[GT]], %[[NAN]] : i1
  // CHECK: arith.cmpi eq
  // CHECK: linalg.yield %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} : f32, f32, f32, f32
  // CHECK: %[[I0:.+]] = tensor.insert_slice %[[G]]#0 into %[[DX]][0, 0, 0, 0] [%{{.+}}, 6, 14, 14] [1, 1, 2, 2]
  // CHECK: %[[I1:.+]] = tensor.insert_slice %[[G]]#1 into %[[I0]][0, 0, 0, 1]
  // CHECK: %[[I2:.+]] = tensor.insert_slice %[[G]]#2 into %[[I1]][0, 0, 1, 0]
  // CHECK: %[[I3:.+]] = tensor.insert_slice %[[G]]#3 into %[[I2]][0, 0, 1, 1]
  // CHECK: return %[[I3]]
  %0 = graph.max_pool2d_grad %dy, %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>,
                                      padding = array<i64: 0, 0>} : tensor<?x6x14x14xf32>, tensor<?x6x28x28xf32> -> tensor<?x6x28x28xf32>
  return %0 : tensor<?x6x28x28xf32>
}
