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

// Tests that a returned buffer, a dynamically shaped one and one allocated in
// a loop keep their own allocations, and that no arena is made for them.
// CHECK-LABEL: func @kept
// CHECK-NOT: xi8>
// CHECK: memref.alloc() : memref<4xf32>
// CHECK: memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK: scf.for
// CHECK: memref.alloc() : memref<8xf32>
// CHECK-NOT: memref.view
func.func @kept(%n: index, %v: f32) -> memref<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = memref.alloc() : memref<4xf32>
  memref.store %v, %r[%c0] : memref<4xf32>
  %d = memref.alloc(%n) : memref<?xf32>
  memref.store %v, %d[%c0] : memref<?xf32>
  memref.dealloc %d : memref<?xf32>
  scf.for %i = %c0 to %n step %c1 {
    %t = memref.alloc() : memref<8xf32>
    memref.store %v, %t[%c0] : memref<8xf32>
    memref.dealloc %t : memref<8xf32>
  }
  return %r : memref<4xf32>
}
