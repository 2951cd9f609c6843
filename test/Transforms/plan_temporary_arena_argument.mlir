// RUN: graphc-opt %s --split-input-file --graphc-plan-temporary-arena="arena-argument=true" | FileCheck %s

// Tests that with arena-argument a public function takes its arena as a
// trailing argument, records how many bytes it needs per batch and fixed,
// and no longer allocates or frees the arena itself.
// CHECK-LABEL: func @dynamic_batch
// CHECK-SAME: %[[X:[^:]*]]: memref<?x3xf32>, %{{.*}}: f32, %{{.*}}: index, %[[ARENA:.*]]: memref<?xi8> {graph.arena})
// CHECK-SAME: graph.arena_bytes = array<i64: 64, 20>
// CHECK-NOT: memref.alloc
// CHECK: %[[B:.*]] = memref.dim %[[X]]
// CHECK: memref.view %[[ARENA]][%{{.*}}][%[[B]]] : memref<?xi8> to memref<?x3xf32>
// CHECK: memref.view %[[ARENA]][%{{.*}}][] : memref<?xi8> to memref<5xf32>
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @dynamic_batch(%x: memref<?x3xf32>, %v: f32, %i: index) -> f32 {
  %c0 = arith.constant 0 : index
  %b = memref.dim %x, %c0 : memref<?x3xf32>
  %t = memref.alloc(%b) : memref<?x3xf32>
  memref.store %v, %t[%i, %i] : memref<?x3xf32>
  %s = memref.alloc() : memref<5xf32>
  %y = memref.load %t[%i, %i] : memref<?x3xf32>
  memref.store %y, %s[%i] : memref<5xf32>
  memref.dealloc %t : memref<?x3xf32>
  %z = memref.load %s[%i] : memref<5xf32>
  memref.dealloc %s : memref<5xf32>
  return %z : f32
}

// -----

// Tests that a static function records a fixed size only.
// CHECK-LABEL: func @static_sizes
// CHECK-SAME: %{{.*}}: memref<?xi8> {graph.arena})
// CHECK-SAME: graph.arena_bytes = array<i64: 0, 16>
func.func @static_sizes(%v: f32, %i: index) -> f32 {
  %a = memref.alloc() : memref<4xf32>
  memref.store %v, %a[%i] : memref<4xf32>
  %x = memref.load %a[%i] : memref<4xf32>
  memref.dealloc %a : memref<4xf32>
  return %x : f32
}

// -----

// Tests that a private function, and one whose dynamic size is not an
// argument's dimension (a caller knowing only the batch could not size the
// arena), keep allocating their own arena.
// CHECK-LABEL: func private @private_helper
// CHECK-SAME: (%{{[^:]*}}: f32, %{{[^:]*}}: index) -> f32
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<16xi8>
// CHECK-LABEL: func @size_from_index
// CHECK-SAME: (%{{[^:]*}}: index, %{{[^:]*}}: f32) -> f32 {
// CHECK: memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?xi8>
// CHECK: memref.dealloc
func.func private @private_helper(%v: f32, %i: index) -> f32 {
  %a = memref.alloc() : memref<4xf32>
  memref.store %v, %a[%i] : memref<4xf32>
  %x = memref.load %a[%i] : memref<4xf32>
  memref.dealloc %a : memref<4xf32>
  return %x : f32
}
func.func @size_from_index(%n: index, %v: f32) -> f32 {
  %c0 = arith.constant 0 : index
  %a = memref.alloc(%n) : memref<?xf32>
  memref.store %v, %a[%c0] : memref<?xf32>
  %x = memref.load %a[%c0] : memref<?xf32>
  memref.dealloc %a : memref<?xf32>
  return %x : f32
}

// -----

// Tests that when the planned dynamic size is an argument dimension of 3B
// (graph.batch_multiples), the recorded bytes per batch are per the
// caller's B: a row of 3 floats is 12 bytes, so 36 per B.
// CHECK-LABEL: func @batch_multiple_argument
// CHECK-SAME: graph.arena_bytes = array<i64: 36, 0>
func.func @batch_multiple_argument(%x: memref<?x3xf32> {graph.batch_multiples = array<i64: 3, 0>}, %v: f32, %i: index) -> f32 {
  %c0 = arith.constant 0 : index
  %b = memref.dim %x, %c0 : memref<?x3xf32>
  %t = memref.alloc(%b) : memref<?x3xf32>
  memref.store %v, %t[%i, %i] : memref<?x3xf32>
  %y = memref.load %t[%i, %i] : memref<?x3xf32>
  memref.dealloc %t : memref<?x3xf32>
  return %y : f32
}

// -----

// A static temporary allocated before the batch is read (a transposed
// weight, which needs no batch) joins the plan: the batch's dim moves to the
// top. The labels' dimension is the same B as the images' (both multiple 1),
// so the buffer sized by it joins too: no allocation is left.
// CHECK-LABEL: func @batch_read_late
// CHECK-SAME: %[[X:[^:]*]]: memref<?x3xf32>, %[[Y:[^:]*]]: memref<?xi64>
// CHECK-SAME: graph.arena_bytes = array<i64: 68, 64>
// CHECK-NOT: memref.alloc
// CHECK: %[[B:.*]] = memref.dim %[[X]]
// CHECK-NOT: memref.dim
// CHECK: memref.view %{{.*}}[%{{.*}}][] : memref<?xi8> to memref<3x3xf32>
// CHECK-NOT: memref.alloc
// CHECK: memref.view %{{.*}}[%{{.*}}][%[[B]]] : memref<?xi8> to memref<?x3xf32>
// CHECK: memref.view %{{.*}}[%{{.*}}][%[[B]]] : memref<?xi8> to memref<?xf32>
// CHECK-NOT: memref.alloc
// CHECK: return
func.func @batch_read_late(%x: memref<?x3xf32>, %y: memref<?xi64>, %v: f32, %i: index) -> f32 {
  %w = memref.alloc() : memref<3x3xf32>
  memref.store %v, %w[%i, %i] : memref<3x3xf32>
  %c0 = arith.constant 0 : index
  %b = memref.dim %x, %c0 : memref<?x3xf32>
  %t = memref.alloc(%b) : memref<?x3xf32>
  %wv = memref.load %w[%i, %i] : memref<3x3xf32>
  memref.store %wv, %t[%i, %i] : memref<?x3xf32>
  %n = memref.dim %y, %c0 : memref<?xi64>
  %u = memref.alloc(%n) : memref<?xf32>
  %tv = memref.load %t[%i, %i] : memref<?x3xf32>
  memref.store %tv, %u[%i] : memref<?xf32>
  %r = memref.load %u[%i] : memref<?xf32>
  memref.dealloc %w : memref<3x3xf32>
  memref.dealloc %t : memref<?x3xf32>
  memref.dealloc %u : memref<?xf32>
  return %r : f32
}
