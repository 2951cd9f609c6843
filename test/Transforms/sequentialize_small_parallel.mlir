// RUN: graphc-opt %s --graphc-sequentialize-small-parallel=min-work=500 | FileCheck %s

// Tests that an outermost scf.parallel whose work is known to be below
// min-work (here 16 x 8 iterations of a 3-op body: 384 element operations)
// becomes scf.for loops, while one above it (16 x 64 x 3 = 3,072), one whose
// vector ops count once per element (16 x (3 x 16 + 1) = 784; 64 if each op
// counted once) and one with a dynamic bound stay parallel.
// CHECK-LABEL: func.func @small
// CHECK-NOT: scf.parallel
// CHECK: scf.for %{{.*}} = %c0 to %c16 step %c1
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c1
func.func @small(%a: memref<16x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  scf.parallel (%i) = (%c0) to (%c16) step (%c1) {
    scf.for %j = %c0 to %c8 step %c1 {
      %x = memref.load %a[%i, %j] : memref<16x64xf32>
      %y = arith.addf %x, %x : f32
      memref.store %y, %a[%i, %j] : memref<16x64xf32>
    }
  }
  return
}

// CHECK-LABEL: func.func @large
// CHECK: scf.parallel
func.func @large(%a: memref<16x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  scf.parallel (%i) = (%c0) to (%c16) step (%c1) {
    scf.for %j = %c0 to %c64 step %c1 {
      %x = memref.load %a[%i, %j] : memref<16x64xf32>
      %y = arith.addf %x, %x : f32
      memref.store %y, %a[%i, %j] : memref<16x64xf32>
    }
  }
  return
}

// CHECK-LABEL: func.func @vectors
// CHECK: scf.parallel
func.func @vectors(%a: memref<16x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%c16) step (%c1) {
    %x = vector.transfer_read %a[%i, %c0], %zero : memref<16x16xf32>, vector<16xf32>
    %y = arith.addf %x, %x : vector<16xf32>
    %z = arith.mulf %y, %y : vector<16xf32>
    vector.transfer_write %z, %a[%i, %c0] : vector<16xf32>, memref<16x16xf32>
  }
  return
}

// CHECK-LABEL: func.func @dynamic
// CHECK: scf.parallel
func.func @dynamic(%a: memref<?x8xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.for %j = %c0 to %c8 step %c1 {
      %x = memref.load %a[%i, %j] : memref<?x8xf32>
      memref.store %x, %a[%i, %j] : memref<?x8xf32>
    }
  }
  return
}
