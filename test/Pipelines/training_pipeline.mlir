// RUN: graphc-opt %s --graphc-training-pipeline="loss=nll optimizer=adam" | FileCheck %s
// RUN: graphc-opt %s --graphc-training-pipeline="loss=nll optimizer=adam" -o %t.opt.mlir
// RUN: graphc %s --train --loss=nll --optimizer=adam --emit=graph -o %t.driver.mlir
// RUN: diff -B %t.opt.mlir %t.driver.mlir
// RUN: graphc %s --train --loss=nll --optimizer=adam --emit=graph -o /dev/null --mlir-print-ir-after-all 2>&1 | FileCheck %s --check-prefix=STEPS

// Tests that the training pipeline takes a model function to its loss,
// eval, gradient and train_step: the loss inlined (no call left), the
// gradient function of the loss only, and Adam's train_step with its
// state; that `graphc --train` runs exactly this pipeline (same module);
// and that MLIR's pass-manager flags show each step on the driver's path.
// CHECK-LABEL: func.func @forward(
// CHECK-LABEL: func.func @loss(
// CHECK-NOT: call
// CHECK: graph.reduce_mean
// CHECK-LABEL: func.func @loss_grad(
// CHECK-SAME: attributes {graph.gradient_of = "loss"}
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: {graph.name = "exp_avg.w", graph.role = #graph.role<optimizer_state>}
// CHECK-SAME: attributes {graph.optimizer = "adam"}
// CHECK-LABEL: func.func @eval(
// CHECK-NOT: func.func @forward_grad
// CHECK-NOT: func.func @eval_grad
// STEPS: IR Dump After AppendLoss
// STEPS: IR Dump After Inliner
// STEPS: IR Dump After Autodiff
// STEPS: IR Dump After Optimizer
// STEPS: IR Dump After Canonicalizer
// STEPS: IR Dump After CSE
func.func @forward(%x: tensor<?x4xf32> {graph.name = "x"},
                   %w: tensor<4x3xf32> {graph.name = "w", graph.requires_grad}) -> tensor<?x3xf32> {
  %0 = graph.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
