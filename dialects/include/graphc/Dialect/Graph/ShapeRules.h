//===- ShapeRules.h - shape rules of the graph ops --------------*- C++ -*-===//
//
// One function per shape rule, shared by the op verifiers, result type
// inference and the builder DSL (which reports the same message at the
// user's call site). Each returns the result shape, or failure with a
// human-readable reason in `why` that names the shapes involved.
// Dynamic dimensions are mlir::ShapedType::kDynamic.
//
//===----------------------------------------------------------------------===//
#ifndef GRAPHC_DIALECT_GRAPH_SHAPERULES_H
#define GRAPHC_DIALECT_GRAPH_SHAPERULES_H

#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include <cstdint>
#include <string>

namespace graphc::graph {

using Shape = llvm::SmallVector<int64_t>;

/// Renders a shape as PyTorch prints it, `[?, 3, 4]`.
std::string formatShape(llvm::ArrayRef<int64_t> shape);

/// NumPy/PyTorch broadcasting of two shapes.
mlir::FailureOr<Shape> broadcastShapes(llvm::ArrayRef<int64_t> lhs,
                                       llvm::ArrayRef<int64_t> rhs,
                                       std::string &why);

/// True if `from` broadcasts to exactly `to`.
bool isBroadcastableTo(llvm::ArrayRef<int64_t> from, llvm::ArrayRef<int64_t> to);

mlir::FailureOr<Shape> matmulShape(llvm::ArrayRef<int64_t> lhs,
                                   llvm::ArrayRef<int64_t> rhs, std::string &why);

mlir::FailureOr<Shape> conv2dShape(llvm::ArrayRef<int64_t> input,
                                   llvm::ArrayRef<int64_t> weight,
                                   llvm::ArrayRef<int64_t> stride,
                                   llvm::ArrayRef<int64_t> padding,
                                   llvm::ArrayRef<int64_t> dilation,
                                   int64_t groups, std::string &why);

mlir::FailureOr<Shape> pool2dShape(llvm::ArrayRef<int64_t> input,
                                   llvm::ArrayRef<int64_t> kernel,
                                   llvm::ArrayRef<int64_t> stride,
                                   llvm::ArrayRef<int64_t> padding,
                                   std::string &why);

/// Normalizes negative dims and checks they are distinct and in range.
mlir::FailureOr<llvm::SmallVector<int64_t>>
normalizeDims(llvm::ArrayRef<int64_t> dims, int64_t rank, std::string &why);

mlir::FailureOr<Shape> reductionShape(llvm::ArrayRef<int64_t> input,
                                      llvm::ArrayRef<int64_t> dims, bool keepdim,
                                      std::string &why);

mlir::FailureOr<Shape> transposeShape(llvm::ArrayRef<int64_t> input,
                                      llvm::ArrayRef<int64_t> permutation,
                                      std::string &why);

/// Checks a reshape under the batch-multiple model (docs/dialect.md): both
/// sides have the same number of dynamic dims; with one, any static sizes
/// (the multiple of B is checked by the batch-multiple analysis); with
/// several, only the static dims between them regroup.
mlir::LogicalResult checkReshape(llvm::ArrayRef<int64_t> input,
                                 llvm::ArrayRef<int64_t> result, std::string &why);

mlir::FailureOr<Shape> sliceShape(llvm::ArrayRef<int64_t> input,
                                  llvm::ArrayRef<int64_t> start,
                                  llvm::ArrayRef<int64_t> stop,
                                  llvm::ArrayRef<int64_t> step, std::string &why);

/// gather: the indices' sizes followed by the table's after its first (a
/// table of rank >= 1).
mlir::FailureOr<Shape> gatherShape(llvm::ArrayRef<int64_t> table,
                                   llvm::ArrayRef<int64_t> indices, std::string &why);

mlir::FailureOr<Shape> concatShape(llvm::ArrayRef<llvm::SmallVector<int64_t>> inputs,
                                   int64_t dim, std::string &why);

} // namespace graphc::graph

#endif // GRAPHC_DIALECT_GRAPH_SHAPERULES_H
