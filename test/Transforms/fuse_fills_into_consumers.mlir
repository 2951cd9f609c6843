// RUN: graphc-opt %s --graphc-fuse-fills-into-consumers | FileCheck %s

// A matmul's accumulator: the zero fill goes, and the product reads 0.0
// instead of the accumulator where its reduction index k is 0.
// CHECK-LABEL: func.func @matmul(
// CHECK: %[[ACC:.*]] = memref.alloc() : memref<4x8xf32>
// CHECK-NOT: linalg.fill
// CHECK: linalg.generic
// CHECK: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %[[OUT:.*]]: f32):
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[K:.*]] = linalg.index 2 : index
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[K]], %{{.*}} : index
// CHECK: %[[START:.*]] = arith.select %[[FIRST]], %[[ZERO]], %[[OUT]] : f32
// CHECK: %[[PRODUCT:.*]] = arith.mulf %[[A]], %[[B]] : f32
// CHECK: arith.addf %[[START]], %[[PRODUCT]] : f32
#a = affine_map<(i, j, k) -> (i, k)>
#b = affine_map<(i, j, k) -> (k, j)>
#c = affine_map<(i, j, k) -> (i, j)>
func.func @matmul(%x: memref<4x16xf32>, %w: memref<16x8xf32>, %y: memref<4x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %acc = memref.alloc() : memref<4x8xf32>
  linalg.fill ins(%zero : f32) outs(%acc : memref<4x8xf32>)
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<4x16xf32>, memref<16x8xf32>) outs(%acc : memref<4x8xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %p = arith.mulf %in, %in2 : f32
    %s = arith.addf %out, %p : f32
    linalg.yield %s : f32
  }
  memref.copy %acc, %y : memref<4x8xf32> to memref<4x8xf32>
  memref.dealloc %acc : memref<4x8xf32>
  return
}

// Kept: a fill of an argument (it may alias), a fill whose buffer is read
// first by something else, and one with a view (taken before the fill, and
// written through before the consumer). A column sum's accumulator does go
// (its consumer writes every element, reading 0.0 at row 0).
// CHECK-LABEL: func.func @kept(
// CHECK-COUNT-2: linalg.fill
// CHECK-NOT: linalg.fill
// CHECK: linalg.index 0
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : memref<4xf32>)
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : memref<2xf32, strided<[1]>>)
#id = affine_map<(i) -> (i)>
func.func @kept(%arg: memref<4xf32>, %in: memref<4xf32>, %out: memref<4xf32>, %m: memref<3x4xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%arg : memref<4xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%in : memref<4xf32>) outs(%arg : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %o, %x : f32
    linalg.yield %s : f32
  }
  %t = memref.alloc() : memref<4xf32>
  linalg.fill ins(%zero : f32) outs(%t : memref<4xf32>)
  memref.copy %t, %out : memref<4xf32> to memref<4xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%in : memref<4xf32>) outs(%t : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %o, %x : f32
    linalg.yield %s : f32
  }
  %u = memref.alloc() : memref<4xf32>
  linalg.fill ins(%zero : f32) outs(%u : memref<4xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%m : memref<3x4xf32>) outs(%u : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %o, %x : f32
    linalg.yield %s : f32
  }
  %v = memref.alloc() : memref<4xf32>
  %half = memref.subview %v[0] [2] [1] : memref<4xf32> to memref<2xf32, strided<[1]>>
  linalg.fill ins(%zero : f32) outs(%v : memref<4xf32>)
  %one = arith.constant 1.0 : f32
  linalg.fill ins(%one : f32) outs(%half : memref<2xf32, strided<[1]>>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%in : memref<4xf32>) outs(%v : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %o, %x : f32
    linalg.yield %s : f32
  }
  memref.copy %v, %out : memref<4xf32> to memref<4xf32>
  memref.dealloc %t : memref<4xf32>
  memref.dealloc %u : memref<4xf32>
  memref.dealloc %v : memref<4xf32>
  return
}

// A view taken after the consumer (split-reductions' partials regrouped for
// the next level of combining) sees the consumer's result only: the fill
// goes.
// CHECK-LABEL: func.func @view_after_consumer(
// CHECK-NOT: linalg.fill
// CHECK: linalg.index 0
// CHECK: memref.expand_shape
func.func @view_after_consumer(%m: memref<3x8xf32>, %out: memref<2x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %p = memref.alloc() : memref<8xf32>
  linalg.fill ins(%zero : f32) outs(%p : memref<8xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%m : memref<3x8xf32>) outs(%p : memref<8xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %o, %x : f32
    linalg.yield %s : f32
  }
  %grouped = memref.expand_shape %p [[0, 1]] output_shape [2, 4] : memref<8xf32> into memref<2x4xf32>
  memref.copy %grouped, %out : memref<2x4xf32> to memref<2x4xf32>
  memref.dealloc %p : memref<8xf32>
  return
}

// A temporary that holds only its fill and is copied into two accumulators
// (one filled tensor read by two matmuls bufferizes so): each copy becomes a
// fill of its destination, then fused into that destination's consumer; the
// temporary goes.
// CHECK-LABEL: func.func @filled_then_copied(
// CHECK-NEXT: arith.constant
// CHECK-NEXT: memref.alloc() : memref<4xf32>
// CHECK-NEXT: linalg.generic
// CHECK-NOT: linalg.copy
// CHECK-NOT: linalg.fill
// CHECK: memref.alloc() : memref<4xf32>
// CHECK-NEXT: linalg.generic
// CHECK-NOT: linalg.copy
// CHECK-NOT: linalg.fill
// CHECK: return
func.func @filled_then_copied(%m: memref<3x4xf32>, %n: memref<3x4xf32>, %out: memref<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %t = memref.alloc() : memref<4xf32>
  linalg.fill ins(%zero : f32) outs(%t : memref<4xf32>)
  %a = memref.alloc() : memref<4xf32>
  linalg.copy ins(%t : memref<4xf32>) outs(%a : memref<4xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%m : memref<3x4xf32>) outs(%a : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %o, %x : f32
    linalg.yield %s : f32
  }
  %b = memref.alloc() : memref<4xf32>
  linalg.copy ins(%t : memref<4xf32>) outs(%b : memref<4xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%n : memref<3x4xf32>) outs(%b : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %o, %x : f32
    linalg.yield %s : f32
  }
  memref.dealloc %t : memref<4xf32>
  memref.copy %b, %out : memref<4xf32> to memref<4xf32>
  memref.dealloc %a : memref<4xf32>
  memref.dealloc %b : memref<4xf32>
  return
}

// The temporary's last reader accumulates into it: the copy made before
// becomes a fill of its destination (fused), and the temporary's own fill is
// fused into that last reader.
// CHECK-LABEL: func.func @copied_then_accumulated(
// CHECK-NOT: linalg.copy
// CHECK-NOT: linalg.fill
// CHECK: return
func.func @copied_then_accumulated(%m: memref<3x4xf32>, %n: memref<3x4xf32>, %out: memref<4xf32>, %out2: memref<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %t = memref.alloc() : memref<4xf32>
  linalg.fill ins(%zero : f32) outs(%t : memref<4xf32>)
  %a = memref.alloc() : memref<4xf32>
  linalg.copy ins(%t : memref<4xf32>) outs(%a : memref<4xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%m : memref<3x4xf32>) outs(%a : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %o, %x : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%n : memref<3x4xf32>) outs(%t : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %o, %x : f32
    linalg.yield %s : f32
  }
  memref.copy %a, %out : memref<4xf32> to memref<4xf32>
  memref.copy %t, %out2 : memref<4xf32> to memref<4xf32>
  memref.dealloc %t : memref<4xf32>
  memref.dealloc %a : memref<4xf32>
  return
}
