// RUN: graphc-opt %s --split-input-file --verify-diagnostics --graphc-unroll-and-jam --canonicalize | FileCheck %s

// Tests that a loop marked graph.unroll_and_jam (a weight gradient's window
// columns, after bufferization) runs all its iterations in one copy of its
// inner loop: each column's accumulator is read before it, carried through
// it, and written after it; the columns' reads of an image's output
// gradient sit in one iteration (LLVM then loads it once); the marker goes.
// CHECK-LABEL: func.func @window_columns
// CHECK-NOT: graph.unroll_and_jam
// CHECK-NOT: scf.for %{{.*}} = %c0 to %c3
// CHECK-DAG: %[[A0:.*]] = vector.transfer_read %[[P:.*]][%c0, %c0]
// CHECK-DAG: %[[A1:.*]] = vector.transfer_read %[[P]][%c1, %c0]
// CHECK-DAG: %[[A2:.*]] = vector.transfer_read %[[P]][%c2, %c0]
// CHECK: %[[R:.*]]:3 = scf.for %[[N:.*]] = %c0 to %[[IMAGES:.*]] step %c1 iter_args(%[[S0:.*]] = %[[A0]], %[[S1:.*]] = %[[A1]], %[[S2:.*]] = %[[A2]]) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: %[[DY:.*]] = vector.transfer_read %[[G:.*]][%[[N]], %c0]
// CHECK: %[[X0:.*]] = vector.transfer_read %[[X:.*]][%[[N]], %c0]
// CHECK: vector.fma %[[DY]], %[[X0]], %[[S0]]
// CHECK: vector.transfer_read %[[G]][%[[N]], %c0]
// CHECK: vector.transfer_read %[[X]][%[[N]], %c1]
// CHECK: vector.transfer_read %[[G]][%[[N]], %c0]
// CHECK: vector.transfer_read %[[X]][%[[N]], %c2]
// CHECK: scf.yield
// CHECK-NEXT: }
// CHECK-DAG: vector.transfer_write %[[R]]#0, %[[P]][%c0, %c0]
// CHECK-DAG: vector.transfer_write %[[R]]#1, %[[P]][%c1, %c0]
// CHECK-DAG: vector.transfer_write %[[R]]#2, %[[P]][%c2, %c0]
// CHECK: return
func.func @window_columns(%partials: memref<3x16xf32>, %dy: memref<?x16xf32>, %x: memref<?x18xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %zero = arith.constant 0.0 : f32
  %images = memref.dim %dy, %c0 : memref<?x16xf32>
  scf.for %kw = %c0 to %c3 step %c1 {
    %acc = vector.transfer_read %partials[%kw, %c0], %zero {in_bounds = [true]} : memref<3x16xf32>, vector<16xf32>
    %sum = scf.for %n = %c0 to %images step %c1 iter_args(%s = %acc) -> (vector<16xf32>) {
      %g = vector.transfer_read %dy[%n, %c0], %zero {in_bounds = [true]} : memref<?x16xf32>, vector<16xf32>
      %v = vector.transfer_read %x[%n, %kw], %zero {in_bounds = [true]} : memref<?x18xf32>, vector<16xf32>
      %t = vector.fma %g, %v, %s : vector<16xf32>
      scf.yield %t : vector<16xf32>
    }
    vector.transfer_write %sum, %partials[%kw, %c0] {in_bounds = [true]} : vector<16xf32>, memref<3x16xf32>
  } {graph.unroll_and_jam}
  return
}

// -----

// Tests that a marked loop whose inner loop's bound depends on it (not a
// rectangular nest) is left as it is, without the marker.
// CHECK-LABEL: func.func @triangular
// CHECK-NOT: graph.unroll_and_jam
// CHECK: scf.for %[[I:.*]] = %c0 to %c3 step %c1 {
// CHECK: scf.for %{{.*}} = %c0 to %[[I]] step %c1
func.func @triangular(%out: memref<3xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %one = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c3 step %c1 {
    %r = scf.for %j = %c0 to %i step %c1 iter_args(%s = %one) -> (f32) {
      %t = arith.addf %s, %one : f32
      scf.yield %t : f32
    }
    memref.store %r, %out[%i] : memref<3xf32>
  } {graph.unroll_and_jam}
  return
}

// -----

// Tests that the marker must be a unit attribute.
func.func @not_unit(%out: memref<3xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %one = arith.constant 1.0 : f32
  // expected-error @+1 {{graph.unroll_and_jam must be a unit attribute}}
  scf.for %i = %c0 to %c3 step %c1 {
    memref.store %one, %out[%i] : memref<3xf32>
  } {graph.unroll_and_jam = 2 : i64}
  return
}
