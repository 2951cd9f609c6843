// RUN: graphc %s --name=roles --train --loss=mse --emit=header -o %t.h
// RUN: python3 -c "import json, sys; [print(f['name'], a['name'], a['role']) for f in json.load(open(sys.argv[1]))['functions'] for a in f['arguments']]" %t.json | FileCheck %s

// Tests that roles come from the graph, never from names: the model's input
// is called `target` here, and stays an input beside the loss's target in
// train_step; the parameter is one because it is marked requires_grad.
// CHECK: forward target input
// CHECK-NEXT: forward fc.weight parameter
// CHECK: train_step target input
// CHECK-NEXT: train_step target target
// CHECK-NEXT: train_step fc.weight parameter
// CHECK-NEXT: train_step step step
// CHECK-NEXT: train_step lr lr
func.func @forward(%target: tensor<?x4xf32> {graph.name = "target"},
                   %w: tensor<3x4xf32> {graph.name = "fc.weight", graph.requires_grad}) -> tensor<?x3xf32> {
  %t = graph.transpose %w {permutation = array<i64: 1, 0>} : tensor<3x4xf32> -> tensor<4x3xf32>
  %0 = graph.matmul %target, %t : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
