// RUN: graphc-opt %s --split-input-file --verify-diagnostics --graphc-verify-updates-in-place | FileCheck %s

// Tests that updates returned as their argument's own buffer (directly or
// through a cast) pass, and that a function without updates passes.
// CHECK-LABEL: func.func @in_place
func.func @in_place(%p: memref<4xf32>, %s: memref<4xf32>, %x: memref<4xf32>)
    -> (memref<4xf32> {graph.updates_argument = 0 : i64},
        memref<?xf32> {graph.updates_argument = 1 : i64}, memref<4xf32>) {
  %cast = memref.cast %s : memref<4xf32> to memref<?xf32>
  return %p, %cast, %x : memref<4xf32>, memref<?xf32>, memref<4xf32>
}

// CHECK-LABEL: func.func @no_updates
func.func @no_updates(%x: memref<4xf32>) -> memref<4xf32> {
  return %x : memref<4xf32>
}

// -----

// Tests that an update bufferization wrote into a new buffer is refused,
// naming the function, the count and the argument.
// expected-error @+1 {{'step': 1 of 2 updated arguments could not be updated in place ('fc.bias')}}
func.func @step(%w: memref<4xf32> {graph.name = "fc.weight"},
                %b: memref<4xf32> {graph.name = "fc.bias"})
    -> (memref<4xf32> {graph.updates_argument = 0 : i64},
        memref<4xf32> {graph.updates_argument = 1 : i64}) {
  %new = memref.alloc() : memref<4xf32>
  memref.copy %b, %new : memref<4xf32> to memref<4xf32>
  return %w, %new : memref<4xf32>, memref<4xf32>
}
