//===- MergeParallelRegions.cpp - --graphc-merge-parallel-regions ---------===//
//
// One fork and join for a run of consecutive parallel regions instead of one
// each. A fork and join cost 0.8-1.1 us on two threads against 0.43 us for
// a barrier inside one region (bench/omp_fork_join.c, a Zen 5), and the
// MLP's training step at batch 256 has 30 regions in 0.29 ms: timed around
// __kmpc_fork_call, its two-thread step spent 9 % over half the one-thread
// step's work (docs/performance.md, session 29). The serial code between
// two regions (loops too small to share, scalar updates) runs on thread 0
// inside the merged region, followed by a barrier, where before the other
// threads waited for the next fork while it ran. A run is capped in ops
// (max-ops), so that no outlined function grows without bound: LeNet's
// training step forks 5 times with the default, where it forked 51 times.
//
//===----------------------------------------------------------------------===//

#include "graphc/Transforms/Passes.h"

#include "ParallelLoopUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace graphc {
#define GEN_PASS_DEF_MERGEPARALLELREGIONS
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

/// The ops between two regions, sorted: those that can run before the first
/// region of the run (`hoisted`), and those that run on thread 0 (`serial`).
struct Gap {
  SmallVector<Operation *> hoisted, serial;
};

/// A run of regions to merge: the first, then each later one with the gap
/// before it.
struct Run {
  omp::ParallelOp first;
  SmallVector<std::pair<Gap, omp::ParallelOp>> rest;
};

/// The ops in `op`'s regions, at any depth.
int64_t nestedOps(Operation *op) {
  int64_t count = -1; // Not `op` itself.
  op->walk([&](Operation *) { ++count; });
  return count;
}

/// A region the pass merges: no clauses, one block.
bool isPlainRegion(Operation *op) {
  auto region = dyn_cast<omp::ParallelOp>(op);
  return region && region->getNumOperands() == 0 && region.getRegion().hasOneBlock();
}

/// Whether `op` opens a parallel region anywhere inside it: run on thread 0
/// alone, that region would be nested, and serialized.
bool containsRegion(Operation *op) {
  return op->walk([](omp::ParallelOp) { return WalkResult::interrupt(); }).wasInterrupted();
}

/// `ops` (the ops between the end of a run and its next region) sorted into
/// a Gap, or none when they cannot move into the run: an op that opens a
/// parallel region, or a value computed on thread 0 that something after
/// its gap uses (the other threads would not have it). Free of side effects
/// or an allocation, with its operands defined before the run or by ops
/// hoisted already, an op goes before the run; any other is serial.
std::optional<Gap> sortGap(ArrayRef<Operation *> ops, Operation *runStart,
                           llvm::SmallPtrSetImpl<Operation *> &hoistedInRun) {
  Gap gap;
  llvm::SmallPtrSet<Operation *, 16> hoisted, serial;
  auto availableBeforeRun = [&](Value value) {
    Operation *producer = value.getDefiningOp();
    // A block argument of the function's body dominates the run.
    return !producer || hoistedInRun.contains(producer) || hoisted.contains(producer) ||
           producer->isBeforeInBlock(runStart);
  };
  for (Operation *op : ops) {
    if (containsRegion(op))
      return std::nullopt;
    bool movable = isMemoryEffectFree(op) || isa<memref::AllocOp, memref::AllocaOp>(op);
    if (movable && llvm::all_of(op->getOperands(), availableBeforeRun)) {
      gap.hoisted.push_back(op);
      hoisted.insert(op);
    } else {
      gap.serial.push_back(op);
      serial.insert(op);
    }
  }
  for (Operation *op : gap.serial)
    for (Operation *user : op->getUsers()) {
      Operation *ancestor = op->getBlock()->findAncestorOpInBlock(*user);
      if (!ancestor || !serial.contains(ancestor))
        return std::nullopt;
    }
  hoistedInRun.insert(hoisted.begin(), hoisted.end());
  return gap;
}

/// The runs of two or more plain regions in `block`, each separated from
/// the next by a gap that can move into it.
SmallVector<Run> findRuns(Block &block, int64_t maxOps) {
  SmallVector<Run> runs;
  std::optional<Run> current;
  SmallVector<Operation *> pending;
  llvm::SmallPtrSet<Operation *, 32> hoistedInRun;
  int64_t runOps = 0;
  auto close = [&] {
    if (current && !current->rest.empty())
      runs.push_back(std::move(*current));
    current.reset();
    hoistedInRun.clear();
  };
  for (Operation &op : block) {
    if (!isPlainRegion(&op)) {
      if (current)
        pending.push_back(&op);
      continue;
    }
    auto region = cast<omp::ParallelOp>(op);
    int64_t regionOps = nestedOps(region);
    for (Operation *gapOp : pending)
      regionOps += 1 + nestedOps(gapOp);
    std::optional<Gap> gap;
    if (current && runOps + regionOps <= maxOps)
      gap = sortGap(pending, current->first, hoistedInRun);
    if (gap) {
      current->rest.emplace_back(std::move(*gap), region);
      runOps += regionOps;
    } else {
      close();
      current = Run{region, {}};
      runOps = nestedOps(region);
    }
    pending.clear();
  }
  close();
  return runs;
}

/// Appends a barrier to `body` unless every thread already waits at one
/// when its last op ends.
void ensureBarrier(OpBuilder &builder, Block &body, Location loc) {
  if (!graphc::endsWithBarrier(graphc::lastBeforeTerminator(body)))
    builder.create<omp::BarrierOp>(loc);
}

void merge(Run &run, func::FuncOp thisThreadQuery) {
  omp::ParallelOp first = run.first;
  Block &body = first.getRegion().front();
  Location loc = first.getLoc();
  OpBuilder builder(first.getContext());
  Value isThreadZero;
  for (auto &[gap, region] : run.rest) {
    for (Operation *op : gap.hoisted)
      op->moveBefore(first);
    // Every thread finishes the work before (as at a join) ...
    builder.setInsertionPoint(body.getTerminator());
    ensureBarrier(builder, body, loc);
    if (!gap.serial.empty()) {
      if (!isThreadZero) {
        OpBuilder atEntry = OpBuilder::atBlockBegin(&body);
        Value thread = atEntry.create<func::CallOp>(loc, thisThreadQuery).getResult(0);
        Value zero = atEntry.create<arith::ConstantIntOp>(loc, 0, 32);
        isThreadZero = atEntry.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, thread, zero);
      }
      // ... then thread 0 runs the serial ops while the others wait (as for
      // a fork).
      auto onThreadZero = builder.create<scf::IfOp>(loc, isThreadZero, /*withElse=*/false);
      Operation *yield = onThreadZero.thenBlock()->getTerminator();
      for (Operation *op : gap.serial)
        op->moveBefore(yield);
      builder.setInsertionPoint(body.getTerminator());
      builder.create<omp::BarrierOp>(loc);
    }
    Block &next = region.getRegion().front();
    body.getOperations().splice(body.getTerminator()->getIterator(), next.getOperations(),
                                next.begin(), next.getTerminator()->getIterator());
    region.erase();
  }
}

struct MergeParallelRegionsPass : graphc::impl::MergeParallelRegionsBase<MergeParallelRegionsPass> {
  using MergeParallelRegionsBase::MergeParallelRegionsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Run> runs;
    for (auto func : module.getOps<func::FuncOp>())
      if (!func.isExternal())
        runs.append(findRuns(func.getBody().front(), maxOps));
    if (runs.empty())
      return;
    func::FuncOp thisThread = graphc::runtimeQuery(module, "omp_get_thread_num");
    for (Run &run : runs)
      merge(run, thisThread);
  }
};

} // namespace
