//===- ParallelizeIndependentLoops.cpp - --graphc-parallelize-independent-loops ===//

#include "graphc/Dialect/Graph/GraphDialect.h"
#include "graphc/Transforms/Passes.h"

#include "mlir/IR/IRMapping.h"

namespace graphc {
#define GEN_PASS_DEF_PARALLELIZEINDEPENDENTLOOPS
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

/// Whether every value `loop` carries is passed through unchanged (after
/// bufferization, the buffer a tile loop writes into): then its results are
/// its initial values and it carries nothing.
bool carriesNothing(scf::ForOp loop) {
  auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
  for (auto [arg, yielded] : llvm::zip(loop.getRegionIterArgs(), yield.getOperands()))
    if (arg != yielded)
      return false;
  return true;
}

struct ParallelizeIndependentLoopsPass
    : graphc::impl::ParallelizeIndependentLoopsBase<ParallelizeIndependentLoopsPass> {
  void runOnOperation() override {
    SmallVector<scf::ForOp> loops;
    getOperation().walk([&](scf::ForOp loop) {
      if (loop->hasAttr(graphc::graph::GraphDialect::getIndependentIterationsAttrName()))
        loops.push_back(loop);
    });
    for (scf::ForOp loop : loops) {
      loop->removeAttr(graphc::graph::GraphDialect::getIndependentIterationsAttrName());
      if (!carriesNothing(loop))
        continue;
      OpBuilder b(loop);
      auto parallel = b.create<scf::ParallelOp>(loop.getLoc(), ValueRange{loop.getLowerBound()},
                                                ValueRange{loop.getUpperBound()},
                                                ValueRange{loop.getStep()});
      IRMapping mapping;
      mapping.map(loop.getInductionVar(), parallel.getInductionVars()[0]);
      for (auto [arg, init] : llvm::zip(loop.getRegionIterArgs(), loop.getInitArgs()))
        mapping.map(arg, init);
      b.setInsertionPoint(parallel.getBody()->getTerminator());
      for (Operation &op : loop.getBody()->without_terminator())
        b.clone(op, mapping);
      loop.replaceAllUsesWith(loop.getInitArgs());
      loop.erase();
    }
  }
};

} // namespace
