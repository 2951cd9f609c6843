// RUN: graphc %s --emit=fusion-report | FileCheck %s
// RUN: graphc %s --train --loss=mse --optimizer=sgd --emit=fusion-report \
// RUN:   | FileCheck %s --check-prefix=TRAIN

// Tests that --emit=fusion-report lists each loop nest after
// graphc-fuse-elementwise with the graph ops it computes (named as
// --emit=graph prints them), and counts them.
// CHECK-LABEL: @forward:
// CHECK-NEXT: 1  linalg.transpose graph.transpose %0
// CHECK-NEXT: 2  linalg.fill graph.matmul %1
// CHECK-NEXT: 3  linalg.generic (2 parallel, 1 reduction loops) graph.matmul %1
// CHECK-NEXT: 4  linalg.generic (2 parallel loops) graph.add %2 + graph.relu %3
// CHECK-NEXT: 4 loop nests for 4 graph ops; 1 of them compute two or more

// In the training step the ReLU's input is read again by its mask in the
// backward pass: the nest that computes it (with the ReLU and the loss's
// difference) yields it too. SGD's update of each parameter is one nest.
// TRAIN-LABEL: @train_step:
// TRAIN: linalg.generic (2 parallel loops, 2 results) graph.add %{{[0-9]+}} + graph.relu %{{[0-9]+}}
// TRAIN: linalg.generic (2 parallel loops) graph.mul %{{[0-9]+}} + graph.sub %{{[0-9]+}}
// TRAIN: linalg.generic (1 parallel loop) graph.mul %{{[0-9]+}} + graph.sub %{{[0-9]+}}
func.func @forward(%x: tensor<?x4xf32> {graph.name = "x"},
                   %w: tensor<3x4xf32> {graph.name = "fc.weight", graph.requires_grad},
                   %b: tensor<3xf32> {graph.name = "fc.bias", graph.requires_grad}) -> tensor<?x3xf32> {
  %t = graph.transpose %w {permutation = array<i64: 1, 0>} : tensor<3x4xf32> -> tensor<4x3xf32>
  %0 = graph.matmul %x, %t : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %1 = graph.add %0, %b : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %2 = graph.relu %1 : tensor<?x3xf32>
  return %2 : tensor<?x3xf32>
}
