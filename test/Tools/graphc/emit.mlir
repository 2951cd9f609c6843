// RUN: graphc %s --emit=graph | FileCheck %s --check-prefix=GRAPH
// RUN: graphc %s --emit=linalg | FileCheck %s --check-prefix=LINALG
// RUN: graphc %s --emit=llvm-mlir | FileCheck %s --check-prefix=LLVMMLIR
// RUN: graphc %s --emit=llvm -O3 | FileCheck %s --check-prefix=LLVM
// RUN: graphc %s --emit=asm | FileCheck %s --check-prefix=ASM
// RUN: graphc %s -o %t.o && llvm-nm %t.o | FileCheck %s --check-prefix=OBJ
// RUN: graphc %s --emit=dot | FileCheck %s --check-prefix=DOT
// RUN: graphc %s --train --loss=cross_entropy --optimizer=adam --emit=graph | FileCheck %s --check-prefix=TRAIN
// RUN: graphc --version | FileCheck %s --check-prefix=VERSION
// RUN: graphc-opt %s --emit-bytecode -o %t.mlirbc && graphc %t.mlirbc --emit=graph | FileCheck %s --check-prefix=GRAPH

// A traced two-layer classifier, as --emit-graph writes it.
// GRAPH: func.func @forward
// GRAPH: graph.matmul
// LINALG: linalg.generic
// LINALG-NOT: graph.
// LLVMMLIR: llvm.func @_mlir_ciface_forward
// LLVMMLIR-NOT: graph.name
// The C interface is named after the model (the input's or output's stem);
// MLIR's own functions become local.
// LLVM: define {{.*}}i32 @emit_forward_call(
// ASM: emit_forward_call:
// OBJ: T emit_mlir_tmp_forward
// OBJ: T emit_mlir_tmp_forward_call
// OBJ-NOT: T forward
// DOT: digraph graphc {
// DOT: label="forward";
// DOT: [shape=ellipse, label="fc.weight\n[3, 4] f32"];
// DOT: label="graph.matmul\n[?, 3] f32"
// TRAIN: func.func @forward(%arg0: tensor<?x4xf32> {graph.name = "x", graph.role = #graph.role<input>}, %arg1: tensor<3x4xf32> {graph.name = "fc.weight", graph.role = #graph.role<parameter>})
// TRAIN: func.func @loss(
// TRAIN-SAME: %arg2: tensor<?xi64> {graph.name = "target", graph.role = #graph.role<target>}
// TRAIN: func.func @train_step(
// TRAIN-SAME: {graph.name = "exp_avg.fc.weight", graph.role = #graph.role<optimizer_state>}
// TRAIN-NOT: func.func @forward_grad
// VERSION: graphc 0.1.0
func.func @forward(%x: tensor<?x4xf32> {graph.name = "x"},
                   %w: tensor<3x4xf32> {graph.name = "fc.weight", graph.requires_grad}) -> tensor<?x3xf32> {
  %t = graph.transpose %w {permutation = array<i64: 1, 0>} : tensor<3x4xf32> -> tensor<4x3xf32>
  %0 = graph.matmul %x, %t : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
