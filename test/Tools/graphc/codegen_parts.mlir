// RUN: graphc %s --train --emit=lib --name=parts -o %t.a
// RUN: llvm-ar t %t.a | FileCheck %s --check-prefix=TWO
// RUN: graphc %s --train --emit=lib --name=parts --codegen-parts=1 -o %t1.a
// RUN: llvm-ar t %t1.a | FileCheck %s --check-prefix=ONE
// RUN: graphc %s --train --emit=lib --name=parts --codegen-parts=8 -o %t8.a
// RUN: llvm-ar t %t8.a | FileCheck %s --check-prefix=EIGHT
// RUN: graphc %s --train --codegen-parts=4 -o %t.o && llvm-nm %t.o | FileCheck %s --check-prefix=OBJ
// RUN: not graphc %s --train --emit=lib --codegen-parts=0 -o %t0.a 2>&1 | FileCheck %s --check-prefix=ZERO

// Tests that a library's model code is compiled in parts (--codegen-parts,
// default 2: each part's LLVM optimization and code generation on a thread
// of its own) and that an object file is one part whatever the flag says.
// Its entry points (forward, loss, loss_grad, eval, train_step), their C
// wrappers and the init function are more than eight clusters of functions.
// TWO: parts.o
// TWO-NEXT: parts.1.o
// TWO-NOT: parts.2.o
// ONE: parts.o
// ONE-NOT: parts.1.o
// EIGHT: parts.o
// EIGHT-NEXT: parts.1.o
// EIGHT-NEXT: parts.2.o
// EIGHT-NEXT: parts.3.o
// EIGHT: parts.7.o
// EIGHT-NOT: parts.8.o
// OBJ-DAG: T {{.*}}_train_step_call
// OBJ-DAG: T {{.*}}_forward_call
// ZERO: graphc: error: --codegen-parts must be at least 1
func.func @forward(%x: tensor<?x4xf32> {graph.name = "x"},
                   %w: tensor<3x4xf32> {graph.name = "fc.weight", graph.requires_grad}) -> tensor<?x3xf32> {
  %t = graph.transpose %w {permutation = array<i64: 1, 0>} : tensor<3x4xf32> -> tensor<4x3xf32>
  %0 = graph.matmul %x, %t : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
