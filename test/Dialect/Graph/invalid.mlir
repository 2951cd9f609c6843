// RUN: graphc-opt %s --split-input-file --verify-diagnostics

// Tests that shapes that do not broadcast are rejected with both shapes named.
func.func @broadcast_mismatch(%a: tensor<4x3xf32>, %b: tensor<5xf32>) {
  // expected-error @+2 {{'graph.add' shapes [4, 3] and [5] cannot be broadcast together (dimension 1: 3 vs 5)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.add %a, %b : tensor<4x3xf32>, tensor<5xf32> -> tensor<4x3xf32>
  return
}

// -----

// Tests that binary operands must share an element type.
func.func @element_type_mismatch(%a: tensor<3xf32>, %b: tensor<3xf64>) {
  // expected-error @+2 {{operands must have the same element type, got tensor<3xf32> and tensor<3xf64>}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.mul %a, %b : tensor<3xf32>, tensor<3xf64> -> tensor<3xf32>
  return
}

// -----

// Tests that a result type disagreeing with the shape rule is rejected.
func.func @wrong_result(%a: tensor<4x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{'graph.add' op failed to infer returned types}}
  // expected-error @+1 {{'graph.add' op inferred type(s) 'tensor<4x3xf32>' are incompatible with return type(s) of operation 'tensor<4x4xf32>'}}
  %0 = graph.add %a, %b : tensor<4x3xf32>, tensor<3xf32> -> tensor<4x4xf32>
  return
}

// -----

// Tests that matmul names both shapes when the inner dimensions differ.
func.func @matmul_inner(%a: tensor<1x576xf32>, %b: tensor<400x120xf32>) {
  // expected-error @+2 {{matmul inner dimensions differ: [1, 576] x [400, 120] (576 vs 400)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.matmul %a, %b : tensor<1x576xf32>, tensor<400x120xf32> -> tensor<1x120xf32>
  return
}

// -----

// Tests that matmul rejects ranks it does not support.
func.func @matmul_rank(%a: tensor<2x2x2x2xf32>, %b: tensor<2x2xf32>) {
  // expected-error @+2 {{matmul expects [M,K] x [K,N], [B,M,K] x [B,K,N] or [B,M,K] x [K,N]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.matmul %a, %b : tensor<2x2x2x2xf32>, tensor<2x2xf32> -> tensor<2x2x2x2xf32>
  return
}

// -----

// Tests that conv2d checks the weight's input channels against the groups.
func.func @conv_channels(%x: tensor<1x3x8x8xf32>, %w: tensor<6x2x3x3xf32>) {
  // expected-error @+2 {{conv2d expects weight [O, C/groups, KH, KW] with C/groups = 3 for input [1, 3, 8, 8], got weight [6, 2, 3, 3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64}
      : tensor<1x3x8x8xf32>, tensor<6x2x3x3xf32> -> tensor<1x6x6x6xf32>
  return
}

// -----

// Tests that a kernel larger than the padded input is rejected.
func.func @conv_too_small(%x: tensor<1x1x2x2xf32>, %w: tensor<1x1x3x3xf32>) {
  // expected-error @+2 {{is larger than the padded input [1, 1, 2, 2]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64}
      : tensor<1x1x2x2xf32>, tensor<1x1x3x3xf32> -> tensor<1x1x1x1xf32>
  return
}

// -----

// Tests that pooling rejects a zero stride.
func.func @pool_stride(%x: tensor<1x1x4x4xf32>) {
  // expected-error @+2 {{stride must be two integers >= 1, got [0, 1]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.max_pool2d %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 0, 1>, padding = array<i64: 0, 0>} : tensor<1x1x4x4xf32> -> tensor<1x1x2x2xf32>
  return
}

// -----

// Tests that a pooling padding too large for 64-bit arithmetic is refused, not
// overflowed (bytecode_fuzzer found padding * 2 overflowing in the shape rule).
func.func @pool_padding_overflow(%x: tensor<1x1x4x4xf32>) {
  // expected-error @+2 {{padding should be at most half of kernel_size, got padding [5895212359543160832, 0] for kernel_size [2, 2]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.max_pool2d %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 5895212359543160832, 0>} : tensor<1x1x4x4xf32> -> tensor<1x1x2x2xf32>
  return
}

// -----

// Tests that a convolution whose padded size does not fit in 64 bits is
// refused naming the sizes.
func.func @conv_padding_overflow(%x: tensor<1x1x4x4xf32>, %w: tensor<1x1x3x3xf32>) {
  // expected-error @+2 {{conv2d sizes overflow 64 bits: input [1, 1, 4, 4], weight [1, 1, 3, 3], padding [5895212359543160832, 0], dilation [1, 1]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 5895212359543160832, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64}
      : tensor<1x1x4x4xf32>, tensor<1x1x3x3xf32> -> tensor<1x1x2x2xf32>
  return
}

// -----

// Tests that a reduction dimension must be in range.
func.func @reduce_range(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{dimension 2 is out of range for a tensor of rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.reduce_sum %x {dims = array<i64: 2>} : tensor<2x3xf32> -> tensor<2xf32>
  return
}

// -----

// Tests that a reduction dimension may not repeat.
func.func @reduce_repeat(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{dimension -1 appears more than once}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.reduce_sum %x {dims = array<i64: 1, -1>} : tensor<2x3xf32> -> tensor<2xf32>
  return
}

// -----

// Tests that reshape keeps the element count.
func.func @reshape_count(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{cannot reshape [2, 3] (6 elements) to [4, 2]}}
  %0 = graph.reshape %x : tensor<2x3xf32> -> tensor<4x2xf32>
  return
}

// -----

// Tests that reshape keeps the number of dynamic dimensions: each is a
// multiple of the batch, so [?, 6] has 6kB elements and [?, ?] k1*k2*B^2.
func.func @reshape_two_dynamic(%x: tensor<?x6xf32>) {
  // expected-error @+1 {{cannot reshape [?, 6] to [?, ?]: it has 1 batch-sized dimension(s) and the result 2}}
  %0 = graph.reshape %x : tensor<?x6xf32> -> tensor<?x?xf32>
  return
}

// -----

// Tests that a reshape of a batch-sized tensor to a static zero-size one is
// refused (the element counts cannot match for any batch B >= 1).
func.func @reshape_dynamic_to_zero(%x: tensor<2x?x2xf32>) {
  // expected-error @+1 {{cannot reshape [2, ?, 2] to [0, 2]: it has 1 batch-sized dimension(s) and the result 0}}
  %0 = graph.reshape %x : tensor<2x?x2xf32> -> tensor<0x2xf32>
  return
}

// -----

// Tests that a reshape to a static shape from a dynamic one is refused: it
// would hold for one batch size only.
func.func @reshape_dynamic_to_static(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{cannot reshape [?, 4] to [2, 2, 2]: it has 1 batch-sized dimension(s) and the result 0}}
  %0 = graph.reshape %x : tensor<?x4xf32> -> tensor<2x2x2xf32>
  return
}

// -----

// Tests that with several dynamic dimensions only the static ones between
// them may regroup.
func.func @reshape_two_dynamic_regroup(%x: tensor<?x6x?xf32>) {
  // expected-error @+1 {{only the static dimensions between them may regroup}}
  %0 = graph.reshape %x : tensor<?x6x?xf32> -> tensor<?x2x?x3xf32>
  return
}

// -----

// Tests that a dynamic size never broadcasts against a static one other
// than 1 (it is a multiple of the batch).
func.func @broadcast_dynamic_static(%x: tensor<?xf32>, %y: tensor<3xf32>) {
  // expected-error @+2 {{dimension 0: a batch-sized ? cannot match the static size 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.add %x, %y : tensor<?xf32>, tensor<3xf32> -> tensor<3xf32>
  return
}

// -----

// Tests that matmul's inner sizes are both static or both dynamic.
func.func @matmul_inner_dynamic_static(%a: tensor<2x?xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{matmul inner dimensions differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.matmul %a, %b : tensor<2x?xf32>, tensor<4x5xf32> -> tensor<2x5xf32>
  return
}

// -----

// Tests that concat along a dimension does not mix dynamic and static sizes
// (k*B + n is no multiple of the batch).
func.func @concat_mixed(%a: tensor<?x2xf32>, %b: tensor<3x2xf32>) {
  // expected-error @+2 {{concat along dimension 0 mixes batch-sized and static sizes: [?, 2] and [3, 2]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.concat %a, %b {dim = 0 : i64} : tensor<?x2xf32>, tensor<3x2xf32> -> tensor<?x2xf32>
  return
}

// -----

// Tests that broadcast_to cannot make a static size dynamic without 'like'
// or take a dynamic size to a static one.
func.func @broadcast_to_dynamic_to_static(%x: tensor<?x1xf32>) {
  // expected-error @+1 {{cannot broadcast [?, 1] to [4, 10]}}
  %0 = graph.broadcast_to %x : tensor<?x1xf32> -> tensor<4x10xf32>
  return
}

// -----

// Tests that transpose needs a permutation.
func.func @transpose_perm(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{permutation [0, 0] is not a permutation}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.transpose %x {permutation = array<i64: 0, 0>} : tensor<2x3xf32> -> tensor<2x2xf32>
  return
}

// -----

// Tests that broadcast_to rejects a shape it cannot reach.
func.func @broadcast_to_bad(%x: tensor<3xf32>) {
  // expected-error @+1 {{cannot broadcast [3] to [2, 4]}}
  %0 = graph.broadcast_to %x : tensor<3xf32> -> tensor<2x4xf32>
  return
}

// -----

// Tests that slicing a dynamic dimension must keep it whole.
func.func @slice_dynamic(%x: tensor<?x3xf32>) {
  // expected-error @+2 {{dynamic dimension 0 of [?, 3] can only be kept whole}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.slice %x {start = array<i64: 1, 0>, stop = array<i64: 4, 3>, step = array<i64: 1, 1>} : tensor<?x3xf32> -> tensor<3x3xf32>
  return
}

// -----

// Tests that concat operands must agree outside the joined dimension.
func.func @concat_mismatch(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+2 {{concat operands differ outside dimension 0: [2, 3] and [2, 4]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.concat %a, %b {dim = 0 : i64} : tensor<2x3xf32>, tensor<2x4xf32> -> tensor<4x3xf32>
  return
}

// -----

// Tests that unary ops reject integer tensors where they need floats.
func.func @exp_int(%x: tensor<3xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 64-bit float values}}
  %0 = graph.exp %x : tensor<3xi32>
  return
}

// -----

// Tests that cast keeps the shape.
func.func @cast_shape(%x: tensor<3xi64>) {
  // expected-error @+1 {{requires the same shape for all operands and results}}
  %0 = graph.cast %x : tensor<3xi64> -> tensor<4xf32>
  return
}

// -----

func.func @random_state_shape(%x: tensor<4xf32>, %s: tensor<3xi64>) -> tensor<4xf32> {
  // expected-error @+1 {{takes the generator state as tensor<2xi64> [seed, calls], got 'tensor<3xi64>'}}
  %u = graph.random_uniform %x, %s {stream = 0 : i64} : tensor<4xf32>, tensor<3xi64> -> tensor<4xf32>
  return %u : tensor<4xf32>
}

// -----

func.func @random_result_sizes(%x: tensor<4xf32>, %s: tensor<2xi64>) -> tensor<5xf32> {
  // expected-error @+1 {{result must have the sizes of its first operand, [4], got [5]}}
  %u = graph.random_uniform %x, %s {stream = 0 : i64} : tensor<4xf32>, tensor<2xi64> -> tensor<5xf32>
  return %u : tensor<5xf32>
}

// -----

func.func @gather_result(%w: tensor<10x3xf32>, %ids: tensor<4xi64>) -> tensor<4x2xf32> {
  // expected-error @+1 {{result must be [4, 3] of the table's element type, got 'tensor<4x2xf32>'}}
  %e = graph.gather %w, %ids : tensor<10x3xf32>, tensor<4xi64> -> tensor<4x2xf32>
  return %e : tensor<4x2xf32>
}

// -----

func.func @gather_padding(%w: tensor<10x3xf32>, %ids: tensor<4xi64>) -> tensor<4x3xf32> {
  // expected-error @+1 {{padding_idx must be a row of the table, in [0, 10), got 10}}
  %e = graph.gather %w, %ids {padding_idx = 10 : i64} : tensor<10x3xf32>, tensor<4xi64> -> tensor<4x3xf32>
  return %e : tensor<4x3xf32>
}
