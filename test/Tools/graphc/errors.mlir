// RUN: not graphc %s --emit=graph 2>&1 | FileCheck %s
// RUN: not graphc %s --target=cuda 2>&1 | FileCheck %s --check-prefix=CUDA
// RUN: not graphc %s --target=cuda --emit=ptx --gpu-arch=sm_100 2>&1 | FileCheck %s --check-prefix=GPUARCH
// RUN: not graphc %s --emit=ptx 2>&1 | FileCheck %s --check-prefix=PTXCPU
// RUN: not graphc %s --target=tpu 2>&1 | FileCheck %s --check-prefix=TARGET
// RUN: not graphc %S/does-not-exist.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not graphc %s --emit=exe 2>&1 | FileCheck %s --check-prefix=EXE
// RUN: not graphc %s --train --loss=hinge 2>&1 | FileCheck %s --check-prefix=LOSS
// RUN: not graphc %S/Inputs/prediction_2b.mlir --train --loss=mse 2>&1 | FileCheck %s --check-prefix=PREDICTION
// RUN: python3 -c "print('#a = ' + '[' * 10000 + ']' * 10000)" > %t.deep.mlir
// RUN: not graphc %t.deep.mlir 2>&1 | FileCheck %s --check-prefix=DEEP
// RUN: not graphc %S/Inputs/corrupt.mlirbc 2>&1 | FileCheck %s --check-prefix=BYTECODE
// RUN: not graphc %S/Inputs/corrupt_teardown.mlirbc 2>&1 | FileCheck %s --check-prefix=TEARDOWN
// RUN: not graphc %S/Inputs/corrupt_fuzz_parent.mlirbc 2>&1 | FileCheck %s --check-prefix=PARENT
// RUN: graphc %S/Inputs/lenet.mlirbc --emit=graph | FileCheck %s --check-prefix=BYTECODE-OK
// RUN: not graphc %S/Inputs/trainable.mlir --train --loss=mse --optimizer=lbfgs 2>&1 | FileCheck %s --check-prefix=OPTIMIZER
// RUN: not graphc %S/Inputs/rank1_prediction.mlir --train --loss=cross_entropy 2>&1 | FileCheck %s --check-prefix=CLASSES
// RUN: not graphc %S/Inputs/trainable.mlir --train --loss=mse --optimizer=adam --beta1=nan 2>&1 | FileCheck %s --check-prefix=BETA1
// RUN: not graphc %S/Inputs/trainable.mlir --train --loss=mse --optimizer=adam --eps=-1 2>&1 | FileCheck %s --check-prefix=EPS
// RUN: not graphc %S/Inputs/trainable.mlir --train --loss=mse --momentum=-0.5 2>&1 | FileCheck %s --check-prefix=MOMENTUM
// RUN: not graphc %S/Inputs/trainable.mlir --train --loss=mse --weight-decay=-2 2>&1 | FileCheck %s --check-prefix=DECAY

// Malformed input reports file:line:col and exits non-zero.
// GPUARCH: error: --gpu-arch 'sm_100': expected sm_50 .. sm_90 or sm_90a
// PTXCPU: error: --emit=ptx needs --target=cuda
// TARGET: error: unknown --target 'tpu' (cpu or cuda)
// CHECK: errors.mlir:[[@LINE+3]]:{{[0-9]+}}: error: {{.*}}cannot be broadcast together
// CUDA: errors.mlir:[[@LINE+2]]:{{[0-9]+}}: error: {{.*}}cannot be broadcast together
func.func @forward(%a: tensor<4x3xf32>, %b: tensor<5xf32>) -> tensor<4x3xf32> {
  %0 = graph.add %a, %b : tensor<4x3xf32>, tensor<5xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// MISSING: graphc: error: {{.*}}does-not-exist.mlir
// EXE: --emit=exe builds a training executable: add --train
// LOSS: error
// Training a model whose prediction is 2B rows (a concat along the batch) is
// refused at its return: the target's dynamic sizes are the batch B.
// PREDICTION: prediction_2b.mlir:6:3: error: 'forward' returns a prediction of sizes [2B, static]; training needs one whose dynamic sizes are the batch B
// PREDICTION-NOT: see current operation
// The optimizer's hyperparameters are range checked as PyTorch checks them,
// naming the flag and its value.
// BETA1: error: --beta1=nan is out of range: it must be in [0, 1)
// EPS: error: --eps=-1 is out of range: it must be in [0, inf)
// MOMENTUM: error: --momentum=-0.5 is out of range: it must be in [0, inf)
// DECAY: error: --weight-decay=-2 is out of range: it must be in [0, inf)
// A file nested 10,000 brackets deep is refused before MLIR's recursive
// parser could overflow its stack.
// DEEP: deep.mlir:1:262: error: nesting deeper than 256 levels; graphc refuses the file rather than overflow the parser's stack
// An unknown optimizer is named as the flag, and a prediction the loss cannot
// take is refused at the model's return (not inside the loss's ops, at
// "<graphc --train>:0", as before).
// OPTIMIZER: trainable.mlir:0:0: error: unknown --optimizer 'lbfgs' (sgd, adam, adamw, rmsprop or adagrad)
// CLASSES: rank1_prediction.mlir:4:3: error: 'forward' returns tensor<?xf32>; --loss=cross_entropy takes class scores [B, C] (float, rank 2)
// CLASSES-NOT: graphc --train
// A bytecode file that crashes MLIR 19's bytecode reader (the traced LeNet
// with a few bytes changed; it read out of bounds in defineValues) is refused;
// the intact file reads as before.
// BYTECODE: error: '{{.*}}corrupt.mlirbc' is corrupt MLIR bytecode: MLIR's bytecode reader crashes on it
// A file bytecode_fuzzer found: it reads, and crashes the process only when
// its context is destroyed; the guard's child now tears down too.
// TEARDOWN: error: '{{.*}}corrupt_teardown.mlirbc' is corrupt MLIR bytecode
// A file bytecode_fuzzer found in make test (2026-11-30): in the fuzzing
// process the guard's child read it and the process's own read of the same
// bytes then corrupted its heap (a crash when its context was destroyed).
// Run alone it crashes the child and is refused; either way the process no
// longer reads bytecode at all: the child sends the module back as text.
// PARENT: error: '{{.*}}corrupt_fuzz_parent.mlirbc' is corrupt MLIR bytecode
// BYTECODE-NOT: PLEASE submit a bug report
// BYTECODE-OK: graph.conv2d
