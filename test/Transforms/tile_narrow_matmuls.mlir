// RUN: graphc-opt %s --graphc-tile-narrow-matmuls | FileCheck %s

// Tests that a matmul with 10 columns of C (under 16 lanes), 32 rows and a
// k of 36 (two blocks of 16 and 4 more), its B a transpose of W, becomes:
//   - W packed once, read in place (no transpose of it): per column and
//     block, a row of W (masked past k: 36 is no multiple of 16) spread
//     into 4 vectors, element 4q + c in each quad q (shuffle [c, c, c, c,
//     4 + c, ...]);
//   - a loop over steps of 8 rows (two groups of 4: 20 accumulators fit)
//     marked graph.independent_iterations, carrying C; in it a loop over
//     the whole blocks of k carrying the 20 accumulators, each block read
//     in bounds as 8 x 16, transposed within quads (the unpcklps mask
//     first), then 4 x 10 packed vectors of W each used by both groups
//     (80 FMAs); the last 4 columns of A read padded (in_bounds false) and
//     80 FMAs more;
//   - per group, the quads added up (the halves of two columns first) and
//     each of the 4 rows written as 8 then 2 elements (the zero fill is
//     not added), 16 writes in all, the last one's tensor yielded.
// Neither the matmul, its fill nor W's transpose remains.
// CHECK-LABEL: func.func @narrow
// CHECK-NOT: linalg.
// CHECK: %[[PACKED:.*]] = scf.for {{.*}} -> (tensor<10x12x16xf32>)
// CHECK: scf.for
// CHECK: vector.transfer_read %{{.*}} : tensor<10x36xf32>, vector<16xf32>
// CHECK: vector.shuffle %[[ROWW:.*]], %[[ROWW]] [0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8, 12, 12, 12, 12]
// CHECK-COUNT-3: vector.shuffle %[[ROWW]], %[[ROWW]]
// CHECK: scf.for %[[ROW:.*]] = %{{.*}} to %c32 step %c8 iter_args(%[[C:.*]] = %{{.*}}) -> (tensor<32x10xf32>)
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %c32{{.*}} step %c16 iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: vector.transfer_read %{{.*}}[%[[ROW]], %[[K]]], %{{.*}} {in_bounds = [true, true]} : tensor<32x36xf32>, vector<8x16xf32>
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 16, 1, 17, 4, 20, 5, 21, 8, 24, 9, 25, 12, 28, 13, 29]
// CHECK: vector.transfer_read %[[PACKED]]
// CHECK-COUNT-80: vector.fma %{{.*}} : vector<16xf32>
// CHECK-NOT: vector.fma
// CHECK: scf.yield
// CHECK: vector.transfer_read %{{.*}}[%[[ROW]], %{{.*}}], %{{.*}} {in_bounds = [true, false]} : tensor<32x36xf32>, vector<8x16xf32>
// CHECK-COUNT-80: vector.fma %{{.*}} : vector<16xf32>
// CHECK-NOT: vector.fma
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]
// CHECK: arith.addf %{{.*}} : vector<16xf32>
// CHECK-NOT: vector.broadcast
// CHECK: vector.transfer_write %{{.*}}, %[[C]][%{{.*}}, %c0{{.*}}] {in_bounds = [true]} : vector<8xf32>, tensor<32x10xf32>
// CHECK: vector.transfer_write %{{.*}} {in_bounds = [true]} : vector<2xf32>, tensor<32x10xf32>
// CHECK-COUNT-6: vector.transfer_write %{{.*}} {in_bounds = [true]} : vector<{{8|2}}xf32>, tensor<32x10xf32>
// CHECK-COUNT-7: vector.transfer_write %{{.*}} {in_bounds = [true]} : vector<{{8|2}}xf32>, tensor<32x10xf32>
// CHECK: %[[WRITTEN:.*]] = vector.transfer_write %{{.*}} : vector<2xf32>, tensor<32x10xf32>
// CHECK-NEXT: scf.yield %[[WRITTEN]] : tensor<32x10xf32>
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

// Tests a B that is no transpose (copied to B^T by a linalg.transpose for
// the packing), 12 rows (a multiple of 4, not of 8: one group of 4 per
// step, 3 accumulators), a k of 16 (one whole block, no padded one) and a
// fill of 1.5, added after the quads are summed; each row is written as 3
// elements.
// CHECK-LABEL: func.func @narrow_untransposed
// CHECK: linalg.transpose ins(%{{.*}} : tensor<16x3xf32>) outs(%{{.*}} : tensor<3x16xf32>) permutation = [1, 0]
// CHECK: scf.for %{{.*}} = %{{.*}} to %c12 step %c4 iter_args(%{{.*}}) -> (tensor<12x3xf32>)
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: vector.transfer_read %{{.*}} {in_bounds = [true, true]} : tensor<12x16xf32>, vector<4x16xf32>
// CHECK-COUNT-12: vector.fma
// CHECK-NOT: vector.fma
// CHECK: scf.yield
// CHECK: %[[FILL:.*]] = vector.broadcast %{{.*}} : f32 to vector<16xf32>
// CHECK: arith.addf %{{.*}}, %[[FILL]] : vector<16xf32>
// CHECK-COUNT-4: vector.transfer_write %{{.*}} {in_bounds = [true]} : vector<3xf32>, tensor<12x3xf32>
// CHECK: } {graph.independent_iterations}
func.func @narrow_untransposed(%x: tensor<12x16xf32>, %b: tensor<16x3xf32>) -> tensor<12x3xf32> {
  %fill_value = arith.constant 1.5 : f32
  %empty = tensor.empty() : tensor<12x3xf32>
  %fill = linalg.fill ins(%fill_value : f32) outs(%empty : tensor<12x3xf32>) -> tensor<12x3xf32>
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %b : tensor<12x16xf32>, tensor<16x3xf32>) outs(%fill : tensor<12x3xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %p = arith.mulf %in, %in2 fastmath<reassoc,contract> : f32
    %s = arith.addf %out, %p fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<12x3xf32>
  return %r : tensor<12x3xf32>
}

// Tests that C's epilogue (a bias per column, a ReLU against a zero from
// outside its body) is computed on each row's elements before they are
// written: the bias read for the same 8, then 2, columns, the add and the
// maximum on vectors of them, the results written into the epilogue's
// destination; neither the matmul nor the epilogue remains.
// CHECK-LABEL: func.func @narrow_epilogue
// CHECK-NOT: linalg.generic
// CHECK: scf.for %{{.*}} iter_args(%[[Y:.*]] = %{{.*}}) -> (tensor<16x10xf32>)
// CHECK: %[[COLUMNS:.*]] = vector.shuffle %{{.*}}, %{{.*}} [0, 4, 8, 12, 16, 20, 24, 28] : vector<16xf32>, vector<16xf32>
// CHECK: %[[BIAS:.*]] = vector.transfer_read %{{.*}}[%c0{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<10xf32>, vector<8xf32>
// CHECK: %[[SUM:.*]] = arith.addf %[[COLUMNS]], %[[BIAS]] : vector<8xf32>
// CHECK: %[[ZEROS:.*]] = vector.broadcast %{{.*}} : f32 to vector<8xf32>
// CHECK: %[[RELU:.*]] = arith.maximumf %[[SUM]], %[[ZEROS]] : vector<8xf32>
// CHECK: vector.transfer_write %[[RELU]], %[[Y]][%{{.*}}, %c0{{.*}}] {in_bounds = [true]} : vector<8xf32>, tensor<16x10xf32>
// CHECK: vector.transfer_read %{{.*}}[%c8{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<10xf32>, vector<2xf32>
// CHECK: arith.maximumf %{{.*}} : vector<2xf32>
// CHECK: } {graph.independent_iterations}
// CHECK-NOT: linalg.generic
func.func @narrow_epilogue(%x: tensor<16x16xf32>, %w: tensor<16x10xf32>, %bias: tensor<10xf32>)
    -> tensor<16x10xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<16x10xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%empty : tensor<16x10xf32>) -> tensor<16x10xf32>
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<16x16xf32>, tensor<16x10xf32>) outs(%fill : tensor<16x10xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %p = arith.mulf %in, %in2 fastmath<reassoc,contract> : f32
    %s = arith.addf %out, %p fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<16x10xf32>
  %e2 = tensor.empty() : tensor<16x10xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>,
                                        affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%r, %bias : tensor<16x10xf32>, tensor<10xf32>) outs(%e2 : tensor<16x10xf32>) {
  ^bb0(%c: f32, %b: f32, %o: f32):
    %s = arith.addf %c, %b : f32
    %m = arith.maximumf %s, %zero : f32
    linalg.yield %m : f32
  } -> tensor<16x10xf32>
  return %y : tensor<16x10xf32>
}

// Tests two narrow matmuls whose results one add reads (the epilogue of
// the first alone, epilogueOf): the first computes it, reading the second's
// result for each row's columns; the second writes its own C first.
// CHECK-LABEL: func.func @shared_epilogue
// CHECK-NOT: linalg.generic
// CHECK: %[[SECOND:.*]] = scf.for {{.*}} -> (tensor<16x10xf32>)
// CHECK: } {graph.independent_iterations}
// CHECK: scf.for {{.*}} -> (tensor<16x10xf32>)
// CHECK: vector.transfer_read %[[SECOND]][%{{.*}}, %c0{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<16x10xf32>, vector<8xf32>
// CHECK: arith.addf %{{.*}} : vector<8xf32>
// CHECK: } {graph.independent_iterations}
// CHECK-NOT: linalg.generic
func.func @shared_epilogue(%x: tensor<16x16xf32>, %w1: tensor<16x10xf32>, %w2: tensor<16x10xf32>)
    -> tensor<16x10xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<16x10xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%empty : tensor<16x10xf32>) -> tensor<16x10xf32>
  %r1 = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w1 : tensor<16x16xf32>, tensor<16x10xf32>) outs(%fill : tensor<16x10xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %p = arith.mulf %in, %in2 fastmath<reassoc,contract> : f32
    %s = arith.addf %out, %p fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<16x10xf32>
  %r2 = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w2 : tensor<16x16xf32>, tensor<16x10xf32>) outs(%fill : tensor<16x10xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %p = arith.mulf %in, %in2 fastmath<reassoc,contract> : f32
    %s = arith.addf %out, %p fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<16x10xf32>
  %e2 = tensor.empty() : tensor<16x10xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>,
                                        affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%r1, %r2 : tensor<16x10xf32>, tensor<16x10xf32>) outs(%e2 : tensor<16x10xf32>) {
  ^bb0(%c: f32, %b: f32, %o: f32):
    %s = arith.addf %c, %b : f32
    linalg.yield %s : f32
  } -> tensor<16x10xf32>
  return %y : tensor<16x10xf32>
}

// Tests that a matmul whose epilogue reads a tensor transposed is left to
// graphc-tile-matmuls, which computes that epilogue in its tiles (as
// `graphc --emit=fusion-report` says): both generics stay.
// CHECK-LABEL: func.func @epilogue_not_on_rows
// CHECK-NOT: vector.
// CHECK-COUNT-2: linalg.generic
func.func @epilogue_not_on_rows(%x: tensor<16x16xf32>, %w: tensor<16x10xf32>,
                                %other: tensor<10x16xf32>) -> tensor<16x10xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<16x10xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%empty : tensor<16x10xf32>) -> tensor<16x10xf32>
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<16x16xf32>, tensor<16x10xf32>) outs(%fill : tensor<16x10xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %p = arith.mulf %in, %in2 fastmath<reassoc,contract> : f32
    %s = arith.addf %out, %p fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<16x10xf32>
  %e2 = tensor.empty() : tensor<16x10xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1, d0)>,
                                        affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%r, %other : tensor<16x10xf32>, tensor<10x16xf32>) outs(%e2 : tensor<16x10xf32>) {
  ^bb0(%c: f32, %b: f32, %o: f32):
    %s = arith.addf %c, %b : f32
    linalg.yield %s : f32
  } -> tensor<16x10xf32>
  return %y : tensor<16x10xf32>
}

// Tests that a matmul stays a generic when its rows are not a multiple of
// 4 (42), its batch is dynamic, or C fills a register (16 columns).
// CHECK-LABEL: func.func @not_narrow
// CHECK-NOT: vector.
// CHECK-COUNT-3: linalg.generic
func.func @not_narrow(%x: tensor<42x8xf32>, %y: tensor<?x8xf32>, %z: tensor<32x8xf32>,
                      %b: tensor<8x10xf32>, %b16: tensor<8x16xf32>)
    -> (tensor<42x10xf32>, tensor<?x10xf32>, tensor<32x16xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %e42 = tensor.empty() : tensor<42x10xf32>
  %f42 = linalg.fill ins(%zero : f32) outs(%e42 : tensor<42x10xf32>) -> tensor<42x10xf32>
  %r42 = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %b : tensor<42x8xf32>, tensor<8x10xf32>) outs(%f42 : tensor<42x10xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %p = arith.mulf %in, %in2 fastmath<reassoc,contract> : f32
    %s = arith.addf %out, %p fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<42x10xf32>
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
  return %r42, %rd, %r16 : tensor<42x10xf32>, tensor<?x10xf32>, tensor<32x16xf32>
}
