// RUN: graphc %S/../Tools/graphc/Inputs/lenet.mlirbc --train --loss=cross_entropy --optimizer=adam --emit=graph -o %t.train.mlir
// RUN: graphc %t.train.mlir --emit=llvm-mlir --mattr=+avx2,+fma,+avx512f -o %t.driver.mlir
// RUN: graphc-opt %t.train.mlir --graphc-cpu-pipeline -o %t.opt.mlir
// RUN: diff -B %t.driver.mlir %t.opt.mlir
// RUN: graphc %t.train.mlir --emit=llvm-mlir -O0 --mattr=+avx2,+fma,+avx512f -o %t.driver0.mlir
// RUN: graphc-opt %t.train.mlir --graphc-cpu-pipeline=opt-level=0 -o %t.opt0.mlir
// RUN: diff -B %t.driver0.mlir %t.opt0.mlir
// RUN: graphc %t.train.mlir --emit=llvm-mlir --mattr=+avx2,+fma,-avx512f -o %t.driver.avx2.mlir
// RUN: graphc-opt %t.train.mlir --graphc-cpu-pipeline=vector-bits=256 -o %t.opt.avx2.mlir
// RUN: diff -B %t.driver.avx2.mlir %t.opt.avx2.mlir
// RUN: graphc %t.train.mlir --emit=llvm-mlir -o /dev/null --mlir-print-ir-after-all 2>&1 | FileCheck %s --check-prefix=STEPS

// Tests that the driver lowers with exactly the registered pipeline: a
// traced LeNet's training step (the Adam update, the arena, the C
// interface) gives the same LLVM dialect through `graphc --emit=llvm-mlir`
// as through `graphc-opt --graphc-cpu-pipeline`, at the default -O2 and at
// -O0, for an AVX-512 target (the pipeline's default vector-bits=512) and
// an AVX2 one (vector-bits=256: the driver's tiles follow --mattr, not the
// host), and MLIR's pass-manager flags show each step on graphc's real path.
// STEPS: IR Dump After VerifyBatchMultiples
// STEPS: IR Dump After ConvertGraphToLinalg
// STEPS: IR Dump After MarkCInterface
// STEPS: IR Dump After UpdateInPlace
// STEPS: IR Dump After OneShotBufferize
// STEPS: IR Dump After VerifyUpdatesInPlace
// STEPS: IR Dump After NumberConstantGlobals
// STEPS: IR Dump After PlanTemporaryArena
// STEPS: IR Dump After StripGraphArgumentAttributes
// STEPS: IR Dump After ReconcileUnrealizedCasts
