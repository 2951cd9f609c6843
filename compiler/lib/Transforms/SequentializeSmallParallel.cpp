//===- SequentializeSmallParallel.cpp - --graphc-sequentialize-small-parallel =//
//
// Every scf.parallel left after graphc-sequentialize-nested-parallel becomes
// an OpenMP parallel region, whose fork and join cost a few microseconds on
// this machine's two cores: more than a small loop saves. With the matmuls
// tiled, the MLP's step at batch 256 is dozens of such loops (bias adds,
// ReLU and its mask, the loss's rows, the optimizer's updates), and two
// threads ran it no faster than one. As Inductor (which opens a region only
// when each thread gets 4,096 elements or more) and XLA (tasks of at least
// 100,000 cost units), a loop whose work is known at compile time to be
// below `min-work` runs on the calling thread. The work is counted in
// element operations: each op in the loop nest once per iteration of the
// loops around it, a vector op once per element. A loop with a bound that is
// not a constant (a dynamic batch) stays parallel.
//
//===----------------------------------------------------------------------===//

#include "graphc/Transforms/Passes.h"

#include "ParallelLoopUtils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include <optional>

namespace graphc {
#define GEN_PASS_DEF_SEQUENTIALIZESMALLPARALLEL
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

/// Saturating: the estimate only needs to be compared with a threshold.
constexpr int64_t kLargeWork = int64_t(1) << 50;

int64_t saturatingMul(int64_t a, int64_t b) {
  if (a != 0 && b > kLargeWork / a)
    return kLargeWork;
  return std::min(a * b, kLargeWork);
}

std::optional<int64_t> workOf(Block &block);

/// The element operations one execution of `op` performs, or nullopt when
/// a loop inside it has a bound that is not a constant.
std::optional<int64_t> workOf(Operation &op) {
  int64_t trips = 1;
  if (auto loop = dyn_cast<scf::ForOp>(op)) {
    std::optional<int64_t> count =
        constantTripCount(loop.getLowerBound(), loop.getUpperBound(), loop.getStep());
    if (!count)
      return std::nullopt;
    trips = *count;
  } else if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
    for (auto [lb, ub, step] :
         llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
      std::optional<int64_t> count = constantTripCount(lb, ub, step);
      if (!count)
        return std::nullopt;
      trips = saturatingMul(trips, *count);
    }
  }
  if (op.getNumRegions() == 0) {
    int64_t elements = 1;
    for (Type type : op.getResultTypes())
      if (auto vector = dyn_cast<VectorType>(type))
        elements = std::max(elements, vector.getNumElements());
    return elements;
  }
  // Loops run their body `trips` times; other ops with regions (scf.if)
  // count every region, an upper bound.
  int64_t body = 0;
  for (Region &region : op.getRegions())
    for (Block &block : region) {
      std::optional<int64_t> work = workOf(block);
      if (!work)
        return std::nullopt;
      body = std::min(body + *work, kLargeWork);
    }
  return saturatingMul(trips, body);
}

std::optional<int64_t> workOf(Block &block) {
  int64_t total = 0;
  // Terminators (yields, scf.reduce) only pass values on.
  for (Operation &op : block.without_terminator()) {
    std::optional<int64_t> work = workOf(op);
    if (!work)
      return std::nullopt;
    total = std::min(total + *work, kLargeWork);
  }
  return total;
}


struct SequentializeSmallParallelPass
    : graphc::impl::SequentializeSmallParallelBase<SequentializeSmallParallelPass> {
  using SequentializeSmallParallelBase::SequentializeSmallParallelBase;

  void runOnOperation() override {
    SmallVector<scf::ParallelOp> small;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (loop.getNumReductions() != 0 || loop->getParentOfType<scf::ParallelOp>())
        return;
      std::optional<int64_t> work = workOf(*loop.getOperation());
      if (work && *work < minWork)
        small.push_back(loop);
    });
    for (scf::ParallelOp loop : small)
      graphc::sequentialize(loop);
  }
};

} // namespace
