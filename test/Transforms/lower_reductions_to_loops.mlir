// RUN: graphc-opt %s --split-input-file --graphc-lower-reductions-to-loops | FileCheck %s

// Tests that a convolution's bias gradient (the sum over images, rows and
// columns per channel) becomes a parallel loop over the channels around
// reduction loops that carry the sum as an iter_arg: loaded once, stored
// once, the rows and columns (contiguous) one loop of 100 over a collapsed
// view, and the addf marked reassoc.
// CHECK-LABEL: func @bias_grad
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %arg0 {{\[}}[0], [1], [2, 3]] : memref<64x16x10x10xf32> into memref<64x16x100xf32>
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK-DAG: %[[C100:.*]] = arith.constant 100 : index
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK: scf.parallel (%[[C:.*]]) = (%{{.*}}) to (%[[C16]])
// CHECK-NEXT: %[[INIT:.*]] = memref.load %arg1[%[[C]]]
// CHECK-NEXT: %[[SUM:.*]] = scf.for %[[N:[a-z0-9]+]] = %{{.*}} to %[[C64]] step %{{.*}} iter_args(%[[ACC:.*]] = %[[INIT]])
// CHECK-NEXT: %[[ROW:.*]] = scf.for %[[P:[a-z0-9]+]] = %{{.*}} to %[[C100]] step %{{.*}} iter_args(%[[ACC2:.*]] = %[[ACC]])
// CHECK-NEXT: %[[V:.*]] = memref.load %[[FLAT]][%[[N]], %[[C]], %[[P]]]
// CHECK-NEXT: %[[ADD:.*]] = arith.addf %[[V]], %[[ACC2]] fastmath<reassoc> : f32
// CHECK-NEXT: scf.yield %[[ADD]]
// CHECK: scf.yield %[[ROW]]
// CHECK: memref.store %[[SUM]], %arg1[%[[C]]]
// CHECK-NOT: linalg.generic
func.func @bias_grad(%g: memref<64x16x10x10xf32>, %out: memref<16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d1)>], iterator_types = ["reduction", "parallel", "reduction", "reduction"]} ins(%g : memref<64x16x10x10xf32>) outs(%out : memref<16xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %o : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Tests that columns that are not contiguous (every second one of a view)
// stay a loop of their own, that a dynamic row count bounds the parallel
// loop, and that a maximumf combiner is marked reassoc too.
// CHECK-LABEL: func @strided_row_max
// CHECK-NOT: memref.collapse_shape
// CHECK: scf.parallel (%[[I:.*]], %[[J:.*]]) =
// CHECK: scf.for %[[K:[a-z0-9]+]] = {{.*}} iter_args
// CHECK-NEXT: %[[V:.*]] = memref.load %arg0[%[[I]], %[[J]], %[[K]]]
// CHECK-NEXT: arith.maximumf %[[V]], %{{.*}} fastmath<reassoc> : f32
func.func @strided_row_max(%x: memref<?x4x8xf32, strided<[64, 16, 2]>>, %out: memref<?x4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : memref<?x4x8xf32, strided<[64, 16, 2]>>) outs(%out : memref<?x4xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %o : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Tests that linalg.index takes the loop's induction variable, that the
// dims a linalg.index reads are not collapsed, and that a combiner that is
// not an addf, mulf, maximumf or minimumf of the accumulator (a select) is
// not marked.
// CHECK-LABEL: func @indexed_select
// CHECK-NOT: memref.collapse_shape
// CHECK: scf.for %[[R:[a-z0-9]+]] =
// CHECK: scf.for %[[S:[a-z0-9]+]] =
// CHECK: arith.index_cast %[[S]]
// CHECK: arith.select
// CHECK-NOT: reassoc
func.func @indexed_select(%x: memref<3x4x5xf32>, %out: memref<3xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0)>], iterator_types = ["parallel", "reduction", "reduction"]} ins(%x : memref<3x4x5xf32>) outs(%out : memref<3xf32>) {
  ^bb0(%in: f32, %o: f32):
    %i = linalg.index 2 : index
    %ii = arith.index_cast %i : index to i32
    %f = arith.sitofp %ii : i32 to f32
    %gt = arith.cmpf ogt, %in, %f : f32
    %r = arith.select %gt, %in, %o : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Tests that a generic whose innermost loop is parallel (the reduction
// outermost: a sum of partial tiles, row by row) and a generic without a
// reduction are left to --convert-linalg-to-parallel-loops.
// CHECK-LABEL: func @left_alone
// CHECK: linalg.generic
// CHECK-SAME: ["reduction", "parallel"]
// CHECK: linalg.generic
// CHECK-SAME: ["parallel"]
// CHECK-NOT: scf.for
func.func @left_alone(%x: memref<8x16xf32>, %out: memref<16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], iterator_types = ["reduction", "parallel"]} ins(%x : memref<8x16xf32>) outs(%out : memref<16xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %o : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%out : memref<16xf32>) {
  ^bb0(%o: f32):
    %n = arith.negf %o : f32
    linalg.yield %n : f32
  }
  return
}

// -----

// Tests that an input read at an affine expression of the dims (a bias read
// one row further) is loaded through affine.apply while the contiguous
// reduction dims of the other input still collapse into one loop.
// CHECK-LABEL: func @shifted_read
// CHECK: memref.collapse_shape %arg0 {{\[}}[0], [1, 2]]
// CHECK: scf.parallel (%[[I:.*]]) =
// CHECK: scf.for %[[K:[a-z0-9]+]] = %{{.*}} to %c12
// CHECK: %[[ROW:.*]] = affine.apply #{{.*}}(%[[I]], %[[K]], %{{.*}})
// CHECK: memref.load %arg1[%[[ROW]]]
// CHECK: arith.addf {{.*}} fastmath<reassoc>
func.func @shifted_read(%x: memref<4x3x4xf32>, %bias: memref<5xf32>, %out: memref<4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0 + 1)>, affine_map<(d0, d1, d2) -> (d0)>], iterator_types = ["parallel", "reduction", "reduction"]} ins(%x, %bias : memref<4x3x4xf32>, memref<5xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%in: f32, %b: f32, %o: f32):
    %p = arith.mulf %in, %b : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  }
  return
}
