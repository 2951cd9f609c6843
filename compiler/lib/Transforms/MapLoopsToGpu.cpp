//===- MapLoopsToGpu.cpp - --graphc-map-loops-to-gpu ----------------------===//

#include "graphc/Transforms/Passes.h"

#include "ParallelLoopUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/IR/PatternMatch.h"

#include <numeric>

namespace graphc {
#define GEN_PASS_DEF_MAPLOOPSTOGPU
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

bool isLoop(Operation *op) { return isa<scf::ParallelOp, scf::ForOp>(op); }

/// Whether `op` is a loop nest's outermost loop: no loop around it.
bool isOutermostLoop(Operation *op) {
  for (Operation *parent = op->getParentOp(); parent && !isa<func::FuncOp>(parent);
       parent = parent->getParentOp())
    if (isLoop(parent))
      return false;
  return true;
}

LogicalResult mapTo(scf::ParallelOp loop, gpu::Processor processor) {
  Builder b(loop.getContext());
  auto identity = b.getDimIdentityMap();
  return gpu::setMappingAttr(
      loop, {gpu::ParallelLoopDimMappingAttr::get(loop.getContext(), processor, identity,
                                                  identity)});
}

struct MapLoopsToGpuPass : graphc::impl::MapLoopsToGpuBase<MapLoopsToGpuPass> {
  using MapLoopsToGpuBase::MapLoopsToGpuBase;

  void runOnOperation() override {
    if (blockSize < 1 || blockSize > 1024) {
      emitError(getOperation().getLoc(), "--graphc-map-loops-to-gpu: block-size ")
          << blockSize << " is not in 1..1024 (the threads a CUDA block may have)";
      return signalPassFailure();
    }
    SmallVector<Operation *> nests;
    getOperation().walk([&](Operation *op) {
      if (isLoop(op) && isOutermostLoop(op))
        nests.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (Operation *nest : nests)
      if (failed(mapNest(rewriter, nest)))
        return signalPassFailure();
    if (failed(mapHostAccesses(rewriter)))
      return signalPassFailure();
  }

  /// A loop nest of no loops (a 0-D linalg op: a scalar fill or the copy of
  /// a scalar result) is loads and stores at the top level, which would
  /// read device memory on the host. Each run of them (with the arithmetic
  /// between) becomes a kernel of one thread.
  LogicalResult mapHostAccesses(IRRewriter &rewriter) {
    auto accessesMemory = [](Operation *op) {
      return isa<memref::LoadOp, memref::StoreOp>(op);
    };
    SmallVector<SmallVector<Operation *>> runs;
    Block &entry = getOperation().getBody().front();
    // Scalar arithmetic between the accesses goes into the kernel when only
    // the run uses it; other ops end a run.
    auto isScalarArithmetic = [](Operation *op) {
      return isPure(op) && op->getNumRegions() == 0 &&
             llvm::none_of(op->getResultTypes(), [](Type t) { return isa<ShapedType>(t); });
    };
    for (Operation &op : entry) {
      bool inRun = !runs.empty() && runs.back().back()->getNextNode() == &op;
      if (accessesMemory(&op) || (inRun && isScalarArithmetic(&op))) {
        if (!inRun)
          runs.emplace_back();
        runs.back().push_back(&op);
      }
    }
    for (SmallVector<Operation *> &run : runs) {
      while (!accessesMemory(run.back()))
        run.pop_back();
      // Arithmetic the host uses too stays on the host (it dominates the
      // kernel: its operands come from before the run, or it reads memory
      // and is refused below).
      DenseSet<Operation *> members(run.begin(), run.end());
      bool changed = true;
      while (changed) {
        changed = false;
        for (Operation *op : run)
          if (members.contains(op) && !accessesMemory(op) &&
              llvm::any_of(op->getUsers(), [&](Operation *user) { return !members.contains(user); }))
            changed = members.erase(op);
      }
      run.erase(llvm::remove_if(run, [&](Operation *op) { return !members.contains(op); }),
                run.end());
      for (Operation *op : run)
        for (Value operand : op->getOperands())
          if (Operation *definition = operand.getDefiningOp())
            if (definition->getBlock() == op->getBlock() && !members.contains(definition) &&
                run.front()->isBeforeInBlock(definition))
              return op->emitError("a value computed on the host from device memory");
      for (Operation *op : run)
        for (Operation *user : op->getUsers())
          if (!members.contains(user))
            return op->emitError("a value read from device memory is used on the host by ")
                   << user->getName();
      if (failed(runInOneThread(rewriter, run)))
        return failure();
    }
    return success();
  }

  /// Moves `ops` (consecutive, in order) into a kernel of one thread: an
  /// scf.parallel of one iteration mapped to one block.
  static LogicalResult runInOneThread(IRRewriter &rewriter, ArrayRef<Operation *> ops) {
    rewriter.setInsertionPoint(ops.front());
    Location loc = ops.front()->getLoc();
    Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
    Value one = rewriter.create<arith::ConstantIndexOp>(loc, 1);
    auto single = rewriter.create<scf::ParallelOp>(loc, ValueRange{zero}, ValueRange{one},
                                                   ValueRange{one});
    for (Operation *op : ops)
      rewriter.moveOpBefore(op, single.getBody()->getTerminator());
    return mapTo(single, gpu::Processor::BlockX);
  }

  LogicalResult mapNest(IRRewriter &rewriter, Operation *nest) {
    // Parallel loops inside the nest run in their thread (innermost first,
    // so bodies move before their parents do).
    SmallVector<scf::ParallelOp> inner;
    nest->walk([&](scf::ParallelOp loop) {
      if (loop != nest)
        inner.push_back(loop);
    });
    for (scf::ParallelOp loop : inner)
      graphc::sequentialize(loop);

    if (auto loop = dyn_cast<scf::ForOp>(nest))
      // Reduction dimensions only: one thread of one block runs the loop.
      return runInOneThread(rewriter, {loop.getOperation()});

    auto loop = cast<scf::ParallelOp>(nest);
    if (loop.getNumReductions() != 0)
      return loop.emitError("a parallel loop with reductions cannot be mapped to the GPU");
    if (loop.getNumLoops() > 1) {
      // Row-major: the last dimension varies fastest across the threads.
      Operation *after = loop->getNextNode();
      std::vector<unsigned> all(loop.getNumLoops());
      std::iota(all.begin(), all.end(), 0u);
      collapseParallelLoops(rewriter, loop, {all});
      loop = cast<scf::ParallelOp>(after->getPrevNode());
    }
    // A short static loop gets a block of its own size.
    int64_t threads = blockSize;
    std::optional<int64_t> lower = getConstantIntValue(loop.getLowerBound()[0]);
    std::optional<int64_t> upper = getConstantIntValue(loop.getUpperBound()[0]);
    std::optional<int64_t> step = getConstantIntValue(loop.getStep()[0]);
    if (lower && upper && step && *step > 0)
      threads = std::max<int64_t>(1, std::min<int64_t>(threads, (*upper - *lower + *step - 1) / *step));
    auto [blocks, threadsLoop] = scf::tileParallelLoop(loop, {threads}, /*noMinMaxBounds=*/true);
    if (failed(mapTo(blocks, gpu::Processor::BlockX)) ||
        failed(mapTo(threadsLoop, gpu::Processor::ThreadX)))
      return blocks.emitError("cannot map the loop to GPU blocks and threads");
    return success();
  }
};

} // namespace
