// y = x @ w^T for a batch of 4-vectors and a 3x4 weight.
func.func @forward(%x: tensor<?x4xf32> {graph.name = "x"},
                   %w: tensor<3x4xf32> {graph.name = "fc.weight", graph.requires_grad, graph.init_bound = 0.5 : f64}) -> tensor<?x3xf32> {
  %t = graph.transpose %w {permutation = array<i64: 1, 0>} : tensor<3x4xf32> -> tensor<4x3xf32>
  %0 = graph.matmul %x, %t : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
