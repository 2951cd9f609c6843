//===- SequentializeNestedParallel.cpp - --graphc-sequentialize-nested-parallel ===//

#include "graphc/Transforms/Passes.h"

#include "ParallelLoopUtils.h"


namespace graphc {
#define GEN_PASS_DEF_SEQUENTIALIZENESTEDPARALLEL
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {


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
      graphc::sequentialize(loop);
  }
};

} // namespace
