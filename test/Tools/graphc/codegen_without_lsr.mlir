// RUN: graphc %s --emit=obj -o %t.o --time-passes 2>&1 | FileCheck %s
// RUN: graphc %s --emit=obj -o %t.o --time-passes -disable-lsr=false 2>&1 | FileCheck %s --check-prefix=LSR

// Tests that graphc's code generation runs without LLVM's Loop Strength
// Reduction (graphc::configureLLVMCodegen: it took a third of the code
// generation time over the unrolled register tiles, for no faster code),
// and that an explicit -disable-lsr=false on the command line still wins.
// CHECK: Pass execution timing report
// CHECK-NOT: Loop Strength Reduction
// LSR: Loop Strength Reduction
func.func @forward(%x: tensor<?x4xf32> {graph.name = "x"},
                   %w: tensor<3x4xf32> {graph.name = "fc.weight", graph.requires_grad}) -> tensor<?x3xf32> {
  %t = graph.transpose %w {permutation = array<i64: 1, 0>} : tensor<3x4xf32> -> tensor<4x3xf32>
  %0 = graph.matmul %x, %t : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
