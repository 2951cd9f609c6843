// Defect 2, concat: two [B, 3] along the batch are [2B, 3] ({-2, 3}), not [B, 3].
func.func @forward(%x: tensor<?x3xf32> {graph.name = "x"}, %y: tensor<?x3xf32> {graph.name = "y"}) -> tensor<?x3xf32> {
  %0 = graph.concat %x, %y {dim = 0 : i64} : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
