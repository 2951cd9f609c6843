// RUN: cp %s %t.mlir
// RUN: not graphc %t.mlir -o %t.mlir 2>&1 | FileCheck %s --check-prefix=SAME
// RUN: diff %s %t.mlir
// RUN: ln -sf %t.mlir %t.link.mlir
// RUN: not graphc %t.mlir -o %t.link.mlir --emit=header 2>&1 | FileCheck %s --check-prefix=SAME
// RUN: diff %s %t.mlir
// RUN: echo "an earlier output" > %t.out
// RUN: not graphc %S/Inputs/prediction_2b.mlir --train --loss=mse -o %t.out 2>&1 | FileCheck %s --check-prefix=FAILED
// RUN: grep -qx "an earlier output" %t.out
// RUN: graphc %t.mlir --emit=graph -o %t.out
// RUN: grep -q "graph.relu" %t.out
// RUN: graphc %t.mlir --emit=graph -o /dev/stdout | FileCheck %s --check-prefix=STDOUT
// RUN: test -L /dev/stdout
// RUN: echo old > %t.real && ln -sf %t.real %t.outlink
// RUN: graphc %t.mlir --emit=graph -o %t.outlink
// RUN: test -L %t.outlink && grep -q "graph.relu" %t.real
// RUN: echo old > %t.perm && chmod 600 %t.perm
// RUN: graphc %t.mlir --emit=graph -o %t.perm
// RUN: test "$(stat -c %%a %t.perm)" = 600

// Tests that an output that is not a regular file (here /dev/stdout) is
// written as it is, not replaced by a file; that a link is written through
// (the link stays, the file it names is new); and that a replaced file keeps
// its permissions.
// STDOUT: graph.relu

// Tests that -o never names the input (through a link too): graphc refuses,
// and the graph is left as it was.
// SAME: error: -o {{.*}} is the input file; write the output elsewhere

// Tests that a failed compile leaves an existing output untouched, and that a
// successful one replaces it.
// FAILED: error: 'forward' returns a prediction of sizes [2B, static]
func.func @forward(%x: tensor<?x3xf32> {graph.name = "x"}) -> tensor<?x3xf32> {
  %0 = graph.relu %x : tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
