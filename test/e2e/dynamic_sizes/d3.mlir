// Defect 3: --train refused a program with two dynamic dimensions (both the
// batch: x is [B, B]).
func.func @forward(%x: tensor<?x?xf32> {graph.name = "x"}, %s: tensor<f32> {graph.name = "s", graph.requires_grad}) -> tensor<2x?x?xf32> {
  %0 = graph.mul %x, %s : tensor<?x?xf32>, tensor<f32> -> tensor<?x?xf32>
  %1 = graph.broadcast_to %0 : tensor<?x?xf32> -> tensor<2x?x?xf32>
  return %1 : tensor<2x?x?xf32>
}
