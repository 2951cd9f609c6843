// RUN: not graphc %s --function=model -o %t.o 2>&1 | FileCheck %s

// Tests that a function whose C symbol would be the model table's
// (PREFIX_model) is refused by name instead of being renamed silently.
// CHECK: graphc: error: function 'model' would get the C symbol of the model's own PREFIX_model; rename it
func.func @model(%x: tensor<?x4xf32> {graph.name = "x"}) -> tensor<?x4xf32> {
  %0 = graph.relu %x : tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
