// RUN: graphc %s --name=sizes --emit=header | FileCheck %s
// RUN: rm -f %t.json && graphc %s --name=sizes --emit=header -o %t.h && FileCheck %s --check-prefix=JSON < %t.json
// RUN: graphc %s --name=sizes --batch=2 --emit=header | FileCheck %s --check-prefix=BATCH2
// RUN: graphc %s --name=sizes -o %t.o && llvm-nm %t.o | FileCheck %s --check-prefix=OBJ

// Tests that the C header describes a dynamic size as a multiple of the
// batch, -k for k*B, so that a caller sizes each result buffer from the
// table: a flattened [B, 3] is 3B floats (-3), not B, and a concat of two
// [B, 3] along the batch is [2B, 3] (-2). Arguments stay B (-1).
// CHECK: A dimension -k in the metadata is k times
// CHECK: static const graphc_model_tensor_info sizes_concat_rows_arguments[] = {
// CHECK-NEXT: {"x", 0, 2, {-1, 3}, 0}, /* [B, 3] */
// CHECK-NEXT: {"y", 0, 2, {-1, 3}, 0}, /* [B, 3] */
// CHECK: static const graphc_model_tensor_info sizes_concat_rows_results[] = {
// CHECK-NEXT: {"result #0", 0, 2, {-2, 3}, 0}, /* [2B, 3] */
// CHECK: static const graphc_model_tensor_info sizes_forward_arguments[] = {
// CHECK-NEXT: {"x", 0, 2, {-1, 3}, 0}, /* [B, 3] */
// CHECK: static const graphc_model_tensor_info sizes_forward_results[] = {
// CHECK-NEXT: {"result #0", 0, 1, {-3}, 0}, /* [3B] */
// CHECK: int sizes_forward(int64_t batch,
// CHECK-NEXT: const float *x,
// CHECK-NEXT: float *result0);

// The JSON manifest beside the header says the same.
// JSON: "batch": "a dimension -k is k times the batch B (-1 is B)",
// JSON: "c_function": "sizes_concat_rows",
// JSON: "results": [
// JSON: "shape": [
// JSON-NEXT: -2,
// JSON-NEXT: 3
// JSON-NEXT: ],
// JSON: "c_function": "sizes_forward",
// JSON: "results": [
// JSON: "shape": [
// JSON-NEXT: -3
// JSON-NEXT: ],

// With a static batch of 2 the specialized forward is [2, 3] -> [6]; the
// function not specialized keeps its multiples.
// BATCH2: static const graphc_model_tensor_info sizes_concat_rows_results[] = {
// BATCH2-NEXT: {"result #0", 0, 2, {-2, 3}, 0}, /* [2B, 3] */
// BATCH2: static const graphc_model_tensor_info sizes_forward_arguments[] = {
// BATCH2-NEXT: {"x", 0, 2, {2, 3}, 0}, /* [2, 3] */
// BATCH2: static const graphc_model_tensor_info sizes_forward_results[] = {
// BATCH2-NEXT: {"result #0", 0, 1, {6}, 0}, /* [6] */

// OBJ: T sizes_concat_rows_call
// OBJ: T sizes_forward_call
func.func @forward(%x: tensor<?x3xf32> {graph.name = "x"}) -> tensor<?xf32> {
  %0 = graph.reshape %x : tensor<?x3xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

func.func @concat_rows(%x: tensor<?x3xf32> {graph.name = "x"}, %y: tensor<?x3xf32> {graph.name = "y"}) -> tensor<?x3xf32> {
  %0 = graph.concat %x, %y {dim = 0 : i64} : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
