// RUN: graphc-opt %s --graphc-hoist-parallel-regions | FileCheck %s

// Tests that an scf.for around a parallel region holding one worksharing
// loop becomes one region around the scf.for (each iteration's worksharing
// loop ends at its barrier), from the innermost loop out, and that a loop
// whose region is not alone, carries values, has a side effect outside the
// region, or whose worksharing loop has no barrier (nowait), is left alone.

// CHECK-LABEL: func.func @chunks
// CHECK:      omp.parallel {
// CHECK-NEXT:   scf.for %[[I:.*]] = %c0 to %c64 step %c8 {
// CHECK-NEXT:     llvm.mlir.constant
// CHECK-NEXT:     omp.wsloop {
// CHECK-NEXT:       omp.loop_nest (%[[J:.*]]) : index = (%c0) to (%c16) step (%c1) {
// CHECK:              memref.store %{{.*}}, %{{.*}}[%[[I]], %[[J]]]
// CHECK:        omp.terminator
// CHECK-NEXT:   }
// CHECK-NOT:    omp.parallel
// CHECK:      return
func.func @chunks(%a: memref<64x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  scf.for %i = %c0 to %c64 step %c8 {
    %one = llvm.mlir.constant(1 : i64) : i64
    omp.parallel {
      omp.wsloop {
        omp.loop_nest (%j) : index = (%c0) to (%c16) step (%c1) {
          %x = memref.load %a[%i, %j] : memref<64x16xf32>
          %y = arith.addf %x, %x : f32
          memref.store %y, %a[%i, %j] : memref<64x16xf32>
          omp.yield
        }
        omp.terminator
      }
      omp.terminator
    }
  }
  return
}

// CHECK-LABEL: func.func @nest
// CHECK:      omp.parallel {
// CHECK-NEXT:   scf.for
// CHECK-NEXT:     scf.for
// CHECK-NEXT:       omp.wsloop {
// CHECK-NOT:    omp.parallel
// CHECK:      return
func.func @nest(%a: memref<4x64x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  scf.for %k = %c0 to %c4 step %c1 {
    scf.for %i = %c0 to %c64 step %c1 {
      omp.parallel {
        omp.wsloop {
          omp.loop_nest (%j) : index = (%c0) to (%c16) step (%c1) {
            %x = memref.load %a[%k, %i, %j] : memref<4x64x16xf32>
            memref.store %x, %a[%k, %i, %j] : memref<4x64x16xf32>
            omp.yield
          }
          omp.terminator
        }
        omp.terminator
      }
    }
  }
  return
}

// CHECK-LABEL: func.func @left_alone
// CHECK:      scf.for
// CHECK-NEXT:   omp.parallel
// CHECK-NEXT:     omp.wsloop nowait
// CHECK:      scf.for
// CHECK-NEXT:   memref.store
// CHECK-NEXT:   omp.parallel
// CHECK:      scf.for
// CHECK-NEXT:   omp.parallel
// CHECK:        omp.parallel
// CHECK:      scf.for
// CHECK-NEXT:   omp.parallel
// CHECK-NEXT:     memref.store
// CHECK:      return
func.func @left_alone(%a: memref<64x16xf32>, %s: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  // nowait: no barrier ends an iteration.
  scf.for %i = %c0 to %c64 step %c1 {
    omp.parallel {
      omp.wsloop nowait {
        omp.loop_nest (%j) : index = (%c0) to (%c16) step (%c1) {
          memref.store %zero, %a[%i, %j] : memref<64x16xf32>
          omp.yield
        }
        omp.terminator
      }
      omp.terminator
    }
  }
  // A store outside the region, which every thread would run.
  scf.for %i = %c0 to %c64 step %c1 {
    memref.store %zero, %s[] : memref<f32>
    omp.parallel {
      omp.wsloop {
        omp.loop_nest (%j) : index = (%c0) to (%c16) step (%c1) {
          memref.store %zero, %a[%i, %j] : memref<64x16xf32>
          omp.yield
        }
        omp.terminator
      }
      omp.terminator
    }
  }
  // Two regions in one iteration.
  scf.for %i = %c0 to %c64 step %c1 {
    omp.parallel {
      omp.wsloop {
        omp.loop_nest (%j) : index = (%c0) to (%c16) step (%c1) {
          memref.store %zero, %a[%i, %j] : memref<64x16xf32>
          omp.yield
        }
        omp.terminator
      }
      omp.terminator
    }
    omp.parallel {
      omp.wsloop {
        omp.loop_nest (%j) : index = (%c0) to (%c16) step (%c1) {
          memref.store %zero, %a[%i, %j] : memref<64x16xf32>
          omp.yield
        }
        omp.terminator
      }
      omp.terminator
    }
  }
  // A region with a side effect outside its worksharing loop.
  scf.for %i = %c0 to %c64 step %c1 {
    omp.parallel {
      memref.store %zero, %s[] : memref<f32>
      omp.wsloop {
        omp.loop_nest (%j) : index = (%c0) to (%c16) step (%c1) {
          memref.store %zero, %a[%i, %j] : memref<64x16xf32>
          omp.yield
        }
        omp.terminator
      }
      omp.terminator
    }
  }
  return
}

// CHECK-LABEL: func.func @carries_values
// CHECK: scf.for {{.*}} iter_args
// CHECK-NEXT: omp.parallel
func.func @carries_values(%a: memref<64x16xf32>) -> index {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %n = scf.for %i = %c0 to %c64 step %c1 iter_args(%acc = %c0) -> (index) {
    omp.parallel {
      omp.wsloop {
        omp.loop_nest (%j) : index = (%c0) to (%c16) step (%c1) {
          memref.store %zero, %a[%i, %j] : memref<64x16xf32>
          omp.yield
        }
        omp.terminator
      }
      omp.terminator
    }
    %next = arith.addi %acc, %c1 : index
    scf.yield %next : index
  }
  return %n : index
}
