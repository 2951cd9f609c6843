// RUN: graphc-opt %s --split-input-file --verify-diagnostics --graphc-number-constant-globals | FileCheck %s

// Tests that bufferization's constant globals are renamed by first use in
// the module's order and moved to its top in that order, that uses follow
// the new names, and that an unused constant comes last. Globals that are
// not private constants keep their names, and one whose name a constant
// would take is refused.
// CHECK: memref.global "private" constant @__constant_0 : memref<f32> = dense<2.000000e+00>
// CHECK-NEXT: memref.global "private" constant @__constant_1 : memref<f32> = dense<1.000000e+00>
// CHECK-NEXT: memref.global "private" constant @__constant_2 : memref<f32> = dense<3.000000e+00>
// CHECK: memref.global "public" @state
// CHECK-LABEL: func.func @first
// CHECK: memref.get_global @__constant_0
// CHECK: memref.get_global @__constant_1
// CHECK-LABEL: func.func @second
// CHECK: memref.get_global @__constant_1
memref.global "private" constant @__constant_xf32_1 : memref<f32> = dense<1.0>
memref.global "private" constant @__constant_xf32_0 : memref<f32> = dense<3.0>
memref.global "public" @state : memref<f32> = dense<0.0>
memref.global "private" constant @__constant_xf32 : memref<f32> = dense<2.0>

func.func @first() -> (memref<f32>, memref<f32>) {
  %a = memref.get_global @__constant_xf32 : memref<f32>
  %b = memref.get_global @__constant_xf32_1 : memref<f32>
  return %a, %b : memref<f32>, memref<f32>
}

func.func @second() -> memref<f32> {
  %b = memref.get_global @__constant_xf32_1 : memref<f32>
  return %b : memref<f32>
}

// -----

// A symbol that keeps its name but has one a constant would be numbered
// to is refused by name, instead of two symbols with one name.
memref.global "private" constant @__constant_xf32 : memref<f32> = dense<2.0>
// expected-error@+1 {{symbol '__constant_0' has a name that a numbered constant global takes}}
memref.global "public" @__constant_0 : memref<f32> = dense<0.0>
func.func @uses() -> memref<f32> {
  %a = memref.get_global @__constant_xf32 : memref<f32>
  return %a : memref<f32>
}
