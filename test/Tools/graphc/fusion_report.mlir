// RUN: graphc %s --emit=fusion-report | FileCheck %s
// RUN: graphc %s --train --loss=mse --optimizer=sgd --emit=fusion-report \
// RUN:   | FileCheck %s --check-prefix=TRAIN
// RUN: graphc %s --target=cuda --emit=fusion-report | FileCheck %s --check-prefix=CUDA

// Tests that --emit=fusion-report lists each loop nest after
// graphc-fuse-elementwise with the graph ops it computes (named as
// --emit=graph prints them), and counts them.
// On the CPU the matmul's register tiles compute its epilogue (the bias add
// and ReLU): one line.
// CHECK-LABEL: @forward:
// CHECK-NEXT: 1  linalg.transpose graph.transpose %0
// CHECK-NEXT: 2  linalg.fill graph.matmul %1
// CHECK-NEXT: 3  linalg.generic (2 parallel, 1 reduction loops) graph.matmul %1 + graph.add %2 + graph.relu %3 (epilogue in the tiles)
// CHECK-NEXT: 3 loop nests for 4 graph ops; 1 of them compute two or more
// The CUDA target's kernels do not.
// CUDA-LABEL: @forward:
// CUDA: 3  linalg.generic (2 parallel, 1 reduction loops) graph.matmul %1
// CUDA-NEXT: 4  linalg.generic (2 parallel loops) graph.add %2 + graph.relu %3
// CUDA-NEXT: 4 loop nests for 4 graph ops; 1 of them compute two or more

// In the training step the ReLU's input is read again by its mask in the
// backward pass: the nest that computes it (with the ReLU and the loss's
// difference), the matmul's epilogue, yields it too. SGD's update of each
// parameter is one nest, never an epilogue (it is written in place).
// TRAIN-LABEL: @train_step:
// TRAIN: linalg.generic (2 parallel, 1 reduction loops) graph.matmul %{{[0-9]+}} + graph.add %{{[0-9]+}} + graph.relu %{{[0-9]+}} + graph.sub %{{[0-9]+}} (epilogue in the tiles)
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
