// RUN: graphc-opt %s --graphc-convert-graph-to-linalg --canonicalize --cse --graphc-band-convolution-rows | FileCheck %s

// LeNet's conv2 input gradient: the 10 x 10 gradient padded by 4 rows and
// columns (rows of 14, data at flat positions [60, 196)), 14 x 14 flat
// output positions. Kernel row kh reads data only for positions
// [56 - 14*kh, 196 - 14*kh): five convolutions of one kernel row over 140
// positions each, in a loop over the images marked independent, each adding
// into its band of the image's output (zero filled before the loop).
// CHECK-LABEL: func.func @input_grad
// CHECK: %[[ZERO:.*]] = linalg.fill {{.*}} -> tensor<?x6x196xf32>
// CHECK: scf.for %[[N:.*]] = %{{.*}} iter_args(%[[OUT:.*]] = %[[ZERO]])
// CHECK: %[[IN0:.*]] = tensor.extract_slice %{{.*}}[%[[N]], 0, 56] [1, 16, 144]
// CHECK: %[[K0:.*]] = tensor.extract_slice %{{.*}}[0, 0, 0, 0] [6, 16, 1, 5]
// CHECK: %[[B0:.*]] = tensor.extract_slice %[[OUT]][%[[N]], 0, 56] [1, 6, 140]
// CHECK: %[[R0:.*]] = linalg.generic {{.*}} ins(%[[IN0]], %[[K0]] : {{.*}}) outs(%[[B0]] : tensor<1x6x140xf32>)
// CHECK: %[[O1:.*]] = tensor.insert_slice %[[R0]] into %[[OUT]][%[[N]], 0, 56] [1, 6, 140]
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 1, 0] [6, 16, 1, 5]
// CHECK: tensor.extract_slice %[[O1]][%[[N]], 0, 42] [1, 6, 140]
// CHECK: tensor.insert_slice {{.*}}[%[[N]], 0, 42] [1, 6, 140]
// CHECK: tensor.insert_slice {{.*}}[%[[N]], 0, 28] [1, 6, 140]
// CHECK: tensor.insert_slice {{.*}}[%[[N]], 0, 14] [1, 6, 140]
// CHECK: %[[LAST:.*]] = tensor.insert_slice {{.*}}[%[[N]], 0, 0] [1, 6, 140]
// CHECK: scf.yield %[[LAST]]
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
