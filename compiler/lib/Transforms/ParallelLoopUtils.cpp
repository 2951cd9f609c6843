//===- ParallelLoopUtils.cpp - helpers of the loop-sequentializing passes --===//

#include "ParallelLoopUtils.h"

#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;

void graphc::sequentialize(scf::ParallelOp loop) {
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
