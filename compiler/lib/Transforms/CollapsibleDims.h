//===- CollapsibleDims.h - loop dims that run as one over a collapsed view -===//
//
// Shared by graphc-lower-reductions-to-loops (trailing reduction dims) and
// graphc-collapse-contiguous-dims (trailing parallel dims of elementwise
// generics): which consecutive loop dims of a generic on buffers every
// operand reads as consecutive dims of a memref that collapses into one.
//
//===----------------------------------------------------------------------===//

#ifndef GRAPHC_TRANSFORMS_COLLAPSIBLEDIMS_H
#define GRAPHC_TRANSFORMS_COLLAPSIBLEDIMS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include <optional>

namespace graphc::collapsible_dims {

/// Where an operand with indexing map `map` reads a collapsed group: the
/// position of the first of the group's dims among the map's results (the
/// others follow it, in order), nullopt when it does not read the group (it
/// is loop-invariant there), failure when it reads the group otherwise.
mlir::FailureOr<std::optional<unsigned>> groupStart(mlir::AffineMap map,
                                                    llvm::ArrayRef<unsigned> group);

/// The reassociation that collapses results [start, start + count) of a
/// rank-`rank` memref into one dim.
llvm::SmallVector<mlir::ReassociationIndices> collapsing(unsigned rank, unsigned start,
                                                         unsigned count);

/// Whether loop dims `group` can run as one loop: each of `operands` (of
/// `op`, on buffers) that reads them reads them as consecutive results, in
/// order, of a memref whose layout lets them collapse into one dim, and no
/// linalg.index asks for one of them alone.
bool canCollapse(mlir::linalg::GenericOp op, llvm::ArrayRef<unsigned> group,
                 llvm::ArrayRef<mlir::OpOperand *> operands);

} // namespace graphc::collapsible_dims

#endif // GRAPHC_TRANSFORMS_COLLAPSIBLEDIMS_H
