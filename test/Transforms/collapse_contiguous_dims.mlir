// RUN: graphc-opt %s --graphc-collapse-contiguous-dims | FileCheck %s

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d1)>

// A ReLU gradient over contiguous images: each image's 6 x 28 x 28 elements
// as one loop; the batch stays the outer loop (the threads').
// CHECK-LABEL: func.func @relu_grad
// CHECK-DAG: memref.collapse_shape %arg0 {{\[}}[0], [1, 2, 3]] : memref<?x6x28x28xf32> into memref<?x4704xf32>
// CHECK-DAG: memref.collapse_shape %arg1 {{\[}}[0], [1, 2, 3]]
// CHECK-DAG: memref.collapse_shape %arg2 {{\[}}[0], [1, 2, 3]]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]{{.*}}outs(%{{.*}} : memref<?x4704xf32>)
// CHECK: arith.cmpf ole
// CHECK: arith.select
func.func @relu_grad(%y: memref<?x6x28x28xf32>, %dy: memref<?x6x28x28xf32>, %dx: memref<?x6x28x28xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y, %dy : memref<?x6x28x28xf32>, memref<?x6x28x28xf32>) outs(%dx : memref<?x6x28x28xf32>) {
  ^bb0(%a: f32, %g: f32, %o: f32):
    %le = arith.cmpf ole, %a, %zero : f32
    %r = arith.select %le, %zero, %g : f32
    linalg.yield %r : f32
  }
  return
}

// A per-channel bias reads the channel dim only: rows and columns collapse,
// channels stay.
// CHECK-LABEL: func.func @bias
// CHECK: memref.collapse_shape %arg0 {{\[}}[0], [1], [2, 3]] : memref<?x6x28x28xf32> into memref<?x6x784xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel"]{{.*}}ins(%{{.*}}, %arg1 : memref<?x6x784xf32>, memref<6xf32>)
func.func @bias(%x: memref<?x6x28x28xf32>, %b: memref<6xf32>, %out: memref<?x6x28x28xf32>) {
  linalg.generic {indexing_maps = [#id, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x, %b : memref<?x6x28x28xf32>, memref<6xf32>) outs(%out : memref<?x6x28x28xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  }
  return
}

// Rows of 28 out of 32 (a convolution's output without its garbage
// columns) do not collapse: left as they are.
// CHECK-LABEL: func.func @bias_from_rows
// CHECK-NOT: memref.collapse_shape
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel"]
func.func @bias_from_rows(%flat: memref<?x6x28x32xf32>, %b: memref<6xf32>, %out: memref<?x6x28x28xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %flat, %c0 : memref<?x6x28x32xf32>
  %rows = memref.subview %flat[0, 0, 0, 0] [%n, 6, 28, 28] [1, 1, 1, 1] : memref<?x6x28x32xf32> to memref<?x6x28x28xf32, strided<[5376, 896, 32, 1]>>
  linalg.generic {indexing_maps = [#id, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%rows, %b : memref<?x6x28x28xf32, strided<[5376, 896, 32, 1]>>, memref<6xf32>) outs(%out : memref<?x6x28x28xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  }
  return
}

// A reduction is graphc-lower-reductions-to-loops' work: left as it is.
// CHECK-LABEL: func.func @sum
// CHECK-NOT: memref.collapse_shape
func.func @sum(%x: memref<?x6x28x28xf32>, %out: memref<6xf32>) {
  linalg.generic {indexing_maps = [#id, #chan], iterator_types = ["reduction", "parallel", "reduction", "reduction"]} ins(%x : memref<?x6x28x28xf32>) outs(%out : memref<6xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  }
  return
}

// A scalar read at constant indices: upstream's collapse rewrites its map
// wrongly (into (d0, d1) -> (d0, d0, d0)), so such generics are left alone.
// CHECK-LABEL: func.func @scalar_times
// CHECK-NOT: memref.collapse_shape
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel"]{{.*}}memref<1x1x1xf32>, memref<?x6x28x28xf32>
func.func @scalar_times(%s: memref<1x1x1xf32>, %x: memref<?x6x28x28xf32>, %out: memref<?x6x28x28xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (0, 0, 0)>, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s, %x : memref<1x1x1xf32>, memref<?x6x28x28xf32>) outs(%out : memref<?x6x28x28xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    linalg.yield %p : f32
  }
  return
}

// A contiguous slice with a static offset: upstream's collapse refuses it,
// and the generic is left as it is (graphc_difftest's seed 17).
// CHECK-LABEL: func.func @offset_slice
// CHECK-NOT: memref.collapse_shape
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel"]
func.func @offset_slice(%x: memref<1x2x2xf32, strided<[4, 2, 1], offset: 4>>, %out: memref<2x1x2x2xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1, d2, d3)>, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<1x2x2xf32, strided<[4, 2, 1], offset: 4>>) outs(%out : memref<2x1x2x2xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}

// The zero padding around conv2's input gradient in LeNet: rows of 14 that
// LLVM left a scalar store loop; filled as one contiguous run per image.
// CHECK-LABEL: func.func @fill_padding
// CHECK: %[[VIEW:.*]] = memref.collapse_shape %arg0 {{\[}}[0], [1, 2, 3]] : memref<?x16x19x14xf32> into memref<?x4256xf32>
// CHECK-NEXT: linalg.fill ins(%{{.*}} : f32) outs(%[[VIEW]] : memref<?x4256xf32>)
// CHECK-NEXT: return
func.func @fill_padding(%padded: memref<?x16x19x14xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%padded : memref<?x16x19x14xf32>)
  return
}

// A fill of a slice whose rows are not contiguous, and one of two dims, keep
// their dims.
// CHECK-LABEL: func.func @fill_kept
// CHECK-NOT: memref.collapse_shape
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%arg0 : memref<?x10x10xf32, strided<[266, 14, 1], offset: 60>>)
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%arg1 : memref<?x784xf32>)
func.func @fill_kept(%slice: memref<?x10x10xf32, strided<[266, 14, 1], offset: 60>>, %flat: memref<?x784xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%slice : memref<?x10x10xf32, strided<[266, 14, 1], offset: 60>>)
  linalg.fill ins(%zero : f32) outs(%flat : memref<?x784xf32>)
  return
}

// A contiguous slice of a buffer (its offset kept) collapses as well, and a
// fill on tensors is left to bufferization.
// CHECK-LABEL: func.func @fill_slice_and_tensor
// CHECK: memref.collapse_shape %arg0 {{\[}}[0], [1, 2]] : memref<?x4x5xf32, strided<[20, 5, 1], offset: 60>> into memref<?x20xf32, strided<[20, 1], offset: 60>>
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%arg1 : tensor<?x4x5xf32>)
func.func @fill_slice_and_tensor(%slice: memref<?x4x5xf32, strided<[20, 5, 1], offset: 60>>, %t: tensor<?x4x5xf32>) -> tensor<?x4x5xf32> {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%slice : memref<?x4x5xf32, strided<[20, 5, 1], offset: 60>>)
  %r = linalg.fill ins(%zero : f32) outs(%t : tensor<?x4x5xf32>) -> tensor<?x4x5xf32>
  return %r : tensor<?x4x5xf32>
}
