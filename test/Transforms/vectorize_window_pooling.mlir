// RUN: graphc-opt %s --graphc-convert-graph-to-linalg --canonicalize --cse --graphc-vectorize-window-pooling --canonicalize --cse | FileCheck %s

// Tests that pooling over non-overlapping windows runs a row of windows at a
// time on vectors. LeNet's pool1 (2x2 over 28x28): per (n, c, oh) the two
// input rows loaded whole (28 lanes), each split into its even and odd
// columns by shuffles, the NaN-propagating maximum on vectors of 14 windows,
// one store per row of windows; the image loop independent; no window
// slices left.
// CHECK-LABEL: func.func @pool
// CHECK-NOT: tensor.extract_slice
// CHECK: scf.for %[[N:.*]] = %c0 to %{{.*}} step %c1
// CHECK: scf.for %[[C:.*]] = %c0 to %c6 step %c1
// CHECK: scf.for %[[OH:.*]] = %c0 to %c14 step %c1
// CHECK: %[[TOP:.*]] = vector.transfer_read %arg0[%[[N]], %[[C]], %{{.*}}, %c0]{{.*}} : tensor<?x6x28x28xf32>, vector<28xf32>
// CHECK: vector.shuffle %[[TOP]], %[[TOP]] [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26]
// CHECK: vector.shuffle %[[TOP]], %[[TOP]] [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27]
// CHECK: vector.transfer_read %arg0{{.*}} : tensor<?x6x28x28xf32>, vector<28xf32>
// CHECK: arith.cmpf uno, %{{.*}} : vector<14xf32>
// CHECK: arith.select %{{.*}} : vector<14xi1>, vector<14xf32>
// CHECK: vector.transfer_write %{{.*}}[%[[N]], %[[C]], %[[OH]], %c0] {{.*}} : vector<14xf32>, tensor<?x6x14x14xf32>
// CHECK: } {graph.independent_iterations}
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @pool(%x: tensor<?x6x28x28xf32>) -> tensor<?x6x14x14xf32> {
  %0 = graph.max_pool2d %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<?x6x28x28xf32> -> tensor<?x6x14x14xf32>
  return %0 : tensor<?x6x14x14xf32>
}

// The gradient: each window's first maximum on vectors, and its four
// results interleaved back into the two rows of the result and stored whole
// into one tensor (no slices, no inserts).
// CHECK-LABEL: func.func @pool_grad
// CHECK-NOT: tensor.extract_slice
// CHECK: scf.for
// CHECK: vector.transfer_read %arg1{{.*}} : tensor<?x6x28x28xf32>, vector<28xf32>
// CHECK: vector.transfer_read %arg0{{.*}} : tensor<?x6x14x14xf32>, vector<14xf32>
// CHECK: arith.select %{{.*}} : vector<14xi1>, vector<14xi32>
// CHECK: %[[ROW0:.*]] = vector.interleave %{{.*}}, %{{.*}} : vector<14xf32> -> vector<28xf32>
// CHECK: %[[W0:.*]] = vector.transfer_write %[[ROW0]], %{{.*}} : vector<28xf32>, tensor<?x6x28x28xf32>
// CHECK: %[[ROW1:.*]] = vector.interleave %{{.*}}, %{{.*}} : vector<14xf32> -> vector<28xf32>
// CHECK: vector.transfer_write %[[ROW1]], %[[W0]]{{.*}} : vector<28xf32>, tensor<?x6x28x28xf32>
// CHECK: } {graph.independent_iterations}
// CHECK-NOT: tensor.insert_slice
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @pool_grad(%dy: tensor<?x6x14x14xf32>, %x: tensor<?x6x28x28xf32>) -> tensor<?x6x28x28xf32> {
  %0 = graph.max_pool2d_grad %dy, %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<?x6x14x14xf32>, tensor<?x6x28x28xf32> -> tensor<?x6x28x28xf32>
  return %0 : tensor<?x6x28x28xf32>
}

// 37 windows a row: chunks of 16 windows (32 input lanes) in a loop, then
// the 5 left over.
// CHECK-LABEL: func.func @wide
// CHECK: scf.for %{{.*}} = %c0 to %c32 step %c16
// CHECK: vector.transfer_read {{.*}} : tensor<?x2x4x74xf32>, vector<32xf32>
// CHECK: vector.transfer_write {{.*}} : vector<16xf32>, tensor<?x2x2x37xf32>
// CHECK: vector.transfer_read %arg0[%{{.*}}, %{{.*}}, %{{.*}}, %c64]{{.*}} : tensor<?x2x4x74xf32>, vector<10xf32>
// CHECK: vector.transfer_write %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}, %c32] {{.*}} : vector<5xf32>, tensor<?x2x2x37xf32>
func.func @wide(%x: tensor<?x2x4x74xf32>) -> tensor<?x2x2x37xf32> {
  %0 = graph.max_pool2d %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<?x2x4x74xf32> -> tensor<?x2x2x37xf32>
  return %0 : tensor<?x2x2x37xf32>
}

// Three columns a window: three shuffles per input row, and each result row
// put together from three vectors (two concatenated, then one shuffle).
// CHECK-LABEL: func.func @grad_2x3
// CHECK: vector.shuffle %[[R:.*]], %[[R]] [0, 3, 6] : vector<9xf64>, vector<9xf64>
// CHECK: vector.shuffle %[[R]], %[[R]] [1, 4, 7] : vector<9xf64>, vector<9xf64>
// CHECK: vector.shuffle %[[R]], %[[R]] [2, 5, 8] : vector<9xf64>, vector<9xf64>
// CHECK: %[[PAIR:.*]] = vector.shuffle %{{.*}}, %{{.*}} [0, 1, 2, 3, 4, 5] : vector<3xf64>, vector<3xf64>
// CHECK: vector.shuffle %[[PAIR]], %{{.*}} [0, 3, 6, 1, 4, 7, 2, 5, 8] : vector<6xf64>, vector<3xf64>
func.func @grad_2x3(%dy: tensor<2x3x3x3xf64>, %x: tensor<2x3x6x9xf64>) -> tensor<2x3x6x9xf64> {
  %0 = graph.max_pool2d_grad %dy, %x {kernel_size = array<i64: 2, 3>, stride = array<i64: 2, 3>, padding = array<i64: 0, 0>} : tensor<2x3x3x3xf64>, tensor<2x3x6x9xf64> -> tensor<2x3x6x9xf64>
  return %0 : tensor<2x3x6x9xf64>
}

// Overlapping windows (3x3, stride 2) are not window slices: untouched.
// CHECK-LABEL: func.func @overlapping
// CHECK: linalg.pooling_nchw_max
// CHECK-NOT: vector.shuffle
func.func @overlapping(%x: tensor<?x2x9x9xf32>) -> tensor<?x2x4x4xf32> {
  %0 = graph.max_pool2d %x {kernel_size = array<i64: 3, 3>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<?x2x9x9xf32> -> tensor<?x2x4x4xf32>
  return %0 : tensor<?x2x4x4xf32>
}

// A stride-1 view (a 1x1 "window", as a convolution's output with its
// garbage columns sliced off) is not pooling: untouched.
// CHECK-LABEL: func.func @unit_view
// CHECK: linalg.generic
// CHECK-NOT: vector.transfer_read
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @unit_view(%x: tensor<?x6x28x32xf32>) -> tensor<?x6x28x28xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x6x28x32xf32>
  %view = tensor.extract_slice %x[0, 0, 0, 0] [%n, 6, 28, 28] [1, 1, 1, 1] : tensor<?x6x28x32xf32> to tensor<?x6x28x28xf32>
  %init = tensor.empty(%n) : tensor<?x6x28x28xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%view : tensor<?x6x28x28xf32>) outs(%init : tensor<?x6x28x28xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.negf %in : f32
    linalg.yield %r : f32
  } -> tensor<?x6x28x28xf32>
  return %0 : tensor<?x6x28x28xf32>
}
