//===- MergeGpuModules.cpp - --graphc-merge-gpu-modules -------------------===//

#include "graphc/Transforms/Passes.h"

#include "mlir/IR/SymbolTable.h"

namespace graphc {
#define GEN_PASS_DEF_MERGEGPUMODULES
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

struct MergeGpuModulesPass : graphc::impl::MergeGpuModulesBase<MergeGpuModulesPass> {
  using MergeGpuModulesBase::MergeGpuModulesBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> kernelModules(module.getOps<gpu::GPUModuleOp>());
    if (kernelModules.empty())
      return;
    if (module.lookupSymbol(moduleName)) {
      module.emitError("--graphc-merge-gpu-modules: the module already has a symbol named '")
          << moduleName.getValue() << "'";
      return signalPassFailure();
    }
    OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
    auto merged = builder.create<gpu::GPUModuleOp>(module.getLoc(), moduleName.getValue());
    Block &body = merged.getBodyRegion().front();

    // Each kernel takes its outlined module's name, unique in the module.
    DenseMap<Attribute, SymbolRefAttr> renamed;
    for (gpu::GPUModuleOp kernels : kernelModules) {
      SmallVector<gpu::GPUFuncOp> functions(kernels.getOps<gpu::GPUFuncOp>());
      if (functions.size() != 1) {
        kernels.emitError("--graphc-merge-gpu-modules expects one kernel per outlined module");
        return signalPassFailure();
      }
      gpu::GPUFuncOp kernel = functions.front();
      SymbolRefAttr from = SymbolRefAttr::get(kernels.getNameAttr(),
                                              {FlatSymbolRefAttr::get(kernel.getNameAttr())});
      kernel.setName(kernels.getName());
      kernel->moveBefore(body.getTerminator());
      // The globals the kernel reads (graphc-sink-into-kernels), once.
      SymbolTable mergedSymbols(merged);
      for (Operation &op : llvm::make_early_inc_range(kernels.getBody()->getOperations())) {
        auto symbol = dyn_cast<SymbolOpInterface>(&op);
        if (!symbol || mergedSymbols.lookup(symbol.getNameAttr()))
          continue;
        op.moveBefore(body.getTerminator());
      }
      renamed[from] = SymbolRefAttr::get(merged.getNameAttr(),
                                         {FlatSymbolRefAttr::get(kernel.getNameAttr())});
      kernels.erase();
    }
    WalkResult result = module.walk([&](gpu::LaunchFuncOp launch) {
      auto to = renamed.find(launch.getKernelAttr());
      if (to == renamed.end()) {
        launch.emitError("launches a kernel that was not merged");
        return WalkResult::interrupt();
      }
      launch.setKernelAttr(to->second);
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
