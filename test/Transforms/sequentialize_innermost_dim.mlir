// RUN: graphc-opt %s --split-input-file --graphc-sequentialize-innermost-dim | FileCheck %s

// Tests that the outer dimensions of a multi-dimensional parallel loop stay
// parallel and the innermost one becomes an scf.for with the same body.
// CHECK-LABEL: func @elementwise
// CHECK: scf.parallel (%[[I:.*]], %[[J:.*]]) = (%{{.*}}, %{{.*}}) to (%{{.*}}, %{{.*}}) step
// CHECK-NEXT: scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step
// CHECK-NEXT: memref.load %arg0[%[[I]], %[[J]], %[[K]]]
// CHECK: memref.store %{{.*}}, %arg1[%[[I]], %[[J]], %[[K]]]
func.func @elementwise(%a: memref<?x5x6xf32>, %b: memref<?x5x6xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %c6 = arith.constant 6 : index
  scf.parallel (%i, %j, %k) = (%c0, %c0, %c0) to (%n, %c5, %c6) step (%c1, %c1, %c1) {
    %v = memref.load %a[%i, %j, %k] : memref<?x5x6xf32>
    %r = arith.negf %v : f32
    memref.store %r, %b[%i, %j, %k] : memref<?x5x6xf32>
    scf.reduce
  }
  return
}

// -----

// Tests that a one-dimensional loop, a loop with a reduction, and a loop
// nested in another parallel loop are left alone.
// CHECK-LABEL: func @left_alone
// CHECK: scf.parallel (%{{.*}}) =
// CHECK-NOT: scf.for
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = {{.*}} init
// CHECK: scf.reduce
// CHECK: scf.parallel (%{{.*}}) =
// CHECK-NEXT: scf.parallel (%{{.*}}, %{{.*}}) =
func.func @left_alone(%a: memref<4x6xf32>, %v: f32) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c6 = arith.constant 6 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    memref.store %v, %a[%i, %c0] : memref<4x6xf32>
    scf.reduce
  }
  %sum = scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c6) step (%c1, %c1) init (%zero) -> f32 {
    %x = memref.load %a[%i, %j] : memref<4x6xf32>
    scf.reduce(%x : f32) {
    ^bb0(%l: f32, %r: f32):
      %s = arith.addf %l, %r : f32
      scf.reduce.return %s : f32
    }
  }
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    scf.parallel (%j, %k) = (%c0, %c0) to (%c1, %c6) step (%c1, %c1) {
      memref.store %v, %a[%i, %k] : memref<4x6xf32>
      scf.reduce
    }
    scf.reduce
  }
  return %sum : f32
}
