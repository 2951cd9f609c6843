//===- MarkCInterface.cpp - --graphc-mark-c-interface ---------------------===//

#include "graphc/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace graphc {
#define GEN_PASS_DEF_MARKCINTERFACE
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

struct MarkCInterfacePass : graphc::impl::MarkCInterfaceBase<MarkCInterfacePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    auto readOnly = BoolAttr::get(ctx, false);
    getOperation().walk([&](func::FuncOp func) {
      if (func.isPrivate() || func.isExternal())
        return;
      func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(), UnitAttr::get(ctx));
      // Only where nothing decided yet: --graphc-update-in-place marks the
      // arguments it writes into as writable.
      for (unsigned i = 0; i < func.getNumArguments(); ++i)
        if (!func.getArgAttr(i, bufferization::BufferizationDialect::kWritableAttrName))
          func.setArgAttr(i, bufferization::BufferizationDialect::kWritableAttrName, readOnly);
    });
  }
};

} // namespace
