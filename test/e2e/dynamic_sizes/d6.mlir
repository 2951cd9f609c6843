// Defect 6: concat along the dynamic batch had no gradient. y = sum over the
// 2B rows of [x * w; x] squared: the square makes the two halves' gradients
// differ, so that a gradient sliced from the wrong half is wrong. The result
// is static, so --train's target is too.
func.func @forward(%x: tensor<?x3xf32> {graph.name = "x"}, %w: tensor<3xf32> {graph.name = "w", graph.requires_grad}) -> tensor<3xf32> {
  %0 = graph.mul %x, %w : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %1 = graph.concat %0, %x {dim = 0 : i64} : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  %2 = graph.mul %1, %1 : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  %3 = graph.reduce_sum %2 {dims = array<i64: 0>} : tensor<?x3xf32> -> tensor<3xf32>
  return %3 : tensor<3xf32>
}
