// RUN: graphc-opt %s --split-input-file --graphc-plan-temporary-arena | FileCheck %s

// Tests that buffers whose lifetimes do not overlap share arena bytes, that
// live ones do not, and that offsets are 64-byte aligned.
// CHECK-LABEL: func @reuse
// CHECK: %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<184xi8>
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: memref.view %[[ARENA]][%[[C0]]][] : memref<184xi8> to memref<4xf32>
// CHECK: %[[C64:.*]] = arith.constant 64 : index
// CHECK: memref.view %[[ARENA]][%[[C64]]][] : memref<184xi8> to memref<30xf32>
// CHECK: %[[C0B:.*]] = arith.constant 0 : index
// CHECK: memref.view %[[ARENA]][%[[C0B]]][] : memref<184xi8> to memref<2xi64>
// CHECK-NOT: memref.dealloc %{{.*}} : memref<4xf32>
// CHECK: memref.dealloc %[[ARENA]]
// CHECK-NEXT: return
func.func @reuse(%v: f32, %w: i64, %i: index) -> f32 {
  %a = memref.alloc() : memref<4xf32>
  memref.store %v, %a[%i] : memref<4xf32>
  %b = memref.alloc() : memref<30xf32>
  %x = memref.load %a[%i] : memref<4xf32>
  memref.store %x, %b[%i] : memref<30xf32>
  memref.dealloc %a : memref<4xf32>
  %c = memref.alloc() : memref<2xi64>
  memref.store %w, %c[%i] : memref<2xi64>
  %y = memref.load %b[%i] : memref<30xf32>
  memref.dealloc %b : memref<30xf32>
  memref.dealloc %c : memref<2xi64>
  return %y : f32
}

// -----

// Tests that a returned buffer, one with two dynamic dimensions (not a linear
// function of one batch) and one allocated in a loop keep their own
// allocations, and that no arena is made for them.
// CHECK-LABEL: func @kept
// CHECK-NOT: xi8>
// CHECK: memref.alloc() : memref<4xf32>
// CHECK: memref.alloc(%{{.*}}, %{{.*}}) : memref<?x?xf32>
// CHECK: scf.for
// CHECK: memref.alloc() : memref<8xf32>
// CHECK-NOT: memref.view
func.func @kept(%n: index, %v: f32) -> memref<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = memref.alloc() : memref<4xf32>
  memref.store %v, %r[%c0] : memref<4xf32>
  %d = memref.alloc(%n, %n) : memref<?x?xf32>
  memref.store %v, %d[%c0, %c0] : memref<?x?xf32>
  memref.dealloc %d : memref<?x?xf32>
  scf.for %i = %c0 to %n step %c1 {
    %t = memref.alloc() : memref<8xf32>
    memref.store %v, %t[%c0] : memref<8xf32>
    memref.dealloc %t : memref<8xf32>
  }
  return %r : memref<4xf32>
}

// -----

// Tests that buffers sized by one dynamic batch are planned as
// perBatch * B + fixed bytes (both 64-byte aligned), with the arena allocated
// once B is known, and that a dynamic buffer reuses the bytes of a dead one.
// CHECK-LABEL: func @dynamic_batch
// CHECK: %[[B:.*]] = memref.dim
// CHECK: %[[FIXED:.*]] = arith.constant 20 : index
// CHECK: %[[PER:.*]] = arith.constant 64 : index
// CHECK: %[[SCALED:.*]] = arith.muli %[[PER]], %[[B]]
// CHECK: %[[SIZE:.*]] = arith.addi %[[SCALED]], %[[FIXED]]
// CHECK: %[[ARENA:.*]] = memref.alloc(%[[SIZE]]) {alignment = 64 : i64} : memref<?xi8>
// CHECK: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK: memref.view %[[ARENA]][%[[ZERO]]][%[[B]]] : memref<?xi8> to memref<?x3xf32>
// CHECK: %[[PER2:.*]] = arith.constant 64 : index
// CHECK: %[[SCALED2:.*]] = arith.muli %[[PER2]], %[[B]]
// CHECK: %[[SHIFT:.*]] = arith.addi %[[SCALED2]], %{{.*}}
// CHECK: memref.view %[[ARENA]][%[[SHIFT]]][] : memref<?xi8> to memref<5xf32>
// CHECK: %[[ZERO2:.*]] = arith.constant 0 : index
// CHECK: memref.view %[[ARENA]][%[[ZERO2]]][%[[B]]] : memref<?xi8> to memref<?x4xf64>
// CHECK-NOT: memref.dealloc %{{.*}} : memref<5xf32>
// CHECK: memref.dealloc %[[ARENA]]
func.func @dynamic_batch(%x: memref<?x3xf32>, %v: f32, %i: index) -> f32 {
  %c0 = arith.constant 0 : index
  %b = memref.dim %x, %c0 : memref<?x3xf32>
  %t = memref.alloc(%b) : memref<?x3xf32>
  memref.store %v, %t[%i, %i] : memref<?x3xf32>
  %s = memref.alloc() : memref<5xf32>
  %y = memref.load %t[%i, %i] : memref<?x3xf32>
  memref.store %y, %s[%i] : memref<5xf32>
  memref.dealloc %t : memref<?x3xf32>
  %u = memref.alloc(%b) : memref<?x4xf64>
  %z = memref.load %s[%i] : memref<5xf32>
  memref.dealloc %s : memref<5xf32>
  memref.dealloc %u : memref<?x4xf64>
  return %z : f32
}
