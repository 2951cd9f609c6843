//===- HoistParallelRegions.cpp - --graphc-hoist-parallel-regions ---------===//
//
// One fork and join per loop instead of per iteration: an scf.for around an
// OpenMP parallel region whose work is one worksharing loop becomes a region
// around the scf.for (Passes.td says when and why it is exact). What the
// runtime's pool pays per region (waking the team, handing out the outlined
// function and its arguments, the join) becomes one barrier per iteration,
// which the worksharing loop already ends with.
//
//===----------------------------------------------------------------------===//

#include "graphc/Transforms/Passes.h"

#include "ParallelLoopUtils.h"

#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace graphc {
#define GEN_PASS_DEF_HOISTPARALLELREGIONS
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;
using graphc::endsWithBarrier;
using graphc::lastBeforeTerminator;

namespace {

/// The one op of `block` (before its terminator) that is not free of side
/// effects, or null if there is none or more than one.
Operation *soleEffectfulOp(Block &block) {
  Operation *found = nullptr;
  for (Operation &op : block.without_terminator()) {
    if (isMemoryEffectFree(&op))
      continue;
    if (found)
      return nullptr;
    found = &op;
  }
  return found;
}

/// The region of `loop`'s body that can go around it, or null: the loop
/// carries no values, its body is one parallel region (without clauses)
/// and side-effect-free ops, and that region's body is a worksharing loop
/// or a loop of them, ending at a barrier, and side-effect-free ops.
omp::ParallelOp hoistableRegion(scf::ForOp loop) {
  if (loop.getNumRegionIterArgs() != 0 || loop->getParentOfType<omp::ParallelOp>())
    return nullptr;
  auto region = dyn_cast_or_null<omp::ParallelOp>(soleEffectfulOp(*loop.getBody()));
  if (!region || region->getNumOperands() != 0 || !region.getRegion().hasOneBlock())
    return nullptr;
  Block &body = region.getRegion().front();
  Operation *work = lastBeforeTerminator(body);
  if (soleEffectfulOp(body) != work || !endsWithBarrier(work))
    return nullptr;
  return region;
}

struct HoistParallelRegionsPass : graphc::impl::HoistParallelRegionsBase<HoistParallelRegionsPass> {
  void runOnOperation() override {
    // Post-order: an inner loop's region is hoisted first, so its parent
    // loop then sees a region around a loop of worksharing loops.
    getOperation().walk([](scf::ForOp loop) {
      omp::ParallelOp inner = hoistableRegion(loop);
      if (!inner)
        return;
      OpBuilder builder(loop);
      auto outer = cast<omp::ParallelOp>(builder.cloneWithoutRegions(*inner.getOperation()));
      Block *outerBody = builder.createBlock(&outer.getRegion());
      loop->moveBefore(outerBody, outerBody->end());
      builder.setInsertionPointToEnd(outerBody);
      builder.create<omp::TerminatorOp>(loop.getLoc());
      // The inner region's ops, but its terminator, take its place in the loop.
      Block &innerBody = inner.getRegion().front();
      loop.getBody()->getOperations().splice(inner->getIterator(), innerBody.getOperations(),
                                             innerBody.begin(),
                                             innerBody.getTerminator()->getIterator());
      inner.erase();
    });
  }
};

} // namespace
