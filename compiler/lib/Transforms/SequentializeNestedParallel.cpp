//===- SequentializeNestedParallel.cpp - --graphc-sequentialize-nested-parallel ===//

#include "graphc/Transforms/Passes.h"

#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/IRMapping.h"

namespace graphc {
#define GEN_PASS_DEF_SEQUENTIALIZENESTEDPARALLEL
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

/// Replaces `loop` (no reductions) by a nest of scf.for with the same body.
void sequentialize(scf::ParallelOp loop) {
  OpBuilder b(loop);
  scf::buildLoopNest(b, loop.getLoc(), loop.getLowerBound(), loop.getUpperBound(),
                     loop.getStep(), [&](OpBuilder &nb, Location, ValueRange ivs) {
                       IRMapping mapping;
                       mapping.map(loop.getInductionVars(), ivs);
                       for (Operation &op : loop.getBody()->without_terminator())
                         nb.clone(op, mapping);
                     });
  loop.erase();
}

struct SequentializeNestedParallelPass
    : graphc::impl::SequentializeNestedParallelBase<SequentializeNestedParallelPass> {
  void runOnOperation() override {
    SmallVector<scf::ParallelOp> inner;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (loop->getParentOfType<scf::ParallelOp>() && loop.getNumReductions() == 0)
        inner.push_back(loop);
    });
    // Innermost first (walk is post-order), so bodies move before their parents do.
    for (scf::ParallelOp loop : inner)
      sequentialize(loop);
  }
};

} // namespace
