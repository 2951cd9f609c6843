//===- GraphToLinalg.h - graph to linalg patterns ---------------*- C++ -*-===//
//
// Patterns are split by op family, as in torch-mlir's TorchToLinalg; the
// pass (GraphToLinalgPass.cpp) only gathers them.
//
//===----------------------------------------------------------------------===//
#ifndef GRAPHC_CONVERSION_GRAPHTOLINALG_GRAPHTOLINALG_H
#define GRAPHC_CONVERSION_GRAPHTOLINALG_GRAPHTOLINALG_H

#include "mlir/IR/PatternMatch.h"

namespace graphc {

/// Unary, binary, compare, select and cast ops to linalg.generic.
void populateGraphToLinalgElementwisePatterns(mlir::RewritePatternSet &patterns);
/// matmul and conv2d to named linalg ops.
void populateGraphToLinalgLinearPatterns(mlir::RewritePatternSet &patterns);
/// max_pool2d and avg_pool2d to linalg pooling ops.
void populateGraphToLinalgPoolingPatterns(mlir::RewritePatternSet &patterns);
/// reduce_sum, reduce_mean and reduce_max to linalg.reduce.
void populateGraphToLinalgReductionPatterns(mlir::RewritePatternSet &patterns);
/// reshape, transpose, broadcast_to, slice, concat and constant.
void populateGraphToLinalgDataMovementPatterns(mlir::RewritePatternSet &patterns);
/// graph.random_uniform: Philox4x32-10 per element (Random.cpp).
void populateGraphToLinalgRandomPatterns(mlir::RewritePatternSet &patterns);

} // namespace graphc

#endif // GRAPHC_CONVERSION_GRAPHTOLINALG_GRAPHTOLINALG_H
