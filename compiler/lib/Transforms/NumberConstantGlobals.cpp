//===- NumberConstantGlobals.cpp - --graphc-number-constant-globals -------===//

#include "graphc/Transforms/Passes.h"

#include "mlir/IR/SymbolTable.h"

namespace graphc {
#define GEN_PASS_DEF_NUMBERCONSTANTGLOBALS
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

struct NumberConstantGlobalsPass
    : graphc::impl::NumberConstantGlobalsBase<NumberConstantGlobalsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::StringMap<memref::GlobalOp> constants;
    for (auto global : module.getOps<memref::GlobalOp>())
      if (global.getConstant() && global.isPrivate())
        constants[global.getSymName()] = global;
    // The order of first use, walking the functions as they stand in the
    // module (their order is the input's).
    SmallVector<memref::GlobalOp> ordered;
    llvm::DenseSet<Operation *> seen;
    module.walk([&](memref::GetGlobalOp get) {
      auto it = constants.find(get.getName());
      if (it != constants.end() && seen.insert(it->second).second)
        ordered.push_back(it->second);
    });
    // Unused ones (nothing removed them yet) after those, by their value.
    size_t used = ordered.size();
    for (auto &entry : constants)
      if (!seen.count(entry.second))
        ordered.push_back(entry.second);
    auto valueText = [](memref::GlobalOp g) {
      std::string text;
      llvm::raw_string_ostream os(text);
      os << g.getType() << " " << g.getInitialValueAttr();
      return text;
    };
    std::stable_sort(ordered.begin() + used, ordered.end(),
                     [&](memref::GlobalOp a, memref::GlobalOp b) { return valueText(a) < valueText(b); });
    // Two rounds, so that a new name never meets an old one.
    SymbolTable symbols(module);
    for (auto [i, global] : llvm::enumerate(ordered))
      if (failed(symbols.rename(global, ("__graphc_renaming_" + llvm::Twine(i)).str())))
        return signalPassFailure();
    Block &body = module.getBodyRegion().front();
    for (auto [i, global] : llvm::enumerate(ordered)) {
      if (failed(symbols.rename(global, ("__constant_" + llvm::Twine(i)).str())))
        return signalPassFailure();
      global->moveBefore(&body, std::next(body.begin(), i));
    }
  }
};

} // namespace
