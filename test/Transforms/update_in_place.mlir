// RUN: graphc-opt %s --split-input-file --graphc-update-in-place | FileCheck %s

#id = affine_map<(d0) -> (d0)>

// Tests that an elementwise update into a fresh tensor writes into the
// argument it replaces, which becomes writable.
// CHECK-LABEL: func @update
// CHECK-SAME: %[[P:.*]]: tensor<4xf32> {bufferization.writable = true}
// CHECK: linalg.generic {{.*}} outs(%[[P]] : tensor<4xf32>)
func.func @update(%p: tensor<4xf32>, %g: tensor<4xf32>)
    -> (tensor<4xf32> {graph.updates_argument = 0 : i64}) {
  %empty = tensor.empty() : tensor<4xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%p, %g : tensor<4xf32>, tensor<4xf32>) outs(%empty : tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %d = arith.subf %a, %b : f32
    linalg.yield %d : f32
  } -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Tests that results without the marker are left alone, except that an
// argument returned as it is becomes a copy.
// CHECK-LABEL: func @unmarked
// CHECK-NOT: bufferization.writable
// CHECK: %[[COPY:.*]] = bufferization.alloc_tensor() copy(%arg0)
// CHECK: return %[[COPY]]
func.func @unmarked(%p: tensor<4xf32>) -> tensor<4xf32> {
  return %p : tensor<4xf32>
}

// -----

// Tests that the copy of a returned argument with dynamic sizes takes its
// sizes from the copied tensor: no size operands beside `copy`, which the
// op's verifier would refuse.
// CHECK-LABEL: func @unmarked_dynamic
// CHECK-SAME: (%[[P:.*]]: tensor<?x2xf32>)
// CHECK: %[[COPY:.*]] = bufferization.alloc_tensor() copy(%[[P]]) : tensor<?x2xf32>
// CHECK: return %[[COPY]]
func.func @unmarked_dynamic(%p: tensor<?x2xf32>) -> tensor<?x2xf32> {
  return %p : tensor<?x2xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>

// Tests that a fused update with several fresh outputs (a parameter and its
// optimizer state, as graphc-fuse-elementwise makes them) writes each into
// the argument it replaces.
// CHECK-LABEL: func @fused_update
// CHECK-SAME: %[[P:[a-z0-9]+]]: tensor<4xf32> {bufferization.writable = true}
// CHECK-SAME: %[[M:[a-z0-9]+]]: tensor<4xf32> {bufferization.writable = true}
// CHECK: linalg.generic {{.*}} outs(%[[M]], %[[P]] : tensor<4xf32>, tensor<4xf32>)
func.func @fused_update(%p: tensor<4xf32>, %m: tensor<4xf32>, %g: tensor<4xf32>)
    -> (tensor<4xf32> {graph.updates_argument = 0 : i64},
        tensor<4xf32> {graph.updates_argument = 1 : i64}) {
  %empty = tensor.empty() : tensor<4xf32>
  %0:2 = linalg.generic {indexing_maps = [#id, #id, #id, #id, #id], iterator_types = ["parallel"]}
      ins(%p, %m, %g : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
      outs(%empty, %empty : tensor<4xf32>, tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32, %out: f32, %out2: f32):
    %m1 = arith.addf %b, %c : f32
    %p1 = arith.subf %a, %m1 : f32
    linalg.yield %m1, %p1 : f32, f32
  } -> (tensor<4xf32>, tensor<4xf32>)
  return %0#1, %0#0 : tensor<4xf32>, tensor<4xf32>
}

// -----

// Tests that an update reading a size-1 operand broadcast along its loop
// (`(d0) -> (0)`: a [1] learning-rate-like factor beside the [2] parameter)
// still writes in place. difftest seeds 51, 54 and 55 failed to compile
// ("could not be updated in place") before: fusion had pulled such a
// broadcast read into the parameter's update.
// CHECK-LABEL: func @broadcast_read
// CHECK-SAME: %[[P:[^:]*]]: tensor<2xf32> {bufferization.writable = true}
// CHECK: linalg.generic {{.*}} outs(%[[P]] : tensor<2xf32>)
func.func @broadcast_read(%p: tensor<2xf32>, %s: tensor<1xf32>)
    -> (tensor<2xf32> {graph.updates_argument = 0 : i64}) {
  %empty = tensor.empty() : tensor<2xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (0)>,
                                        affine_map<(d0) -> (d0)>],
                       iterator_types = ["parallel"]}
      ins(%p, %s : tensor<2xf32>, tensor<1xf32>) outs(%empty : tensor<2xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %d = arith.subf %a, %b : f32
    linalg.yield %d : f32
  } -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
