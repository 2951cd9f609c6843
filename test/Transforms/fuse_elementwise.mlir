// RUN: graphc-opt %s --split-input-file --graphc-fuse-elementwise | FileCheck %s
// RUN: graphc-opt %s --split-input-file --graphc-fusion | FileCheck %s
// RUN: graphc-opt %s --split-input-file --graphc-fuse-elementwise --mlir-print-debuginfo \
// RUN:   --mlir-print-local-scope | FileCheck %s --check-prefix=LOC

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>

// Tests that a bias add and the ReLU after it become one loop nest, whose
// location names both graph ops.
// CHECK-LABEL: func.func @bias_relu
// CHECK-COUNT-1: linalg.generic
// CHECK-NOT: linalg.generic
// CHECK: arith.addf
// CHECK: arith.maximumf
// LOC-LABEL: func.func @bias_relu
// LOC: } -> tensor<?x4xf32> loc(fused["graph.add %0"("model.cpp":3:1), "graph.relu %1"("model.cpp":4:1)])
func.func @bias_relu(%x: tensor<?x4xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x4xf32>
  %e = tensor.empty(%n) : tensor<?x4xf32>
  %0 = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : tensor<?x4xf32>, tensor<4xf32>) outs(%e : tensor<?x4xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32> loc("graph.add %0"("model.cpp":3:1))
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%0 : tensor<?x4xf32>) outs(%e : tensor<?x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x4xf32> loc("graph.relu %1"("model.cpp":4:1))
  return %1 : tensor<?x4xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>

// Tests that a producer with a later user besides its consumer (an activation
// the backward pass reads again) is fused: the fused op also yields the
// producer's result, the later user reads that, and the producer is gone.
// CHECK-LABEL: func.func @multi_use
// CHECK: %[[F:.*]]:2 = linalg.generic
// CHECK: arith.negf
// CHECK: arith.mulf
// CHECK: linalg.yield
// CHECK-NOT: linalg.generic
// CHECK: return %[[F]]#1, %[[F]]#0
func.func @multi_use(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<8xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%0 : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<8xf32>
  return %1, %0 : tensor<8xf32>, tensor<8xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>

// Tests that a producer whose other user comes before the consumer is not
// fused: the fused op, in the consumer's place, would not dominate that user.
// CHECK-LABEL: func.func @earlier_user
// CHECK: %[[NEG:.*]] = linalg.generic
// CHECK: arith.negf
// CHECK: call @use(%[[NEG]])
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[NEG]]
// CHECK: arith.mulf
func.func private @use(tensor<8xf32>)
func.func @earlier_user(%x: tensor<8xf32>) -> tensor<8xf32> {
  %e = tensor.empty() : tensor<8xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<8xf32>
  call @use(%0) : (tensor<8xf32>) -> ()
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%0 : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<8xf32>
  return %1 : tensor<8xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#a = affine_map<(m, k, n) -> (m, k)>
#b = affine_map<(m, k, n) -> (k, n)>
#c = affine_map<(m, k, n) -> (m, n)>

// Tests that an elementwise producer is not fused into a matmul (the tiling
// pass takes only its plain multiply-accumulate, and the producer would run
// once per column).
// CHECK-LABEL: func.func @into_matmul
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: arith.maximumf
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel"]
// CHECK-NEXT: ^bb0(%{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32):
func.func @into_matmul(%x: tensor<4x8xf32>, %w: tensor<8x2xf32>) -> tensor<4x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  %ce = tensor.empty() : tensor<4x2xf32>
  %c = linalg.fill ins(%zero : f32) outs(%ce : tensor<4x2xf32>) -> tensor<4x2xf32>
  %1 = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%0, %w : tensor<4x8xf32>, tensor<8x2xf32>) outs(%c : tensor<4x2xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q fastmath<reassoc,contract> : f32
    %s = arith.addf %acc, %m fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  } -> tensor<4x2xf32>
  return %1 : tensor<4x2xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
#vec = affine_map<(d0) -> (d0)>

// Tests that a producer read through a broadcast (each element once per row)
// is not fused.
// CHECK-LABEL: func.func @broadcast
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel"]
// CHECK: math.exp
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK-NOT: math.exp
func.func @broadcast(%b: tensor<4xf32>, %x: tensor<16x4xf32>) -> tensor<16x4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  %0 = linalg.generic {indexing_maps = [#vec, #vec], iterator_types = ["parallel"]}
      ins(%b : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e2 = tensor.empty() : tensor<16x4xf32>
  %1 = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %0 : tensor<16x4xf32>, tensor<4xf32>) outs(%e2 : tensor<16x4xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<16x4xf32>
  return %1 : tensor<16x4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// Tests that a linalg.reduce becomes a generic that takes a producer only it
// reads (the exp of a softmax's sum), and not one read again later (which a
// reduction cannot also yield).
// CHECK-LABEL: func.func @reductions
// CHECK-NOT: linalg.reduce
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: %[[NEG:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: arith.negf
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[NEG]] :
// CHECK: return
func.func @reductions(%x: tensor<2x8xf32>) -> (tensor<2xf32>, tensor<2xf32>, tensor<2x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x8xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<2x8xf32>) outs(%e : tensor<2x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<2x8xf32>
  %re = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%re : tensor<2xf32>) -> tensor<2xf32>
  %sum = linalg.reduce ins(%0 : tensor<2x8xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<2x8xf32>) outs(%e : tensor<2x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<2x8xf32>
  %sum2 = linalg.reduce ins(%1 : tensor<2x8xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  return %sum, %sum2, %1 : tensor<2xf32>, tensor<2xf32>, tensor<2x8xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>

// Tests that a consumer reading two results of one producer, one of them
// read again later, fuses in two rounds and terminates: the later user reads
// the final op's copy, and nothing reads its own result. The producer's body,
// fused twice, is computed once.
// CHECK-LABEL: func.func @two_results
// CHECK: %[[F:.*]]:2 = linalg.generic
// CHECK: math.tanh
// CHECK-NOT: math.tanh
// CHECK: linalg.yield
// CHECK-NOT: linalg.generic
// CHECK: return %[[F]]#1, %[[F]]#0
func.func @two_results(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %0:2 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<8xf32>) outs(%e, %e : tensor<8xf32>, tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32, %o2: f32):
    %n = arith.negf %a : f32
    %t = math.tanh %a : f32
    linalg.yield %n, %t : f32, f32
  } -> (tensor<8xf32>, tensor<8xf32>)
  %1 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%0#0, %0#1 : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  return %1, %0#1 : tensor<8xf32>, tensor<8xf32>
}

// -----

#s = affine_map<() -> ()>

// Tests that a comparison reading a parameter that the function updates in
// place (result 1, graph.updates_argument = 0) is not fused into a consumer
// that comes after the update: the read would follow the write, and the
// parameter could not be updated in place (graphc_difftest seed 2095). The
// comparison stays before the update; the select after it reads its mask.
// CHECK-LABEL: func.func @read_before_update
// CHECK: arith.cmpf oge
// CHECK: linalg.yield
// CHECK: arith.subf
// CHECK: linalg.yield
// CHECK: arith.select
func.func @read_before_update(%p: tensor<f32>, %x: tensor<f32>, %g: tensor<f32>)
    -> (tensor<f32>, tensor<f32> {graph.updates_argument = 0 : i64}) {
  %e = tensor.empty() : tensor<f32>
  %ei = tensor.empty() : tensor<i1>
  %mask = linalg.generic {indexing_maps = [#s, #s, #s], iterator_types = []}
      ins(%x, %p : tensor<f32>, tensor<f32>) outs(%ei : tensor<i1>) {
  ^bb0(%a: f32, %b: f32, %o: i1):
    %c = arith.cmpf oge, %a, %b : f32
    linalg.yield %c : i1
  } -> tensor<i1>
  %updated = linalg.generic {indexing_maps = [#s, #s, #s], iterator_types = []}
      ins(%p, %g : tensor<f32>, tensor<f32>) outs(%e : tensor<f32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    linalg.yield %d : f32
  } -> tensor<f32>
  %selected = linalg.generic {indexing_maps = [#s, #s, #s, #s], iterator_types = []}
      ins(%mask, %x, %g : tensor<i1>, tensor<f32>, tensor<f32>) outs(%e : tensor<f32>) {
  ^bb0(%m: i1, %a: f32, %b: f32, %o: f32):
    %v = arith.select %m, %a, %b : f32
    linalg.yield %v : f32
  } -> tensor<f32>
  return %selected, %updated : tensor<f32>, tensor<f32>
}
