// RUN: graphc-opt %s --graphc-merge-parallel-regions | FileCheck %s

// Tests that consecutive parallel regions of a function become one: the
// view between the first two moves before the region (no barrier added:
// the first region's worksharing loop ends at its own); the serial store
// and loop between the second and third run on thread 0 (an scf.if on
// omp_get_thread_num() == 0) between two barriers; the third region, whose
// worksharing loop is nowait, gets a barrier before the fourth's work. The
// fifth region stays apart: the load before it is serial and its value is
// used in that region (the other threads would not have it).
// CHECK: func.func private @omp_get_thread_num() -> i32
// CHECK-LABEL: func.func @run
// CHECK:      memref.subview
// CHECK:      omp.parallel {
// CHECK-NEXT:   %[[THREAD:.*]] = func.call @omp_get_thread_num() : () -> i32
// CHECK-NEXT:   %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK-NEXT:   %[[FIRST:.*]] = arith.cmpi eq, %[[THREAD]], %[[ZERO]] : i32
// CHECK-NEXT:   omp.wsloop {
// CHECK:        omp.terminator
// CHECK-NEXT:   }
// CHECK-NOT:    omp.barrier
// CHECK-NEXT:   omp.wsloop {
// CHECK:        omp.terminator
// CHECK-NEXT:   }
// CHECK-NEXT:   scf.if %[[FIRST]] {
// CHECK-NEXT:     memref.store
// CHECK-NEXT:     scf.for
// CHECK-NEXT:       memref.load
// CHECK-NEXT:       memref.store
// CHECK-NEXT:     }
// CHECK-NEXT:   }
// CHECK-NEXT:   omp.barrier
// CHECK-NEXT:   omp.wsloop nowait {
// CHECK:        omp.terminator
// CHECK-NEXT:   }
// CHECK-NEXT:   omp.barrier
// CHECK-NEXT:   omp.wsloop {
// CHECK:        omp.terminator
// CHECK-NEXT:   }
// CHECK-NEXT:   omp.terminator
// CHECK-NEXT: }
// CHECK-NEXT: %[[SCALE:.*]] = memref.load
// CHECK-NEXT: omp.parallel {
// CHECK:        arith.mulf %{{.*}}, %[[SCALE]]
func.func @run(%a: memref<64xf32>, %s: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        memref.store %zero, %a[%i] : memref<64xf32>
        omp.yield
      }
      omp.terminator
    }
    omp.terminator
  }
  %half = memref.subview %a[32] [32] [1] : memref<64xf32> to memref<32xf32, strided<[1], offset: 32>>
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c32) step (%c1) {
        %x = memref.load %half[%i] : memref<32xf32, strided<[1], offset: 32>>
        %y = arith.addf %x, %x : f32
        memref.store %y, %half[%i] : memref<32xf32, strided<[1], offset: 32>>
        omp.yield
      }
      omp.terminator
    }
    omp.terminator
  }
  memref.store %zero, %s[] : memref<f32>
  scf.for %i = %c0 to %c4 step %c1 {
    %x = memref.load %a[%i] : memref<64xf32>
    memref.store %x, %s[] : memref<f32>
  }
  omp.parallel {
    omp.wsloop nowait {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        %x = memref.load %a[%i] : memref<64xf32>
        %y = arith.addf %x, %x : f32
        memref.store %y, %a[%i] : memref<64xf32>
        omp.yield
      }
      omp.terminator
    }
    omp.terminator
  }
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        %x = memref.load %a[%i] : memref<64xf32>
        %y = arith.mulf %x, %x : f32
        memref.store %y, %a[%i] : memref<64xf32>
        omp.yield
      }
      omp.terminator
    }
    omp.terminator
  }
  %scale = memref.load %s[] : memref<f32>
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        %x = memref.load %a[%i] : memref<64xf32>
        %y = arith.mulf %x, %scale : f32
        memref.store %y, %a[%i] : memref<64xf32>
        omp.yield
      }
      omp.terminator
    }
    omp.terminator
  }
  return
}

// Tests that regions are not merged across a serial op that opens a region
// of its own (a loop around one): run on thread 0, that region would nest
// and be serialized.
// CHECK-LABEL: func.func @nested
// CHECK-COUNT-3: omp.parallel
// CHECK-NOT: omp.barrier
func.func @nested(%a: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        memref.store %zero, %a[%i] : memref<64xf32>
        omp.yield
      }
      omp.terminator
    }
    omp.terminator
  }
  scf.for %k = %c0 to %c2 step %c1 {
    memref.store %zero, %a[%k] : memref<64xf32>
    omp.parallel {
      omp.wsloop {
        omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
          memref.store %zero, %a[%i] : memref<64xf32>
          omp.yield
        }
        omp.terminator
      }
      omp.terminator
    }
  }
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        memref.store %zero, %a[%i] : memref<64xf32>
        omp.yield
      }
      omp.terminator
    }
    omp.terminator
  }
  return
}
