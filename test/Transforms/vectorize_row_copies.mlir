// RUN: graphc-opt %s --split-input-file --graphc-vectorize-row-copies | FileCheck %s

// Tests that the five column slices of an unfolded input (rows of 10 out of
// 14, copied into a [?, 30, 14, 10] buffer) are copied in one loop nest over
// the rows, each row of each slice one vector<10xf32> read and write, in
// bounds; the outermost loop marked independent; no linalg.copy left.
// CHECK-LABEL: func.func @unfolded_columns
// CHECK-SAME: (%[[X:.+]]: memref<?x6x14x14xf32>)
// CHECK: %[[XU:.+]] = memref.alloc
// CHECK: %[[S0:.+]] = memref.subview %[[X]][0, 0, 0, 0]
// CHECK: %[[S4:.+]] = memref.subview %[[X]][0, 0, 0, 4]
// CHECK: %[[T0:.+]] = memref.subview %[[XU]][0, 0, 0, 0]
// CHECK: %[[T4:.+]] = memref.subview %[[XU]][0, 24, 0, 0]
// CHECK-NOT: linalg.copy
// CHECK: scf.for %[[N:.+]] = %{{.+}} to %{{.+}} step
// CHECK: scf.for %[[C:.+]] = %{{.+}} to %{{.+}} step
// CHECK: scf.for %[[H:.+]] = %{{.+}} to %{{.+}} step
// CHECK: %[[R0:.+]] = vector.transfer_read %[[S0]][%[[N]], %[[C]], %[[H]], %{{.+}}], %{{.+}} {in_bounds = [true]} : memref<?x6x14x10xf32, strided<[1176, 196, 14, 1]>>, vector<10xf32>
// CHECK: vector.transfer_write %[[R0]], %[[T0]][%[[N]], %[[C]], %[[H]], %{{.+}}] {in_bounds = [true]}
// CHECK-COUNT-3: vector.transfer_write
// CHECK: %[[R4:.+]] = vector.transfer_read %[[S4]]
// CHECK: vector.transfer_write %[[R4]], %[[T4]]
// CHECK: } {graph.independent_iterations}
// CHECK-NOT: linalg.copy
func.func @unfolded_columns(%x: memref<?x6x14x14xf32>) -> memref<?x30x14x10xf32> {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x6x14x14xf32>
  %xu = memref.alloc(%n) : memref<?x30x14x10xf32>
  %s0 = memref.subview %x[0, 0, 0, 0] [%n, 6, 14, 10] [1, 1, 1, 1] : memref<?x6x14x14xf32> to memref<?x6x14x10xf32, strided<[1176, 196, 14, 1]>>
  %s1 = memref.subview %x[0, 0, 0, 1] [%n, 6, 14, 10] [1, 1, 1, 1] : memref<?x6x14x14xf32> to memref<?x6x14x10xf32, strided<[1176, 196, 14, 1], offset: 1>>
  %s2 = memref.subview %x[0, 0, 0, 2] [%n, 6, 14, 10] [1, 1, 1, 1] : memref<?x6x14x14xf32> to memref<?x6x14x10xf32, strided<[1176, 196, 14, 1], offset: 2>>
  %s3 = memref.subview %x[0, 0, 0, 3] [%n, 6, 14, 10] [1, 1, 1, 1] : memref<?x6x14x14xf32> to memref<?x6x14x10xf32, strided<[1176, 196, 14, 1], offset: 3>>
  %s4 = memref.subview %x[0, 0, 0, 4] [%n, 6, 14, 10] [1, 1, 1, 1] : memref<?x6x14x14xf32> to memref<?x6x14x10xf32, strided<[1176, 196, 14, 1], offset: 4>>
  %t0 = memref.subview %xu[0, 0, 0, 0] [%n, 6, 14, 10] [1, 1, 1, 1] : memref<?x30x14x10xf32> to memref<?x6x14x10xf32, strided<[4200, 140, 10, 1]>>
  %t1 = memref.subview %xu[0, 6, 0, 0] [%n, 6, 14, 10] [1, 1, 1, 1] : memref<?x30x14x10xf32> to memref<?x6x14x10xf32, strided<[4200, 140, 10, 1], offset: 840>>
  %t2 = memref.subview %xu[0, 12, 0, 0] [%n, 6, 14, 10] [1, 1, 1, 1] : memref<?x30x14x10xf32> to memref<?x6x14x10xf32, strided<[4200, 140, 10, 1], offset: 1680>>
  %t3 = memref.subview %xu[0, 18, 0, 0] [%n, 6, 14, 10] [1, 1, 1, 1] : memref<?x30x14x10xf32> to memref<?x6x14x10xf32, strided<[4200, 140, 10, 1], offset: 2520>>
  %t4 = memref.subview %xu[0, 24, 0, 0] [%n, 6, 14, 10] [1, 1, 1, 1] : memref<?x30x14x10xf32> to memref<?x6x14x10xf32, strided<[4200, 140, 10, 1], offset: 3360>>
  linalg.copy ins(%s0 : memref<?x6x14x10xf32, strided<[1176, 196, 14, 1]>>) outs(%t0 : memref<?x6x14x10xf32, strided<[4200, 140, 10, 1]>>)
  linalg.copy ins(%s1 : memref<?x6x14x10xf32, strided<[1176, 196, 14, 1], offset: 1>>) outs(%t1 : memref<?x6x14x10xf32, strided<[4200, 140, 10, 1], offset: 840>>)
  linalg.copy ins(%s2 : memref<?x6x14x10xf32, strided<[1176, 196, 14, 1], offset: 2>>) outs(%t2 : memref<?x6x14x10xf32, strided<[4200, 140, 10, 1], offset: 1680>>)
  linalg.copy ins(%s3 : memref<?x6x14x10xf32, strided<[1176, 196, 14, 1], offset: 3>>) outs(%t3 : memref<?x6x14x10xf32, strided<[4200, 140, 10, 1], offset: 2520>>)
  linalg.copy ins(%s4 : memref<?x6x14x10xf32, strided<[1176, 196, 14, 1], offset: 4>>) outs(%t4 : memref<?x6x14x10xf32, strided<[4200, 140, 10, 1], offset: 3360>>)
  return %xu : memref<?x30x14x10xf32>
}

// -----

// Tests what is left or kept apart: a copy after a store (a memory effect
// between ends the run) gets its own nest; a copy within one allocation
// (it may read what it writes), a copy into a function argument (it may
// alias the source), rows longer than 64 and rows with a stride are left
// as linalg.copy.
// CHECK-LABEL: func.func @apart
// CHECK: scf.for
// CHECK: vector.transfer_read
// CHECK: } {graph.independent_iterations}
// CHECK: memref.store
// CHECK: scf.for
// CHECK: vector.transfer_read
// CHECK: } {graph.independent_iterations}
// CHECK-NOT: vector.transfer_read
// CHECK: linalg.copy ins(%{{.+}} : memref<4x10xf32, strided<[16, 1]>>) outs(%{{.+}} : memref<4x10xf32, strided<[16, 1], offset: 32>>)
// CHECK: linalg.copy ins(%{{.+}} : memref<4x10xf32, strided<[16, 1], offset: 1>>) outs(%{{.+}} : memref<4x10xf32, strided<[16, 1]>>)
// CHECK: linalg.copy ins(%{{.+}} : memref<4x80xf32>)
// CHECK: linalg.copy ins(%{{.+}} : memref<4x8xf32, strided<[16, 2]>>)
func.func @apart(%a: memref<8x16xf32>, %b: memref<4x80xf32>, %d: memref<4x16xf32>, %f: f32) {
  %c0 = arith.constant 0 : index
  %buf = memref.alloc() : memref<8x16xf32>
  %lo = memref.subview %buf[0, 0] [4, 10] [1, 1] : memref<8x16xf32> to memref<4x10xf32, strided<[16, 1]>>
  %hi = memref.subview %buf[2, 0] [4, 10] [1, 1] : memref<8x16xf32> to memref<4x10xf32, strided<[16, 1], offset: 32>>
  %src = memref.subview %a[0, 0] [4, 10] [1, 1] : memref<8x16xf32> to memref<4x10xf32, strided<[16, 1]>>
  %src1 = memref.subview %a[0, 1] [4, 10] [1, 1] : memref<8x16xf32> to memref<4x10xf32, strided<[16, 1], offset: 1>>
  linalg.copy ins(%src : memref<4x10xf32, strided<[16, 1]>>) outs(%lo : memref<4x10xf32, strided<[16, 1]>>)
  memref.store %f, %a[%c0, %c0] : memref<8x16xf32>
  linalg.copy ins(%src1 : memref<4x10xf32, strided<[16, 1], offset: 1>>) outs(%lo : memref<4x10xf32, strided<[16, 1]>>)
  linalg.copy ins(%lo : memref<4x10xf32, strided<[16, 1]>>) outs(%hi : memref<4x10xf32, strided<[16, 1], offset: 32>>)
  linalg.copy ins(%src1 : memref<4x10xf32, strided<[16, 1], offset: 1>>) outs(%src : memref<4x10xf32, strided<[16, 1]>>)
  %long = memref.alloc() : memref<4x80xf32>
  linalg.copy ins(%b : memref<4x80xf32>) outs(%long : memref<4x80xf32>)
  %e = memref.subview %d[0, 0] [4, 8] [1, 2] : memref<4x16xf32> to memref<4x8xf32, strided<[16, 2]>>
  %g = memref.subview %buf[0, 0] [4, 8] [1, 1] : memref<8x16xf32> to memref<4x8xf32, strided<[16, 1]>>
  linalg.copy ins(%e : memref<4x8xf32, strided<[16, 2]>>) outs(%g : memref<4x8xf32, strided<[16, 1]>>)
  return
}

// -----

// Tests runs that end: copies whose dynamic sizes are different values, and
// copies whose targets overlap in one allocation, each get their own nest
// (their rows in order); copies of i1 (a byte each in memory, bits in a
// vector) and rank-1 copies are left as linalg.copy.
// CHECK-LABEL: func.func @separate
// CHECK: scf.for
// CHECK-COUNT-1: vector.transfer_read
// CHECK: } {graph.independent_iterations}
// CHECK: scf.for
// CHECK-COUNT-1: vector.transfer_read
// CHECK: } {graph.independent_iterations}
// CHECK: scf.for
// CHECK-COUNT-1: vector.transfer_read
// CHECK: } {graph.independent_iterations}
// CHECK: scf.for
// CHECK-COUNT-1: vector.transfer_read
// CHECK: } {graph.independent_iterations}
// CHECK-NOT: vector.transfer_read
// CHECK: linalg.copy ins(%{{.+}} : memref<4x10xi1>)
// CHECK: linalg.copy ins(%{{.+}} : memref<10xf32>)
func.func @separate(%a: memref<?x10xf32>, %b: memref<?x10xf32>, %m: index, %k: index, %x: memref<8x10xf32>, %p: memref<4x10xi1>, %v: memref<10xf32>) {
  %c0 = arith.constant 0 : index
  %t = memref.alloc(%m) : memref<?x10xf32>
  %u = memref.alloc(%k) : memref<?x10xf32>
  %sa = memref.subview %a[0, 0] [%m, 10] [1, 1] : memref<?x10xf32> to memref<?x10xf32, strided<[10, 1]>>
  %sb = memref.subview %b[0, 0] [%k, 10] [1, 1] : memref<?x10xf32> to memref<?x10xf32, strided<[10, 1]>>
  linalg.copy ins(%sa : memref<?x10xf32, strided<[10, 1]>>) outs(%t : memref<?x10xf32>)
  linalg.copy ins(%sb : memref<?x10xf32, strided<[10, 1]>>) outs(%u : memref<?x10xf32>)
  %buf = memref.alloc() : memref<8x10xf32>
  %lo = memref.subview %buf[0, 0] [4, 10] [1, 1] : memref<8x10xf32> to memref<4x10xf32, strided<[10, 1]>>
  %mid = memref.subview %buf[2, 0] [4, 10] [1, 1] : memref<8x10xf32> to memref<4x10xf32, strided<[10, 1], offset: 20>>
  %x0 = memref.subview %x[0, 0] [4, 10] [1, 1] : memref<8x10xf32> to memref<4x10xf32, strided<[10, 1]>>
  %x4 = memref.subview %x[4, 0] [4, 10] [1, 1] : memref<8x10xf32> to memref<4x10xf32, strided<[10, 1], offset: 40>>
  linalg.copy ins(%x0 : memref<4x10xf32, strided<[10, 1]>>) outs(%lo : memref<4x10xf32, strided<[10, 1]>>)
  linalg.copy ins(%x4 : memref<4x10xf32, strided<[10, 1], offset: 40>>) outs(%mid : memref<4x10xf32, strided<[10, 1], offset: 20>>)
  %q = memref.alloc() : memref<4x10xi1>
  linalg.copy ins(%p : memref<4x10xi1>) outs(%q : memref<4x10xi1>)
  %w = memref.alloc() : memref<10xf32>
  linalg.copy ins(%v : memref<10xf32>) outs(%w : memref<10xf32>)
  return
}
