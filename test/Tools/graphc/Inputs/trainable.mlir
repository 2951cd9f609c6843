// Used by errors.mlir: y = x @ w^T, with a weight to train.
func.func @forward(%x: tensor<?x4xf32> {graph.name = "x"},
                   %w: tensor<3x4xf32> {graph.name = "fc.weight", graph.requires_grad}) -> tensor<?x3xf32> {
  %t = graph.transpose %w {permutation = array<i64: 1, 0>} : tensor<3x4xf32> -> tensor<4x3xf32>
  %0 = graph.matmul %x, %t : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
