//===- VerifyBatchMultiples.cpp - --graphc-verify-batch-multiples ---------===//

#include "graphc/Dialect/Graph/BatchMultiples.h"
#include "graphc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace graphc {
#define GEN_PASS_DEF_VERIFYBATCHMULTIPLES
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

struct VerifyBatchMultiplesPass
    : graphc::impl::VerifyBatchMultiplesBase<VerifyBatchMultiplesPass> {
  void runOnOperation() override {
    bool ok = true;
    getOperation().walk([&](FunctionOpInterface function) {
      if (!function.isExternal())
        ok &= succeeded(graphc::graph::BatchMultipleAnalysis::run(function));
    });
    if (!ok)
      signalPassFailure();
  }
};

} // namespace
