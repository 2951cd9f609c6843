// RUN: graphc-opt %s --graphc-convert-graph-to-linalg --canonicalize --cse --graphc-band-convolution-rows | FileCheck %s

// LeNet's conv2 input gradient: the 10 x 10 gradient padded by 4 rows and
// columns (rows of 14, data at flat positions [60, 196)), 14 x 14 flat
// output positions. Kernel row kh reads data only for positions
// [56 - 14*kh, 196 - 14*kh), 140 each, all reading input positions
// [56, 200): in a loop over the images marked independent, one loop over the
// five kernel rows of a convolution with kernel row kh over its band, adding
// into the image's output (zero filled before the loop).
// CHECK-LABEL: func.func @input_grad
// CHECK: %[[ZERO:.*]] = linalg.fill {{.*}} -> tensor<?x6x196xf32>
// CHECK: scf.for %[[N:.*]] = %{{.*}} iter_args(%[[IMAGE:.*]] = %[[ZERO]])
// CHECK: scf.for %[[KH:.*]] = %c0{{.*}} to %c5{{.*}} step %c1{{.*}} iter_args(%[[OUT:.*]] = %[[IMAGE]])
// CHECK: %[[ROW:.*]] = arith.muli %[[KH]], %c14
// CHECK: %[[BEGIN:.*]] = arith.subi %c56, %[[ROW]]
// CHECK: %[[IN:.*]] = tensor.extract_slice %{{.*}}[%[[N]], 0, 56] [1, 16, 144]
// CHECK: %[[K:.*]] = tensor.extract_slice %{{.*}}[0, 0, %[[KH]], 0] [6, 16, 1, 5]
// CHECK: %[[BAND:.*]] = tensor.extract_slice %[[OUT]][%[[N]], 0, %[[BEGIN]]] [1, 6, 140]
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[IN]], %[[K]] : {{.*}}) outs(%[[BAND]] : tensor<1x6x140xf32>)
// CHECK: %[[NEXT:.*]] = tensor.insert_slice %[[SUM]] into %[[OUT]][%[[N]], 0, %[[BEGIN]]] [1, 6, 140]
// CHECK: scf.yield %[[NEXT]]
// CHECK: } {graph.independent_iterations}
func.func @input_grad(%dy: tensor<?x16x10x10xf32>, %w: tensor<16x6x5x5xf32>) -> tensor<?x6x14x14xf32> {
  %0 = graph.conv2d_input_grad %dy, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : tensor<?x16x10x10xf32>, tensor<16x6x5x5xf32> -> tensor<?x6x14x14xf32>
  return %0 : tensor<?x6x14x14xf32>
}

// LeNet's conv1 forward pass, padded by 2 on 28 x 28 rows: the bands would
// skip 4 % of the products and reread the output five times. Left whole.
// CHECK-LABEL: func.func @forward_padded
// CHECK-NOT: scf.for
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]
// CHECK-NOT: scf.for
// CHECK: return
func.func @forward_padded(%x: tensor<?x1x28x28xf32>, %w: tensor<6x1x5x5xf32>) -> tensor<?x6x28x28xf32> {
  %0 = graph.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 2, 2>, stride = array<i64: 1, 1>} : tensor<?x1x28x28xf32>, tensor<6x1x5x5xf32> -> tensor<?x6x28x28xf32>
  return %0 : tensor<?x6x28x28xf32>
}

// Without padding the input is a plain argument: nothing known to be zero.
// CHECK-LABEL: func.func @forward
// CHECK-NOT: scf.for
// CHECK: return
func.func @forward(%x: tensor<?x6x14x14xf32>, %w: tensor<16x6x5x5xf32>) -> tensor<?x16x10x10xf32> {
  %0 = graph.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : tensor<?x6x14x14xf32>, tensor<16x6x5x5xf32> -> tensor<?x16x10x10xf32>
  return %0 : tensor<?x16x10x10xf32>
}

// A 5 x 3 kernel with padding 1 on 9 x 8 images: the gradient, 7 x 8, padded
// by 3 rows and 1 column (rows of 9, data at [28, 90)), 81 output positions.
// The bands are clipped at both ends: kernel row 0 over [26, 81), rows 1 and
// 2 over 64 positions reading the same input (one loop), row 3 over
// [0, 63), row 4 over [0, 54).
// CHECK-LABEL: func.func @input_grad_clipped
// CHECK: scf.for %[[N:.*]] = %{{.*}} iter_args
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 0, 0] [3, 4, 1, 3]
// CHECK: tensor.insert_slice {{.*}}[%[[N]], 0, 26] [1, 3, 55]
// CHECK: scf.for %{{.*}} = %c1{{.*}} to %c3{{.*}} step
// CHECK: tensor.extract_slice %{{.*}}[%[[N]], 0, 26] [1, 4, 66]
// CHECK: tensor.insert_slice {{.*}} [1, 3, 64]
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 3, 0] [3, 4, 1, 3]
// CHECK: tensor.insert_slice {{.*}}[%[[N]], 0, 0] [1, 3, 63]
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 4, 0] [3, 4, 1, 3]
// CHECK: tensor.insert_slice {{.*}}[%[[N]], 0, 0] [1, 3, 54]
// CHECK: } {graph.independent_iterations}
func.func @input_grad_clipped(%dy: tensor<2x4x7x8xf64>, %w: tensor<4x3x5x3xf64>) -> tensor<2x3x9x8xf64> {
  %0 = graph.conv2d_input_grad %dy, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : tensor<2x4x7x8xf64>, tensor<4x3x5x3xf64> -> tensor<2x3x9x8xf64>
  return %0 : tensor<2x3x9x8xf64>
}
