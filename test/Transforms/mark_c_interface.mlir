// RUN: graphc-opt %s --graphc-mark-c-interface | FileCheck %s

// Tests that a public function gets the C interface and read-only arguments,
// that an argument already marked writable stays writable, and that private
// functions and declarations are left alone.
// CHECK-LABEL: func.func @forward
// CHECK-SAME: %{{.*}}: tensor<4xf32> {bufferization.writable = false, graph.name = "x"}
// CHECK-SAME: %{{.*}}: tensor<4xf32> {bufferization.writable = true}
// CHECK-SAME: attributes {llvm.emit_c_interface}
func.func @forward(%x: tensor<4xf32> {graph.name = "x"},
                   %p: tensor<4xf32> {bufferization.writable = true}) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// CHECK-LABEL: func.func private @helper
// CHECK-NOT: bufferization.writable
// CHECK-NOT: llvm.emit_c_interface
// CHECK-SAME: {
func.func private @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// CHECK-LABEL: func.func private @external
// CHECK-NOT: bufferization.writable
// CHECK-NOT: emit_c_interface
func.func private @external(%x: tensor<4xf32>) -> tensor<4xf32>
