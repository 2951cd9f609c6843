// RUN: graphc-opt %s --split-input-file --graphc-convert-graph-to-linalg | FileCheck %s

// Tests that a 2-D matmul is a generic with loops (m, k, n): the reduction
// outside the output column, so the innermost loop walks rows contiguously,
// accumulating with fast-math flags into a zero fill.
// CHECK-DAG: #[[$A:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[$B:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[$C:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @matmul_2d
func.func @matmul_2d(%x: tensor<?x784xf32>, %w: tensor<784x128xf32>) -> tensor<?x128xf32> {
  // CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
  // CHECK: %[[M:.+]] = tensor.dim %arg0, %{{.+}} : tensor<?x784xf32>
  // CHECK: %[[EMPTY:.+]] = tensor.empty(%[[M]]) : tensor<?x128xf32>
  // CHECK: %[[INIT:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<?x128xf32>)
  // CHECK: linalg.generic {indexing_maps = [#[[$A]], #[[$B]], #[[$C]]], iterator_types = ["parallel", "reduction", "parallel"]}
  // CHECK-SAME: ins(%arg0, %arg1 : tensor<?x784xf32>, tensor<784x128xf32>) outs(%[[INIT]] : tensor<?x128xf32>)
  // CHECK: ^bb0(%[[L:.+]]: f32, %[[R:.+]]: f32, %[[ACC:.+]]: f32):
  // CHECK-NEXT: %[[P:.+]] = arith.mulf %[[L]], %[[R]] fastmath<reassoc,contract> : f32
  // CHECK-NEXT: %[[S:.+]] = arith.addf %[[ACC]], %[[P]] fastmath<reassoc,contract> : f32
  // CHECK-NEXT: linalg.yield %[[S]] : f32
  %0 = graph.matmul %x, %w : tensor<?x784xf32>, tensor<784x128xf32> -> tensor<?x128xf32>
  return %0 : tensor<?x128xf32>
}

// -----

// Tests the batched forms: loops (b, m, k, n), with the rhs per batch or shared.
// CHECK-DAG: #[[$BA:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[$BB:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-DAG: #[[$SHARED:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-DAG: #[[$BC:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-LABEL: func.func @matmul_batched
func.func @matmul_batched(%a: tensor<?x3x4xf64>, %b: tensor<?x4x5xf64>, %s: tensor<4x5xf64>) -> (tensor<?x3x5xf64>, tensor<?x3x5xf64>) {
  // CHECK: linalg.generic {indexing_maps = [#[[$BA]], #[[$BB]], #[[$BC]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
  // CHECK-SAME: ins(%arg0, %arg1 : tensor<?x3x4xf64>, tensor<?x4x5xf64>)
  // CHECK: linalg.generic {indexing_maps = [#[[$BA]], #[[$SHARED]], #[[$BC]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
  // CHECK-SAME: ins(%arg0, %arg2 : tensor<?x3x4xf64>, tensor<4x5xf64>)
  %0 = graph.matmul %a, %b : tensor<?x3x4xf64>, tensor<?x4x5xf64> -> tensor<?x3x5xf64>
  %1 = graph.matmul %a, %s : tensor<?x3x4xf64>, tensor<4x5xf64> -> tensor<?x3x5xf64>
  return %0, %1 : tensor<?x3x5xf64>, tensor<?x3x5xf64>
}

// -----

// Tests a conv2d with padding, strides, dilation and groups: the input is
// zero-padded by fill + insert_slice, then one generic with loops
// (n, f, c, kh, kw, oh, ow) reads input channel (f floordiv F/G) * C/G + c.
// CHECK-DAG: #[[$IN:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, (d1 floordiv 4) * 2 + d2, d5 * 2 + d3, d6 * 3 + d4 * 2)>
// CHECK-DAG: #[[$W:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d2, d3, d4)>
// CHECK-DAG: #[[$OUT:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d5, d6)>
// CHECK-LABEL: func.func @conv2d_grouped
func.func @conv2d_grouped(%x: tensor<?x4x8x8xf32>, %w: tensor<8x2x3x3xf32>) -> tensor<?x8x4x3xf32> {
  // CHECK: %[[PFILL:.+]] = linalg.fill {{.*}} -> tensor<?x4x10x12xf32>
  // CHECK: %[[PADDED:.+]] = tensor.insert_slice %arg0 into %[[PFILL]][0, 0, 1, 2] [%{{.+}}, 4, 8, 8] [1, 1, 1, 1]
  // CHECK: linalg.generic {indexing_maps = [#[[$IN]], #[[$W]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "parallel", "parallel"]}
  // CHECK-SAME: ins(%[[PADDED]], %arg1 : tensor<?x4x10x12xf32>, tensor<8x2x3x3xf32>)
  // CHECK: arith.mulf {{.*}} fastmath<reassoc,contract>
  %0 = graph.conv2d %x, %w {stride = array<i64: 2, 3>, padding = array<i64: 1, 2>, dilation = array<i64: 1, 2>, groups = 2 : i64}
      : tensor<?x4x8x8xf32>, tensor<8x2x3x3xf32> -> tensor<?x8x4x3xf32>
  return %0 : tensor<?x8x4x3xf32>
}

// -----

// Tests that a stride-1 conv2d runs over flattened rows: one zero row is
// added below the input, which is collapsed to [N, C, H*W]; one generic with
// loops (n, f, c, kh, kw, p) reads position p + kh*W + kw and writes every
// output row at the full width W; the garbage columns are sliced off.
// CHECK-DAG: #[[$FIN:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d2, d5 + d3 * 32 + d4)>
// CHECK-DAG: #[[$FW:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d1, d2, d3, d4)>
// CHECK-DAG: #[[$FOUT:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d5)>
// CHECK-LABEL: func.func @conv2d_plain
func.func @conv2d_plain(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) -> tensor<?x6x28x28xf32> {
  // CHECK: %[[PADDED:.+]] = tensor.insert_slice %arg0 into %{{.+}}[0, 0, 0, 0] [%{{.+}}, 1, 32, 32] [1, 1, 1, 1] : tensor<?x1x32x32xf32> into tensor<?x1x33x32xf32>
  // CHECK: %[[FLAT:.+]] = tensor.collapse_shape %[[PADDED]] {{\[}}[0], [1], [2, 3]] : tensor<?x1x33x32xf32> into tensor<?x1x1056xf32>
  // CHECK: %[[CONV:.+]] = linalg.generic {indexing_maps = [#[[$FIN]], #[[$FW]], #[[$FOUT]]], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]}
  // CHECK-SAME: ins(%[[FLAT]], %arg1 : tensor<?x1x1056xf32>, tensor<6x1x5x5xf32>) outs(%{{.+}} : tensor<?x6x896xf32>)
  // CHECK: %[[ROWS:.+]] = tensor.expand_shape %[[CONV]] {{\[}}[0], [1], [2, 3]] output_shape [%{{.+}}, 6, 28, 32]
  // CHECK: %[[OUT:.+]] = tensor.extract_slice %[[ROWS]][0, 0, 0, 0] [%{{.+}}, 6, 28, 28] [1, 1, 1, 1] : tensor<?x6x28x32xf32> to tensor<?x6x28x28xf32>
  // CHECK: return %[[OUT]]
  %0 = graph.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64}
      : tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32> -> tensor<?x6x28x28xf32>
  return %0 : tensor<?x6x28x28xf32>
}

// -----

// Tests that a padded stride-1 conv2d pads its rows on both sides (unlike
// its gradients, whose rows wrap: 32 columns give LeNet's conv1 whole tiles
// of 32 positions), the garbage columns sliced off.
// CHECK-LABEL: func.func @conv2d_padded_rows
// CHECK: tensor.insert_slice %arg0 into %{{.+}}[0, 0, 2, 2] [%{{.+}}, 1, 28, 28] [1, 1, 1, 1] : tensor<?x1x28x28xf32> into tensor<?x1x33x32xf32>
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.+}} : tensor<?x6x896xf32>)
// CHECK: tensor.extract_slice %{{.+}}[0, 0, 0, 0] [%{{.+}}, 6, 28, 28] [1, 1, 1, 1] : tensor<?x6x28x32xf32> to tensor<?x6x28x28xf32>
func.func @conv2d_padded_rows(%x: tensor<?x1x28x28xf32>, %w: tensor<6x1x5x5xf32>) -> tensor<?x6x28x28xf32> {
  %0 = graph.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 2, 2>, dilation = array<i64: 1, 1>, groups = 1 : i64}
      : tensor<?x1x28x28xf32>, tensor<6x1x5x5xf32> -> tensor<?x6x28x28xf32>
  return %0 : tensor<?x6x28x28xf32>
}

// -----

// Tests that a weight gradient pads its input on both sides, as the forward
// does (4 + 3 + 3 = 10 wide).
// CHECK-LABEL: func.func @conv2d_weight_grad_padding_past_the_kernel
// CHECK: tensor.insert_slice %arg1 into %{{.+}}[0, 0, 3, 3] [2, 1, 4, 4] [1, 1, 1, 1] : tensor<2x1x4x4xf32> into tensor<2x1x11x10xf32>
func.func @conv2d_weight_grad_padding_past_the_kernel(%dy: tensor<2x2x8x8xf32>, %x: tensor<2x1x4x4xf32>) -> tensor<2x1x3x3xf32> {
  %0 = graph.conv2d_weight_grad %dy, %x {stride = array<i64: 1, 1>, padding = array<i64: 3, 3>, dilation = array<i64: 1, 1>, groups = 1 : i64}
      : tensor<2x2x8x8xf32>, tensor<2x1x4x4xf32> -> tensor<2x1x3x3xf32>
  return %0 : tensor<2x1x3x3xf32>
}

// -----

// Tests that a stride-1 input gradient with one group is a forward
// convolution over flattened rows of the padded gradient with the kernel
// flipped and its channels swapped, computed first by its own generic: K-1-p
// rows above, K-1-p+1 below, K-1-p columns on the left and none on the right
// (the flat rows wrap into the next row's left zeros), so the rows are
// IW + p = 30 wide and p = 2 columns per row are dropped.
// CHECK-DAG: #[[$FLIP:.+]] = affine_map<(d0, d1, d2, d3) -> (d1, d0, -d2 + 4, -d3 + 4)>
// CHECK-DAG: #[[$DY:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d2, d5 + d3 * 30 + d4)>
// CHECK-DAG: #[[$WT:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d1, d2, d3, d4)>
// CHECK-DAG: #[[$DX:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d5)>
// CHECK-LABEL: func.func @conv2d_input_grad_stride1
func.func @conv2d_input_grad_stride1(%dy: tensor<?x6x28x28xf32>, %w: tensor<6x1x5x5xf32>) -> tensor<?x1x28x28xf32> {
  // CHECK: %[[FLIPPED:.+]] = linalg.generic {indexing_maps = [#[[$FLIP]], #{{.+}}]{{.*}} ins(%arg1 : tensor<6x1x5x5xf32>) outs(%{{.+}} : tensor<1x6x5x5xf32>)
  // CHECK: %[[PADDED:.+]] = tensor.insert_slice %arg0 into %{{.+}}[0, 0, 2, 2] [%{{.+}}, 6, 28, 28] [1, 1, 1, 1] : tensor<?x6x28x28xf32> into tensor<?x6x33x30xf32>
  // CHECK: %[[FLAT:.+]] = tensor.collapse_shape %[[PADDED]]
  // CHECK: linalg.generic {indexing_maps = [#[[$DY]], #[[$WT]], #[[$DX]]], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]}
  // CHECK-SAME: ins(%[[FLAT]], %[[FLIPPED]] : tensor<?x6x990xf32>, tensor<1x6x5x5xf32>) outs(%{{.+}} : tensor<?x1x840xf32>)
  // CHECK: tensor.extract_slice {{.*}} : tensor<?x1x28x30xf32> to tensor<?x1x28x28xf32>
  %0 = graph.conv2d_input_grad %dy, %w {stride = array<i64: 1, 1>, padding = array<i64: 2, 2>, dilation = array<i64: 1, 1>, groups = 1 : i64}
      : tensor<?x6x28x28xf32>, tensor<6x1x5x5xf32> -> tensor<?x1x28x28xf32>
  return %0 : tensor<?x1x28x28xf32>
}

// -----

// Tests that without padding (LeNet's conv2) the padded gradient's rows are
// exactly the input's width, 14 = 10 + 4 left zeros: every flat position is
// an input column, and nothing is sliced off.
// CHECK-LABEL: func.func @conv2d_input_grad_stride1_unpadded
func.func @conv2d_input_grad_stride1_unpadded(%dy: tensor<?x16x10x10xf32>, %w: tensor<16x6x5x5xf32>) -> tensor<?x6x14x14xf32> {
  // CHECK: tensor.insert_slice %arg0 into %{{.+}}[0, 0, 4, 4] [%{{.+}}, 16, 10, 10] [1, 1, 1, 1] : tensor<?x16x10x10xf32> into tensor<?x16x19x14xf32>
  // CHECK: linalg.generic
  // CHECK-SAME: outs(%{{.+}} : tensor<?x6x196xf32>)
  // CHECK: %[[DX:.+]] = tensor.expand_shape %{{.+}} {{\[}}[0], [1], [2, 3]] output_shape [%{{.+}}, 6, 14, 14] : tensor<?x6x196xf32> into tensor<?x6x14x14xf32>
  // CHECK-NOT: tensor.extract_slice
  // CHECK: return %[[DX]]
  %0 = graph.conv2d_input_grad %dy, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64}
      : tensor<?x16x10x10xf32>, tensor<16x6x5x5xf32> -> tensor<?x6x14x14xf32>
  return %0 : tensor<?x6x14x14xf32>
}

// -----

// Tests that a grouped stride-1 input gradient is a correlation of the fully
// padded gradient with the flipped kernel over rows, all accesses affine.
// CHECK-DAG: #[[$BOUNDS:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d2, d3, d4)>
// CHECK-DAG: #[[$GDY:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, (d1 floordiv 2) * 2 + d2, d5 + d3, d6 + d4)>
// CHECK-LABEL: func.func @conv2d_input_grad_stride1_grouped
func.func @conv2d_input_grad_stride1_grouped(%dy: tensor<?x4x6x6xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<?x4x6x6xf32> {
  // CHECK: linalg.generic {indexing_maps = [#[[$BOUNDS]], #[[$GDY]], #{{.+}}, #{{.+}}], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "parallel", "parallel"]}
  %0 = graph.conv2d_input_grad %dy, %w {stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, groups = 2 : i64}
      : tensor<?x4x6x6xf32>, tensor<4x2x3x3xf32> -> tensor<?x4x6x6xf32>
  return %0 : tensor<?x4x6x6xf32>
}

// -----

// Tests that a strided input gradient gathers: the window of each (h, w)
// and kernel offset is computed, checked, and read with tensor.extract.
// CHECK-LABEL: func.func @conv2d_input_grad_strided
func.func @conv2d_input_grad_strided(%dy: tensor<2x4x3x3xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<2x2x7x7xf32> {
  // CHECK: linalg.generic
  // CHECK: arith.remsi
  // CHECK: arith.divsi
  // CHECK: tensor.extract %arg0
  // CHECK: arith.select
  %0 = graph.conv2d_input_grad %dy, %w {stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64}
      : tensor<2x4x3x3xf32>, tensor<4x2x3x3xf32> -> tensor<2x2x7x7xf32>
  return %0 : tensor<2x2x7x7xf32>
}

// -----

// Tests the stride-1 weight gradient over flattened rows: the gradient's rows
// are zero-padded to the padded input's width (32) and its 896 positions
// taken as 56 blocks of 16 lanes; partial sums over the batch and the blocks
// go to [O, C, KH, KW, lanes], and a second generic adds the lanes up.
// CHECK-DAG: #[[$G:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d0, d5, d6)>
// CHECK-DAG: #[[$X:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d1, d5 * 16 + d6 + d2 * 32 + d3)>
// CHECK-DAG: #[[$PART:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3, d6)>
// CHECK-LABEL: func.func @conv2d_weight_grad
func.func @conv2d_weight_grad(%dy: tensor<?x6x28x28xf32>, %x: tensor<?x1x28x28xf32>) -> tensor<6x1x5x5xf32> {
  // CHECK: tensor.insert_slice %arg1 into %{{.+}}[0, 0, 2, 2] [%{{.+}}, 1, 28, 28] [1, 1, 1, 1] : tensor<?x1x28x28xf32> into tensor<?x1x33x32xf32>
  // CHECK: tensor.insert_slice %arg0 into %{{.+}}[0, 0, 0, 0] [%{{.+}}, 6, 28, 28] [1, 1, 1, 1] : tensor<?x6x28x28xf32> into tensor<?x6x28x32xf32>
  // CHECK: tensor.expand_shape %{{.+}} {{\[}}[0], [1], [2, 3]] output_shape [%{{.+}}, 6, 56, 16] : tensor<?x6x896xf32> into tensor<?x6x56x16xf32>
  // CHECK: %[[PARTIAL:.+]] = linalg.generic {indexing_maps = [#[[$G]], #[[$X]], #[[$PART]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]}
  // CHECK-SAME: ins(%{{.+}}, %{{.+}} : tensor<?x6x56x16xf32>, tensor<?x1x1056xf32>) outs(%{{.+}} : tensor<6x1x5x5x16xf32>)
  // CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[PARTIAL]] : tensor<6x1x5x5x16xf32>) outs(%{{.+}} : tensor<6x1x5x5xf32>)
  // CHECK: arith.addf {{.*}} fastmath<reassoc,contract>
  // CHECK-NOT: linalg.generic
  // CHECK: return
  %0 = graph.conv2d_weight_grad %dy, %x {stride = array<i64: 1, 1>, padding = array<i64: 2, 2>, dilation = array<i64: 1, 1>, groups = 1 : i64}
      : tensor<?x6x28x28xf32>, tensor<?x1x28x28xf32> -> tensor<6x1x5x5xf32>
  return %0 : tensor<6x1x5x5xf32>
}

// -----

// Tests positions that are not a whole number of blocks (10 x 10 = 6 blocks
// of 16 and 4 more, a kernel one column wide as after
// graphc-unfold-window-columns): the blocks in lanes, the last 4 positions
// in the row form over slices starting at position 96, their sums added to
// the lanes'.
// CHECK-LABEL: func.func @conv2d_weight_grad_tail
func.func @conv2d_weight_grad_tail(%dy: tensor<?x16x10x10xf32>, %x: tensor<?x30x14x10xf32>) -> tensor<16x30x5x1xf32> {
  // CHECK: %[[BLOCKS:.+]] = tensor.extract_slice %{{.+}}[0, 0, 0] [%{{.+}}, 16, 96] [1, 1, 1] : tensor<?x16x100xf32> to tensor<?x16x96xf32>
  // CHECK: tensor.expand_shape %[[BLOCKS]] {{\[}}[0], [1], [2, 3]] output_shape [%{{.+}}, 16, 6, 16]
  // CHECK: %[[LANES:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]}
  // CHECK-SAME: outs(%{{.+}} : tensor<16x30x5x1x16xf32>)
  // CHECK: %[[SUM:.+]] = linalg.generic {{.*}} ins(%[[LANES]] : tensor<16x30x5x1x16xf32>) outs(%{{.+}} : tensor<16x30x5x1xf32>)
  // CHECK: tensor.extract_slice %{{.+}}[0, 0, 96] [%{{.+}}, 16, 4] [1, 1, 1] : tensor<?x16x100xf32> to tensor<?x16x4xf32>
  // CHECK: tensor.extract_slice %{{.+}}[0, 0, 96] [%{{.+}}, 30, 44] [1, 1, 1] : tensor<?x30x140xf32> to tensor<?x30x44xf32>
  // CHECK: %[[TAIL:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "parallel"]}
  // CHECK-SAME: outs(%{{.+}} : tensor<16x30x5x1x4xf32>)
  // CHECK: linalg.generic {{.*}} ins(%[[TAIL]] : tensor<16x30x5x1x4xf32>) outs(%[[SUM]] : tensor<16x30x5x1xf32>)
  %0 = graph.conv2d_weight_grad %dy, %x {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64}
      : tensor<?x16x10x10xf32>, tensor<?x30x14x10xf32> -> tensor<16x30x5x1xf32>
  return %0 : tensor<16x30x5x1xf32>
}

// -----

// Tests that a weight gradient past the flat form's bound (64 x 64 x 3 x 3
// weights times 56 x 58 positions: 120M, kMaxWeightsTimesPositions 4M) keeps
// the row form, one generic reducing over (n, oh, ow).
// CHECK-LABEL: func.func @conv2d_weight_grad_large
func.func @conv2d_weight_grad_large(%dy: tensor<?x64x56x56xf32>, %x: tensor<?x64x56x56xf32>) -> tensor<64x64x3x3xf32> {
  // CHECK-NOT: tensor.collapse_shape
  // CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
  // CHECK-SAME: outs(%{{.+}} : tensor<64x64x3x3xf32>)
  %0 = graph.conv2d_weight_grad %dy, %x {stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64}
      : tensor<?x64x56x56xf32>, tensor<?x64x56x56xf32> -> tensor<64x64x3x3xf32>
  return %0 : tensor<64x64x3x3xf32>
}
