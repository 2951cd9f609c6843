//===- ParallelDimsFirst.cpp - --graphc-parallel-dims-first ---------------===//

#include "graphc/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace graphc {
#define GEN_PASS_DEF_PARALLELDIMSFIRST
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

struct ParallelDimsFirstPass : graphc::impl::ParallelDimsFirstBase<ParallelDimsFirstPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) { generics.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : generics) {
      SmallVector<unsigned> order;
      SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
      for (unsigned d = 0; d < iterators.size(); ++d)
        if (linalg::isParallelIterator(iterators[d]))
          order.push_back(d);
      for (unsigned d = 0; d < iterators.size(); ++d)
        if (!linalg::isParallelIterator(iterators[d]))
          order.push_back(d);
      bool alreadyFirst = true;
      for (unsigned d = 0; d < order.size(); ++d)
        alreadyFirst &= order[d] == d;
      if (alreadyFirst)
        continue;
      rewriter.setInsertionPoint(op);
      if (failed(linalg::interchangeGenericOp(rewriter, op, order))) {
        op.emitError("cannot put the parallel dimensions first");
        return signalPassFailure();
      }
    }
  }
};

} // namespace
