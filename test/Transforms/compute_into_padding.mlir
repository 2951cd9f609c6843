// RUN: graphc-opt %s --graphc-compute-into-padding | FileCheck %s
// RUN: graphc-opt %s --graphc-compute-into-padding --eliminate-empty-tensors | FileCheck %s --check-prefix=INPLACE

// Tests that a value padded by an insertion into a zero fill (LeNet's conv1
// output gradient widened from rows of 28 to 32) is readied to be computed
// into the padded tensor: the fill moves before the op computing the value,
// the insertion right after it, and its only other reader, a sum over the
// padded dims (the bias gradient), reads the padded tensor instead.
// eliminate-empty-tensors then computes the value into the fill's slice.

#identity = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#channel = affine_map<(d0, d1, d2, d3) -> (d1)>

// CHECK-LABEL: func.func @widened
// CHECK: %[[EMPTY:.*]] = tensor.empty(%{{.*}}) : tensor<?x6x28x32xf32>
// CHECK: %[[FILL:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[EMPTY]] : tensor<?x6x28x32xf32>)
// CHECK: %[[VALUE:.*]] = linalg.generic
// CHECK: arith.maximumf
// CHECK: %[[PADDED:.*]] = tensor.insert_slice %[[VALUE]] into %[[FILL]][0, 0, 0, 0] [%{{.*}}, 6, 28, 28] [1, 1, 1, 1]
// CHECK: linalg.generic {{.*}} ins(%[[PADDED]] : tensor<?x6x28x32xf32>) outs(%{{.*}} : tensor<6xf32>)
// CHECK: return

// INPLACE-LABEL: func.func @widened
// INPLACE: %[[FILL:.*]] = linalg.fill
// INPLACE: %[[SLICE:.*]] = tensor.extract_slice %[[FILL]][0, 0, 0, 0] [%{{.*}}, 6, 28, 28] [1, 1, 1, 1]
// INPLACE: linalg.generic {{.*}} outs(%[[SLICE]] : tensor<?x6x28x28xf32>)
func.func @widened(%x: tensor<?x6x28x28xf32>) -> (tensor<?x6x28x32xf32>, tensor<6xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x6x28x28xf32>
  %init = tensor.empty(%n) : tensor<?x6x28x28xf32>
  %value = linalg.generic {indexing_maps = [#identity, #identity], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<?x6x28x28xf32>) outs(%init : tensor<?x6x28x28xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x6x28x28xf32>
  %sumInit = tensor.empty() : tensor<6xf32>
  %sumZero = linalg.fill ins(%zero : f32) outs(%sumInit : tensor<6xf32>) -> tensor<6xf32>
  %sum = linalg.generic {indexing_maps = [#identity, #channel], iterator_types = ["reduction", "parallel", "reduction", "reduction"]} ins(%value : tensor<?x6x28x28xf32>) outs(%sumZero : tensor<6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  } -> tensor<6xf32>
  %empty = tensor.empty(%n) : tensor<?x6x28x32xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x6x28x32xf32>) -> tensor<?x6x28x32xf32>
  %padded = tensor.insert_slice %value into %fill[0, 0, 0, 0] [%n, 6, 28, 28] [1, 1, 1, 1] : tensor<?x6x28x28xf32> into tensor<?x6x28x32xf32>
  return %padded, %sum : tensor<?x6x28x32xf32>, tensor<6xf32>
}

// Another reader of the value that is not a sum over the padding (here the
// value itself returned): nothing moves, the fill stays after the value.
// CHECK-LABEL: func.func @read_elsewhere
// CHECK: linalg.generic
// CHECK: linalg.fill
// CHECK: tensor.insert_slice
func.func @read_elsewhere(%x: tensor<2x6x28x28xf32>) -> (tensor<2x6x28x32xf32>, tensor<2x6x28x28xf32>) {
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<2x6x28x28xf32>
  %value = linalg.generic {indexing_maps = [#identity, #identity], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<2x6x28x28xf32>) outs(%init : tensor<2x6x28x28xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<2x6x28x28xf32>
  %empty = tensor.empty() : tensor<2x6x28x32xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%empty : tensor<2x6x28x32xf32>) -> tensor<2x6x28x32xf32>
  %padded = tensor.insert_slice %value into %fill[0, 0, 0, 0] [2, 6, 28, 28] [1, 1, 1, 1] : tensor<2x6x28x28xf32> into tensor<2x6x28x32xf32>
  return %padded, %value : tensor<2x6x28x32xf32>, tensor<2x6x28x28xf32>
}

// A sum over a dim the padding does not cover (the rows, kept): not the
// same over the padded tensor, so nothing moves.
// CHECK-LABEL: func.func @sum_keeps_padded_dim
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<2x6x28x32xf32>)
func.func @sum_keeps_padded_dim(%x: tensor<2x6x28x28xf32>) -> (tensor<2x6x28x32xf32>, tensor<28xf32>) {
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<2x6x28x28xf32>
  %value = linalg.generic {indexing_maps = [#identity, #identity], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<2x6x28x28xf32>) outs(%init : tensor<2x6x28x28xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<2x6x28x28xf32>
  %sumInit = tensor.empty() : tensor<28xf32>
  %sumZero = linalg.fill ins(%zero : f32) outs(%sumInit : tensor<28xf32>) -> tensor<28xf32>
  %sum = linalg.generic {indexing_maps = [#identity, affine_map<(d0, d1, d2, d3) -> (d3)>], iterator_types = ["reduction", "reduction", "reduction", "parallel"]} ins(%value : tensor<2x6x28x28xf32>) outs(%sumZero : tensor<28xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  } -> tensor<28xf32>
  %empty = tensor.empty() : tensor<2x6x28x32xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%empty : tensor<2x6x28x32xf32>) -> tensor<2x6x28x32xf32>
  %padded = tensor.insert_slice %value into %fill[0, 0, 0, 0] [2, 6, 28, 28] [1, 1, 1, 1] : tensor<2x6x28x28xf32> into tensor<2x6x28x32xf32>
  return %padded, %sum : tensor<2x6x28x32xf32>, tensor<28xf32>
}

// A dynamic dim whose padded size is not the value's own (%m, not the
// value's %n): whether it is padded is not known, so nothing moves (the
// sum keeps that dim, which the padded tensor could lengthen).
// CHECK-LABEL: func.func @unknown_dynamic_padding
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x6x28x32xf32>)
func.func @unknown_dynamic_padding(%x: tensor<?x6x28x28xf32>, %m: index) -> (tensor<?x6x28x32xf32>, tensor<?xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x6x28x28xf32>
  %init = tensor.empty(%n) : tensor<?x6x28x28xf32>
  %value = linalg.generic {indexing_maps = [#identity, #identity], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<?x6x28x28xf32>) outs(%init : tensor<?x6x28x28xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x6x28x28xf32>
  %sumInit = tensor.empty(%n) : tensor<?xf32>
  %sumZero = linalg.fill ins(%zero : f32) outs(%sumInit : tensor<?xf32>) -> tensor<?xf32>
  %sum = linalg.generic {indexing_maps = [#identity, affine_map<(d0, d1, d2, d3) -> (d0)>], iterator_types = ["parallel", "reduction", "reduction", "reduction"]} ins(%value : tensor<?x6x28x28xf32>) outs(%sumZero : tensor<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  %empty = tensor.empty(%m) : tensor<?x6x28x32xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x6x28x32xf32>) -> tensor<?x6x28x32xf32>
  %padded = tensor.insert_slice %value into %fill[0, 0, 0, 0] [%n, 6, 28, 28] [1, 1, 1, 1] : tensor<?x6x28x28xf32> into tensor<?x6x28x32xf32>
  return %padded, %sum : tensor<?x6x28x32xf32>, tensor<?xf32>
}
