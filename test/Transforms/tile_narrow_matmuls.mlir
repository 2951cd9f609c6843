// RUN: graphc-opt %s --graphc-tile-narrow-matmuls | FileCheck %s

// Tests that a matmul with 10 columns of C (under 16 lanes), 32 rows (two
// blocks of 16) and a k of 36 (two blocks of 16 and 4 more), its B a
// transpose of W, becomes a loop over blocks of 16 rows (marked
// graph.independent_iterations) that carries C, and in it: a loop over the
// whole 16 x 16 blocks of A that carries ten 16-row accumulators, each
// block read in bounds and transposed by shuffles (no vector.transpose
// left), then 16 x 10 FMAs with W's elements broadcast (W read in place: no
// transpose of it); the last 4 columns of A read padded (in_bounds false)
// and only their 4 x 10 FMAs; the accumulators transposed back by shuffles
// and written as 16 rows of 16 lanes, past the 10th out of bounds (masked
// stores). Neither the matmul, its fill nor
// W's transpose remains.
// CHECK-LABEL: func.func @narrow
// CHECK-NOT: linalg.
// CHECK: scf.for %[[ROW:.*]] = %c0 to %c32 step %c16 iter_args(%[[C:.*]] = %{{.*}}) -> (tensor<32x10xf32>)
// CHECK: scf.for %[[K:.*]] = %c0 to %c32{{.*}} step %c16 iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: vector.transfer_read %{{.*}}[%[[ROW]], %[[K]]], %{{.*}} {in_bounds = [true, true]} : tensor<32x36xf32>, vector<16x16xf32>
// CHECK-NOT: vector.transpose
// CHECK: vector.shuffle
// CHECK: tensor.extract %{{.*}}[%{{.*}}, %{{.*}}] : tensor<10x36xf32>
// CHECK-COUNT-160: vector.fma %{{.*}} : vector<16xf32>
// CHECK-NOT: vector.fma
// CHECK: scf.yield
// CHECK: vector.transfer_read %{{.*}}[%[[ROW]], %{{.*}}], %{{.*}} {in_bounds = [true, false]} : tensor<32x36xf32>, vector<16x16xf32>
// CHECK-COUNT-40: vector.fma %{{.*}} : vector<16xf32>
// CHECK-NOT: vector.fma
// CHECK: vector.shuffle
// CHECK: %[[WRITTEN:.*]] = vector.transfer_write %{{.*}}, %[[C]][%[[ROW]], %c0] {in_bounds = [true, false]} : vector<16x16xf32>, tensor<32x10xf32>
// CHECK: scf.yield %[[WRITTEN]] : tensor<32x10xf32>
// CHECK: } {graph.independent_iterations}
// CHECK-NOT: linalg.
#a = affine_map<(m, k, n) -> (m, k)>
#b = affine_map<(m, k, n) -> (k, n)>
#c = affine_map<(m, k, n) -> (m, n)>
func.func @narrow(%x: tensor<32x36xf32>, %w: tensor<10x36xf32>) -> tensor<32x10xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<36x10xf32>
  %wt = linalg.transpose ins(%w : tensor<10x36xf32>) outs(%e : tensor<36x10xf32>) permutation = [1, 0]
  %empty = tensor.empty() : tensor<32x10xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%empty : tensor<32x10xf32>) -> tensor<32x10xf32>
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %wt : tensor<32x36xf32>, tensor<36x10xf32>) outs(%fill : tensor<32x10xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %p = arith.mulf %in, %in2 fastmath<reassoc,contract> : f32
    %s = arith.addf %out, %p fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<32x10xf32>
  return %r : tensor<32x10xf32>
}

// Tests that a matmul stays a generic when its rows are not a multiple of
// 16 (40), its batch is dynamic, or C fills a register (16 columns).
// CHECK-LABEL: func.func @not_narrow
// CHECK-NOT: vector.
// CHECK-COUNT-3: linalg.generic
func.func @not_narrow(%x: tensor<40x8xf32>, %y: tensor<?x8xf32>, %z: tensor<32x8xf32>,
                      %b: tensor<8x10xf32>, %b16: tensor<8x16xf32>)
    -> (tensor<40x10xf32>, tensor<?x10xf32>, tensor<32x16xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %e40 = tensor.empty() : tensor<40x10xf32>
  %f40 = linalg.fill ins(%zero : f32) outs(%e40 : tensor<40x10xf32>) -> tensor<40x10xf32>
  %r40 = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %b : tensor<40x8xf32>, tensor<8x10xf32>) outs(%f40 : tensor<40x10xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %p = arith.mulf %in, %in2 fastmath<reassoc,contract> : f32
    %s = arith.addf %out, %p fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<40x10xf32>
  %n = tensor.dim %y, %c0 : tensor<?x8xf32>
  %ed = tensor.empty(%n) : tensor<?x10xf32>
  %fd = linalg.fill ins(%zero : f32) outs(%ed : tensor<?x10xf32>) -> tensor<?x10xf32>
  %rd = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%y, %b : tensor<?x8xf32>, tensor<8x10xf32>) outs(%fd : tensor<?x10xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %p = arith.mulf %in, %in2 fastmath<reassoc,contract> : f32
    %s = arith.addf %out, %p fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<?x10xf32>
  %e16 = tensor.empty() : tensor<32x16xf32>
  %f16 = linalg.fill ins(%zero : f32) outs(%e16 : tensor<32x16xf32>) -> tensor<32x16xf32>
  %r16 = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%z, %b16 : tensor<32x8xf32>, tensor<8x16xf32>) outs(%f16 : tensor<32x16xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %p = arith.mulf %in, %in2 fastmath<reassoc,contract> : f32
    %s = arith.addf %out, %p fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<32x16xf32>
  return %r40, %rd, %r16 : tensor<40x10xf32>, tensor<?x10xf32>, tensor<32x16xf32>
}
