// RUN: graphc-opt %s --split-input-file --graphc-convert-graph-to-linalg | FileCheck %s

// Tests that each float unary op becomes an identity-mapped parallel
// linalg.generic sized from the dynamic batch, with its scalar body.

// CHECK-DAG: #[[$ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @unary_float
// CHECK-SAME: (%[[X:.+]]: tensor<?x3xf32>)
func.func @unary_float(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // CHECK: %[[C0:.+]] = arith.constant 0 : index
  // CHECK: %[[B:.+]] = tensor.dim %[[X]], %[[C0]] : tensor<?x3xf32>
  // CHECK: %[[INIT:.+]] = tensor.empty(%[[B]]) : tensor<?x3xf32>
  // CHECK: %[[NEG:.+]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ID]]], iterator_types = ["parallel", "parallel"]}
  // CHECK-SAME: ins(%[[X]] : tensor<?x3xf32>) outs(%[[INIT]] : tensor<?x3xf32>)
  // CHECK: ^bb0(%[[IN:.+]]: f32, %{{.+}}: f32):
  // CHECK-NEXT: %[[R:.+]] = arith.negf %[[IN]] : f32
  // CHECK-NEXT: linalg.yield %[[R]] : f32
  %0 = graph.neg %x : tensor<?x3xf32>
  // CHECK: linalg.generic {{.*}} ins(%[[NEG]] : tensor<?x3xf32>)
  // CHECK: math.exp
  %1 = graph.exp %0 : tensor<?x3xf32>
  // CHECK: linalg.generic
  // CHECK: math.log
  %2 = graph.log %1 : tensor<?x3xf32>
  // CHECK: linalg.generic
  // CHECK: math.sqrt
  %3 = graph.sqrt %2 : tensor<?x3xf32>
  // CHECK: linalg.generic
  // CHECK: math.rsqrt
  %4 = graph.rsqrt %3 : tensor<?x3xf32>
  // CHECK: linalg.generic
  // CHECK: math.absf
  %5 = graph.abs %4 : tensor<?x3xf32>
  // CHECK: linalg.generic
  // CHECK: ^bb0(%[[IN:.+]]: f32, %{{.+}}: f32):
  // CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
  // CHECK: %[[KEEP:.+]] = arith.cmpf ugt, %[[IN]], %[[ZERO]] : f32
  // CHECK: arith.select %[[KEEP]], %[[IN]], %[[ZERO]] : f32
  %6 = graph.relu %5 : tensor<?x3xf32>
  // CHECK: linalg.generic
  // CHECK: ^bb0(%[[IN:.+]]: f32, %{{.+}}: f32):
  // CHECK: %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
  // CHECK: %[[NX:.+]] = arith.negf %[[IN]] : f32
  // CHECK: %[[E:.+]] = math.exp %[[NX]] : f32
  // CHECK: %[[DEN:.+]] = arith.addf %[[ONE]], %[[E]] : f32
  // CHECK: arith.divf %[[ONE]], %[[DEN]] : f32
  %7 = graph.sigmoid %6 : tensor<?x3xf32>
  // CHECK: %[[TANH:.+]] = linalg.generic
  // CHECK: math.tanh
  %8 = graph.tanh %7 : tensor<?x3xf32>
  // CHECK: return %[[TANH]]
  return %8 : tensor<?x3xf32>
}

// -----

// Tests that rounding and the trigonometric and hyperbolic functions become
// the math dialect's functions (round: half to even, as torch.round).

// CHECK-LABEL: func.func @math_functions
func.func @math_functions(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: linalg.generic
  // CHECK: math.floor %{{.+}} : f32
  %0 = graph.floor %x : tensor<4xf32>
  // CHECK: linalg.generic
  // CHECK: math.ceil %{{.+}} : f32
  %1 = graph.ceil %0 : tensor<4xf32>
  // CHECK: linalg.generic
  // CHECK: math.roundeven %{{.+}} : f32
  %2 = graph.round %1 : tensor<4xf32>
  // CHECK: linalg.generic
  // CHECK: math.sin %{{.+}} : f32
  %3 = graph.sin %2 : tensor<4xf32>
  // CHECK: linalg.generic
  // CHECK: math.cos %{{.+}} : f32
  %4 = graph.cos %3 : tensor<4xf32>
  // CHECK: linalg.generic
  // CHECK: math.tan %{{.+}} : f32
  %5 = graph.tan %4 : tensor<4xf32>
  // CHECK: linalg.generic
  // CHECK: math.asin %{{.+}} : f32
  %6 = graph.asin %5 : tensor<4xf32>
  // CHECK: linalg.generic
  // CHECK: math.acos %{{.+}} : f32
  %7 = graph.acos %6 : tensor<4xf32>
  // CHECK: linalg.generic
  // CHECK: math.atan %{{.+}} : f32
  %8 = graph.atan %7 : tensor<4xf32>
  // CHECK: linalg.generic
  // CHECK: math.sinh %{{.+}} : f32
  %9 = graph.sinh %8 : tensor<4xf32>
  // CHECK: linalg.generic
  // CHECK: math.cosh %{{.+}} : f32
  %10 = graph.cosh %9 : tensor<4xf32>
  // CHECK: linalg.generic
  // CHECK: math.asinh %{{.+}} : f32
  %11 = graph.asinh %10 : tensor<4xf32>
  // CHECK: linalg.generic
  // CHECK: math.acosh %{{.+}} : f32
  %12 = graph.acosh %11 : tensor<4xf32>
  // CHECK: linalg.generic
  // CHECK: math.atanh %{{.+}} : f32
  %13 = graph.atanh %12 : tensor<4xf32>
  return %13 : tensor<4xf32>
}

// -----

// Tests that the unary ops on integers use integer arithmetic: neg as 0 - x,
// abs as absi and relu as maxsi against 0.

// CHECK-LABEL: func.func @unary_int
func.func @unary_int(%x: tensor<4xi32>) -> tensor<4xi32> {
  // CHECK: tensor.empty() : tensor<4xi32>
  // CHECK: linalg.generic {{.*}}iterator_types = ["parallel"]
  // CHECK: ^bb0(%[[IN:.+]]: i32, %{{.+}}: i32):
  // CHECK: %[[ZERO:.+]] = arith.constant 0 : i32
  // CHECK: arith.subi %[[ZERO]], %[[IN]] : i32
  %0 = graph.neg %x : tensor<4xi32>
  // CHECK: linalg.generic
  // CHECK: math.absi %{{.+}} : i32
  %1 = graph.abs %0 : tensor<4xi32>
  // CHECK: linalg.generic
  // CHECK: ^bb0(%[[IN:.+]]: i32, %{{.+}}: i32):
  // CHECK: %[[ZERO:.+]] = arith.constant 0 : i32
  // CHECK: arith.maxsi %[[IN]], %[[ZERO]] : i32
  %2 = graph.relu %1 : tensor<4xi32>
  return %2 : tensor<4xi32>
}

// -----

// Tests that the float binary ops broadcast by rank extension: a 1-D operand
// reads only the trailing dim and a rank-0 operand reads no dim at all.

// CHECK-DAG: #[[$ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROW:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[$SCALAR:.+]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @binary_float
// CHECK-SAME: (%[[A:.+]]: tensor<?x10xf32>, %[[B:.+]]: tensor<10xf32>, %[[S:.+]]: tensor<f32>)
func.func @binary_float(%a: tensor<?x10xf32>, %b: tensor<10xf32>, %s: tensor<f32>) -> tensor<?x10xf32> {
  // CHECK: %[[C0:.+]] = arith.constant 0 : index
  // CHECK: %[[N:.+]] = tensor.dim %[[A]], %[[C0]] : tensor<?x10xf32>
  // CHECK: %[[INIT:.+]] = tensor.empty(%[[N]]) : tensor<?x10xf32>
  // CHECK: %[[ADD:.+]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]], #[[$ID]]], iterator_types = ["parallel", "parallel"]}
  // CHECK-SAME: ins(%[[A]], %[[B]] : tensor<?x10xf32>, tensor<10xf32>) outs(%[[INIT]] : tensor<?x10xf32>)
  // CHECK: ^bb0(%[[L:.+]]: f32, %[[R:.+]]: f32, %{{.+}}: f32):
  // CHECK-NEXT: %[[SUM:.+]] = arith.addf %[[L]], %[[R]] : f32
  // CHECK-NEXT: linalg.yield %[[SUM]] : f32
  %0 = graph.add %a, %b : tensor<?x10xf32>, tensor<10xf32> -> tensor<?x10xf32>
  // CHECK: linalg.generic {indexing_maps = [#[[$ID]], #[[$SCALAR]], #[[$ID]]], iterator_types = ["parallel", "parallel"]}
  // CHECK-SAME: ins(%[[ADD]], %[[S]] : tensor<?x10xf32>, tensor<f32>)
  // CHECK: ^bb0(%[[L:.+]]: f32, %[[R:.+]]: f32, %{{.+}}: f32):
  // CHECK-NEXT: arith.subf %[[L]], %[[R]] : f32
  %1 = graph.sub %0, %s : tensor<?x10xf32>, tensor<f32> -> tensor<?x10xf32>
  // CHECK: linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]], #[[$ID]]]
  // CHECK: arith.mulf
  %2 = graph.mul %1, %b : tensor<?x10xf32>, tensor<10xf32> -> tensor<?x10xf32>
  // CHECK: linalg.generic {indexing_maps = [#[[$ID]], #[[$SCALAR]], #[[$ID]]]
  // CHECK: arith.divf
  %3 = graph.div %2, %s : tensor<?x10xf32>, tensor<f32> -> tensor<?x10xf32>
  // CHECK: linalg.generic {indexing_maps = [#[[$ID]], #[[$SCALAR]], #[[$ID]]]
  // CHECK: math.powf
  %4 = graph.pow %3, %s : tensor<?x10xf32>, tensor<f32> -> tensor<?x10xf32>
  // CHECK: linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]], #[[$ID]]]
  // CHECK: arith.maximumf
  %5 = graph.max %4, %b : tensor<?x10xf32>, tensor<10xf32> -> tensor<?x10xf32>
  // CHECK: linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]], #[[$ID]]]
  // CHECK: arith.minimumf
  %6 = graph.min %5, %b : tensor<?x10xf32>, tensor<10xf32> -> tensor<?x10xf32>
  return %6 : tensor<?x10xf32>
}

// -----

// Tests that the integer binary ops use the signed integer arith ops.

// CHECK-LABEL: func.func @binary_int
func.func @binary_int(%a: tensor<2x3xi64>, %b: tensor<2x3xi64>) -> tensor<2x3xi64> {
  // CHECK: tensor.empty() : tensor<2x3xi64>
  // CHECK: linalg.generic
  // CHECK: arith.addi %{{.+}}, %{{.+}} : i64
  %0 = graph.add %a, %b : tensor<2x3xi64>, tensor<2x3xi64> -> tensor<2x3xi64>
  // CHECK: linalg.generic
  // CHECK: arith.subi %{{.+}}, %{{.+}} : i64
  %1 = graph.sub %0, %b : tensor<2x3xi64>, tensor<2x3xi64> -> tensor<2x3xi64>
  // CHECK: linalg.generic
  // CHECK: arith.muli %{{.+}}, %{{.+}} : i64
  %2 = graph.mul %1, %b : tensor<2x3xi64>, tensor<2x3xi64> -> tensor<2x3xi64>
  // CHECK: linalg.generic
  // CHECK: arith.divsi %{{.+}}, %{{.+}} : i64
  %3 = graph.div %2, %b : tensor<2x3xi64>, tensor<2x3xi64> -> tensor<2x3xi64>
  // CHECK: linalg.generic
  // CHECK: arith.maxsi %{{.+}}, %{{.+}} : i64
  %4 = graph.max %3, %b : tensor<2x3xi64>, tensor<2x3xi64> -> tensor<2x3xi64>
  // CHECK: linalg.generic
  // CHECK: arith.minsi %{{.+}}, %{{.+}} : i64
  %5 = graph.min %4, %b : tensor<2x3xi64>, tensor<2x3xi64> -> tensor<2x3xi64>
  return %5 : tensor<2x3xi64>
}

// -----

// Tests that size-1 dims stretching against larger ones read index 0.

// CHECK-DAG: #[[$COL:.+]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[$ROW:.+]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-DAG: #[[$ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @stretch
// CHECK-SAME: (%[[A:.+]]: tensor<4x1xf32>, %[[B:.+]]: tensor<1x3xf32>)
func.func @stretch(%a: tensor<4x1xf32>, %b: tensor<1x3xf32>) -> tensor<4x3xf32> {
  // CHECK: %[[INIT:.+]] = tensor.empty() : tensor<4x3xf32>
  // CHECK: linalg.generic {indexing_maps = [#[[$COL]], #[[$ROW]], #[[$ID]]], iterator_types = ["parallel", "parallel"]}
  // CHECK-SAME: ins(%[[A]], %[[B]] : tensor<4x1xf32>, tensor<1x3xf32>) outs(%[[INIT]] : tensor<4x3xf32>)
  // CHECK: arith.addf
  %0 = graph.add %a, %b : tensor<4x1xf32>, tensor<1x3xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// Tests that a size-1 dim stretches against a dynamic dim, and that each
// dynamic result size is read from the operand that has it dynamic.

// CHECK-DAG: #[[$COL:.+]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[$ROW:.+]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-DAG: #[[$ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @stretch_dynamic
// CHECK-SAME: (%[[A:.+]]: tensor<?x1xf32>, %[[B:.+]]: tensor<1x?xf32>)
func.func @stretch_dynamic(%a: tensor<?x1xf32>, %b: tensor<1x?xf32>) -> tensor<?x?xf32> {
  // CHECK: %[[C0:.+]] = arith.constant 0 : index
  // CHECK: %[[M:.+]] = tensor.dim %[[A]], %[[C0]] : tensor<?x1xf32>
  // CHECK: %[[C1:.+]] = arith.constant 1 : index
  // CHECK: %[[N:.+]] = tensor.dim %[[B]], %[[C1]] : tensor<1x?xf32>
  // CHECK: %[[INIT:.+]] = tensor.empty(%[[M]], %[[N]]) : tensor<?x?xf32>
  // CHECK: linalg.generic {indexing_maps = [#[[$COL]], #[[$ROW]], #[[$ID]]], iterator_types = ["parallel", "parallel"]}
  // CHECK-SAME: ins(%[[A]], %[[B]] : tensor<?x1xf32>, tensor<1x?xf32>) outs(%[[INIT]] : tensor<?x?xf32>)
  %0 = graph.add %a, %b : tensor<?x1xf32>, tensor<1x?xf32> -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// Tests that the dynamic batch comes from the rhs when only the rhs has it,
// and that the operand order of a non-commutative op is kept.

// CHECK-DAG: #[[$ROW:.+]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-DAG: #[[$ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @dynamic_rhs
// CHECK-SAME: (%[[A:.+]]: tensor<1x10xf32>, %[[B:.+]]: tensor<?x10xf32>)
func.func @dynamic_rhs(%a: tensor<1x10xf32>, %b: tensor<?x10xf32>) -> tensor<?x10xf32> {
  // CHECK: %[[N:.+]] = tensor.dim %[[B]], %{{.+}} : tensor<?x10xf32>
  // CHECK: %[[INIT:.+]] = tensor.empty(%[[N]]) : tensor<?x10xf32>
  // CHECK: linalg.generic {indexing_maps = [#[[$ROW]], #[[$ID]], #[[$ID]]]
  // CHECK-SAME: ins(%[[A]], %[[B]] : tensor<1x10xf32>, tensor<?x10xf32>)
  // CHECK: ^bb0(%[[L:.+]]: f32, %[[R:.+]]: f32, %{{.+}}: f32):
  // CHECK-NEXT: arith.subf %[[L]], %[[R]] : f32
  %0 = graph.sub %a, %b : tensor<1x10xf32>, tensor<?x10xf32> -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// Tests that float comparisons use ordered predicates (une for ne) and
// produce i1, broadcasting both operands.

// CHECK-DAG: #[[$COL:.+]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[$ROW:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[$ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @compare_float
func.func @compare_float(%a: tensor<4x1xf32>, %b: tensor<3xf32>) -> tensor<4x3xi1> {
  // CHECK: %[[INIT:.+]] = tensor.empty() : tensor<4x3xi1>
  // CHECK: linalg.generic {indexing_maps = [#[[$COL]], #[[$ROW]], #[[$ID]]], iterator_types = ["parallel", "parallel"]}
  // CHECK-SAME: outs(%[[INIT]] : tensor<4x3xi1>)
  // CHECK: ^bb0(%[[L:.+]]: f32, %[[R:.+]]: f32, %{{.+}}: i1):
  // CHECK-NEXT: %[[C:.+]] = arith.cmpf oeq, %[[L]], %[[R]] : f32
  // CHECK-NEXT: linalg.yield %[[C]] : i1
  %0 = graph.eq %a, %b : tensor<4x1xf32>, tensor<3xf32> -> tensor<4x3xi1>
  // CHECK: arith.cmpf une,
  %1 = graph.ne %a, %b : tensor<4x1xf32>, tensor<3xf32> -> tensor<4x3xi1>
  // CHECK: arith.cmpf olt,
  %2 = graph.lt %a, %b : tensor<4x1xf32>, tensor<3xf32> -> tensor<4x3xi1>
  // CHECK: arith.cmpf ole,
  %3 = graph.le %a, %b : tensor<4x1xf32>, tensor<3xf32> -> tensor<4x3xi1>
  // CHECK: arith.cmpf ogt,
  %4 = graph.gt %a, %b : tensor<4x1xf32>, tensor<3xf32> -> tensor<4x3xi1>
  // CHECK: arith.cmpf oge,
  %5 = graph.ge %a, %b : tensor<4x1xf32>, tensor<3xf32> -> tensor<4x3xi1>
  return %5 : tensor<4x3xi1>
}

// -----

// Tests that integer comparisons use the signed cmpi predicates.

// CHECK-LABEL: func.func @compare_int
// CHECK-SAME: (%[[A:.+]]: tensor<?xi32>, %[[B:.+]]: tensor<?xi32>)
func.func @compare_int(%a: tensor<?xi32>, %b: tensor<?xi32>) -> tensor<?xi1> {
  // CHECK: %[[N:.+]] = tensor.dim %[[A]], %{{.+}} : tensor<?xi32>
  // CHECK: tensor.empty(%[[N]]) : tensor<?xi1>
  // CHECK: linalg.generic
  // CHECK: ^bb0(%[[L:.+]]: i32, %[[R:.+]]: i32, %{{.+}}: i1):
  // CHECK-NEXT: arith.cmpi eq, %[[L]], %[[R]] : i32
  %0 = graph.eq %a, %b : tensor<?xi32>, tensor<?xi32> -> tensor<?xi1>
  // CHECK: arith.cmpi ne,
  %1 = graph.ne %a, %b : tensor<?xi32>, tensor<?xi32> -> tensor<?xi1>
  // CHECK: arith.cmpi slt,
  %2 = graph.lt %a, %b : tensor<?xi32>, tensor<?xi32> -> tensor<?xi1>
  // CHECK: arith.cmpi sle,
  %3 = graph.le %a, %b : tensor<?xi32>, tensor<?xi32> -> tensor<?xi1>
  // CHECK: arith.cmpi sgt,
  %4 = graph.gt %a, %b : tensor<?xi32>, tensor<?xi32> -> tensor<?xi1>
  // CHECK: arith.cmpi sge,
  %5 = graph.ge %a, %b : tensor<?xi32>, tensor<?xi32> -> tensor<?xi1>
  return %5 : tensor<?xi1>
}

// -----

// Tests that select broadcasts its three operands with one map each and
// picks with arith.select in operand order.

// CHECK-DAG: #[[$ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$COL:.+]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[$ROW:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @select
// CHECK-SAME: (%[[C:.+]]: tensor<4x3xi1>, %[[A:.+]]: tensor<4x1xf32>, %[[B:.+]]: tensor<3xf32>)
func.func @select(%c: tensor<4x3xi1>, %a: tensor<4x1xf32>, %b: tensor<3xf32>) -> tensor<4x3xf32> {
  // CHECK: %[[INIT:.+]] = tensor.empty() : tensor<4x3xf32>
  // CHECK: linalg.generic {indexing_maps = [#[[$ID]], #[[$COL]], #[[$ROW]], #[[$ID]]], iterator_types = ["parallel", "parallel"]}
  // CHECK-SAME: ins(%[[C]], %[[A]], %[[B]] : tensor<4x3xi1>, tensor<4x1xf32>, tensor<3xf32>) outs(%[[INIT]] : tensor<4x3xf32>)
  // CHECK: ^bb0(%[[IC:.+]]: i1, %[[IA:.+]]: f32, %[[IB:.+]]: f32, %{{.+}}: f32):
  // CHECK-NEXT: %[[R:.+]] = arith.select %[[IC]], %[[IA]], %[[IB]] : f32
  // CHECK-NEXT: linalg.yield %[[R]] : f32
  %0 = graph.select %c, %a, %b : tensor<4x3xi1>, tensor<4x1xf32>, tensor<3xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// Tests that broadcast_to is a copying linalg.generic whose input map adds
// leading dims or stretches size-1 dims, keeping a dynamic batch.

// CHECK-DAG: #[[$ROW:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[$ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$COL:.+]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-LABEL: func.func @broadcast_to
// CHECK-SAME: (%[[X:.+]]: tensor<2xf32>, %[[Y:.+]]: tensor<?x1xf32>)
func.func @broadcast_to(%x: tensor<2xf32>, %y: tensor<?x1xf32>) -> (tensor<3x2xf32>, tensor<?x5xf32>) {
  // CHECK: %[[INIT0:.+]] = tensor.empty() : tensor<3x2xf32>
  // CHECK: linalg.generic {indexing_maps = [#[[$ROW]], #[[$ID]]], iterator_types = ["parallel", "parallel"]}
  // CHECK-SAME: ins(%[[X]] : tensor<2xf32>) outs(%[[INIT0]] : tensor<3x2xf32>)
  // CHECK: ^bb0(%[[IN:.+]]: f32, %{{.+}}: f32):
  // CHECK-NEXT: linalg.yield %[[IN]] : f32
  %0 = graph.broadcast_to %x : tensor<2xf32> -> tensor<3x2xf32>
  // CHECK: %[[N:.+]] = tensor.dim %[[Y]], %{{.+}} : tensor<?x1xf32>
  // CHECK: %[[INIT1:.+]] = tensor.empty(%[[N]]) : tensor<?x5xf32>
  // CHECK: linalg.generic {indexing_maps = [#[[$COL]], #[[$ID]]], iterator_types = ["parallel", "parallel"]}
  // CHECK-SAME: ins(%[[Y]] : tensor<?x1xf32>) outs(%[[INIT1]] : tensor<?x5xf32>)
  // CHECK: ^bb0(%[[IN:.+]]: f32, %{{.+}}: f32):
  // CHECK-NEXT: linalg.yield %[[IN]] : f32
  %1 = graph.broadcast_to %y : tensor<?x1xf32> -> tensor<?x5xf32>
  return %0, %1 : tensor<3x2xf32>, tensor<?x5xf32>
}

// -----

// Tests that cast picks the conversion torch's .to(dtype) implies: sitofp and
// fptosi between ints and floats, extui/uitofp from i1, cmpi ne / cmpf une
// against zero into i1, and extf/truncf, extsi/trunci between widths.

// CHECK-LABEL: func.func @cast
func.func @cast(%i64: tensor<?xi64>, %f32: tensor<?xf32>, %i1: tensor<?xi1>, %f64: tensor<?xf64>,
                %i32: tensor<?xi32>)
    -> (tensor<?xf32>, tensor<?xi32>, tensor<?xi64>, tensor<?xi1>, tensor<?xi1>, tensor<?xf32>,
        tensor<?xf64>, tensor<?xf32>, tensor<?xi64>, tensor<?xi32>) {
  // CHECK: tensor.empty(%{{.+}}) : tensor<?xf32>
  // CHECK: linalg.generic
  // CHECK: ^bb0(%[[IN:.+]]: i64, %{{.+}}: f32):
  // CHECK-NEXT: arith.sitofp %[[IN]] : i64 to f32
  %0 = graph.cast %i64 : tensor<?xi64> -> tensor<?xf32>
  // CHECK: ^bb0(%[[IN:.+]]: f32, %{{.+}}: i32):
  // CHECK-NEXT: arith.fptosi %[[IN]] : f32 to i32
  %1 = graph.cast %f32 : tensor<?xf32> -> tensor<?xi32>
  // CHECK: ^bb0(%[[IN:.+]]: i1, %{{.+}}: i64):
  // CHECK-NEXT: arith.extui %[[IN]] : i1 to i64
  %2 = graph.cast %i1 : tensor<?xi1> -> tensor<?xi64>
  // CHECK: ^bb0(%[[IN:.+]]: f32, %{{.+}}: i1):
  // CHECK-NEXT: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
  // CHECK-NEXT: arith.cmpf une, %[[IN]], %[[ZERO]] : f32
  %3 = graph.cast %f32 : tensor<?xf32> -> tensor<?xi1>
  // CHECK: ^bb0(%[[IN:.+]]: i64, %{{.+}}: i1):
  // CHECK-NEXT: %[[ZERO:.+]] = arith.constant 0 : i64
  // CHECK-NEXT: arith.cmpi ne, %[[IN]], %[[ZERO]] : i64
  %4 = graph.cast %i64 : tensor<?xi64> -> tensor<?xi1>
  // CHECK: ^bb0(%[[IN:.+]]: i1, %{{.+}}: f32):
  // CHECK-NEXT: arith.uitofp %[[IN]] : i1 to f32
  %5 = graph.cast %i1 : tensor<?xi1> -> tensor<?xf32>
  // CHECK: ^bb0(%[[IN:.+]]: f32, %{{.+}}: f64):
  // CHECK-NEXT: arith.extf %[[IN]] : f32 to f64
  %6 = graph.cast %f32 : tensor<?xf32> -> tensor<?xf64>
  // CHECK: ^bb0(%[[IN:.+]]: f64, %{{.+}}: f32):
  // CHECK-NEXT: arith.truncf %[[IN]] : f64 to f32
  %7 = graph.cast %f64 : tensor<?xf64> -> tensor<?xf32>
  // CHECK: ^bb0(%[[IN:.+]]: i32, %{{.+}}: i64):
  // CHECK-NEXT: arith.extsi %[[IN]] : i32 to i64
  %8 = graph.cast %i32 : tensor<?xi32> -> tensor<?xi64>
  // CHECK: ^bb0(%[[IN:.+]]: i64, %{{.+}}: i32):
  // CHECK-NEXT: arith.trunci %[[IN]] : i64 to i32
  %9 = graph.cast %i64 : tensor<?xi64> -> tensor<?xi32>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9
      : tensor<?xf32>, tensor<?xi32>, tensor<?xi64>, tensor<?xi1>, tensor<?xi1>, tensor<?xf32>,
        tensor<?xf64>, tensor<?xf32>, tensor<?xi64>, tensor<?xi32>
}

// -----

// Tests that a cast to the same element type folds away instead of copying.

// CHECK-LABEL: func.func @cast_identity
// CHECK-SAME: (%[[X:.+]]: tensor<?xf32>)
func.func @cast_identity(%x: tensor<?xf32>) -> tensor<?xf32> {
  // CHECK-NOT: linalg.generic
  // CHECK: return %[[X]]
  %0 = graph.cast %x : tensor<?xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}
