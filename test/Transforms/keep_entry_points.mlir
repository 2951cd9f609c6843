// RUN: graphc-opt %s --split-input-file --verify-diagnostics \
// RUN:   --graphc-keep-entry-points=functions=train_step,eval | FileCheck %s

// Tests that the public functions not listed are erased and the listed ones
// (and private helpers) stay.
// CHECK-LABEL: module
// CHECK-NOT: func.func @forward
// CHECK-NOT: func.func @loss_grad
// CHECK-DAG: func.func @train_step
// CHECK-DAG: func.func @eval
// CHECK-DAG: func.func private @helper
func.func @forward(%x: tensor<2xf32>) -> tensor<2xf32> {
  return %x : tensor<2xf32>
}
func.func @loss_grad(%x: tensor<2xf32>) -> tensor<2xf32> {
  return %x : tensor<2xf32>
}
func.func private @helper(%x: tensor<2xf32>) -> tensor<2xf32> {
  return %x : tensor<2xf32>
}
func.func @train_step(%x: tensor<2xf32>) -> tensor<2xf32> {
  %0 = call @helper(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
func.func @eval(%x: tensor<2xf32>) -> tensor<2xf32> {
  return %x : tensor<2xf32>
}

// -----

// Tests that an unlisted function a kept one calls is refused at it.
// expected-error @+1 {{is called by a function that is kept, so it cannot be dropped}}
func.func @forward(%x: tensor<2xf32>) -> tensor<2xf32> {
  return %x : tensor<2xf32>
}
func.func @train_step(%x: tensor<2xf32>) -> tensor<2xf32> {
  %0 = call @forward(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
func.func @eval(%x: tensor<2xf32>) -> tensor<2xf32> {
  return %x : tensor<2xf32>
}

// -----

// Tests that a listed function the module lacks is an error.
// expected-error @+1 {{--graphc-keep-entry-points: the module has no function 'eval'}}
module {
  func.func @train_step(%x: tensor<2xf32>) -> tensor<2xf32> {
    return %x : tensor<2xf32>
  }
}
