// Defect 1: the gradient of a shared rhs under a dynamic M, [2, B, 2] x [2, 5],
// was computed over a [0, 2] view of x and came out zero (trained with
// --train --loss=mse --optimizer=sgd).
func.func @forward(%x: tensor<2x?x2xf32> {graph.name = "x"}, %w: tensor<2x5xf32> {graph.name = "w", graph.requires_grad}) -> tensor<2x?x5xf32> {
  %r = graph.matmul %x, %w : tensor<2x?x2xf32>, tensor<2x5xf32> -> tensor<2x?x5xf32>
  return %r : tensor<2x?x5xf32>
}
