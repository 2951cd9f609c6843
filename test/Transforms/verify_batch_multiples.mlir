// RUN: graphc-opt %s --split-input-file --graphc-verify-batch-multiples --verify-diagnostics | FileCheck %s

// Tests that a function inside the model passes unchanged: a concat makes
// 2B rows, a reshape regroups them into B rows of 8 that meet an argument's
// B, a reshape moves B to another dimension, and a call passes B.
// CHECK-LABEL: func.func @in_model
// CHECK: %[[C:.*]] = graph.concat %arg0, %arg0 {dim = 0 : i64} : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
// CHECK: %[[R:.*]] = graph.reshape %[[C]] : tensor<?x4xf32> -> tensor<?x8xf32>
// CHECK: %[[S:.*]] = graph.add %[[R]], %arg1 : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
// CHECK: graph.reshape %[[S]] : tensor<?x8xf32> -> tensor<8x?xf32>
// CHECK: call @relu(%arg0) : (tensor<?x4xf32>) -> tensor<?x4xf32>
func.func @relu(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = graph.relu %x : tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
func.func @in_model(%x: tensor<?x4xf32>, %y: tensor<?x8xf32>) -> (tensor<8x?xf32>, tensor<?x4xf32>) {
  %0 = graph.concat %x, %x {dim = 0 : i64} : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  %1 = graph.reshape %0 : tensor<?x4xf32> -> tensor<?x8xf32>
  %2 = graph.add %1, %y : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %3 = graph.reshape %2 : tensor<?x8xf32> -> tensor<8x?xf32>
  %4 = func.call @relu(%x) : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %3, %4 : tensor<8x?xf32>, tensor<?x4xf32>
}

// -----

// Tests that an elementwise op refuses operands whose dynamic sizes are
// different multiples of the batch: [?, 2] flattened is 2B, an argument's
// [?] is B.
func.func @add_2b_and_b(%x: tensor<?x2xf32>, %y: tensor<?xf32>) -> tensor<?xf32> {
  %0 = graph.reshape %x : tensor<?x2xf32> -> tensor<?xf32>
  // expected-error @+1 {{'graph.add' op the operands' sizes of dimension 0 are 2B and B, which differ for every batch size}}
  %1 = graph.add %0, %y : tensor<?xf32>, tensor<?xf32> -> tensor<?xf32>
  return %1 : tensor<?xf32>
}

// -----

// Tests that a reshape whose dynamic size would be a fraction of the batch
// (3B elements in rows of 2) is refused.
func.func @reshape_fraction(%x: tensor<?x3xf32>) -> tensor<?x2xf32> {
  // expected-error @+1 {{'graph.reshape' op cannot reshape [?, 3] with sizes [B, static] (3B elements) to [?, 2]: 3B / 2 is no whole multiple of the batch B}}
  %0 = graph.reshape %x : tensor<?x3xf32> -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

// Tests that a concat's 2B rows cannot meet an argument's B rows.
func.func @concat_meets_b(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = graph.concat %x, %x {dim = 0 : i64} : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  // expected-error @+1 {{'graph.mul' op the operands' sizes of dimension 0 are 2B and B, which differ for every batch size}}
  %1 = graph.mul %0, %x : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

// -----

// Tests that a call cannot pass a concat's 2B rows: every dynamic size of a
// function's argument is the batch B itself.
func.func @callee(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = graph.relu %x : tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
func.func @concat_to_call(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = graph.concat %x, %x {dim = 0 : i64} : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  // expected-error @+1 {{'func.call' op passes a tensor of sizes [2B, static] as argument #0, which takes [B, static]}}
  %1 = func.call @callee(%0) : (tensor<?x3xf32>) -> tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

// -----

// Tests that matmul's inner sizes must be the same multiple of the batch.
func.func @matmul_inner(%x: tensor<3x?xf32>, %y: tensor<?x3xf32>) -> tensor<3x3xf32> {
  %0 = graph.concat %y, %y {dim = 0 : i64} : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  // expected-error @+1 {{'graph.matmul' op the inner sizes are B and 2B, which differ for every batch size}}
  %1 = graph.matmul %x, %0 : tensor<3x?xf32>, tensor<?x3xf32> -> tensor<3x3xf32>
  return %1 : tensor<3x3xf32>
}

// -----

// Tests that a batched matmul's batch sizes must be the same multiple.
func.func @matmul_batch(%x: tensor<?x2x3xf32>, %w: tensor<?x3x4xf32>) -> tensor<?x2x4xf32> {
  %0 = graph.concat %w, %w {dim = 0 : i64} : tensor<?x3x4xf32>, tensor<?x3x4xf32> -> tensor<?x3x4xf32>
  // expected-error @+1 {{'graph.matmul' op the batch sizes are B and 2B, which differ for every batch size}}
  %1 = graph.matmul %x, %0 : tensor<?x2x3xf32>, tensor<?x3x4xf32> -> tensor<?x2x4xf32>
  return %1 : tensor<?x2x4xf32>
}

// -----

// Tests that broadcast_to's operand and `like` must agree where both are
// dynamic.
func.func @broadcast_like(%x: tensor<?x3xf32>, %y: tensor<?x1xf32>) -> tensor<?x3xf32> {
  %0 = graph.concat %x, %x {dim = 0 : i64} : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  // expected-error @+1 {{'graph.broadcast_to' op the operand's and 'like''s sizes of dimension 0 are B and 2B, which differ for every batch size}}
  %1 = graph.broadcast_to %y like %0 : tensor<?x1xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

// -----

// Tests that a dynamic size the analysis cannot derive from the batch (here
// from an index constant) is refused at the op that makes it.
func.func @dynamic_from_index() -> tensor<?xf32> {
  %c4 = arith.constant 4 : index
  // expected-error @+1 {{'tensor.empty' op result [?] has a dynamic dimension 0 where its operands make it static; every dynamic size must be a multiple of the batch}}
  %0 = tensor.empty(%c4) : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// Tests that a call to a function without a body cannot return a dynamic
// size: nothing says which multiple of the batch it is.
func.func private @external(tensor<?x3xf32>) -> tensor<?x3xf32>
func.func @external_call(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'func.call' op calls a function without a body and gets a dynamic result}}
  %0 = func.call @external(%x) : (tensor<?x3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// Tests that an argument may declare other multiples of the batch with
// graph.batch_multiples (autodiff gives one to the grad_output of a result
// of 2B rows), and that a call must pass those sizes.
// CHECK-LABEL: func.func @declared_multiples
func.func @declared_multiples(%g: tensor<?x3xf32> {graph.batch_multiples = array<i64: 2, 0>}, %x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = graph.concat %x, %x {dim = 0 : i64} : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  %1 = graph.mul %0, %g : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

// -----

// Tests that graph.batch_multiples must match the argument's type.
// expected-error @+1 {{argument #0: graph.batch_multiples entry 1 must be 0 (the dimension is static)}}
func.func @bad_declared_multiples(%g: tensor<?x3xf32> {graph.batch_multiples = array<i64: 2, 1>}) {
  return
}

// -----

// Tests that a constant too large to embed is refused at the op (it ended in
// "LLVM ERROR: out of memory" before).
func.func @huge_constant() -> tensor<1099511627776xf32> {
  // expected-error @+1 {{'graph.constant' op value of type 'tensor<1099511627776xf32>' holds more than 2^30 bytes, more than graphc embeds in a binary}}
  %c = graph.constant dense<1.0> : tensor<1099511627776xf32>
  return %c : tensor<1099511627776xf32>
}

// -----

// Tests that a recursive call is refused (the analysis crashed on it).
func.func @recursive(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{calls 'recursive' recursively; a graph has no recursion}}
  %0 = func.call @recursive(%x) : (tensor<?x3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// Tests that a function of several blocks is refused (its results were read
// from the wrong terminator before).
// expected-error @+1 {{has 2 blocks; graph functions have one}}
func.func @two_blocks(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  cf.br ^next
^next:
  return %x : tensor<?x3xf32>
}
