// RUN: graphc-opt %s --split-input-file --graphc-strided-copy-to-linalg | FileCheck %s

// Tests that a copy out of a strided view becomes a linalg.copy.
// CHECK-LABEL: func @strided_source
func.func @strided_source(%src: memref<4x6xf32>, %dst: memref<4x3xf32>) {
  %view = memref.subview %src[0, 0] [4, 3] [1, 2] : memref<4x6xf32> to memref<4x3xf32, strided<[6, 2]>>
  // CHECK-NOT: memref.copy
  // CHECK: linalg.copy ins(%{{.*}} : memref<4x3xf32, strided<[6, 2]>>) outs(%{{.*}} : memref<4x3xf32>)
  memref.copy %view, %dst : memref<4x3xf32, strided<[6, 2]>> to memref<4x3xf32>
  return
}

// -----

// Tests that a copy into a strided view (a padded interior) becomes a linalg.copy.
// CHECK-LABEL: func @strided_target
func.func @strided_target(%src: memref<2x2xf32>, %dst: memref<4x4xf32>) {
  %view = memref.subview %dst[1, 1] [2, 2] [1, 1] : memref<4x4xf32> to memref<2x2xf32, strided<[4, 1], offset: 5>>
  // CHECK: linalg.copy
  memref.copy %src, %view : memref<2x2xf32> to memref<2x2xf32, strided<[4, 1], offset: 5>>
  return
}

// -----

// Tests that a copy between contiguous buffers stays a memref.copy (it lowers to llvm.memcpy).
// CHECK-LABEL: func @contiguous
func.func @contiguous(%src: memref<?x8xf32>, %dst: memref<?x8xf32>) {
  // CHECK: memref.copy
  // CHECK-NOT: linalg.copy
  memref.copy %src, %dst : memref<?x8xf32> to memref<?x8xf32>
  return
}
