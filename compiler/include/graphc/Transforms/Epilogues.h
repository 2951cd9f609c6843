//===- Epilogues.h - elementwise epilogues of matmuls and convolutions ----===//
//
// Which generic the register tiling (graphc-tile-matmuls,
// graphc-tile-convolutions) computes in a multiply-accumulate's tiles, shared
// with `graphc --emit=fusion-report`, which lists the two as one loop nest.
//
//===----------------------------------------------------------------------===//

#ifndef GRAPHC_TRANSFORMS_EPILOGUES_H
#define GRAPHC_TRANSFORMS_EPILOGUES_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace graphc {

/// The epilogue of multiply-accumulate `mac` (a matmul's or flat
/// convolution's bias add and activation): the all-parallel generic that is
/// the only user of `mac`'s result and reads it, as one of its inputs,
/// through the identity map, its results of the same shape, and none of them
/// an optimizer's update of a parameter (graphc-update-in-place writes those
/// in place only as a whole generic). Null when there is none.
mlir::linalg::GenericOp epilogueOf(mlir::linalg::GenericOp mac);

/// True when `generic` reads two inputs into one output and its body is a
/// floating-point multiply then add (linalg's contraction-body check), the
/// multiply-accumulate of every matmul and convolution of the lowering.
bool isMultiplyAccumulate(mlir::linalg::GenericOp generic);

/// The lowering's matmul: a contraction generic over (m, k, n) reading
/// A[m, k] and B[k, n] into C[m, n], which graphc-tile-matmuls tiles; A may
/// be read transposed, from A^T[k, m] (graphc-tile-matmuls reads a
/// transposed A so).
bool isLoweredMatmul(mlir::linalg::GenericOp generic);

/// The epilogue that the register tiling computes in `mac`'s tiles: that of
/// a lowered matmul or a flat forward convolution. Null when there is none.
mlir::linalg::GenericOp tiledEpilogueOf(mlir::linalg::GenericOp mac);

} // namespace graphc

#endif // GRAPHC_TRANSFORMS_EPILOGUES_H
