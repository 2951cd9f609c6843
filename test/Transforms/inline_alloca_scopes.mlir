// RUN: graphc-opt %s --split-input-file --graphc-inline-alloca-scopes | FileCheck %s

// Tests that a scope without allocations is replaced by its body.
// CHECK-LABEL: func @no_alloca
// CHECK-NOT: memref.alloca_scope
// CHECK: memref.store
func.func @no_alloca(%m: memref<4xf32>, %v: f32, %i: index) {
  memref.alloca_scope {
    memref.store %v, %m[%i] : memref<4xf32>
  }
  return
}

// -----

// Tests that a scope holding a stack allocation is kept.
// CHECK-LABEL: func @with_alloca
// CHECK: memref.alloca_scope
// CHECK: memref.alloca
func.func @with_alloca(%v: f32, %i: index) {
  memref.alloca_scope {
    %a = memref.alloca() : memref<4xf32>
    memref.store %v, %a[%i] : memref<4xf32>
  }
  return
}
