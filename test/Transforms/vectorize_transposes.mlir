// RUN: graphc-opt %s --split-input-file --graphc-vectorize-transposes | FileCheck %s

// Tests that a 2-D f32 transpose becomes 16 x 16 blocks: a loop over block
// rows (marked independent) and block columns; each full block one read,
// the 16 x 16 shuffle network and one write; the partial blocks of the
// dynamic dimension peeled and left a linalg.transpose.
// CHECK-LABEL: func.func @dynamic_columns
// CHECK: scf.for %[[R:.*]] = %c0 to %c128 step %c16
// CHECK: scf.for %[[C:.*]] = %c0 to %{{.*}} step %c16
// CHECK: %[[BLOCK:.*]] = vector.transfer_read %{{.*}} : tensor<16x16xf32>, vector<16x16xf32>
// CHECK-NOT: vector.transpose
// CHECK-COUNT-64: vector.shuffle
// CHECK-NOT: vector.shuffle
// CHECK: vector.transfer_write %{{.*}} : vector<16x16xf32>, tensor<16x16xf32>
// CHECK: scf.for
// CHECK: linalg.transpose ins(%{{.*}} : tensor<?x16xf32>) outs(%{{.*}} : tensor<16x?xf32>)
// CHECK: } {graph.independent_iterations}
func.func @dynamic_columns(%dy: tensor<?x128xf32>) -> tensor<128x?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %dy, %c0 : tensor<?x128xf32>
  %init = tensor.empty(%n) : tensor<128x?xf32>
  %t = linalg.transpose ins(%dy : tensor<?x128xf32>) outs(%init : tensor<128x?xf32>) permutation = [1, 0]
  return %t : tensor<128x?xf32>
}

// -----

// Tests that a transpose with fewer than 16 rows has only partial blocks,
// which stay linalg.transpose, and that other element types and ranks are
// left as they are.
// CHECK-LABEL: func.func @left
// CHECK-NOT: vector.
// CHECK: linalg.transpose ins(%{{.*}} : tensor<10x16xf32>)
// CHECK: linalg.transpose ins(%{{.*}} : tensor<32x32xf64>)
// CHECK: linalg.transpose ins(%{{.*}} : tensor<2x16x16xf32>)
func.func @left(%a: tensor<10x64xf32>, %b: tensor<32x32xf64>, %c: tensor<2x16x16xf32>) -> (tensor<64x10xf32>, tensor<32x32xf64>, tensor<16x2x16xf32>) {
  %ia = tensor.empty() : tensor<64x10xf32>
  %ta = linalg.transpose ins(%a : tensor<10x64xf32>) outs(%ia : tensor<64x10xf32>) permutation = [1, 0]
  %ib = tensor.empty() : tensor<32x32xf64>
  %tb = linalg.transpose ins(%b : tensor<32x32xf64>) outs(%ib : tensor<32x32xf64>) permutation = [1, 0]
  %ic = tensor.empty() : tensor<16x2x16xf32>
  %tc = linalg.transpose ins(%c : tensor<2x16x16xf32>) outs(%ic : tensor<16x2x16xf32>) permutation = [1, 0, 2]
  return %ta, %tb, %tc : tensor<64x10xf32>, tensor<32x32xf64>, tensor<16x2x16xf32>
}
