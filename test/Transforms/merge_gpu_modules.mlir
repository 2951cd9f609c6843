// RUN: graphc-opt %s --graphc-merge-gpu-modules | FileCheck %s

// Two outlined kernels (one module each, as --gpu-kernel-outlining makes
// them) end up in one module, named after the modules they came from, and
// the launches follow them.
// CHECK-LABEL: func @forward
// CHECK: gpu.launch_func @graphc_kernels::@forward_kernel blocks
// CHECK: gpu.launch_func @graphc_kernels::@forward_kernel_0 blocks
// CHECK-NOT: gpu.module @forward_kernel
// CHECK: gpu.module @graphc_kernels {
// CHECK:   gpu.func @forward_kernel(%{{.*}}: memref<4xf32>) kernel
// CHECK:   gpu.func @forward_kernel_0(%{{.*}}: memref<4xf32>) kernel
// CHECK: }
module attributes {gpu.container_module} {
  func.func @forward(%a: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    gpu.launch_func @forward_kernel::@forward_kernel blocks in (%c1, %c1, %c1) threads in (%c4, %c1, %c1) args(%a : memref<4xf32>)
    gpu.launch_func @forward_kernel_0::@forward_kernel blocks in (%c1, %c1, %c1) threads in (%c4, %c1, %c1) args(%a : memref<4xf32>)
    return
  }
  gpu.module @forward_kernel {
    gpu.func @forward_kernel(%a: memref<4xf32>) kernel {
      %i = gpu.thread_id x
      %cst = arith.constant 1.0 : f32
      memref.store %cst, %a[%i] : memref<4xf32>
      gpu.return
    }
  }
  gpu.module @forward_kernel_0 {
    gpu.func @forward_kernel(%a: memref<4xf32>) kernel {
      %i = gpu.thread_id x
      %cst = arith.constant 2.0 : f32
      memref.store %cst, %a[%i] : memref<4xf32>
      gpu.return
    }
  }
}
