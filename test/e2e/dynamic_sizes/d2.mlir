// Defect 2: the table said a flattened [B, 3] was {-1} (B floats) while the
// function wrote 3B; it is {-3}.
func.func @forward(%x: tensor<?x3xf32> {graph.name = "x"}) -> tensor<?xf32> {
  %0 = graph.reshape %x : tensor<?x3xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}
