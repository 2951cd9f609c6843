// RUN: graphc-opt %s --split-input-file --graphc-convert-graph-to-linalg | FileCheck %s

// Tests that random_uniform becomes one parallel linalg.generic of the
// result's sizes that reads the seed and the call count through constant
// maps (a GPU kernel reads them itself), derives each element's counter from
// its row-major index and runs ten Philox rounds (two 32x32->64 products
// each), keeping the top 24 bits of the first word as a float32 in [0, 1).
// CHECK-DAG: #[[SEED:.*]] = affine_map<(d0, d1) -> (0)>
// CHECK-DAG: #[[CALLS:.*]] = affine_map<(d0, d1) -> (1)>
// CHECK-LABEL: func.func @uniform
// CHECK: %[[EMPTY:.*]] = tensor.empty(%{{.*}}) : tensor<?x5xf32>
// CHECK: linalg.generic {indexing_maps = [#[[SEED]], #[[CALLS]], #{{.*}}], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%arg1, %arg1 : tensor<2xi64>, tensor<2xi64>) outs(%[[EMPTY]] : tensor<?x5xf32>)
// CHECK: ^bb0(%[[S:.*]]: i64, %[[C:.*]]: i64, %{{.*}}: f32):
// CHECK: linalg.index 0
// CHECK: linalg.index 1
// CHECK-COUNT-20: arith.muli %{{.*}} : i64
// CHECK: arith.shrui %{{.*}} : i32
// CHECK: arith.uitofp %{{.*}} : i32 to f32
// CHECK: linalg.yield
func.func @uniform(%x: tensor<?x5xf32>, %state: tensor<2xi64>) -> tensor<?x5xf32> {
  %u = graph.random_uniform %x, %state {stream = 3 : i64} : tensor<?x5xf32>, tensor<2xi64> -> tensor<?x5xf32>
  return %u : tensor<?x5xf32>
}
