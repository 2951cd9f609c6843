// RUN: graphc-opt %s --graphc-partition-worksharing-loops | FileCheck %s

// Tests that a static worksharing loop becomes an scf.for over the calling
// thread's iterations (trips / threads each, the first trips % threads
// threads one more) and a barrier, that the thread and team size are asked
// once per parallel region, that a nowait loop gets no barrier, and that a
// loop with another schedule or two induction variables is left alone.

// CHECK-DAG: func.func private @omp_get_thread_num() -> i32
// CHECK-DAG: func.func private @omp_get_num_threads() -> i32

// CHECK-LABEL: func.func @two_loops
// CHECK:      omp.parallel {
// CHECK-NEXT:   %[[T32:.*]] = func.call @omp_get_thread_num() : () -> i32
// CHECK-NEXT:   %[[T:.*]] = arith.index_castui %[[T32]] : i32 to index
// CHECK-NEXT:   %[[N32:.*]] = func.call @omp_get_num_threads() : () -> i32
// CHECK-NEXT:   %[[N:.*]] = arith.index_castui %[[N32]] : i32 to index
// CHECK:        %[[SPAN:.*]] = arith.subi %[[UB:.*]], %[[LB:.*]] : index
// CHECK:        %[[POS:.*]] = arith.maxsi %[[SPAN]], %{{.*}} : index
// CHECK:        %[[ROUNDED:.*]] = arith.addi %[[POS]], %[[STEP:.*]] : index
// CHECK:        %[[LAST:.*]] = arith.subi %[[ROUNDED]], %{{.*}} : index
// CHECK:        %[[TRIPS:.*]] = arith.divui %[[LAST]], %[[STEP]] : index
// CHECK:        %[[EACH:.*]] = arith.divui %[[TRIPS]], %[[N]] : index
// CHECK:        %[[EXTRA:.*]] = arith.remui %[[TRIPS]], %[[N]] : index
// CHECK:        %[[BEFORE:.*]] = arith.muli %[[T]], %[[EACH]] : index
// CHECK:        %[[EARLIER:.*]] = arith.minui %[[T]], %[[EXTRA]] : index
// CHECK:        %[[FIRST:.*]] = arith.addi %[[BEFORE]], %[[EARLIER]] : index
// CHECK:        %[[MORE:.*]] = arith.cmpi ult, %[[T]], %[[EXTRA]] : index
// CHECK:        %[[ONE_MORE:.*]] = arith.select %[[MORE]]
// CHECK:        %[[COUNT:.*]] = arith.addi %[[EACH]], %[[ONE_MORE]] : index
// CHECK:        %[[OFFSET:.*]] = arith.muli %[[FIRST]], %[[STEP]] : index
// CHECK:        %[[BEGIN:.*]] = arith.addi %[[LB]], %[[OFFSET]] : index
// CHECK:        %[[LENGTH:.*]] = arith.muli %[[COUNT]], %[[STEP]] : index
// CHECK:        %[[END:.*]] = arith.addi %[[BEGIN]], %[[LENGTH]] : index
// CHECK:        scf.for %[[I:.*]] = %[[BEGIN]] to %[[END]] step %[[STEP]] {
// CHECK-NEXT:     memref.store %{{.*}}, %{{.*}}[%[[I]]]
// CHECK-NEXT:   }
// CHECK-NEXT:   omp.barrier
// CHECK-NOT:    func.call
// CHECK:        scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT:     memref.store %{{.*}}, %{{.*}}[%[[J]]]
// CHECK-NEXT:   }
// CHECK-NEXT:   omp.terminator
// CHECK-NOT:  omp.wsloop
// CHECK:      return
func.func @two_loops(%a: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %f = arith.constant 1.0 : f32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c4) {
        memref.store %f, %a[%i] : memref<?xf32>
        omp.yield
      }
      omp.terminator
    }
    omp.wsloop nowait {
      omp.loop_nest (%j) : index = (%c0) to (%n) step (%c4) {
        memref.store %f, %a[%j] : memref<?xf32>
        omp.yield
      }
      omp.terminator
    }
    omp.terminator
  }
  return
}

// CHECK-LABEL: func.func @left_alone
// CHECK:      omp.wsloop schedule(dynamic) {
// CHECK:      omp.wsloop {
// CHECK-NEXT:   omp.loop_nest (%{{.*}}, %{{.*}}) : index
// CHECK-NOT:  omp_get_thread_num
// CHECK:      return
func.func @left_alone(%a: memref<?x?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = arith.constant 1.0 : f32
  omp.parallel {
    omp.wsloop schedule(dynamic) {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        memref.store %f, %a[%i, %i] : memref<?x?xf32>
        omp.yield
      }
      omp.terminator
    }
    omp.wsloop {
      omp.loop_nest (%i, %j) : index = (%c0, %c0) to (%n, %n) step (%c1, %c1) {
        memref.store %f, %a[%i, %j] : memref<?x?xf32>
        omp.yield
      }
      omp.terminator
    }
    omp.terminator
  }
  return
}
