// RUN: graphc-opt %s --graphc-cpu-pipeline | FileCheck %s

// Tests that the CPU pipeline takes a graph function with a dynamic batch
// (matmul + bias add + relu) all the way to the LLVM dialect: one llvm.func
// with the memref descriptors flattened into its arguments, the result's
// among them (the caller's buffer, which a result of dynamic size is copied
// into once; a static one is computed there: @static_layer), the matmul's
// multiply-accumulate as vector FMAs over rows of C (graphc-tile-matmuls: the
// 3 columns as a 2-wide tile, power-of-two vectors only, and a scalar
// column), relu as a compare (unordered or greater than 0) and a select,
// and nothing from the graph,
// linalg, tensor, bufferization, memref, scf, arith, math or func dialects
// left (no op; the one attribute kept is the function's graph.arena_bytes,
// the size of its caller's arena, which the JIT and the driver read), nor any
// unrealized cast.

// CHECK-NOT: {{(graph|linalg|tensor|bufferization|memref|scf|cf|arith|math|affine|func)\.[a-z_0-9]+ [^=]}}
// CHECK-NOT: unrealized_conversion_cast
// CHECK-LABEL: llvm.func @mlp_layer(
// CHECK-SAME: %{{.+}}: !llvm.ptr
// CHECK-NOT: ->
// CHECK-SAME: attributes {graph.arena_bytes = array<i64: {{[0-9]+}}, {{[0-9]+}}>
// CHECK-NOT: {{(graph|linalg|tensor|bufferization|memref|scf|cf|arith|math|affine|func)\.[a-z_0-9]+ [^=]}}
// CHECK-NOT: unrealized_conversion_cast
// CHECK: llvm.intr.fmuladd({{.*}}) : (vector<2xf32>, vector<2xf32>, vector<2xf32>) -> vector<2xf32>
// CHECK-NOT: {{(graph|linalg|tensor|bufferization|memref|scf|cf|arith|math|affine|func)\.[a-z_0-9]+ [^=]}}
// CHECK-NOT: unrealized_conversion_cast
// CHECK: llvm.fcmp "ugt"
// CHECK: llvm.select
// CHECK-NOT: {{(graph|linalg|tensor|bufferization|memref|scf|cf|arith|math|affine|func)\.[a-z_0-9]+ [^=]}}
// CHECK-NOT: unrealized_conversion_cast
// CHECK: "llvm.intr.memcpy"
// CHECK-NEXT: llvm.return
// CHECK-NOT: {{(graph|linalg|tensor|bufferization|memref|scf|cf|arith|math|affine|func)\.[a-z_0-9]+ [^=]}}
// CHECK-NOT: unrealized_conversion_cast
func.func @mlp_layer(%x: tensor<?x4xf32>, %w: tensor<4x3xf32>, %b: tensor<3xf32>) -> tensor<?x3xf32> {
  %0 = graph.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %1 = graph.add %0, %b : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %2 = graph.relu %1 : tensor<?x3xf32>
  return %2 : tensor<?x3xf32>
}

// A result of static size is computed in the caller's buffer: no allocation
// of its own, no copy.
// CHECK-LABEL: llvm.func @static_layer(
// CHECK-NOT: ->
// CHECK-SAME: {
// CHECK-NOT: llvm.call @malloc
// CHECK-NOT: memcpy
// CHECK: llvm.return
func.func @static_layer(%x: tensor<2x4xf32>, %w: tensor<4x3xf32>) -> tensor<2x3xf32> {
  %0 = graph.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  %1 = graph.relu %0 : tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// One buffer returned as two results goes to both of the caller's buffers
// (MLIR 19's hoisting of static results crashed on it).
// CHECK-LABEL: llvm.func @same_result_twice(
// CHECK: "llvm.intr.memcpy"
// CHECK: "llvm.intr.memcpy"
// CHECK: llvm.return
func.func @same_result_twice(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = graph.relu %x : tensor<2x3xf32>
  return %0, %0 : tensor<2x3xf32>, tensor<2x3xf32>
}
