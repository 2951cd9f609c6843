//===- ParallelLoopUtils.cpp - helpers of the parallel-loop and region passes ===//

#include "ParallelLoopUtils.h"

#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
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

Operation *graphc::lastBeforeTerminator(Block &block) {
  Operation *terminator = block.getTerminator();
  return terminator == &block.front() ? nullptr : terminator->getPrevNode();
}

bool graphc::endsWithBarrier(Operation *op) {
  if (auto loop = dyn_cast_or_null<omp::WsloopOp>(op))
    return !loop.getNowait();
  if (isa_and_nonnull<omp::BarrierOp>(op))
    return true;
  if (auto loop = dyn_cast_or_null<scf::ForOp>(op))
    return endsWithBarrier(lastBeforeTerminator(*loop.getBody()));
  return false;
}

func::FuncOp graphc::runtimeQuery(ModuleOp module, StringRef name) {
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  OpBuilder builder = OpBuilder::atBlockBegin(module.getBody());
  auto type = builder.getFunctionType({}, {builder.getI32Type()});
  auto declaration = builder.create<func::FuncOp>(module.getLoc(), name, type);
  declaration.setPrivate();
  return declaration;
}
