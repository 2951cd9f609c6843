// RUN: graphc-opt %s --split-input-file --graphc-parallelize-independent-loops | FileCheck %s

// Tests that a loop marked graph.independent_iterations that passes its
// buffer through unchanged becomes an scf.parallel over the same range,
// its results replaced by the buffer, and that the marker goes.
// CHECK-LABEL: func.func @row_tiles
// CHECK-NOT: graph.independent_iterations
// CHECK: scf.parallel (%[[I:.*]]) = (%c0) to (%[[N:.*]]) step (%c8)
// CHECK: memref.subview %[[C:.*]][%[[I]], 0]
// CHECK: return %{{.*}} : memref<?x4xf32>
func.func @row_tiles(%c: memref<?x4xf32>, %n: index) -> memref<?x4xf32> {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  %r = scf.for %i = %c0 to %n step %c8 iter_args(%buf = %c) -> (memref<?x4xf32>) {
    %tile = memref.subview %buf[%i, 0] [8, 4] [1, 1] : memref<?x4xf32> to memref<8x4xf32, strided<[4, 1], offset: ?>>
    linalg.fill ins(%zero : f32) outs(%tile : memref<8x4xf32, strided<[4, 1], offset: ?>>)
    scf.yield %buf : memref<?x4xf32>
  } {graph.independent_iterations}
  return %r : memref<?x4xf32>
}

// -----

// Tests that a marked loop that carries a value keeps running in order.
// CHECK-LABEL: func.func @carries_a_sum
// CHECK-NOT: scf.parallel
// CHECK: scf.for
// CHECK-NOT: graph.independent_iterations
func.func @carries_a_sum(%n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%s = %zero) -> (f32) {
    %t = arith.addf %s, %one : f32
    scf.yield %t : f32
  } {graph.independent_iterations}
  return %r : f32
}
