// RUN: graphc-opt %s --graphc-split-reductions="min-threads=64 min-work=16" | FileCheck %s

// A bias gradient over (batch, h, w) has 4 outputs: 4 threads on a GPU. Its
// largest static reduction dimension (h, 16) becomes parallel into a
// partials buffer filled with the sum's identity, and a second nest adds each
// output's 16 partials to it in order (out = out + p, as the original's
// operand order).
// CHECK-LABEL: func.func @bias_gradient(
// CHECK-SAME: %[[IN:.*]]: memref<?x4x16x8xf32>, %[[OUT:.*]]: memref<4xf32>)
// CHECK: %[[PARTIALS:.*]] = memref.alloc() : memref<4x16xf32>
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[PARTIALS]] : memref<4x16xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[IN_MAP:.*]], #[[PARTIAL_MAP:.*]]], iterator_types = ["reduction", "parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[IN]] : memref<?x4x16x8xf32>) outs(%[[PARTIALS]] : memref<4x16xf32>)
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME: ins(%[[PARTIALS]] : memref<4x16xf32>) outs(%[[OUT]] : memref<4xf32>)
// CHECK: ^bb0(%[[P:.*]]: f32, %[[O:.*]]: f32):
// CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[O]], %[[P]] : f32
// CHECK-NEXT: linalg.yield %[[SUM]]
// CHECK: memref.dealloc %[[PARTIALS]]
#in = affine_map<(n, c, h, w) -> (n, c, h, w)>
#out = affine_map<(n, c, h, w) -> (c)>
func.func @bias_gradient(%in: memref<?x4x16x8xf32>, %out: memref<4xf32>) {
  linalg.generic {indexing_maps = [#in, #out],
                  iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%in : memref<?x4x16x8xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  }
  return
}

// A maximum: the partials start at -inf.
// CHECK-LABEL: func.func @largest(
// CHECK: %[[PARTIALS:.*]] = memref.alloc() : memref<2x32xf32>
// CHECK: %[[NEG_INF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: linalg.fill ins(%[[NEG_INF]] : f32) outs(%[[PARTIALS]]
// CHECK: arith.maximumf
#in2 = affine_map<(c, k) -> (c, k)>
#out2 = affine_map<(c, k) -> (c)>
func.func @largest(%in: memref<2x32xf32>, %out: memref<2xf32>) {
  linalg.generic {indexing_maps = [#in2, #out2], iterator_types = ["parallel", "reduction"]}
      ins(%in : memref<2x32xf32>) outs(%out : memref<2xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %m = arith.maximumf %acc, %x : f32
    linalg.yield %m : f32
  }
  return
}

// Enough outputs already (64 threads), a short reduction, and a body that
// reads the output elsewhere than in the combiner are left alone.
// CHECK-LABEL: func.func @left_alone(
// CHECK-NOT: memref.alloc
// CHECK: return
#in3 = affine_map<(c, k) -> (c, k)>
#out3 = affine_map<(c, k) -> (c)>
func.func @left_alone(%many: memref<64x32xf32>, %out64: memref<64xf32>,
                      %short: memref<2x8xf32>, %out2: memref<2xf32>,
                      %reads: memref<2x32xf32>, %out3: memref<2xf32>) {
  linalg.generic {indexing_maps = [#in3, #out3], iterator_types = ["parallel", "reduction"]}
      ins(%many : memref<64x32xf32>) outs(%out64 : memref<64xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#in3, #out3], iterator_types = ["parallel", "reduction"]}
      ins(%short : memref<2x8xf32>) outs(%out2 : memref<2xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#in3, #out3], iterator_types = ["parallel", "reduction"]}
      ins(%reads : memref<2x32xf32>) outs(%out3 : memref<2xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %p = arith.mulf %acc, %x : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}
