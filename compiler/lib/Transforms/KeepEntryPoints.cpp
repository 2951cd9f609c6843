//===- KeepEntryPoints.cpp - --graphc-keep-entry-points -------------------===//
//
// A training module has five entry points (forward, loss, loss_grad,
// train_step, eval), and code generation costs time in proportion to the
// code: a standalone training executable runs only train_step and eval, and
// compiling the other three more than doubled its build (LeNet: 9.2 s against
// 4.0 s). This pass erases the public functions a client does not call,
// refusing, at the function, one that a kept function still calls.
//
//===----------------------------------------------------------------------===//

#include "graphc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"

namespace graphc {
#define GEN_PASS_DEF_KEEPENTRYPOINTS
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

struct KeepEntryPointsPass : graphc::impl::KeepEntryPointsBase<KeepEntryPointsPass> {
  using KeepEntryPointsBase::KeepEntryPointsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (const std::string &name : functions)
      if (!module.lookupSymbol<func::FuncOp>(name)) {
        module.emitError() << "--graphc-keep-entry-points: the module has no function '" << name
                           << "'";
        return signalPassFailure();
      }
    SmallVector<func::FuncOp> unused;
    for (auto func : module.getOps<func::FuncOp>())
      if (func.isPublic() && !llvm::is_contained(functions, func.getSymName().str()))
        unused.push_back(func);
    for (func::FuncOp func : unused) {
      if (!SymbolTable::symbolKnownUseEmpty(func, module)) {
        func.emitError() << "is called by a function that is kept, so it cannot be dropped";
        return signalPassFailure();
      }
      func.erase();
    }
  }
};

} // namespace
