// RUN: graphc %s --emit=llvm-mlir --mattr=+avx2,+fma,-avx512f | FileCheck %s --check-prefix=AVX2
// RUN: graphc %s --emit=llvm-mlir --mattr=+avx2,+fma,+avx512f | FileCheck %s --check-prefix=AVX512

// Tests that the register tiles are sized for the vector registers of the
// target graphc compiles for (vectorBitsOf its TargetMachine, whatever the
// host has): AVX2's 16 registers of 8 floats take 6 x 16 matmul tiles (12
// accumulator registers; rows of 16 floats, two registers each), AVX-512's
// 32 of 16 take 8 x 32 (16). The AVX-512 tiles on AVX2 need 32 registers
// and spill.
// AVX2-LABEL: llvm.func @forward
// AVX2: llvm.intr.fmuladd({{.*}}) : (vector<16xf32>, vector<16xf32>, vector<16xf32>) -> vector<16xf32>
// AVX2-NOT: vector<32xf32>
// AVX512-LABEL: llvm.func @forward
// AVX512: llvm.intr.fmuladd({{.*}}) : (vector<32xf32>, vector<32xf32>, vector<32xf32>) -> vector<32xf32>
func.func @forward(%x: tensor<64x64xf32> {graph.name = "x"},
                   %w: tensor<64x64xf32> {graph.name = "fc.weight"}) -> tensor<64x64xf32> {
  %0 = graph.matmul %x, %w : tensor<64x64xf32>, tensor<64x64xf32> -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}
