// RUN: graphc-opt %s --graphc-convert-graph-to-linalg --canonicalize --cse --graphc-tile-convolutions | FileCheck %s
// RUN: graphc-opt %s --graphc-convert-graph-to-linalg --canonicalize --cse --graphc-tile-convolutions | FileCheck %s --check-prefix=JAM
// RUN: graphc-opt %s --graphc-convert-graph-to-linalg --canonicalize --cse --graphc-fuse-elementwise --graphc-apply-epilogues-before-crop --graphc-tile-convolutions | FileCheck %s --check-prefix=EPILOGUE
// RUN: graphc-opt %s --graphc-convert-graph-to-linalg --canonicalize --cse --graphc-tile-convolutions="vector-bits=256 channels=6 positions=8 grad-channels=6 grad-inputs=3 grad-positions=8" | FileCheck %s --check-prefix=AVX2

// Tests that the lowering's flat convolutions become register tiles. The
// forward pass of LeNet's conv2 (loops (n, f, c, kh, kw, p), 140 flat
// positions, 14 wide): one image, 8 output channels and 32 positions per
// tile, a vector<8x32xf32> accumulator carried through the c, kh and kw loops
// (never reread from the output), the 12 positions past 128 split into an
// 8-wide and a 4-wide tile (powers of two: no shuffles), the image loop
// marked graph.independent_iterations.
// CHECK-LABEL: func.func @forward
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c1
// CHECK: scf.for %{{.*}} = %c0 to %c16 step %c8
// CHECK: scf.for %{{.*}} = %c0 to %c128 step %c32
// CHECK: scf.for %{{.*}} = %c0 to %c6 step %c1 iter_args(%{{.*}} = %{{.*}}) -> (vector<8x32xf32>)
// CHECK: scf.for %{{.*}} = %c0 to %c5 step %c1 iter_args(%{{.*}} = %{{.*}}) -> (vector<8x32xf32>)
// CHECK: scf.for %{{.*}} = %c0 to %c5 step %c1 iter_args(%{{.*}} = %{{.*}}) -> (vector<8x32xf32>)
// CHECK-NOT: vector.transfer_write
// CHECK: arith.mulf %{{.*}} : vector<8x32xf32>
// CHECK: arith.addf %{{.*}} : vector<8x32xf32>
// CHECK: vector.transfer_write %{{.*}} : vector<8x32xf32>, tensor<8x32xf32>
// CHECK: -> (vector<8x8xf32>)
// CHECK: vector.transfer_write %{{.*}} : vector<8x8xf32>, tensor<8x8xf32>
// CHECK: -> (vector<8x4xf32>)
// CHECK: vector.transfer_write %{{.*}} : vector<8x4xf32>, tensor<8x4xf32>
// CHECK: } {graph.independent_iterations}
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @forward(%x: tensor<?x6x14x14xf32>, %w: tensor<16x6x5x5xf32>) -> tensor<?x16x10x10xf32> {
  %0 = graph.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : tensor<?x6x14x14xf32>, tensor<16x6x5x5xf32> -> tensor<?x16x10x10xf32>
  return %0 : tensor<?x16x10x10xf32>
}

// Six output channels (LeNet's conv1 over its zero-padded 32-wide rows, 896
// flat positions): the 32 positions are doubled to 64 while the tile carries
// at most 24 accumulator vectors of 16 lanes (6 x 4), 14 whole tiles.
// CHECK-LABEL: func.func @forward_six_channels
// CHECK: scf.for %{{.*}} = %c0 to %c896 step %c64
// CHECK: -> (vector<6x64xf32>)
// CHECK-NOT: vector<6x32xf32>
// CHECK: return
func.func @forward_six_channels(%x: tensor<?x1x28x28xf32>, %w: tensor<6x1x5x5xf32>) -> tensor<?x6x28x28xf32> {
  %0 = graph.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 2, 2>, stride = array<i64: 1, 1>} : tensor<?x1x28x28xf32>, tensor<6x1x5x5xf32> -> tensor<?x6x28x28xf32>
  return %0 : tensor<?x6x28x28xf32>
}

// The weight gradient's partial sums in lanes (loops (o, c, kh, kw, n,
// block, lane); 140 positions: 8 blocks of 16, fewer than 16, then 12 in the
// row form): chunks of 8 images outermost (the batch read once), then tiles of 4 output
// channels (that loop independent), all 6 input channels and 16 lanes, a
// vector<4x6x16xf32> accumulator carried through the chunk's images and all
// their blocks. The 12 positions left: tiles of 8 and 4 positions carried
// through the chunk's images, whose one tile of positions leaves the tiles
// of output channels (inside the chunks) to share between threads. Then the
// lanes and positions are summed.
// conv2's tiles would need 4 x 6 x 5 accumulator vectors for all window
// columns at once: no loop is marked for unroll-and-jam.
// JAM-LABEL: func.func @weight_grad(
// JAM-NOT: graph.unroll_and_jam
// JAM-LABEL: func.func @weight_grad_one_channel
// CHECK-LABEL: func.func @weight_grad
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c8 {{.*}} -> (tensor<16x6x5x5x16xf32>)
// CHECK: scf.for %{{.*}} = %c0 to %c16 step %c4
// CHECK: scf.for %{{.*}} = %c0 to %c5 step %c1
// CHECK: scf.for %{{.*}} = %c0 to %c5 step %c1
// CHECK: scf.for {{.*}} -> (vector<4x6x16xf32>)
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c1 {{.*}} -> (vector<4x6x16xf32>)
// CHECK-NOT: vector.transfer_write
// CHECK: arith.mulf %{{.*}} : vector<4x6x16xf32>
// CHECK: vector.transfer_write %{{.*}} : vector<4x6x16xf32>, tensor<4x6x16xf32>
// CHECK: } {graph.independent_iterations}
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]{{.*}}tensor<16x6x5x5x16xf32>
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c8 {{.*}} -> (tensor<16x6x5x5x12xf32>)
// CHECK: scf.for %{{.*}} = %c0 to %c16 step %c4
// CHECK: -> (vector<4x6x8xf32>)
// CHECK: -> (vector<4x6x4xf32>)
// CHECK: } {graph.independent_iterations}
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]{{.*}}tensor<16x6x5x5x12xf32>
func.func @weight_grad(%dy: tensor<?x16x10x10xf32>, %x: tensor<?x6x14x14xf32>) -> tensor<16x6x5x5xf32> {
  %0 = graph.conv2d_weight_grad %dy, %x {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : tensor<?x16x10x10xf32>, tensor<?x6x14x14xf32> -> tensor<16x6x5x5xf32>
  return %0 : tensor<16x6x5x5xf32>
}

// A one-channel input (LeNet's conv1, 896 flat positions of 32 columns, 56
// blocks, at least 16): the 6 output channels in two equal tiles of 3
// outermost (the independent loop: two threads share it evenly, with no
// barrier between images), then one image at a time through the tiles
// (its data stays in L1), each tile's accumulator read and written once an
// image. A tile can carry all 5 window columns (3 x 5 = 15 accumulator
// vectors): its loop over kw is marked graph.unroll_and_jam, the loop over
// kh is not.
// CHECK-LABEL: func.func @weight_grad_one_channel
// CHECK: scf.for %{{.*}} = %c0 to %c6 step %c3
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %{{.*}} step %c1
// CHECK-NOT: scf.for
// CHECK: scf.for %{{.*}} = %c0 to %c5 step %c1
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c5 step %c1
// CHECK-NOT: scf.for
// CHECK: scf.for %{{.*}} = %c0 to %c56 step %c1 {{.*}} -> (vector<3x16xf32>)
// CHECK: } {graph.unroll_and_jam}
// CHECK-NEXT: scf.yield
// CHECK-NEXT: }
// CHECK-NEXT: scf.yield
// CHECK-NEXT: }
// CHECK-NEXT: scf.yield
// CHECK-NEXT: } {graph.independent_iterations}
// CHECK-NEXT: linalg.generic
func.func @weight_grad_one_channel(%dy: tensor<?x6x28x28xf32>, %x: tensor<?x1x28x28xf32>) -> tensor<6x1x5x5xf32> {
  %0 = graph.conv2d_weight_grad %dy, %x {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 2, 2>, stride = array<i64: 1, 1>} : tensor<?x6x28x28xf32>, tensor<?x1x28x28xf32> -> tensor<6x1x5x5xf32>
  return %0 : tensor<6x1x5x5xf32>
}

// A convolution with stride 2 is not of the flat form: left as it is.
// CHECK-LABEL: func.func @strided
// CHECK-NOT: scf.for
// CHECK: linalg.generic
func.func @strided(%x: tensor<?x6x14x14xf32>, %w: tensor<16x6x5x5xf32>) -> tensor<?x16x5x5xf32> {
  %0 = graph.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : tensor<?x6x14x14xf32>, tensor<16x6x5x5xf32> -> tensor<?x16x5x5xf32>
  return %0 : tensor<?x16x5x5xf32>
}

// Tests that a convolution's bias add and ReLU, applied to its flat rows by
// graphc-apply-epilogues-before-crop, run in its register tiles: each
// accumulator goes through the bias (one scalar per output channel,
// broadcast along the positions) and the ReLU as vectors and is written
// once, for the full tiles and the split partial ones alike; no generic is
// left.
// EPILOGUE-LABEL: func.func @bias_relu
// EPILOGUE: %[[ACC:.*]] = scf.for %{{.*}} = %c0 to %c6 step %c1 iter_args(%{{.*}} = %cst{{.*}}) -> (vector<8x32xf32>)
// EPILOGUE: arith.addf %[[ACC]], %{{.*}} : vector<8x32xf32>
// EPILOGUE: arith.select %{{.*}} : vector<8x32xi1>, vector<8x32xf32>
// EPILOGUE: vector.transfer_write %{{.*}} : vector<8x32xf32>, tensor<8x32xf32>
// EPILOGUE: arith.select %{{.*}} : vector<8x8xi1>, vector<8x8xf32>
// EPILOGUE: arith.select %{{.*}} : vector<8x4xi1>, vector<8x4xf32>
// EPILOGUE: } {graph.independent_iterations}
// EPILOGUE-NOT: linalg.generic
// EPILOGUE: return
func.func @bias_relu(%x: tensor<?x6x14x14xf32>, %w: tensor<16x6x5x5xf32>, %b: tensor<16xf32>) -> tensor<?x16x10x10xf32> {
  %0 = graph.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : tensor<?x6x14x14xf32>, tensor<16x6x5x5xf32> -> tensor<?x16x10x10xf32>
  %1 = graph.reshape %b : tensor<16xf32> -> tensor<16x1x1xf32>
  %2 = graph.add %0, %1 : tensor<?x16x10x10xf32>, tensor<16x1x1xf32> -> tensor<?x16x10x10xf32>
  %3 = graph.relu %2 : tensor<?x16x10x10xf32>
  return %3 : tensor<?x16x10x10xf32>
}

// AVX2's 16 registers of 8 floats (the shapes buildTensorCodegenPipeline
// picks for vector-bits=256): at most 12 accumulator registers a tile. The
// forward pass: 6 channels x 16 positions (the 8 doubled once: 6 x 2
// registers; 6 x 32 would need 24), its last 4 channels a 4 x 16 tile. The
// weight gradient's lanes: 2 x 3 channel pairs of 16 lanes (two registers
// each; grad-channels 6 is only a bound), its last 12 positions 4 x 3 x 8
// and 4 x 3 x 4. One input channel: all 6 outputs (12 registers), too many
// to jam its 5 window columns; one block of output channels, so the chunks
// of 8 images stay outermost (threads would otherwise share a loop inside
// each image).
// AVX2-LABEL: func.func @forward(
// AVX2: scf.for %{{.*}} = %c0 to %c12 step %c6
// AVX2: scf.for %{{.*}} = %c0 to %c128 step %c16
// AVX2: -> (vector<6x16xf32>)
// AVX2: -> (vector<4x16xf32>)
// AVX2-LABEL: func.func @forward_six_channels
// AVX2: scf.for %{{.*}} = %c0 to %c896 step %c16
// AVX2-NOT: vector<6x32xf32>
// AVX2-LABEL: func.func @weight_grad(
// AVX2: -> (vector<2x3x16xf32>)
// AVX2: -> (vector<4x3x8xf32>)
// AVX2: -> (vector<4x3x4xf32>)
// AVX2-LABEL: func.func @weight_grad_one_channel
// AVX2: scf.for %{{.*}} = %c0 to %{{.*}} step %c8
// AVX2: -> (vector<6x16xf32>)
// AVX2-NOT: graph.unroll_and_jam
// AVX2-LABEL: func.func @strided

// LeNet's conv1 unfolded for its weight gradient (5 column slices as input
// channels, rows of 28: 784 flat positions, 49 blocks of 16 lanes), on AVX2.
// Its 6 output channels are the loop threads share: 2 x 3 tiles made 3
// blocks, 2 for one of two threads and 1 for the other; 3 x 2 tiles (the
// same 12 accumulator registers) make 2, each with 3 x 2, 3 x 2 and 3 x 1
// tiles of its 5 inputs.
// AVX2-LABEL: func.func @weight_grad_unfolded_columns
// AVX2: scf.for %{{.*}} = %c0 to %c6 step %c3
// AVX2: -> (vector<3x2x16xf32>)
// AVX2: -> (vector<3x16xf32>)
// AVX2-NOT: vector<2x3x16xf32>
// AVX2: return
func.func @weight_grad_unfolded_columns(%dy: tensor<?x6x28x28xf32>, %x: tensor<?x5x32x28xf32>) -> tensor<6x5x5x1xf32> {
  %0 = graph.conv2d_weight_grad %dy, %x {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : tensor<?x6x28x28xf32>, tensor<?x5x32x28xf32> -> tensor<6x5x5x1xf32>
  return %0 : tensor<6x5x5x1xf32>
}
