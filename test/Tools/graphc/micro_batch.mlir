// RUN: graphc %S/Inputs/lenet.mlirbc --train --loss=cross_entropy --micro-batch=16 --emit=graph \
// RUN:   | FileCheck %s
// RUN: graphc %S/Inputs/lenet.mlirbc --train --loss=cross_entropy --micro-batch=16 --emit=graph \
// RUN:   | FileCheck %s --check-prefix=NOWHOLE
// RUN: graphc %S/Inputs/lenet.mlirbc --train --loss=cross_entropy --micro-batch=16 --emit=exe \
// RUN:   -o %t.exe
// RUN: llvm-nm %t.exe | FileCheck %s --check-prefix=SYMBOLS
// RUN: %t.exe --help | FileCheck %s --check-prefix=HELP
// RUN: not graphc %S/Inputs/lenet.mlirbc --train --micro-batch=0 --emit=graph 2>&1 \
// RUN:   | FileCheck %s --check-prefix=ZERO
// RUN: not graphc %S/Inputs/lenet.mlirbc --micro-batch=16 --emit=graph 2>&1 \
// RUN:   | FileCheck %s --check-prefix=NOTRAIN
// RUN: not graphc %S/Inputs/lenet.mlirbc --train --micro-batch=16 --batch=64 --emit=graph 2>&1 \
// RUN:   | FileCheck %s --check-prefix=STATIC
// RUN: not graphc %S/Inputs/lenet.mlirbc --train --micro-batch=16 --target=cuda --emit=graph 2>&1 \
// RUN:   | FileCheck %s --check-prefix=CUDA
// RUN: not graphc %S/Inputs/lenet.mlirbc --train --micro-batch=16 --data-parallel=false \
// RUN:   --emit=graph 2>&1 | FileCheck %s --check-prefix=WHOLE

// Tests that --micro-batch=16 adds the data-parallel step's halves (it
// implies --data-parallel) and the first half at a static batch of 16
// (graphc-specialize-micro-batch), and that a standalone executable keeps
// it beside the halves; and that the flag is refused, naming it, where it
// cannot apply. The whole train_step is gone: the step runs as its halves.
// NOWHOLE-NOT: func.func @train_step(
// CHECK-LABEL: func.func @train_step_gradients(
// CHECK-SAME: tensor<?x1x28x28xf32>
// CHECK-LABEL: func.func @train_step_micro_gradients(
// CHECK-SAME: tensor<16x1x28x28xf32>
// CHECK-SAME: tensor<16xi64>
// CHECK: graph.conv2d {{.*}} -> tensor<16x6x28x28xf32>
// CHECK-LABEL: func.func @train_step_apply(
// SYMBOLS: T micro_batch_mlir_tmp_train_step_apply{{$}}
// SYMBOLS: T micro_batch_mlir_tmp_train_step_gradients{{$}}
// SYMBOLS: T micro_batch_mlir_tmp_train_step_micro_gradients{{$}}
// HELP: classes:   10 (labels 0 to 9)
// HELP-NEXT: parts:     16 rows (a larger batch's step is computed in parts of that many rows, on the threads: graphc --micro-batch)
// ZERO: graphc: error: --micro-batch must be at least 1, got 0
// NOTRAIN: graphc: error: --micro-batch splits a training step: add --train
// STATIC: graphc: error: --micro-batch splits a dynamic batch; --batch makes it static
// CUDA: graphc: error: --micro-batch is for --target=cpu
// WHOLE: error: --micro-batch needs the data-parallel step's first half, 'train_step_gradients'
