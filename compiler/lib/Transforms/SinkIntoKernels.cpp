//===- SinkIntoKernels.cpp - --graphc-sink-into-kernels --------------------===//

#include "graphc/Transforms/Passes.h"

#include "BufferViews.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"

namespace graphc {
#define GEN_PASS_DEF_SINKINTOKERNELS
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

/// Upstream's index computations, and constant tables: a global read inside
/// a kernel must be the kernel module's copy, not the host's address.
bool belongsInTheKernel(Operation *op) {
  // A view of a constant table (a reshape of it) is the table's address too.
  if (auto view = dyn_cast<ViewLikeOpInterface>(op))
    if (graphc::buffer_views::rootOf(view.getViewSource()).getDefiningOp<memref::GetGlobalOp>())
      return true;
  return matchPattern(op, m_Constant()) ||
         isa<memref::GetGlobalOp, memref::DimOp, arith::SelectOp, arith::CmpIOp>(op);
}

struct SinkIntoKernelsPass : graphc::impl::SinkIntoKernelsBase<SinkIntoKernelsPass> {
  void runOnOperation() override {
    WalkResult result = getOperation().walk([](gpu::LaunchOp launch) {
      if (failed(sinkOperationsIntoLaunchOp(launch, belongsInTheKernel)))
        return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
