// RUN: graphc %S/Inputs/lenet.mlirbc --train --optimizer=rmsprop --momentum=0.5 --centered \
// RUN:   --emit=exe -o %t.rmsprop.exe 2>&1 | FileCheck %s --check-prefix=SWITCH --allow-empty
// RUN: %t.rmsprop.exe --help | FileCheck %s --check-prefix=RMSPROP
// RUN: graphc %S/Inputs/lenet.mlirbc --train --optimizer=adagrad --lr-decay=0.01 \
// RUN:   --emit=exe -o %t.adagrad.exe
// RUN: %t.adagrad.exe --help | FileCheck %s --check-prefix=ADAGRAD
// RUN: not graphc %S/Inputs/lenet.mlirbc --train --optimizer=adagrad --lr-decay=-1 \
// RUN:   --emit=obj -o %t.o 2>&1 | FileCheck %s --check-prefix=RANGE
// RUN: not graphc %S/Inputs/lenet.mlirbc --train --optimizer=rmsprp \
// RUN:   --emit=obj -o %t.o 2>&1 | FileCheck %s --check-prefix=UNKNOWN

// Tests RMSprop and Adagrad from the driver. lenet.mlirbc records SGD with
// momentum 0.9: an --optimizer naming another optimizer starts from that
// optimizer's defaults (Adagrad's eps is 1e-10), not from SGD's recorded
// settings, and no note says a flag overrides them.
// SWITCH: overrides the graph's recorded optimizer
// SWITCH-NOT: overrides the graph's recorded momentum
// RMSPROP: optimizer: rmsprop (alpha 0.99, eps 1e-08, momentum 0.5, centered true, weight decay 0)
// ADAGRAD: optimizer: adagrad (lr decay 0.01, initial accumulator value 0, eps 1e-10, weight decay 0)
// RANGE: error: --lr-decay=-1 is out of range: it must be in [0, inf)
// UNKNOWN: error: unknown --optimizer 'rmsprp' (sgd, adam, adamw, rmsprop or adagrad)
