// Used by errors.mlir: a model whose prediction has 2B rows.
func.func @forward(%x: tensor<?x3xf32> {graph.name = "x"}, %w: tensor<3xf32> {graph.name = "w", graph.requires_grad}) -> tensor<?x3xf32> {
  %0 = graph.mul %x, %w : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %1 = graph.concat %0, %x {dim = 0 : i64} : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  // The return below is line 6.
  return %1 : tensor<?x3xf32>
}
