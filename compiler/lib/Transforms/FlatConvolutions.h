//===- FlatConvolutions.h - the lowering's flat convolution forms ----------===//
//
// Matchers for the generics GraphToLinalg/Linear.cpp writes for stride-1
// convolutions over flattened image rows, shared by the passes that rewrite
// them (graphc-band-convolution-rows, graphc-tile-convolutions).
//
//===----------------------------------------------------------------------===//

#ifndef GRAPHC_TRANSFORMS_FLATCONVOLUTIONS_H
#define GRAPHC_TRANSFORMS_FLATCONVOLUTIONS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>

namespace graphc::flat_convolutions {

/// The flat convolution: loops (n, f, c, kh, kw, p) reading
/// X[n, c, p + kh*W + kw] and K[f, c, kh, kw] into Y[n, f, p].
bool isFlatConvolution(mlir::linalg::GenericOp generic);

/// The weight gradient's partial sums in the row form (the positions past
/// the last whole block of lanes): loops (o, c, kh, kw, n, p) reading
/// dY[n, o, p] and X[n, c, p + kh*W + kw] into S[o, c, kh, kw, p].
bool isFlatWeightGradient(mlir::linalg::GenericOp generic);

/// The weight gradient's partial sums in lanes: loops (o, c, kh, kw, n,
/// block, lane) reading dY[n, o, block, lane] and X[n, c, q + kh*W + kw] for
/// the flat position q = block * L + lane (L the lane loop's static size)
/// into S[o, c, kh, kw, lane].
bool isFlatLaneWeightGradient(mlir::linalg::GenericOp generic);

/// The row width W of a flat convolution's window offset p + kh*W + kw.
std::optional<int64_t> windowRowWidth(mlir::linalg::GenericOp flatConvolution);

/// True when graphc-band-convolution-rows computes `flatConvolution` by
/// kernel-row bands (its input zero outside a known range, and the bands
/// pay): its register tiles then accumulate into the output in several
/// passes and compute no epilogue.
bool isComputedInBands(mlir::linalg::GenericOp flatConvolution);

} // namespace graphc::flat_convolutions

#endif // GRAPHC_TRANSFORMS_FLATCONVOLUTIONS_H
