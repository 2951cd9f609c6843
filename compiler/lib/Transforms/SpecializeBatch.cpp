//===- SpecializeBatch.cpp - --graphc-specialize-batch --------------------===//

#include "SpecializeBatch.h"

#include "graphc/Dialect/Graph/BatchMultiples.h"
#include "graphc/Dialect/Graph/GraphDialect.h"
#include "graphc/Dialect/Graph/GraphOps.h"
#include "graphc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace graphc {
#define GEN_PASS_DEF_SPECIALIZEBATCH
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;
using namespace graphc::graph;

LogicalResult graphc::specializeBatch(func::FuncOp func, int64_t batch, StringRef flag) {
  constexpr int64_t kMaxSize = int64_t(1) << 40;
  if (batch < 1 || batch > kMaxSize)
    return func.emitError() << flag << " must be at least 1 and at most 2^40, got " << batch;
  // Every dynamic size is k*B (BatchMultiples.h), so with B known each one
  // is k*batch: no op needs its shape rule re-run, and a size that an
  // operand made static (broadcast_to from a batch of 1) cannot stay
  // dynamic in the result.
  FailureOr<BatchMultipleAnalysis> multiples = BatchMultipleAnalysis::run(func);
  if (failed(multiples))
    return failure();
  auto specialize = [&](Value value) -> LogicalResult {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (!type || type.hasStaticShape())
      return success();
    const BatchMultiples &m = multiples->of(value);
    for (int64_t k : m)
      if (k > kMaxSize / batch)
        return func.emitError() << flag << "=" << batch << " makes a size of " << k
                                << " times the batch, more than 2^40";
    value.setType(
        RankedTensorType::get(specializeShape(type.getShape(), m, batch), type.getElementType()));
    return success();
  };
  Block &entry = func.front();
  for (BlockArgument arg : entry.getArguments()) {
    if (failed(specialize(arg)))
      return failure();
    // Static now: its multiples of the batch no longer apply.
    func.removeArgAttr(arg.getArgNumber(), GraphDialect::getBatchMultiplesAttrName());
  }
  WalkResult walk = func.walk([&](Operation *op) {
    for (Value result : op->getResults())
      if (failed(specialize(result)))
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  auto ret = cast<func::ReturnOp>(entry.getTerminator());
  func.setType(
      FunctionType::get(func.getContext(), entry.getArgumentTypes(), ret.getOperandTypes()));
  return success();
}

namespace {

struct SpecializeBatchPass : graphc::impl::SpecializeBatchBase<SpecializeBatchPass> {
  using SpecializeBatchBase::SpecializeBatchBase;
  void runOnOperation() override {
    auto func = getOperation().lookupSymbol<func::FuncOp>(function);
    if (!func) {
      getOperation().emitError("no function '") << function << "' to specialize";
      return signalPassFailure();
    }
    if (failed(graphc::specializeBatch(func, batch, "--batch")))
      return signalPassFailure();
  }
};

} // namespace
