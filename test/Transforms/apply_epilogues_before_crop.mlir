// RUN: graphc-opt %s --graphc-convert-graph-to-linalg --canonicalize --cse --graphc-fuse-elementwise --graphc-apply-epilogues-before-crop | FileCheck %s

// Tests that a convolution's bias add and ReLU (one generic after fusion),
// which read the 10 valid columns of each 14-wide flat row, are applied to
// the flat [N, 16, 140] result instead: the bias collapsed from [16, 1, 1]
// to [16] and read along the channel dim, the result cropped as the
// convolution's was, and nothing left that reads the convolution's crop.
// CHECK-LABEL: func.func @bias_relu
// CHECK: %[[CONV:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<?x16x140xf32>)
// CHECK: %[[BIAS:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2]] : tensor<16x1x1xf32> into tensor<16xf32>
// CHECK: %[[EPILOGUE:.*]] = linalg.generic {indexing_maps = [#[[ID:.*]], #[[CHANNEL:.*]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[CONV]], %[[BIAS]] : tensor<?x16x140xf32>, tensor<16xf32>)
// CHECK: arith.addf
// CHECK: arith.select
// CHECK: } -> tensor<?x16x140xf32>
// CHECK: %[[ROWS:.*]] = tensor.expand_shape %[[EPILOGUE]] {{\[}}[0], [1], [2, 3]] output_shape [%{{.*}}, 16, 10, 14]
// CHECK: %[[CROP:.*]] = tensor.extract_slice %[[ROWS]][0, 0, 0, 0] [%{{.*}}, 16, 10, 10] [1, 1, 1, 1]
// CHECK-NOT: linalg.generic
// CHECK: return %[[CROP]]
func.func @bias_relu(%x: tensor<?x6x14x14xf32>, %w: tensor<16x6x5x5xf32>, %b: tensor<16xf32>) -> tensor<?x16x10x10xf32> {
  %0 = graph.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : tensor<?x6x14x14xf32>, tensor<16x6x5x5xf32> -> tensor<?x16x10x10xf32>
  %1 = graph.reshape %b : tensor<16xf32> -> tensor<16x1x1xf32>
  %2 = graph.add %0, %1 : tensor<?x16x10x10xf32>, tensor<16x1x1xf32> -> tensor<?x16x10x10xf32>
  %3 = graph.relu %2 : tensor<?x16x10x10xf32>
  return %3 : tensor<?x16x10x10xf32>
}

// Tests that an epilogue reading along a spatial dim (a residual input)
// stays on the crop: past the valid columns it would read outside the
// residual.
// CHECK-LABEL: func.func @residual
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<?x16x140xf32>)
// CHECK: tensor.extract_slice
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<?x16x10x10xf32>)
func.func @residual(%x: tensor<?x6x14x14xf32>, %w: tensor<16x6x5x5xf32>, %r: tensor<?x16x10x10xf32>) -> tensor<?x16x10x10xf32> {
  %0 = graph.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : tensor<?x6x14x14xf32>, tensor<16x6x5x5xf32> -> tensor<?x16x10x10xf32>
  %1 = graph.add %0, %r : tensor<?x16x10x10xf32>, tensor<?x16x10x10xf32> -> tensor<?x16x10x10xf32>
  return %1 : tensor<?x16x10x10xf32>
}

// Tests that the epilogue of a convolution that graphc-band-convolution-rows
// computes in kernel-row bands (padded by 4 on 10 x 10 images: the bands
// cover 70 % of the full passes) stays on the crop: the bands' tiles would
// not compute it, and on the flat rows it would run over their 8 extra
// columns too.
// CHECK-LABEL: func.func @banded
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<?x6x252xf32>)
// CHECK: tensor.extract_slice
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<?x6x14x14xf32>)
func.func @banded(%x: tensor<?x16x10x10xf32>, %w: tensor<6x16x5x5xf32>, %b: tensor<6xf32>) -> tensor<?x6x14x14xf32> {
  %0 = graph.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 4, 4>, stride = array<i64: 1, 1>} : tensor<?x16x10x10xf32>, tensor<6x16x5x5xf32> -> tensor<?x6x14x14xf32>
  %1 = graph.reshape %b : tensor<6xf32> -> tensor<6x1x1xf32>
  %2 = graph.add %0, %1 : tensor<?x6x14x14xf32>, tensor<6x1x1xf32> -> tensor<?x6x14x14xf32>
  %3 = graph.relu %2 : tensor<?x6x14x14xf32>
  return %3 : tensor<?x6x14x14xf32>
}

// Tests a convolution one column wide (as graphc-unfold-window-columns
// makes LeNet's conv2): its flat rows have no garbage columns, so its
// result is only expanded, not cropped, and its input is not copied into a
// padded one (no zero row below). The epilogue moves onto the flat result
// all the same, and its result is expanded back.
// CHECK-LABEL: func.func @uncropped
// CHECK-SAME: (%[[X:.*]]: tensor<?x30x14x10xf32>,
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0], [1], [2, 3]] : tensor<?x30x14x10xf32> into tensor<?x30x140xf32>
// CHECK: %[[CONV:.*]] = linalg.generic {{.*}} ins(%[[FLAT]], %{{.*}} : tensor<?x30x140xf32>, tensor<16x30x5x1xf32>) outs(%{{.*}} : tensor<?x16x100xf32>)
// CHECK: %[[EPILOGUE:.*]] = linalg.generic {{.*}} ins(%[[CONV]], %{{.*}} : tensor<?x16x100xf32>, tensor<16xf32>)
// CHECK: %[[ROWS:.*]] = tensor.expand_shape %[[EPILOGUE]] {{\[}}[0], [1], [2, 3]] output_shape [%{{.*}}, 16, 10, 10]
// CHECK-NOT: tensor.extract_slice
// CHECK-NOT: linalg.generic
// CHECK: return %[[ROWS]]
func.func @uncropped(%x: tensor<?x30x14x10xf32>, %w: tensor<16x30x5x1xf32>, %b: tensor<16xf32>) -> tensor<?x16x10x10xf32> {
  %0 = graph.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : tensor<?x30x14x10xf32>, tensor<16x30x5x1xf32> -> tensor<?x16x10x10xf32>
  %1 = graph.reshape %b : tensor<16xf32> -> tensor<16x1x1xf32>
  %2 = graph.add %0, %1 : tensor<?x16x10x10xf32>, tensor<16x1x1xf32> -> tensor<?x16x10x10xf32>
  %3 = graph.relu %2 : tensor<?x16x10x10xf32>
  return %3 : tensor<?x16x10x10xf32>
}
