// RUN: graphc-opt %s --graphc-sink-into-kernels | FileCheck %s
// RUN: graphc-opt %s --graphc-sink-into-kernels --gpu-kernel-outlining --graphc-merge-gpu-modules | FileCheck %s --check-prefix=OUTLINED

// A constant table read by two kernels (cross-entropy's class indices): the
// global's address and the constants are moved into each launch, so no
// kernel takes a host address; outlined, the global is cloned into the
// kernels' module, once.
// (The host's own get_global is left dead, for canonicalization.)
// CHECK-LABEL: func.func @two_kernels_read_a_table
// CHECK: gpu.launch
// CHECK: memref.get_global @table
// CHECK: gpu.launch
// CHECK: memref.get_global @table

// OUTLINED-LABEL: func.func @two_kernels_read_a_table(
// OUTLINED-SAME: %[[OUT:.*]]: memref<4xi64>)
// OUTLINED: gpu.launch_func @graphc_kernels::@two_kernels_read_a_table_kernel {{.*}} args(%[[OUT]] : memref<4xi64>)
// OUTLINED: gpu.launch_func @graphc_kernels::@two_kernels_read_a_table_kernel_0 {{.*}} args(%[[OUT]] : memref<4xi64>)
// OUTLINED: gpu.module @graphc_kernels
// OUTLINED-COUNT-1: memref.global "private" constant @table
// OUTLINED-NOT: memref.global

// CHECK-LABEL: func.func @reads_a_reshaped_table
// CHECK: gpu.launch
// CHECK: memref.get_global @table
// CHECK: memref.expand_shape
module attributes {gpu.container_module} {
  memref.global "private" constant @table : memref<4xi64> = dense<[0, 1, 2, 3]>
  func.func @two_kernels_read_a_table(%out: memref<4xi64>) {
    %table = memref.get_global @table : memref<4xi64>
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1) {
      %v = memref.load %table[%tx] : memref<4xi64>
      memref.store %v, %out[%tx] : memref<4xi64>
      gpu.terminator
    }
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1) {
      %v = memref.load %table[%tx] : memref<4xi64>
      %w = arith.addi %v, %v : i64
      memref.store %w, %out[%tx] : memref<4xi64>
      gpu.terminator
    }
    return
  }

  // A reshaped table goes in with its view.
  func.func @reads_a_reshaped_table(%out: memref<2x2xi64>) {
    %flat = memref.get_global @table : memref<4xi64>
    %table = memref.expand_shape %flat [[0, 1]] output_shape [2, 2] : memref<4xi64> into memref<2x2xi64>
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c2, %sy = %c2, %sz = %c1) {
      %v = memref.load %table[%tx, %ty] : memref<2x2xi64>
      memref.store %v, %out[%tx, %ty] : memref<2x2xi64>
      gpu.terminator
    }
    return
  }
}
