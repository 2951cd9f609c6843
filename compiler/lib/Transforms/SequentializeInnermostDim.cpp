//===- SequentializeInnermostDim.cpp - --graphc-sequentialize-innermost-dim ===//

#include "graphc/Transforms/Passes.h"

#include "mlir/IR/IRMapping.h"

namespace graphc {
#define GEN_PASS_DEF_SEQUENTIALIZEINNERMOSTDIM
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

/// scf.parallel (i0, ..., in) { body } becomes
/// scf.parallel (i0, ..., in-1) { scf.for in { body } }.
void splitInnermost(scf::ParallelOp loop) {
  unsigned rank = loop.getNumLoops();
  OpBuilder b(loop);
  Location loc = loop.getLoc();
  auto outer = b.create<scf::ParallelOp>(
      loc, loop.getLowerBound().drop_back(), loop.getUpperBound().drop_back(),
      loop.getStep().drop_back(), [&](OpBuilder &ob, Location, ValueRange outerIvs) {
        ob.create<scf::ForOp>(
            loc, loop.getLowerBound().back(), loop.getUpperBound().back(), loop.getStep().back(),
            ValueRange{}, [&](OpBuilder &ib, Location, Value innerIv, ValueRange) {
              SmallVector<Value> ivs = loop.getInductionVars();
              IRMapping mapping;
              mapping.map(ArrayRef<Value>(ivs).drop_back(), outerIvs);
              mapping.map(ivs[rank - 1], innerIv);
              for (Operation &op : loop.getBody()->without_terminator())
                ib.clone(op, mapping);
              ib.create<scf::YieldOp>(loc);
            });
      });
  outer->setAttrs(loop->getDiscardableAttrDictionary());
  loop.erase();
}

struct SequentializeInnermostDimPass
    : graphc::impl::SequentializeInnermostDimBase<SequentializeInnermostDimPass> {
  void runOnOperation() override {
    SmallVector<scf::ParallelOp> loops;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (loop.getNumLoops() >= 2 && loop.getNumReductions() == 0 &&
          !loop->getParentOfType<scf::ParallelOp>())
        loops.push_back(loop);
    });
    for (scf::ParallelOp loop : loops)
      splitInnermost(loop);
  }
};

} // namespace
