//===- PartitionWorksharingLoops.cpp - --graphc-partition-worksharing-loops ===//
//
// Each thread's share of a statically scheduled worksharing loop computed in
// the generated code instead of by the OpenMP runtime. Debian's libomp (LLVM
// 19) is built with KMP_DEBUG: every __kmpc_for_static_init formats its
// trace message (malloc, vsnprintf, free) before checking whether tracing is
// on, about 0.3 us per loop and thread (Passes.td has the measurements).
//
//===----------------------------------------------------------------------===//

#include "graphc/Transforms/Passes.h"

#include "ParallelLoopUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

namespace graphc {
#define GEN_PASS_DEF_PARTITIONWORKSHARINGLOOPS
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;
using graphc::runtimeQuery;

namespace {

/// The loop nest of `loop` if this pass can partition it: a static schedule
/// without a chunk (the default), no clause that needs the runtime
/// (reductions, linear, ordered, order, simd), one induction
/// variable with an exclusive upper bound and a positive constant step, a
/// body of one block, and a parallel region around it.
omp::LoopNestOp partitionableNest(omp::WsloopOp loop) {
  std::optional<omp::ClauseScheduleKind> schedule = loop.getScheduleVal();
  if ((schedule && *schedule != omp::ClauseScheduleKind::Static) || loop.getScheduleChunkVar() ||
      !loop.getReductionVars().empty() || !loop.getLinearVars().empty() || loop.getOrderedVal() ||
      loop.getOrderVal() || loop.getSimdModifier() || !loop->getParentOfType<omp::ParallelOp>())
    return nullptr;
  Block &wrapper = loop.getRegion().front();
  auto nest = dyn_cast<omp::LoopNestOp>(wrapper.front());
  if (!nest || std::next(wrapper.begin()) != std::prev(wrapper.end()) ||
      nest.getIVs().size() != 1 || nest.getInclusive() || !nest.getRegion().hasOneBlock())
    return nullptr;
  std::optional<int64_t> step = getConstantIntValue(nest.getStep()[0]);
  if (!step || *step <= 0)
    return nullptr;
  return nest;
}

struct Team {
  Value thread, threads; // omp_get_thread_num() and omp_get_num_threads(), as index
};

struct PartitionWorksharingLoopsPass
    : graphc::impl::PartitionWorksharingLoopsBase<PartitionWorksharingLoopsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<std::pair<omp::WsloopOp, omp::LoopNestOp>> loops;
    module.walk([&](omp::WsloopOp loop) {
      if (omp::LoopNestOp nest = partitionableNest(loop))
        loops.emplace_back(loop, nest);
    });
    if (loops.empty())
      return;
    func::FuncOp threadNum = runtimeQuery(module, "omp_get_thread_num");
    func::FuncOp numThreads = runtimeQuery(module, "omp_get_num_threads");
    // Asked once per parallel region, at its entry: every loop in it (in an
    // scf.for that HoistParallelRegions put there, say) shares the answers.
    DenseMap<Operation *, Team> teams;
    for (auto [loop, nest] : loops) {
      auto region = loop->getParentOfType<omp::ParallelOp>();
      auto [it, inserted] = teams.try_emplace(region.getOperation());
      if (inserted) {
        OpBuilder builder = OpBuilder::atBlockBegin(&region.getRegion().front());
        auto asIndex = [&](func::FuncOp query) -> Value {
          Value i32 = builder.create<func::CallOp>(region.getLoc(), query).getResult(0);
          return builder.create<arith::IndexCastUIOp>(region.getLoc(), builder.getIndexType(), i32);
        };
        it->second = {asIndex(threadNum), asIndex(numThreads)};
      }
      partition(loop, nest, it->second);
    }
  }

  /// Replaces `loop` by an scf.for over this thread's iterations, followed by
  /// a barrier unless the loop was nowait. The split is libomp's balanced
  /// static one: trips / threads each, the first trips % threads threads one
  /// more, in thread order (for two threads, the same as its default). The
  /// standalone pool's __kmpc_for_static_init_8u makes the same split, in
  /// C++: the collapsed loops left to the runtime still call it there.
  void partition(omp::WsloopOp loop, omp::LoopNestOp nest, const Team &team) {
    OpBuilder b(loop);
    Location loc = loop.getLoc();
    Value lower = nest.getLowerBound()[0], upper = nest.getUpperBound()[0],
          step = nest.getStep()[0];
    Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
    Value one = b.create<arith::ConstantIndexOp>(loc, 1);
    Value span = b.create<arith::MaxSIOp>(loc, b.create<arith::SubIOp>(loc, upper, lower), zero);
    // (span + step - 1) / step: arith.ceildivui has no LLVM lowering of its
    // own (it needs arith-expand), and span and step are small and positive.
    Value trips = b.create<arith::DivUIOp>(
        loc, b.create<arith::SubIOp>(loc, b.create<arith::AddIOp>(loc, span, step), one), step);
    Value each = b.create<arith::DivUIOp>(loc, trips, team.threads);
    Value extra = b.create<arith::RemUIOp>(loc, trips, team.threads);
    Value first = b.create<arith::AddIOp>(loc, b.create<arith::MulIOp>(loc, team.thread, each),
                                          b.create<arith::MinUIOp>(loc, team.thread, extra));
    Value hasExtra = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, team.thread, extra);
    Value count =
        b.create<arith::AddIOp>(loc, each, b.create<arith::SelectOp>(loc, hasExtra, one, zero));
    Value begin = b.create<arith::AddIOp>(loc, lower, b.create<arith::MulIOp>(loc, first, step));
    Value end = b.create<arith::AddIOp>(loc, begin, b.create<arith::MulIOp>(loc, count, step));
    auto forOp = b.create<scf::ForOp>(loc, begin, end, step);
    Block &body = nest.getRegion().front();
    body.getArgument(0).replaceAllUsesWith(forOp.getInductionVar());
    Block *forBody = forOp.getBody();
    forBody->getOperations().splice(forBody->getTerminator()->getIterator(), body.getOperations(),
                                    body.begin(), body.getTerminator()->getIterator());
    if (!loop.getNowait())
      b.create<omp::BarrierOp>(loc);
    loop.erase();
  }
};

} // namespace
