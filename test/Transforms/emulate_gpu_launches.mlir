// RUN: graphc-opt %s --split-input-file --graphc-emulate-gpu-launches --verify-diagnostics | FileCheck %s

// Tests that a launch becomes loops over its blocks (in parallel) and its
// threads (z, y, x in order, x innermost), the ids and sizes replaced by
// the loops' values.
// CHECK-LABEL: func @fill
// CHECK-SAME: %[[A:[^:]*]]: memref<?xf32>, %[[BLOCKS:[^:]*]]: index
// CHECK-NOT: gpu.
// CHECK: scf.parallel (%[[BX:.*]], %{{.*}}, %{{.*}}) = (%{{.*}}) to (%[[BLOCKS]], %{{.*}}, %{{.*}})
// CHECK:   scf.for
// CHECK:     scf.for
// CHECK:       scf.for %[[TX:.*]] = %{{.*}} to %c256
// CHECK:         %[[BASE:.*]] = arith.muli %[[BX]], %c256
// CHECK:         %[[I:.*]] = arith.addi %[[BASE]], %[[TX]]
// CHECK:         memref.store %{{.*}}, %[[A]][%[[I]]]
// CHECK-NOT: gpu.
func.func @fill(%a: memref<?xf32>, %blocks: index) {
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %cst = arith.constant 1.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %blocks, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    %base = arith.muli %bx, %sx : index
    %i = arith.addi %base, %tx : index
    memref.store %cst, %a[%i] : memref<?xf32>
    gpu.terminator
  }
  return
}

// -----

// Threads that wait for each other cannot run one after another.
func.func @barrier(%a: memref<?xf32>) {
  %c1 = arith.constant 1 : index
  %cst = arith.constant 1.0 : f32
  // expected-error @below {{cannot emulate a kernel with barriers on the CPU}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    memref.store %cst, %a[%tx] : memref<?xf32>
    gpu.barrier
    gpu.terminator
  }
  return
}
