//===- EmulateGpuLaunches.cpp - --graphc-emulate-gpu-launches -------------===//
//
// With no GPU on the build machines, the kernels' numerics are checked by
// running them on the CPU exactly as mapped: each gpu.launch becomes loops
// over its blocks and threads around its body (block and thread ids, grid
// and block sizes replaced by the loops' values), and the CPU pipeline
// takes it from there. The mapping and the kernel bodies are what is
// tested; that is where GPU lowering bugs live.
//
//===----------------------------------------------------------------------===//

#include "graphc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/PatternMatch.h"

namespace graphc {
#define GEN_PASS_DEF_EMULATEGPULAUNCHES
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

struct EmulateGpuLaunchesPass : graphc::impl::EmulateGpuLaunchesBase<EmulateGpuLaunchesPass> {
  void runOnOperation() override {
    SmallVector<gpu::LaunchOp> launches;
    getOperation().walk([&](gpu::LaunchOp launch) { launches.push_back(launch); });
    IRRewriter rewriter(&getContext());
    for (gpu::LaunchOp launch : launches)
      if (failed(emulate(rewriter, launch)))
        return signalPassFailure();
  }

  LogicalResult emulate(IRRewriter &rewriter, gpu::LaunchOp launch) {
    // Threads run one after another here: a kernel that waits for the
    // others of its block, or shares memory with them, cannot be emulated.
    if (!launch.getAsyncDependencies().empty() || launch.getAsyncToken() ||
        launch.hasClusterSize() || launch.getDynamicSharedMemorySize() ||
        !launch.getWorkgroupAttributions().empty() || !launch.getPrivateAttributions().empty() ||
        !launch.getBody().hasOneBlock())
      return launch.emitError("cannot emulate this launch on the CPU (async, clusters, "
                              "attributions or several blocks)");
    WalkResult barriers = launch.getBody().walk([](gpu::BarrierOp) { return WalkResult::interrupt(); });
    if (barriers.wasInterrupted())
      return launch.emitError("cannot emulate a kernel with barriers on the CPU");

    Location loc = launch.getLoc();
    rewriter.setInsertionPoint(launch);
    Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
    Value one = rewriter.create<arith::ConstantIndexOp>(loc, 1);
    gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
    gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
    // Blocks in parallel (they are independent), each block's threads in
    // order, x fastest.
    auto blocks = rewriter.create<scf::ParallelOp>(
        loc, ValueRange{zero, zero, zero}, ValueRange{grid.x, grid.y, grid.z},
        ValueRange{one, one, one});
    rewriter.setInsertionPoint(blocks.getBody()->getTerminator());
    auto threadZ = rewriter.create<scf::ForOp>(loc, zero, block.z, one);
    rewriter.setInsertionPoint(threadZ.getBody()->getTerminator());
    auto threadY = rewriter.create<scf::ForOp>(loc, zero, block.y, one);
    rewriter.setInsertionPoint(threadY.getBody()->getTerminator());
    auto threadX = rewriter.create<scf::ForOp>(loc, zero, block.x, one);

    ValueRange blockIds = blocks.getInductionVars();
    SmallVector<Value> replacements = {blockIds[0],
                                       blockIds[1],
                                       blockIds[2],
                                       threadX.getInductionVar(),
                                       threadY.getInductionVar(),
                                       threadZ.getInductionVar(),
                                       grid.x,
                                       grid.y,
                                       grid.z,
                                       block.x,
                                       block.y,
                                       block.z};
    Block &body = launch.getBody().front();
    Operation *terminator = body.getTerminator();
    rewriter.inlineBlockBefore(&body, threadX.getBody()->getTerminator(), replacements);
    rewriter.eraseOp(terminator);
    rewriter.eraseOp(launch);
    return success();
  }
};

} // namespace
