// RUN: graphc-opt %s --split-input-file --graphc-map-loops-to-gpu | FileCheck %s
// RUN: graphc-opt %s --split-input-file --graphc-map-loops-to-gpu --convert-parallel-loops-to-gpu | FileCheck %s --check-prefix=LAUNCH

// A 2-D nest becomes one dimension (row-major: the contiguous j fastest),
// tiled into blocks of 256 threads with a guard at the end.
// CHECK-LABEL: func @elementwise
// CHECK: %[[N:.*]] = arith.muli %{{.*}}, %c10 : index
// CHECK: scf.parallel (%[[BLOCK:.*]]) = (%{{.*}}) to (%[[N]]) step
// CHECK:   scf.parallel (%[[THREAD:.*]]) = (%{{.*}}) to
// CHECK:     %[[LINEAR:.*]] = arith.addi %[[THREAD]], %[[BLOCK]] : index
// CHECK:     scf.if
// CHECK:       %[[J:.*]] = arith.remsi %[[LINEAR]], %c10
// CHECK:       %[[I:.*]] = arith.divsi %[[LINEAR]], %c10
// CHECK:       memref.store %{{.*}}, %{{.*}}[%[[I]], %[[J]]]
// CHECK:   } {mapping = [#gpu.loop_dim_map<processor = thread_x
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = block_x
// LAUNCH-LABEL: func @elementwise
// LAUNCH: gpu.launch blocks
// LAUNCH-NOT: scf.parallel
// LAUNCH: gpu.terminator
func.func @elementwise(%a: memref<?x10xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c10 = arith.constant 10 : index
  %cst = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c10) step (%c1, %c1) {
    memref.store %cst, %a[%i, %j] : memref<?x10xf32>
    scf.reduce
  }
  return
}

// -----

// A nest with reduction dimensions only (a loss) is a kernel of one
// thread: no host loop reads device memory.
// CHECK-LABEL: func @sum
// CHECK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%[[ONE:.*]]) step (%[[ONE]])
// CHECK:   scf.for
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = block_x
// LAUNCH-LABEL: func @sum
// LAUNCH: gpu.launch
// LAUNCH: scf.for
// LAUNCH: gpu.terminator
func.func @sum(%a: memref<?xf32>, %out: memref<f32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<?xf32>
    %acc = memref.load %out[] : memref<f32>
    %s = arith.addf %acc, %x : f32
    memref.store %s, %out[] : memref<f32>
  }
  return
}

// -----

// A short static loop gets a block of its own size (no guard); a parallel
// loop nested in it runs in its thread.
// CHECK-LABEL: func @short
// CHECK: scf.parallel
// CHECK:   scf.parallel
// CHECK-NOT: scf.if
// CHECK:     scf.for
// CHECK:   } {mapping = [#gpu.loop_dim_map<processor = thread_x
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = block_x
func.func @short(%a: memref<10xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c10 = arith.constant 10 : index
  %cst = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%c10) step (%c1) {
    scf.parallel (%j) = (%c0) to (%c10) step (%c1) {
      memref.store %cst, %a[%j] : memref<10xf32>
      scf.reduce
    }
    scf.reduce
  }
  return
}
