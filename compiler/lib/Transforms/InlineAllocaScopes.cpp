//===- InlineAllocaScopes.cpp - --graphc-inline-alloca-scopes -------------===//

#include "graphc/Transforms/Passes.h"

namespace graphc {
#define GEN_PASS_DEF_INLINEALLOCASCOPES
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

struct InlineAllocaScopesPass : graphc::impl::InlineAllocaScopesBase<InlineAllocaScopesPass> {
  void runOnOperation() override {
    SmallVector<memref::AllocaScopeOp> scopes;
    getOperation().walk([&](memref::AllocaScopeOp scope) {
      bool allocates = false;
      scope.getBodyRegion().walk([&](memref::AllocaOp) { allocates = true; });
      if (!allocates && scope.getNumResults() == 0 && scope.getBodyRegion().hasOneBlock())
        scopes.push_back(scope);
    });
    for (memref::AllocaScopeOp scope : scopes) {
      Block &body = scope.getBodyRegion().front();
      body.getTerminator()->erase();
      scope->getBlock()->getOperations().splice(Block::iterator(scope), body.getOperations());
      scope.erase();
    }
  }
};

} // namespace
