// RUN: graphc-opt %s --split-input-file | graphc-opt --split-input-file | FileCheck %s

// Tests that every unary op round-trips.
// CHECK-LABEL: func @unary
func.func @unary(%x: tensor<?x3xf32>, %i: tensor<4xi32>) -> tensor<?x3xf32> {
  // CHECK: graph.neg %{{.*}} : tensor<?x3xf32>
  %0 = graph.neg %x : tensor<?x3xf32>
  // CHECK: graph.exp
  %1 = graph.exp %0 : tensor<?x3xf32>
  // CHECK: graph.log
  %2 = graph.log %1 : tensor<?x3xf32>
  // CHECK: graph.sqrt
  %3 = graph.sqrt %2 : tensor<?x3xf32>
  // CHECK: graph.rsqrt
  %4 = graph.rsqrt %3 : tensor<?x3xf32>
  // CHECK: graph.abs
  %5 = graph.abs %4 : tensor<?x3xf32>
  // CHECK: graph.relu
  %6 = graph.relu %5 : tensor<?x3xf32>
  // CHECK: graph.sigmoid
  %7 = graph.sigmoid %6 : tensor<?x3xf32>
  // CHECK: graph.tanh
  %8 = graph.tanh %7 : tensor<?x3xf32>
  // CHECK: graph.abs %{{.*}} : tensor<4xi32>
  %9 = graph.abs %i : tensor<4xi32>
  return %8 : tensor<?x3xf32>
}

// -----

// Tests that the broadcasting binary ops round-trip with their inferred types.
// CHECK-LABEL: func @binary
func.func @binary(%a: tensor<?x10xf32>, %b: tensor<10xf32>, %s: tensor<f32>) -> tensor<?x10xf32> {
  // CHECK: graph.add %{{.*}}, %{{.*}} : tensor<?x10xf32>, tensor<10xf32> -> tensor<?x10xf32>
  %0 = graph.add %a, %b : tensor<?x10xf32>, tensor<10xf32> -> tensor<?x10xf32>
  // CHECK: graph.sub
  %1 = graph.sub %0, %s : tensor<?x10xf32>, tensor<f32> -> tensor<?x10xf32>
  // CHECK: graph.mul
  %2 = graph.mul %1, %b : tensor<?x10xf32>, tensor<10xf32> -> tensor<?x10xf32>
  // CHECK: graph.div
  %3 = graph.div %2, %s : tensor<?x10xf32>, tensor<f32> -> tensor<?x10xf32>
  // CHECK: graph.pow
  %4 = graph.pow %3, %s : tensor<?x10xf32>, tensor<f32> -> tensor<?x10xf32>
  // CHECK: graph.max
  %5 = graph.max %4, %b : tensor<?x10xf32>, tensor<10xf32> -> tensor<?x10xf32>
  // CHECK: graph.min
  %6 = graph.min %5, %b : tensor<?x10xf32>, tensor<10xf32> -> tensor<?x10xf32>
  return %6 : tensor<?x10xf32>
}

// -----

// Tests that compare ops give i1 and select broadcasts three ways.
// CHECK-LABEL: func @compare_select
func.func @compare_select(%a: tensor<4x1xf32>, %b: tensor<3xf32>) -> tensor<4x3xf32> {
  // CHECK: graph.eq {{.*}} -> tensor<4x3xi1>
  %0 = graph.eq %a, %b : tensor<4x1xf32>, tensor<3xf32> -> tensor<4x3xi1>
  // CHECK: graph.ne
  %1 = graph.ne %a, %b : tensor<4x1xf32>, tensor<3xf32> -> tensor<4x3xi1>
  // CHECK: graph.lt
  %2 = graph.lt %a, %b : tensor<4x1xf32>, tensor<3xf32> -> tensor<4x3xi1>
  // CHECK: graph.le
  %3 = graph.le %a, %b : tensor<4x1xf32>, tensor<3xf32> -> tensor<4x3xi1>
  // CHECK: graph.gt
  %4 = graph.gt %a, %b : tensor<4x1xf32>, tensor<3xf32> -> tensor<4x3xi1>
  // CHECK: graph.ge
  %5 = graph.ge %a, %b : tensor<4x1xf32>, tensor<3xf32> -> tensor<4x3xi1>
  // CHECK: graph.select {{.*}} : tensor<4x3xi1>, tensor<4x1xf32>, tensor<3xf32> -> tensor<4x3xf32>
  %6 = graph.select %5, %a, %b : tensor<4x3xi1>, tensor<4x1xf32>, tensor<3xf32> -> tensor<4x3xf32>
  return %6 : tensor<4x3xf32>
}

// -----

// Tests matmul in its three forms.
// CHECK-LABEL: func @matmul
func.func @matmul(%x: tensor<?x784xf32>, %w: tensor<784x128xf32>, %bx: tensor<2x3x4xf64>,
                  %by: tensor<2x4x5xf64>, %y: tensor<4x5xf64>) -> tensor<?x128xf32> {
  // CHECK: graph.matmul {{.*}} : tensor<?x784xf32>, tensor<784x128xf32> -> tensor<?x128xf32>
  %0 = graph.matmul %x, %w : tensor<?x784xf32>, tensor<784x128xf32> -> tensor<?x128xf32>
  // CHECK: graph.matmul {{.*}} -> tensor<2x3x5xf64>
  %1 = graph.matmul %bx, %by : tensor<2x3x4xf64>, tensor<2x4x5xf64> -> tensor<2x3x5xf64>
  // CHECK: graph.matmul {{.*}} : tensor<2x3x4xf64>, tensor<4x5xf64> -> tensor<2x3x5xf64>
  %2 = graph.matmul %bx, %y : tensor<2x3x4xf64>, tensor<4x5xf64> -> tensor<2x3x5xf64>
  return %0 : tensor<?x128xf32>
}

// -----

// Tests conv2d and both poolings with their attributes.
// CHECK-LABEL: func @conv_pool
func.func @conv_pool(%x: tensor<?x4x32x32xf32>, %w: tensor<8x2x3x3xf32>) -> tensor<?x8x8x8xf32> {
  // CHECK: graph.conv2d {{.*}}groups = 2 : i64{{.*}} : tensor<?x4x32x32xf32>, tensor<8x2x3x3xf32> -> tensor<?x8x16x16xf32>
  %0 = graph.conv2d %x, %w {stride = array<i64: 2, 2>, padding = array<i64: 1, 1>,
                            dilation = array<i64: 1, 1>, groups = 2 : i64}
      : tensor<?x4x32x32xf32>, tensor<8x2x3x3xf32> -> tensor<?x8x16x16xf32>
  // CHECK: graph.max_pool2d {{.*}} -> tensor<?x8x8x8xf32>
  %1 = graph.max_pool2d %0 {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>,
                            padding = array<i64: 0, 0>} : tensor<?x8x16x16xf32> -> tensor<?x8x8x8xf32>
  // CHECK: graph.avg_pool2d {{.*}} -> tensor<?x8x8x8xf32>
  %2 = graph.avg_pool2d %1 {kernel_size = array<i64: 3, 3>, stride = array<i64: 1, 1>,
                            padding = array<i64: 1, 1>} : tensor<?x8x8x8xf32> -> tensor<?x8x8x8xf32>
  return %2 : tensor<?x8x8x8xf32>
}

// -----

// Tests reductions with and without keepdim, over several and negative dims.
// CHECK-LABEL: func @reductions
func.func @reductions(%x: tensor<?x3x4xf32>) -> tensor<?x1x1xf32> {
  // CHECK: graph.reduce_sum {{.*}} -> tensor<?xf32>
  %0 = graph.reduce_sum %x {dims = array<i64: 1, 2>} : tensor<?x3x4xf32> -> tensor<?xf32>
  // CHECK: graph.reduce_mean {{.*}}keepdim = true{{.*}} -> tensor<?x3x1xf32>
  %1 = graph.reduce_mean %x {dims = array<i64: -1>, keepdim = true} : tensor<?x3x4xf32> -> tensor<?x3x1xf32>
  // CHECK: graph.reduce_max {{.*}} -> tensor<?x1x1xf32>
  %2 = graph.reduce_max %x {dims = array<i64: 1, 2>, keepdim = true} : tensor<?x3x4xf32> -> tensor<?x1x1xf32>
  return %2 : tensor<?x1x1xf32>
}

// -----

// Tests the shape and data movement ops, constants and casts.
// CHECK-LABEL: func @data_movement
func.func @data_movement(%x: tensor<?x16x6x6xf32>, %l: tensor<?xi64>) -> tensor<?xf32> {
  // CHECK: graph.reshape {{.*}} : tensor<?x16x6x6xf32> -> tensor<?x576xf32>
  %0 = graph.reshape %x : tensor<?x16x6x6xf32> -> tensor<?x576xf32>
  // CHECK: graph.transpose {{.*}}permutation = array<i64: 1, 0>{{.*}} -> tensor<576x?xf32>
  %1 = graph.transpose %0 {permutation = array<i64: 1, 0>} : tensor<?x576xf32> -> tensor<576x?xf32>
  // CHECK: graph.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
  %c = graph.constant dense<[1.0, 2.0]> : tensor<2xf32>
  // CHECK: graph.broadcast_to {{.*}} : tensor<2xf32> -> tensor<3x2xf32>
  %2 = graph.broadcast_to %c : tensor<2xf32> -> tensor<3x2xf32>
  // CHECK: graph.slice {{.*}} : tensor<3x2xf32> -> tensor<2x1xf32>
  %3 = graph.slice %2 {start = array<i64: 0, 1>, stop = array<i64: 3, 2>, step = array<i64: 2, 1>} : tensor<3x2xf32> -> tensor<2x1xf32>
  // CHECK: graph.concat {{.*}} {dim = 0 : i64} : tensor<2x1xf32>, tensor<3x1xf32> -> tensor<5x1xf32>
  %s = graph.slice %2 {start = array<i64: 0, 0>, stop = array<i64: 3, 1>, step = array<i64: 1, 1>} : tensor<3x2xf32> -> tensor<3x1xf32>
  %4 = graph.concat %3, %s {dim = 0 : i64} : tensor<2x1xf32>, tensor<3x1xf32> -> tensor<5x1xf32>
  // CHECK: graph.cast {{.*}} : tensor<?xi64> -> tensor<?xf32>
  %5 = graph.cast %l : tensor<?xi64> -> tensor<?xf32>
  return %5 : tensor<?xf32>
}
