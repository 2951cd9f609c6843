// RUN: graphc %s --name=tiny --emit=header | FileCheck %s
// RUN: graphc %s --name=tiny -o %t.o && llvm-nm %t.o | FileCheck %s --check-prefix=OBJ
// RUN: graphc %s --name=tiny --train --optimizer=sgd --momentum=0.9 --emit=header | FileCheck %s --check-prefix=TRAIN

// Tests the C header: guard, stdint, extern "C", the metadata table with -1
// for the batch, and one function per entry point taking the batch, const
// inputs and caller-owned results.
// CHECK: #ifndef GRAPHC_MODEL_TINY_H
// CHECK: #include <stdint.h>
// CHECK: extern "C" {
// CHECK: static const graphc_model_tensor_info tiny_forward_arguments[] = {
// CHECK-NEXT: {"x", 0, 2, {-1, 4}, 0},
// CHECK-NEXT: {"fc.weight", 0, 2, {3, 4}, 0},
// CHECK: int tiny_forward(int64_t batch,
// CHECK-NEXT: const float *x,
// CHECK-NEXT: const float *fc_weight,
// CHECK-NEXT: float *result0);
// The packed entry point with the caller's arena, and the arena's size.
// CHECK: int tiny_forward_call(void *arena, int64_t batch, void *const *arguments,
// CHECK-NEXT: void *const *results);
// CHECK-NEXT: int64_t tiny_forward_arena_bytes(int64_t batch);
// The model table for the runtime's program objects.
// CHECK: struct graphc_model_s;
// CHECK-NEXT: extern const struct graphc_model_s tiny_model;
// CHECK: static const int32_t tiny_num_functions = 1;
// Only the C interface is global: MLIR's own functions are local, so that
// two models' objects link into one program.
// OBJ-NOT: {{[A-Z]}} forward
// OBJ-NOT: {{[A-Z]}} _mlir_ciface_forward
// OBJ: T tiny_forward
// OBJ-NEXT: T tiny_forward_arena_bytes
// OBJ-NEXT: T tiny_forward_call
// OBJ-NEXT: {{[DR]}} tiny_model
// The train step writes its parameters and optimizer state in place.
// A scalar's shape is {0}: `{}` would be C23, and the header is C11.
// TRAIN: {"step", 1, 0, {0}, 1}, /* [] */
// TRAIN: int tiny_train_step(int64_t batch,
// TRAIN: float *fc_weight,
// TRAIN: float *momentum_buffer_fc_weight,
// TRAIN: double *step,
// TRAIN-NEXT: const double *lr,
// TRAIN-NEXT: float *result0);
func.func @forward(%x: tensor<?x4xf32> {graph.name = "x"},
                   %w: tensor<3x4xf32> {graph.name = "fc.weight", graph.requires_grad}) -> tensor<?x3xf32> {
  %t = graph.transpose %w {permutation = array<i64: 1, 0>} : tensor<3x4xf32> -> tensor<4x3xf32>
  %0 = graph.matmul %x, %t : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
