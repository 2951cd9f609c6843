// RUN: graphc-opt %s --graphc-cuda-pipeline="host-to-llvm=false" | FileCheck %s
// RUN: graphc-opt %s --graphc-cuda-pipeline | FileCheck %s --check-prefix=HOST

// Tests that the CUDA pipeline takes a graph function with a dynamic batch
// (matmul + bias + relu, and the sum of its exp) to kernels in one PTX
// module and a host function that only computes sizes, takes views of its
// arena and launches: no host allocation (every temporary is a view of the
// caller's arena, the results are written into the caller's buffers), no
// host loop and no host load or store of device memory (the 0-D fill and
// copy of the scalar sum are kernels of one thread): five kernels, for the
// matmul (its zero fill folded in: graphc-fuse-fills-into-consumers), the
// bias and relu, the sum of the exp (its fill folded in too), and the copies
// of the two results. The matmul is one kernel over (row, column) whose
// threads run the k loop; exp calls libdevice's __nv_expf, linked into the
// PTX.
//
// With the host functions lowered (HOST): the five launches are on the one
// stream the call gets at its start, synchronized once at the end (not a
// stream per launch, as MLIR 19's synchronous launches make), and the C
// interface the entry points call. (gpu.launch_func stays in the LLVM
// dialect; the translation to LLVM IR makes it calls of the runtime's
// mgpuModuleLoadJIT, mgpuModuleGetFunction and mgpuLaunchKernel.)

// HOST-LABEL: llvm.func @mlp_layer(
// HOST: %[[STREAM:.*]] = llvm.call @mgpuStreamCreate()
// HOST-COUNT-5: gpu.launch_func <%[[STREAM]] : !llvm.ptr> @graphc_kernels::
// HOST-NOT: gpu.launch_func
// HOST-NOT: mgpuStreamSynchronize
// HOST: llvm.call @mgpuStreamSynchronize(%[[STREAM]])
// HOST-NEXT: llvm.call @mgpuStreamDestroy(%[[STREAM]])
// HOST-NEXT: llvm.return
// HOST: llvm.func @_mlir_ciface_mlp_layer(

// CHECK-LABEL: func.func @mlp_layer(
// CHECK-SAME: %{{.*}}: memref<?x3xf32>, %{{.*}}: memref<f32>, %[[ARENA:.*]]: memref<?xi8>)
// CHECK-SAME: graph.arena_bytes = array<i64:
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.load
// CHECK-NOT: memref.store
// CHECK-NOT: scf.
// CHECK: memref.view %[[ARENA]]
// CHECK-COUNT-5: gpu.launch_func @graphc_kernels::@mlp_layer_kernel
// CHECK-NOT: gpu.launch_func
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.load
// CHECK-NOT: memref.store
// CHECK-NOT: scf.
// CHECK: return
// CHECK: gpu.binary @graphc_kernels [#gpu.object<#nvvm.target<chip = "sm_90", features = "+ptx78", link = ["{{.*}}libdevice.10.bc"]>
// CHECK-SAME: .target sm_90
// CHECK-SAME: .visible .entry mlp_layer_kernel(
// CHECK-NOT: .extern .func
// CHECK-NOT: call{{.*}}__nv_expf
func.func @mlp_layer(%x: tensor<?x4xf32>, %w: tensor<4x3xf32>, %b: tensor<3xf32>) -> (tensor<?x3xf32>, tensor<f32>) {
  %0 = graph.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %1 = graph.add %0, %b : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %2 = graph.relu %1 : tensor<?x3xf32>
  %3 = graph.exp %2 : tensor<?x3xf32>
  %4 = graph.reduce_sum %3 {dims = array<i64: 0, 1>} : tensor<?x3xf32> -> tensor<f32>
  return %2, %4 : tensor<?x3xf32>, tensor<f32>
}
