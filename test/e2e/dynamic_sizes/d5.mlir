// Defect 5: refused with --batch=1 alone (the broadcast result stayed dynamic
// where its operand became a static 1).
func.func @forward(%x: tensor<?x1xf32> {graph.name = "x"}) -> tensor<?x10xf32> {
  %0 = graph.broadcast_to %x : tensor<?x1xf32> -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}
