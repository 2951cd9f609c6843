// RUN: graphc-opt %s --graphc-cpu-pipeline | FileCheck %s

// Tests that an activation with no LLVM intrinsic (tanh, which libm
// computes) in a matmul's epilogue, computed in the register tiles on
// vectors of 8 x 32 elements, comes out as one libm call per element with
// no vector dialect op and no unrealized cast left for the LLVM IR
// translation (a Linear followed by Tanh failed to translate and crashed
// the compiler; graphc_difftest seed 1164 with --ops=3), in f32 and, after
// casts, f64.
// CHECK-NOT: unrealized_conversion_cast
// CHECK-NOT: vector.
// CHECK-LABEL: llvm.func @linear_tanh(
// CHECK: llvm.call @tanhf(%{{.*}}) : (f32) -> f32
// CHECK-LABEL: llvm.func @linear_tanh_f64(
// CHECK: llvm.call @tanh(%{{.*}}) : (f64) -> f64
// CHECK-NOT: unrealized_conversion_cast
// CHECK-NOT: vector.
func.func @linear_tanh(%x: tensor<?x64xf32>, %w: tensor<64x32xf32>) -> tensor<?x32xf32> {
  %0 = graph.matmul %x, %w : tensor<?x64xf32>, tensor<64x32xf32> -> tensor<?x32xf32>
  %1 = graph.tanh %0 : tensor<?x32xf32>
  return %1 : tensor<?x32xf32>
}

func.func @linear_tanh_f64(%x: tensor<?x64xf32>, %w: tensor<64x32xf32>) -> tensor<?x32xf32> {
  %0 = graph.matmul %x, %w : tensor<?x64xf32>, tensor<64x32xf32> -> tensor<?x32xf32>
  %1 = graph.cast %0 : tensor<?x32xf32> -> tensor<?x32xf64>
  %2 = graph.tanh %1 : tensor<?x32xf64>
  %3 = graph.cast %2 : tensor<?x32xf64> -> tensor<?x32xf32>
  return %3 : tensor<?x32xf32>
}
