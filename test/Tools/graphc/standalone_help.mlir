// RUN: graphc %S/Inputs/lenet.mlirbc --train --loss=cross_entropy --optimizer=sgd --momentum=0.9 \
// RUN:   --emit=exe -o %t.exe
// RUN: %t.exe --help | FileCheck %s
// RUN: llvm-nm %t.exe | FileCheck %s --check-prefix=SYMBOLS
// RUN: llvm-nm %t.exe | FileCheck %s --check-prefix=DROPPED
// RUN: graphc %S/Inputs/lenet.mlirbc --train --loss=cross_entropy --optimizer=sgd \
// RUN:   --emit=exe --data-parallel=false -o %t.whole.exe
// RUN: llvm-nm %t.whole.exe | FileCheck %s --check-prefix=WHOLE

// Tests that a standalone executable's --help names the loss and optimizer it
// was compiled with, its classes and every flag's default, and that the
// object holds eval and the step's two halves only (graphc-keep-entry-points):
// the executable trains through them whether mpirun starts it or not, so no
// whole train_step is compiled as well. Without --data-parallel, the object
// holds train_step and eval.
// CHECK: usage: {{.*}}.exe [--data DIR]
// CHECK: loss:      cross_entropy
// CHECK-NEXT: optimizer: sgd (momentum 0.9, dampening 0, nesterov false, weight decay 0)
// CHECK-NEXT: classes:   10 (labels 0 to 9)
// CHECK: --epochs N {{ *}}passes over the training set (default 1)
// CHECK: --batch N {{ *}}images per step (default 64;
// CHECK: --lr X {{ *}}learning rate (default 0.001)
// CHECK: --normalize MEAN,STD pixel normalization (default 0.5,0.5)
// SYMBOLS: {{[DR]}} graphc_standalone{{$}}
// SYMBOLS: T standalone_help_mlir_tmp_eval{{$}}
// SYMBOLS: T standalone_help_mlir_tmp_train_step_apply{{$}}
// SYMBOLS: T standalone_help_mlir_tmp_train_step_gradients{{$}}
// DROPPED-NOT: tmp_forward
// DROPPED-NOT: tmp_loss
// DROPPED-NOT: tmp_train_step{{$}}
// WHOLE: T standalone_help_mlir_tmp_whole_eval{{$}}
// WHOLE: T standalone_help_mlir_tmp_whole_train_step{{$}}
// WHOLE-NOT: train_step_gradients
