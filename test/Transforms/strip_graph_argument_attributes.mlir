// RUN: graphc-opt %s --graphc-strip-graph-argument-attributes | FileCheck %s

// Tests that the graph dialect's argument and result attributes go, that
// other dialects' stay, and that function attributes stay (the JIT reads
// graph.arena_bytes after the lowering).
// CHECK-LABEL: func.func @step(
// CHECK-SAME: %{{.*}}: memref<4xf32> {bufferization.writable = false},
// CHECK-SAME: %{{.*}}: memref<4xf32>)
// CHECK-SAME: -> memref<4xf32>
// CHECK-SAME: attributes {graph.arena_bytes = array<i64: 64, 0>, llvm.emit_c_interface}
func.func @step(%x: memref<4xf32> {bufferization.writable = false, graph.name = "x"},
                %p: memref<4xf32> {graph.name = "fc.bias", graph.requires_grad})
    -> (memref<4xf32> {graph.name = "loss"})
    attributes {graph.arena_bytes = array<i64: 64, 0>, llvm.emit_c_interface} {
  return %x : memref<4xf32>
}
