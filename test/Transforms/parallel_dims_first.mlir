// RUN: graphc-opt %s --split-input-file --graphc-parallel-dims-first | FileCheck %s

// A matmul written [parallel, reduction, parallel] (i, k, j) becomes
// [parallel, parallel, reduction] (i, j, k): the maps follow the loops, so
// each thread of a kernel over (i, j) runs the k loop itself.
// CHECK-DAG: #[[LHS:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[RHS:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func @matmul
// CHECK: linalg.generic {indexing_maps = [#[[LHS]], #[[RHS]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK: arith.mulf
// CHECK: arith.addf
#lhs = affine_map<(d0, d1, d2) -> (d0, d1)>
#rhs = affine_map<(d0, d1, d2) -> (d1, d2)>
#out = affine_map<(d0, d1, d2) -> (d0, d2)>
func.func @matmul(%a: memref<?x784xf32>, %b: memref<784x128xf32>, %c: memref<?x128xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : memref<?x784xf32>, memref<784x128xf32>) outs(%c : memref<?x128xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Already parallel first: untouched.
// CHECK-LABEL: func @row_sum
// CHECK: iterator_types = ["parallel", "reduction"]
func.func @row_sum(%a: memref<4x8xf32>, %out: memref<4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<4x8xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A bias gradient, reduction first (the batch) then parallel (the
// features): one kernel over the features, each thread summing its column.
// CHECK-DAG: #[[DY:.*]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-DAG: #[[DB:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func @bias_grad
// CHECK: linalg.generic {indexing_maps = [#[[DY]], #[[DB]]], iterator_types = ["parallel", "reduction"]}
func.func @bias_grad(%dy: memref<?x64xf32>, %db: memref<64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%dy : memref<?x64xf32>) outs(%db : memref<64xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  }
  return
}
