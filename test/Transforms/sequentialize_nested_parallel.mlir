// RUN: graphc-opt %s --split-input-file --graphc-sequentialize-nested-parallel | FileCheck %s

// Tests that the outer parallel loop stays parallel and the inner one
// becomes a nest of scf.for with the same body.
// CHECK-LABEL: func @nested
// CHECK: scf.parallel (%[[I:.*]]) =
// CHECK-NOT: scf.parallel
// CHECK: scf.for %[[J:.*]] =
// CHECK: scf.for %[[K:.*]] =
// CHECK: memref.store %{{.*}}, %arg0[%[[I]], %[[J]], %[[K]]]
func.func @nested(%m: memref<4x5x6xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c5 = arith.constant 5 : index
  %c6 = arith.constant 6 : index
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    scf.parallel (%j, %k) = (%c0, %c0) to (%c5, %c6) step (%c1, %c1) {
      memref.store %v, %m[%i, %j, %k] : memref<4x5x6xf32>
      scf.reduce
    }
    scf.reduce
  }
  return
}

// -----

// Tests that a lone parallel loop is left alone.
// CHECK-LABEL: func @single
// CHECK: scf.parallel
func.func @single(%m: memref<4xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    memref.store %v, %m[%i] : memref<4xf32>
    scf.reduce
  }
  return
}
