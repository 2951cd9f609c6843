// RUN: graphc-opt %s --split-input-file --graphc-unfold-window-columns --cse | FileCheck %s
// RUN: graphc-opt %s --split-input-file --graphc-unfold-window-columns=for-weight-gradients=false --cse | FileCheck %s --check-prefix=WIDENED

// Tests that LeNet's conv2 (5 wide over rows of 14: 4 garbage columns of
// 14) and its weight gradient read the same five column slices, 10 wide,
// joined along the channels (kw-major), with the kernel one column wide:
// K'[f, kw*6 + c, kh, 0] = K[f, c, kh, kw], and the gradient taken back.
// CHECK-LABEL: func.func @lenet_conv2
// Without for-weight-gradients too:
// WIDENED-LABEL: func.func @lenet_conv2
// WIDENED: graph.concat
// CHECK-SAME: (%[[X:.+]]: tensor<?x6x14x14xf32>, %[[K:.+]]: tensor<16x6x5x5xf32>, %[[DY:.+]]: tensor<?x16x10x10xf32>)
// CHECK: %[[S0:.+]] = graph.slice %[[X]] {start = array<i64: 0, 0, 0, 0>, step = array<i64: 1, 1, 1, 1>, stop = array<i64: 9223372036854775807, 9223372036854775807, 9223372036854775807, 10>} : tensor<?x6x14x14xf32> -> tensor<?x6x14x10xf32>
// CHECK: %[[S4:.+]] = graph.slice %[[X]] {start = array<i64: 0, 0, 0, 4>, {{.*}}stop = array<i64: 9223372036854775807, 9223372036854775807, 9223372036854775807, 14>}
// CHECK: %[[XU:.+]] = graph.concat %[[S0]], %{{.+}}, %{{.+}}, %{{.+}}, %[[S4]] {dim = 1 : i64} : {{.*}} -> tensor<?x30x14x10xf32>
// CHECK: %[[KT:.+]] = graph.transpose %[[K]] {permutation = array<i64: 0, 3, 1, 2>} : tensor<16x6x5x5xf32> -> tensor<16x5x6x5xf32>
// CHECK: %[[KU:.+]] = graph.reshape %[[KT]] : tensor<16x5x6x5xf32> -> tensor<16x30x5x1xf32>
// CHECK: %[[Y:.+]] = graph.conv2d %[[XU]], %[[KU]] {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : tensor<?x30x14x10xf32>, tensor<16x30x5x1xf32> -> tensor<?x16x10x10xf32>
// CHECK-NOT: graph.concat
// CHECK: %[[GU:.+]] = graph.conv2d_weight_grad %[[DY]], %[[XU]] {{.*}} : tensor<?x16x10x10xf32>, tensor<?x30x14x10xf32> -> tensor<16x30x5x1xf32>
// CHECK: %[[GR:.+]] = graph.reshape %[[GU]] : tensor<16x30x5x1xf32> -> tensor<16x5x6x5xf32>
// CHECK: %[[DW:.+]] = graph.transpose %[[GR]] {permutation = array<i64: 0, 2, 3, 1>} : tensor<16x5x6x5xf32> -> tensor<16x6x5x5xf32>
// CHECK: return %[[Y]], %[[DW]]
func.func @lenet_conv2(%x: tensor<?x6x14x14xf32>, %k: tensor<16x6x5x5xf32>, %dy: tensor<?x16x10x10xf32>) -> (tensor<?x16x10x10xf32>, tensor<16x6x5x5xf32>) {
  %y = graph.conv2d %x, %k {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : tensor<?x6x14x14xf32>, tensor<16x6x5x5xf32> -> tensor<?x16x10x10xf32>
  %dw = graph.conv2d_weight_grad %dy, %x {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : tensor<?x16x10x10xf32>, tensor<?x6x14x14xf32> -> tensor<16x6x5x5xf32>
  return %y, %dw : tensor<?x16x10x10xf32>, tensor<16x6x5x5xf32>
}

// -----

// Tests that LeNet's conv1 (one input channel, padded 2 in rows and
// columns) and its weight gradient unfold the input padded first, in one
// op (a slice's gradient: zeros with the input placed at rows and columns
// 2 to 30, which the lowering writes as one fill and one copy; two concats
// with zeros wrote the padded input twice), then the five column slices of
// the 32 x 32 padded input, 28 wide. The unfolded convolution and weight gradient have
// no padding, and the weight gradient reads the output gradient as it is.
// Without for-weight-gradients (the CUDA target), it stays as it is.
// WIDENED-LABEL: func.func @lenet_conv1
// WIDENED-NOT: graph.concat
// WIDENED: graph.conv2d %arg0, %arg1 {{.*}}padding = array<i64: 2, 2>
// WIDENED: graph.conv2d_weight_grad %arg2, %arg0 {{.*}}padding = array<i64: 2, 2>
// CHECK-LABEL: func.func @lenet_conv1
// CHECK-SAME: (%[[X:.+]]: tensor<?x1x28x28xf32>, %[[K:.+]]: tensor<6x1x5x5xf32>, %[[DY:.+]]: tensor<?x6x28x28xf32>)
// CHECK-NOT: graph.concat
// CHECK: %[[XP:.+]] = graph.slice_grad %[[X]] {start = array<i64: 0, 0, 2, 2>, step = array<i64: 1, 1, 1, 1>, stop = array<i64: 9223372036854775807, 1, 30, 30>} : tensor<?x1x28x28xf32> -> tensor<?x1x32x32xf32>
// CHECK-NOT: graph.concat
// CHECK: %[[S0:.+]] = graph.slice %[[XP]] {{.*}} -> tensor<?x1x32x28xf32>
// CHECK: %[[XU:.+]] = graph.concat %[[S0]], %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {dim = 1 : i64} : {{.*}} -> tensor<?x5x32x28xf32>
// CHECK: %[[Y:.+]] = graph.conv2d %[[XU]], %{{.+}} {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : tensor<?x5x32x28xf32>, tensor<6x5x5x1xf32> -> tensor<?x6x28x28xf32>
// CHECK-NOT: graph.concat
// CHECK: graph.conv2d_weight_grad %[[DY]], %[[XU]] {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : tensor<?x6x28x28xf32>, tensor<?x5x32x28xf32> -> tensor<6x5x5x1xf32>
func.func @lenet_conv1(%x: tensor<?x1x28x28xf32>, %k: tensor<6x1x5x5xf32>, %dy: tensor<?x6x28x28xf32>) -> (tensor<?x6x28x28xf32>, tensor<6x1x5x5xf32>) {
  %y = graph.conv2d %x, %k {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 2, 2>, stride = array<i64: 1, 1>} : tensor<?x1x28x28xf32>, tensor<6x1x5x5xf32> -> tensor<?x6x28x28xf32>
  %dw = graph.conv2d_weight_grad %dy, %x {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 2, 2>, stride = array<i64: 1, 1>} : tensor<?x6x28x28xf32>, tensor<?x1x28x28xf32> -> tensor<6x1x5x5xf32>
  return %y, %dw : tensor<?x6x28x28xf32>, tensor<6x1x5x5xf32>
}

// -----

// Tests that row padding is kept, and that what would not pay or cannot be
// unfolded stays: LeNet's conv1 with no weight gradient (4 garbage columns
// of 32), a 3 wide kernel over 16 columns (2 of 16), the same padded in
// columns (2 of 18), a stride, groups, dilation.
// CHECK-LABEL: func.func @kept
// CHECK: graph.concat {{.*}} -> tensor<1x6x8x4xf32>
// CHECK: graph.conv2d %{{.+}}, %{{.+}} {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 0>, stride = array<i64: 1, 1>} : tensor<1x6x8x4xf32>, tensor<2x6x3x1xf32> -> tensor<1x2x8x4xf32>
// CHECK-NOT: graph.concat
// CHECK-COUNT-6: graph.conv2d %arg
func.func @kept(%a: tensor<1x2x8x6xf32>, %ka: tensor<2x2x3x3xf32>, %x1: tensor<1x1x28x28xf32>, %k1: tensor<6x1x5x5xf32>, %b: tensor<1x2x8x16xf32>, %kb: tensor<2x2x3x3xf32>, %kg: tensor<2x1x3x3xf32>) -> (tensor<1x2x8x4xf32>, tensor<1x6x28x28xf32>, tensor<1x2x8x16xf32>, tensor<1x2x6x14xf32>, tensor<1x2x3x2xf32>, tensor<1x2x6x4xf32>, tensor<1x2x4x2xf32>) {
  %0 = graph.conv2d %a, %ka {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 0>, stride = array<i64: 1, 1>} : tensor<1x2x8x6xf32>, tensor<2x2x3x3xf32> -> tensor<1x2x8x4xf32>
  %c1 = graph.conv2d %x1, %k1 {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 2, 2>, stride = array<i64: 1, 1>} : tensor<1x1x28x28xf32>, tensor<6x1x5x5xf32> -> tensor<1x6x28x28xf32>
  %1 = graph.conv2d %b, %kb {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : tensor<1x2x8x16xf32>, tensor<2x2x3x3xf32> -> tensor<1x2x8x16xf32>
  %2 = graph.conv2d %b, %kb {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : tensor<1x2x8x16xf32>, tensor<2x2x3x3xf32> -> tensor<1x2x6x14xf32>
  %3 = graph.conv2d %a, %ka {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : tensor<1x2x8x6xf32>, tensor<2x2x3x3xf32> -> tensor<1x2x3x2xf32>
  %4 = graph.conv2d %a, %kg {dilation = array<i64: 1, 1>, groups = 2 : i64, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : tensor<1x2x8x6xf32>, tensor<2x1x3x3xf32> -> tensor<1x2x6x4xf32>
  %5 = graph.conv2d %a, %ka {dilation = array<i64: 2, 2>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : tensor<1x2x8x6xf32>, tensor<2x2x3x3xf32> -> tensor<1x2x4x2xf32>
  return %0, %c1, %1, %2, %3, %4, %5 : tensor<1x2x8x4xf32>, tensor<1x6x28x28xf32>, tensor<1x2x8x16xf32>, tensor<1x2x6x14xf32>, tensor<1x2x3x2xf32>, tensor<1x2x6x4xf32>, tensor<1x2x4x2xf32>
}

// -----

// Tests that with a weight gradient, what cannot or need not be unfolded
// stays: column padding larger than the image (2 of 1 column), and no
// column padding with 4 garbage columns of 28 (the weight gradient's rule
// is for padded columns only).
// CHECK-LABEL: func.func @kept_with_weight_gradients
// CHECK-NOT: graph.concat
// CHECK: return
func.func @kept_with_weight_gradients(%x: tensor<?x1x1x1xf32>, %dy: tensor<?x6x1x1xf32>, %x2: tensor<?x1x28x28xf32>, %dy2: tensor<?x6x28x24xf32>) -> (tensor<6x1x5x5xf32>, tensor<6x1x5x5xf32>) {
  %dw = graph.conv2d_weight_grad %dy, %x {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 2, 2>, stride = array<i64: 1, 1>} : tensor<?x6x1x1xf32>, tensor<?x1x1x1xf32> -> tensor<6x1x5x5xf32>
  %dw2 = graph.conv2d_weight_grad %dy2, %x2 {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 2, 0>, stride = array<i64: 1, 1>} : tensor<?x6x28x24xf32>, tensor<?x1x28x28xf32> -> tensor<6x1x5x5xf32>
  return %dw, %dw2 : tensor<6x1x5x5xf32>, tensor<6x1x5x5xf32>
}
