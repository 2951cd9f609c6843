//===- UnrollAndJam.cpp - --graphc-unroll-and-jam -------------------------===//
//
// Unroll-and-jam of the loops the tiling passes mark graph.unroll_and_jam,
// after bufferization (upstream's scf unroll-and-jam takes loops without
// results only, which a tile loop over tensors is not).
//
// --graphc-tile-convolutions marks a weight gradient's loop over the
// window's columns when a tile can carry all of them: each column's tile
// then loops over the chunk's images (or, one image at a time, over the
// image's position blocks) on its own, loading the same output gradient
// vectors again for every column. Jammed, one loop carries every column's
// accumulators and loads each output-gradient vector once. The iterations
// write disjoint partial sums, so running them side by side changes no
// element's summation order: results are bitwise unchanged.
//
//===----------------------------------------------------------------------===//

#include "graphc/Dialect/Graph/GraphDialect.h"
#include "graphc/Transforms/Passes.h"

#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

namespace graphc {
#define GEN_PASS_DEF_UNROLLANDJAM
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

struct UnrollAndJamPass : graphc::impl::UnrollAndJamBase<UnrollAndJamPass> {
  void runOnOperation() override {
    StringLiteral mark = graphc::graph::GraphDialect::getUnrollAndJamAttrName();
    SmallVector<scf::ForOp> loops;
    getOperation().walk([&](scf::ForOp loop) {
      if (loop->hasAttr(mark))
        loops.push_back(loop);
    });
    for (scf::ForOp loop : loops) {
      loop->removeAttr(mark);
      std::optional<int64_t> trips =
          constantTripCount(loop.getLowerBound(), loop.getUpperBound(), loop.getStep());
      if (!trips || *trips <= 1)
        continue;
      // A loop that still carries values (not bufferized) or whose inner
      // loops' bounds depend on it is not jammed; it runs as it is.
      (void)loopUnrollJamByFactor(loop, *trips);
    }
  }
};

} // namespace
