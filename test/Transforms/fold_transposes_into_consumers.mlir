// RUN: graphc-opt %s --graphc-fold-transposes-into-consumers | FileCheck %s

// A linear layer's weight [out, in] transposed for x @ W^T: the matmul reads
// the weight itself, its map permuted ((k, j) -> (j, k)), and the transpose
// goes.
// CHECK: #[[PERMUTED:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @linear(
// CHECK-SAME: %[[X:.*]]: memref<4x16xf32>, %[[W:.*]]: memref<8x16xf32>
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[PERMUTED:.*]], #{{.*}}]
// CHECK-SAME: ins(%[[X]], %[[W]] : memref<4x16xf32>, memref<8x16xf32>)
#a = affine_map<(i, j, k) -> (i, k)>
#b = affine_map<(i, j, k) -> (k, j)>
#c = affine_map<(i, j, k) -> (i, j)>
func.func @linear(%x: memref<4x16xf32>, %w: memref<8x16xf32>, %y: memref<4x8xf32>) {
  %wt = memref.alloc() : memref<16x8xf32>
  linalg.transpose ins(%w : memref<8x16xf32>) outs(%wt : memref<16x8xf32>) permutation = [1, 0]
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %wt : memref<4x16xf32>, memref<16x8xf32>) outs(%y : memref<4x8xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %p = arith.mulf %in, %in2 : f32
    %s = arith.addf %out, %p : f32
    linalg.yield %s : f32
  }
  memref.dealloc %wt : memref<16x8xf32>
  return
}

// Kept: the weight is updated in place before the transposed copy is read
// (the reader needs the old values), a transposed buffer copied out, and one
// accumulated into afterwards (its old contents, the transpose, are read).
// CHECK-LABEL: func.func @kept(
// CHECK-COUNT-3: linalg.transpose
#id = affine_map<(i, j) -> (i, j)>
func.func @kept(%w: memref<8x16xf32>, %g: memref<8x16xf32>, %out: memref<16x8xf32>,
                %out2: memref<16x8xf32>) {
  %wt = memref.alloc() : memref<16x8xf32>
  linalg.transpose ins(%w : memref<8x16xf32>) outs(%wt : memref<16x8xf32>) permutation = [1, 0]
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%g : memref<8x16xf32>) outs(%w : memref<8x16xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.subf %o, %in : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%wt : memref<16x8xf32>) outs(%out : memref<16x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  %wt2 = memref.alloc() : memref<16x8xf32>
  linalg.transpose ins(%g : memref<8x16xf32>) outs(%wt2 : memref<16x8xf32>) permutation = [1, 0]
  memref.copy %wt2, %out2 : memref<16x8xf32> to memref<16x8xf32>
  %wt3 = memref.alloc() : memref<16x8xf32>
  linalg.transpose ins(%g : memref<8x16xf32>) outs(%wt3 : memref<16x8xf32>) permutation = [1, 0]
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%out : memref<16x8xf32>) outs(%wt3 : memref<16x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %o, %in : f32
    linalg.yield %s : f32
  }
  memref.copy %wt3, %out2 : memref<16x8xf32> to memref<16x8xf32>
  memref.dealloc %wt : memref<16x8xf32>
  memref.dealloc %wt2 : memref<16x8xf32>
  memref.dealloc %wt3 : memref<16x8xf32>
  return
}
