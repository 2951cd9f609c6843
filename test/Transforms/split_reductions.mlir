// RUN: graphc-opt %s --graphc-split-reductions="min-threads=64 min-work=16" | FileCheck %s
// RUN: graphc-opt %s --graphc-split-reductions="min-threads=2048 min-work=16" | FileCheck %s --check-prefix=LEVELS
// RUN: graphc-opt %s --graphc-split-reductions | FileCheck %s --check-prefix=SPLITK

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

// More partials per output than a thread combines (896 > max-combine, 64):
// they are seen as 32 groups of 28 (the divisor that balances the two
// levels' serial lengths), each group summed by a thread of its own into a
// second buffer, whose 32 partials per output are added to it last.
// LEVELS-LABEL: func.func @combined_in_levels(
// LEVELS-SAME: %[[IN:.*]]: memref<?x2x896xf32>, %[[OUT:.*]]: memref<2xf32>)
// LEVELS: %[[PARTIALS:.*]] = memref.alloc() : memref<2x896xf32>
// LEVELS: linalg.generic {{.*}} iterator_types = ["reduction", "parallel", "parallel"]
// LEVELS-SAME: outs(%[[PARTIALS]] : memref<2x896xf32>)
// LEVELS: %[[GROUPED:.*]] = memref.expand_shape %[[PARTIALS]] {{\[}}[0], [1, 2]] output_shape [2, 32, 28]
// LEVELS: %[[GROUPS:.*]] = memref.alloc() : memref<2x32xf32>
// LEVELS: linalg.fill ins(%{{.*}} : f32) outs(%[[GROUPS]] : memref<2x32xf32>)
// LEVELS: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// LEVELS-SAME: ins(%[[GROUPED]] : memref<2x32x28xf32>) outs(%[[GROUPS]] : memref<2x32xf32>)
// LEVELS: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// LEVELS-SAME: ins(%[[GROUPS]] : memref<2x32xf32>) outs(%[[OUT]] : memref<2xf32>)
// LEVELS-DAG: memref.dealloc %[[PARTIALS]]
// LEVELS-DAG: memref.dealloc %[[GROUPS]]
#in5 = affine_map<(n, c, w) -> (n, c, w)>
#out5 = affine_map<(n, c, w) -> (c)>
func.func @combined_in_levels(%in: memref<?x2x896xf32>, %out: memref<2xf32>) {
  linalg.generic {indexing_maps = [#in5, #out5],
                  iterator_types = ["reduction", "parallel", "reduction"]}
      ins(%in : memref<?x2x896xf32>) outs(%out : memref<2xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  }
  return
}

// One output needs both image dimensions split (28 x 28 = 784 partials),
// collapsed into one before the levels: 28 groups of 28.
// LEVELS-LABEL: func.func @two_split_dims_in_levels(
// LEVELS: %[[PARTIALS:.*]] = memref.alloc() : memref<1x28x28xf32>
// LEVELS: %[[FLAT:.*]] = memref.collapse_shape %[[PARTIALS]] {{\[}}[0], [1, 2]] : memref<1x28x28xf32> into memref<1x784xf32>
// LEVELS: memref.expand_shape %[[FLAT]] {{\[}}[0], [1, 2]] output_shape [1, 28, 28]
// LEVELS: memref.alloc() : memref<1x28xf32>
#in6 = affine_map<(n, c, h, w) -> (n, c, h, w)>
#out6 = affine_map<(n, c, h, w) -> (c)>
func.func @two_split_dims_in_levels(%in: memref<?x1x28x28xf32>, %out: memref<1xf32>) {
  linalg.generic {indexing_maps = [#in6, #out6],
                  iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%in : memref<?x1x28x28xf32>) outs(%out : memref<1xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// A prime count of partials (67) has no group size worth a level: one
// thread per output combines all of them.
// LEVELS-LABEL: func.func @prime_count_serial(
// LEVELS-NOT: memref.expand_shape
// LEVELS: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// LEVELS-SAME: ins(%{{.*}} : memref<2x67xf32>)
#in7 = affine_map<(n, c, w) -> (n, c, w)>
#out7 = affine_map<(n, c, w) -> (c)>
func.func @prime_count_serial(%in: memref<?x2x67xf32>, %out: memref<2xf32>) {
  linalg.generic {indexing_maps = [#in7, #out7],
                  iterator_types = ["reduction", "parallel", "reduction"]}
      ins(%in : memref<?x2x67xf32>) outs(%out : memref<2xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  }
  return
}

// A nest that only combines a buffer's trailing dimensions (the convolution
// lowering's own partials over 896 positions per weight, under the default
// min-work of 1024) is combined in levels directly, reading the buffer
// itself: a split would only copy it into partials first.
// LEVELS-LABEL: func.func @plain_combine_in_levels(
// LEVELS-SAME: %[[IN:.*]]: memref<2x896xf32>, %[[OUT:.*]]: memref<2xf32>)
// LEVELS-NOT: memref.alloc() : memref<2x896xf32>
// LEVELS: %[[GROUPED:.*]] = memref.expand_shape %[[IN]] {{\[}}[0], [1, 2]] output_shape [2, 32, 28]
// LEVELS: %[[GROUPS:.*]] = memref.alloc() : memref<2x32xf32>
// LEVELS: linalg.generic {{.*}} ins(%[[GROUPED]] : memref<2x32x28xf32>) outs(%[[GROUPS]] : memref<2x32xf32>)
// LEVELS: linalg.generic {{.*}} ins(%[[GROUPS]] : memref<2x32xf32>) outs(%[[OUT]] : memref<2xf32>)
// LEVELS: memref.dealloc %[[GROUPS]]
#in8 = affine_map<(c, p) -> (c, p)>
#out8 = affine_map<(c, p) -> (c)>
func.func @plain_combine_in_levels(%in: memref<2x896xf32>, %out: memref<2xf32>) {
  linalg.generic {indexing_maps = [#in8, #out8], iterator_types = ["parallel", "reduction"]}
      ins(%in : memref<2x896xf32>) outs(%out : memref<2xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  }
  return
}

// Split-K, at the default options: a linear layer's x @ W^T with a batch of
// rows has 32 x 120 threads (a dynamic size counts as 32); K = 400 whole
// would be 1.5M, so it is factored, 20 x 20: each input reading k is viewed
// with it as (20, 20), the first nest runs 20 times the threads over 20
// steps each into partials sized like the output's own allocation (the
// batch), and one nest adds each output's 20 partials. The outer part is
// the first loop and the partials' first dimension, so n stays the loop
// that varies fastest across GPU threads.
// SPLITK-LABEL: func.func @split_k(
// SPLITK-SAME: %[[X:.*]]: memref<?x400xf32>, %[[W:.*]]: memref<120x400xf32>
// SPLITK: %[[B:.*]] = memref.dim %[[X]]
// SPLITK: %[[Y:.*]] = memref.alloc(%[[B]]) : memref<?x120xf32>
// SPLITK: %[[PARTIALS:.*]] = memref.alloc(%[[B]]) : memref<20x?x120xf32>
// SPLITK: %[[XV:.*]] = memref.expand_shape %[[X]] {{\[}}[0], [1, 2]] output_shape [%{{.*}}, 20, 20] : memref<?x400xf32> into memref<?x20x20xf32>
// SPLITK: %[[WV:.*]] = memref.expand_shape %[[W]] {{\[}}[0], [1, 2]] output_shape [120, 20, 20] : memref<120x400xf32> into memref<120x20x20xf32>
// SPLITK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// SPLITK-SAME: ins(%[[XV]], %[[WV]] : memref<?x20x20xf32>, memref<120x20x20xf32>) outs(%[[PARTIALS]] : memref<20x?x120xf32>)
// SPLITK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// SPLITK-SAME: ins(%[[PARTIALS]] : memref<20x?x120xf32>) outs(%[[Y]] : memref<?x120xf32>)
// SPLITK: memref.dealloc %[[PARTIALS]]
#x9 = affine_map<(m, n, k) -> (m, k)>
#w9 = affine_map<(m, n, k) -> (n, k)>
#y9 = affine_map<(m, n, k) -> (m, n)>
func.func @split_k(%x: memref<?x400xf32>, %w: memref<120x400xf32>, %out: memref<?x120xf32>) {
  %c0 = arith.constant 0 : index
  %b = memref.dim %x, %c0 : memref<?x400xf32>
  %y = memref.alloc(%b) : memref<?x120xf32>
  linalg.generic {indexing_maps = [#x9, #w9, #y9], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x400xf32>, memref<120x400xf32>) outs(%y : memref<?x120xf32>) {
  ^bb0(%a: f32, %v: f32, %acc: f32):
    %p = arith.mulf %a, %v : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  memref.copy %y, %out : memref<?x120xf32> to memref<?x120xf32>
  memref.dealloc %y : memref<?x120xf32>
  return
}

// Not split: a dynamic output that is not an allocation (its partials could
// not be sized by the batch the arena knows), and, where K whole would be
// too many threads (3840 x 400), an input reading k inside an expression (a
// convolution's h + kh cannot be viewed as two dimensions).
// SPLITK-LABEL: func.func @split_k_refused(
// SPLITK-NOT: memref.alloc
// SPLITK-NOT: memref.expand_shape
// SPLITK: return
#xe = affine_map<(m, n, k) -> (m, k + n)>
func.func @split_k_refused(%x: memref<?x400xf32>, %w: memref<120x400xf32>, %out: memref<?x120xf32>,
                           %x2: memref<32x600xf32>, %out2: memref<32x120xf32>) {
  linalg.generic {indexing_maps = [#x9, #w9, #y9], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x400xf32>, memref<120x400xf32>) outs(%out : memref<?x120xf32>) {
  ^bb0(%a: f32, %v: f32, %acc: f32):
    %p = arith.mulf %a, %v : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#xe, #w9, #y9], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x2, %w : memref<32x600xf32>, memref<120x400xf32>) outs(%out2 : memref<32x120xf32>) {
  ^bb0(%a: f32, %v: f32, %acc: f32):
    %p = arith.mulf %a, %v : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// A dynamic output that is a view of an allocation keeping the batch a
// dimension of its own (the convolution lowering's flattened rows) is split
// too, its partials sized by the allocation's batch.
// SPLITK-LABEL: func.func @split_k_through_a_view(
// SPLITK: %[[B:.*]] = memref.dim
// SPLITK: %[[Y:.*]] = memref.alloc(%[[B]]) : memref<?x120x1xf32>
// SPLITK: %[[PARTIALS:.*]] = memref.alloc(%[[B]]) : memref<20x?x120xf32>
func.func @split_k_through_a_view(%x: memref<?x400xf32>, %w: memref<120x400xf32>, %out: memref<?x120x1xf32>) {
  %c0 = arith.constant 0 : index
  %b = memref.dim %x, %c0 : memref<?x400xf32>
  %y = memref.alloc(%b) : memref<?x120x1xf32>
  %flat = memref.collapse_shape %y [[0], [1, 2]] : memref<?x120x1xf32> into memref<?x120xf32>
  linalg.generic {indexing_maps = [#x9, #w9, #y9], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x400xf32>, memref<120x400xf32>) outs(%flat : memref<?x120xf32>) {
  ^bb0(%a: f32, %v: f32, %acc: f32):
    %p = arith.mulf %a, %v : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  memref.copy %y, %out : memref<?x120x1xf32> to memref<?x120x1xf32>
  memref.dealloc %y : memref<?x120x1xf32>
  return
}
