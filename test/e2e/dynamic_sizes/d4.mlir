// Defect 4: a function returning its dynamic-shaped argument did not lower.
func.func @forward(%x: tensor<?x2xf32> {graph.name = "x"}) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
