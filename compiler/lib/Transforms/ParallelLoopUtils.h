//===- ParallelLoopUtils.h - helpers of the loop-sequentializing passes ----===//

#ifndef GRAPHC_TRANSFORMS_PARALLELLOOPUTILS_H
#define GRAPHC_TRANSFORMS_PARALLELLOOPUTILS_H

#include "mlir/Dialect/SCF/IR/SCF.h"

namespace graphc {

/// Replaces `loop` (no reductions) by a nest of scf.for with the same body,
/// which then runs on the calling thread.
void sequentialize(mlir::scf::ParallelOp loop);

} // namespace graphc

#endif // GRAPHC_TRANSFORMS_PARALLELLOOPUTILS_H
