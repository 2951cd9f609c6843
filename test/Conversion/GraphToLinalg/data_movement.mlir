// RUN: graphc-opt %s --split-input-file --graphc-convert-graph-to-linalg | FileCheck %s

// Tests that reshape with a dynamic batch collapses to 1-D and expands to the
// result, computing the batch as the element count over the static dims.

// CHECK-LABEL: func.func @reshape_flatten
// CHECK-SAME: (%[[X:.+]]: tensor<?x16x6x6xf32>)
func.func @reshape_flatten(%x: tensor<?x16x6x6xf32>) -> tensor<?x576xf32> {
  // CHECK: %[[FLAT:.+]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1, 2, 3]] : tensor<?x16x6x6xf32> into tensor<?xf32>
  // CHECK: %[[C0:.+]] = arith.constant 0 : index
  // CHECK: %[[TOTAL:.+]] = tensor.dim %[[FLAT]], %[[C0]] : tensor<?xf32>
  // CHECK: %[[C576:.+]] = arith.constant 576 : index
  // CHECK: %[[B:.+]] = arith.divui %[[TOTAL]], %[[C576]] : index
  // CHECK: %[[OUT:.+]] = tensor.expand_shape %[[FLAT]] {{\[}}[0, 1]] output_shape [%[[B]], 576] : tensor<?xf32> into tensor<?x576xf32>
  // CHECK: return %[[OUT]]
  %0 = graph.reshape %x : tensor<?x16x6x6xf32> -> tensor<?x576xf32>
  return %0 : tensor<?x576xf32>
}

// -----

// Tests that a static reshape is a static collapse_shape then expand_shape.

// CHECK-LABEL: func.func @reshape_static
// CHECK-SAME: (%[[X:.+]]: tensor<2x6xi32>)
func.func @reshape_static(%x: tensor<2x6xi32>) -> tensor<3x4xi32> {
  // CHECK: %[[FLAT:.+]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1]] : tensor<2x6xi32> into tensor<12xi32>
  // CHECK: tensor.expand_shape %[[FLAT]] {{\[}}[0, 1]] output_shape [3, 4] : tensor<12xi32> into tensor<3x4xi32>
  %0 = graph.reshape %x : tensor<2x6xi32> -> tensor<3x4xi32>
  return %0 : tensor<3x4xi32>
}

// -----

// Tests that a reshape to rank 1 is just the collapse.

// CHECK-LABEL: func.func @reshape_to_1d
// CHECK-SAME: (%[[X:.+]]: tensor<?x4xf32>)
func.func @reshape_to_1d(%x: tensor<?x4xf32>) -> tensor<?xf32> {
  // CHECK: %[[FLAT:.+]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1]] : tensor<?x4xf32> into tensor<?xf32>
  // CHECK-NOT: tensor.expand_shape
  // CHECK: return %[[FLAT]]
  %0 = graph.reshape %x : tensor<?x4xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// Tests that reshapes from and to rank 0 go through a 1-element vector with
// empty reassociations.

// CHECK-LABEL: func.func @reshape_rank0
// CHECK-SAME: (%[[X:.+]]: tensor<f32>, %[[Y:.+]]: tensor<1x1xf32>)
func.func @reshape_rank0(%x: tensor<f32>, %y: tensor<1x1xf32>) -> (tensor<1x1xf32>, tensor<f32>) {
  // CHECK: %[[X1:.+]] = tensor.expand_shape %[[X]] [] output_shape [1] : tensor<f32> into tensor<1xf32>
  // CHECK: %[[X2:.+]] = tensor.expand_shape %[[X1]] {{\[}}[0, 1]] output_shape [1, 1] : tensor<1xf32> into tensor<1x1xf32>
  %0 = graph.reshape %x : tensor<f32> -> tensor<1x1xf32>
  // CHECK: %[[Y1:.+]] = tensor.collapse_shape %[[Y]] {{\[}}[0, 1]] : tensor<1x1xf32> into tensor<1xf32>
  // CHECK: %[[Y2:.+]] = tensor.collapse_shape %[[Y1]] [] : tensor<1xf32> into tensor<f32>
  %1 = graph.reshape %y : tensor<1x1xf32> -> tensor<f32>
  // CHECK: return %[[X2]], %[[Y2]]
  return %0, %1 : tensor<1x1xf32>, tensor<f32>
}

// -----

// Tests that a reshape of [B, 3] to [3B] collapses to the flat view, whose
// size is the result's.

// CHECK-LABEL: func.func @reshape_batch_multiple
// CHECK-SAME: (%[[X:.+]]: tensor<?x3xf32>)
func.func @reshape_batch_multiple(%x: tensor<?x3xf32>) -> tensor<?xf32> {
  // CHECK: %[[FLAT:.+]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1]] : tensor<?x3xf32> into tensor<?xf32>
  // CHECK: return %[[FLAT]]
  %0 = graph.reshape %x : tensor<?x3xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// Tests that a reshape with two dynamic dims collapses to one dim per
// dynamic dim (no group holds two) and sizes each result dim from the input
// dim it keeps, not from the element count.

// CHECK-LABEL: func.func @reshape_two_dynamic
// CHECK-SAME: (%[[X:.+]]: tensor<?x?x6xf32>)
func.func @reshape_two_dynamic(%x: tensor<?x?x6xf32>) -> tensor<?x?x2x3xf32> {
  // CHECK: %[[MID:.+]] = tensor.collapse_shape %[[X]] {{\[}}[0], [1, 2]] : tensor<?x?x6xf32> into tensor<?x?xf32>
  // CHECK-DAG: %[[D0:.+]] = tensor.dim %[[X]], %c0
  // CHECK-DAG: %[[D1:.+]] = tensor.dim %[[X]], %c1
  // CHECK: tensor.expand_shape %[[MID]] {{\[}}[0], [1, 2, 3]] output_shape [%[[D0]], %[[D1]], 2, 3] : tensor<?x?xf32> into tensor<?x?x2x3xf32>
  %0 = graph.reshape %x : tensor<?x?x6xf32> -> tensor<?x?x2x3xf32>
  return %0 : tensor<?x?x2x3xf32>
}

// -----

// Tests that transpose is linalg.transpose into an init whose dynamic dim is
// the input's permuted dim.

// CHECK-LABEL: func.func @transpose
// CHECK-SAME: (%[[X:.+]]: tensor<?x576xf32>)
func.func @transpose(%x: tensor<?x576xf32>) -> tensor<576x?xf32> {
  // CHECK: %[[C0:.+]] = arith.constant 0 : index
  // CHECK: %[[N:.+]] = tensor.dim %[[X]], %[[C0]] : tensor<?x576xf32>
  // CHECK: %[[INIT:.+]] = tensor.empty(%[[N]]) : tensor<576x?xf32>
  // CHECK: %[[T:.+]] = linalg.transpose ins(%[[X]] : tensor<?x576xf32>) outs(%[[INIT]] : tensor<576x?xf32>) permutation = [1, 0]
  // CHECK: return %[[T]]
  %0 = graph.transpose %x {permutation = array<i64: 1, 0>} : tensor<?x576xf32> -> tensor<576x?xf32>
  return %0 : tensor<576x?xf32>
}

// -----

// Tests that a negative permutation entry is normalized and that a rank-3
// permutation keeps result dim i = input dim permutation[i].

// CHECK-LABEL: func.func @transpose_3d
// CHECK-SAME: (%[[X:.+]]: tensor<2x?x4xi64>)
func.func @transpose_3d(%x: tensor<2x?x4xi64>) -> tensor<4x2x?xi64> {
  // CHECK: %[[C1:.+]] = arith.constant 1 : index
  // CHECK: %[[N:.+]] = tensor.dim %[[X]], %[[C1]] : tensor<2x?x4xi64>
  // CHECK: %[[INIT:.+]] = tensor.empty(%[[N]]) : tensor<4x2x?xi64>
  // CHECK: linalg.transpose ins(%[[X]] : tensor<2x?x4xi64>) outs(%[[INIT]] : tensor<4x2x?xi64>) permutation = [2, 0, 1]
  %0 = graph.transpose %x {permutation = array<i64: -1, 0, 1>} : tensor<2x?x4xi64> -> tensor<4x2x?xi64>
  return %0 : tensor<4x2x?xi64>
}

// -----

// Tests that slice is a strided tensor.extract_slice with the start as
// offsets, the result shape as sizes and the step as strides.

// CHECK-LABEL: func.func @slice
// CHECK-SAME: (%[[X:.+]]: tensor<3x2xf32>)
func.func @slice(%x: tensor<3x2xf32>) -> tensor<2x1xf32> {
  // CHECK: %[[S:.+]] = tensor.extract_slice %[[X]][0, 1] [2, 1] [2, 1] : tensor<3x2xf32> to tensor<2x1xf32>
  // CHECK: return %[[S]]
  %0 = graph.slice %x {start = array<i64: 0, 1>, stop = array<i64: 3, 2>, step = array<i64: 2, 1>} : tensor<3x2xf32> -> tensor<2x1xf32>
  return %0 : tensor<2x1xf32>
}

// -----

// Tests that a slice keeping the dynamic batch whole sizes it with tensor.dim,
// while a clamped stop and a step of 3 give 3 columns from offset 1.

// CHECK-LABEL: func.func @slice_dynamic
// CHECK-SAME: (%[[X:.+]]: tensor<?x10xf32>)
func.func @slice_dynamic(%x: tensor<?x10xf32>) -> tensor<?x3xf32> {
  // CHECK: %[[C0:.+]] = arith.constant 0 : index
  // CHECK: %[[N:.+]] = tensor.dim %[[X]], %[[C0]] : tensor<?x10xf32>
  // CHECK: tensor.extract_slice %[[X]][0, 1] [%[[N]], 3] [1, 3] : tensor<?x10xf32> to tensor<?x3xf32>
  %0 = graph.slice %x {start = array<i64: 0, 1>, stop = array<i64: 9223372036854775807, 100>, step = array<i64: 1, 3>} : tensor<?x10xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// Tests that a static concat is a chain of insert_slices into a tensor.empty,
// each at the running offset along the concat dim.

// CHECK-LABEL: func.func @concat
// CHECK-SAME: (%[[A:.+]]: tensor<2x1xf32>, %[[B:.+]]: tensor<3x1xf32>)
func.func @concat(%a: tensor<2x1xf32>, %b: tensor<3x1xf32>) -> tensor<5x1xf32> {
  // CHECK: %[[EMPTY:.+]] = tensor.empty() : tensor<5x1xf32>
  // CHECK: %[[I0:.+]] = tensor.insert_slice %[[A]] into %[[EMPTY]][0, 0] [2, 1] [1, 1] : tensor<2x1xf32> into tensor<5x1xf32>
  // CHECK: %[[I1:.+]] = tensor.insert_slice %[[B]] into %[[I0]][2, 0] [3, 1] [1, 1] : tensor<3x1xf32> into tensor<5x1xf32>
  // CHECK: return %[[I1]]
  %0 = graph.concat %a, %b {dim = 0 : i64} : tensor<2x1xf32>, tensor<3x1xf32> -> tensor<5x1xf32>
  return %0 : tensor<5x1xf32>
}

// -----

// Tests that concat along the last dim (dim = -1) of three operands with a
// dynamic batch keeps static offsets and sizes the batch from the operands.

// CHECK-LABEL: func.func @concat_last_dim
// CHECK-SAME: (%[[A:.+]]: tensor<?x2xf32>, %[[B:.+]]: tensor<?x3xf32>, %[[C:.+]]: tensor<?x1xf32>)
func.func @concat_last_dim(%a: tensor<?x2xf32>, %b: tensor<?x3xf32>, %c: tensor<?x1xf32>) -> tensor<?x6xf32> {
  // CHECK: %[[N:.+]] = tensor.dim %[[A]], %{{.+}} : tensor<?x2xf32>
  // CHECK: %[[EMPTY:.+]] = tensor.empty(%[[N]]) : tensor<?x6xf32>
  // CHECK: %[[NA:.+]] = tensor.dim %[[A]], %{{.+}} : tensor<?x2xf32>
  // CHECK: %[[I0:.+]] = tensor.insert_slice %[[A]] into %[[EMPTY]][0, 0] [%[[NA]], 2] [1, 1]
  // CHECK: %[[NB:.+]] = tensor.dim %[[B]], %{{.+}} : tensor<?x3xf32>
  // CHECK: %[[I1:.+]] = tensor.insert_slice %[[B]] into %[[I0]][0, 2] [%[[NB]], 3] [1, 1]
  // CHECK: %[[NC:.+]] = tensor.dim %[[C]], %{{.+}} : tensor<?x1xf32>
  // CHECK: %[[I2:.+]] = tensor.insert_slice %[[C]] into %[[I1]][0, 5] [%[[NC]], 1] [1, 1]
  // CHECK: return %[[I2]]
  %0 = graph.concat %a, %b, %c {dim = -1 : i64} : tensor<?x2xf32>, tensor<?x3xf32>, tensor<?x1xf32> -> tensor<?x6xf32>
  return %0 : tensor<?x6xf32>
}

// -----

// Tests that concat along a dynamic dim (every operand a multiple of the
// batch) sums the operand sizes for the init and places the next operand at
// a run-time offset.

// CHECK-LABEL: func.func @concat_dynamic_dim
// CHECK-SAME: (%[[A:.+]]: tensor<?x2xi64>, %[[B:.+]]: tensor<?x2xi64>)
func.func @concat_dynamic_dim(%a: tensor<?x2xi64>, %b: tensor<?x2xi64>) -> tensor<?x2xi64> {
  // CHECK: %[[ZERO:.+]] = arith.constant 0 : index
  // CHECK: %[[NA:.+]] = tensor.dim %[[A]], %{{.+}} : tensor<?x2xi64>
  // CHECK: %[[PART:.+]] = arith.addi %[[ZERO]], %[[NA]] : index
  // CHECK: %[[NB:.+]] = tensor.dim %[[B]], %{{.+}} : tensor<?x2xi64>
  // CHECK: %[[TOTAL:.+]] = arith.addi %[[PART]], %[[NB]] : index
  // CHECK: %[[EMPTY:.+]] = tensor.empty(%[[TOTAL]]) : tensor<?x2xi64>
  // CHECK: %[[NA2:.+]] = tensor.dim %[[A]], %{{.+}} : tensor<?x2xi64>
  // CHECK: %[[I0:.+]] = tensor.insert_slice %[[A]] into %[[EMPTY]][0, 0] [%[[NA2]], 2] [1, 1]
  // CHECK: %[[OFF:.+]] = arith.addi %{{.+}}, %[[NA2]] : index
  // CHECK: %[[NB2:.+]] = tensor.dim %[[B]], %{{.+}} : tensor<?x2xi64>
  // CHECK: %[[I1:.+]] = tensor.insert_slice %[[B]] into %[[I0]][%[[OFF]], 0] [%[[NB2]], 2] [1, 1] : tensor<?x2xi64> into tensor<?x2xi64>
  // CHECK: return %[[I1]]
  %0 = graph.concat %a, %b {dim = 0 : i64} : tensor<?x2xi64>, tensor<?x2xi64> -> tensor<?x2xi64>
  return %0 : tensor<?x2xi64>
}

// -----

// Tests that constants of every element kind become arith.constant with the
// same dense value.

// CHECK-LABEL: func.func @constant
func.func @constant() -> (tensor<2xf32>, tensor<2x2xi64>, tensor<3xi1>) {
  // CHECK-DAG: %[[F:.+]] = arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
  // CHECK-DAG: %[[I:.+]] = arith.constant dense<7> : tensor<2x2xi64>
  // CHECK-DAG: %[[B:.+]] = arith.constant dense<[true, false, true]> : tensor<3xi1>
  // CHECK: return %[[F]], %[[I]], %[[B]]
  %0 = graph.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %1 = graph.constant dense<7> : tensor<2x2xi64>
  %2 = graph.constant dense<[true, false, true]> : tensor<3xi1>
  return %0, %1, %2 : tensor<2xf32>, tensor<2x2xi64>, tensor<3xi1>
}

// -----

// Tests that gather reads each index through its map and the table row
// with tensor.extract at a row clamped into the table, yielding zero for an
// index outside it; and that gather_grad is a reduction over the index dims
// that adds dy where the index equals the row (never for the padding row).
// CHECK-LABEL: func.func @gather
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel"]
// CHECK-SAME: ins(%arg1 : tensor<?x4xi64>)
// CHECK: arith.cmpi sge
// CHECK: arith.cmpi slt
// CHECK: %[[ROW:.*]] = arith.index_cast
// CHECK: tensor.extract %arg0[%[[ROW]], %{{.*}}] : tensor<10x3xf32>
// CHECK: arith.select
// CHECK-LABEL: func.func @gather_grad
// CHECK: linalg.fill
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction", "reduction"]
// CHECK: arith.cmpi eq
// CHECK: arith.cmpi ne
// CHECK: arith.addf
func.func @gather(%w: tensor<10x3xf32>, %ids: tensor<?x4xi64>) -> tensor<?x4x3xf32> {
  %e = graph.gather %w, %ids : tensor<10x3xf32>, tensor<?x4xi64> -> tensor<?x4x3xf32>
  return %e : tensor<?x4x3xf32>
}
func.func @gather_grad(%dy: tensor<?x4x3xf32>, %ids: tensor<?x4xi64>) -> tensor<10x3xf32> {
  %g = graph.gather_grad %dy, %ids {rows = 10 : i64, padding_idx = 0 : i64} : tensor<?x4x3xf32>, tensor<?x4xi64> -> tensor<10x3xf32>
  return %g : tensor<10x3xf32>
}
