// Used by errors.mlir: a prediction of rank 1, which cross_entropy cannot take.
func.func @forward(%x: tensor<?xf32> {graph.name = "x"}, %w: tensor<f32> {graph.name = "w", graph.requires_grad}) -> tensor<?xf32> {
  %0 = graph.mul %x, %w : tensor<?xf32>, tensor<f32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}
