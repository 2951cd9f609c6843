//===- NumberConstantGlobals.cpp - --graphc-number-constant-globals -------===//

#include "graphc/Transforms/Passes.h"

#include "mlir/IR/AttrTypeSubElements.h"
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
    std::stable_sort(
        ordered.begin() + used, ordered.end(),
        [&](memref::GlobalOp a, memref::GlobalOp b) { return valueText(a) < valueText(b); });
    // All uses renamed in one walk of the module: SymbolTable::rename walks
    // the module for every symbol it renames, and two rounds of it (so that
    // a new name never met an old one) took 0.2 s of LeNet's training graph.
    MLIRContext *ctx = module.getContext();
    llvm::StringMap<StringAttr> newNames;
    for (auto [i, global] : llvm::enumerate(ordered))
      newNames[global.getSymName()] = StringAttr::get(ctx, "__constant_" + llvm::Twine(i));
    llvm::DenseSet<StringAttr> taken;
    for (auto &entry : newNames)
      taken.insert(entry.second);
    for (Operation &op : module.getBody()->getOperations())
      if (auto symbol = dyn_cast<SymbolOpInterface>(op))
        if (!newNames.count(symbol.getName()) && taken.contains(symbol.getNameAttr())) {
          op.emitError("symbol '")
              << symbol.getName() << "' has a name that a numbered constant global takes";
          return signalPassFailure();
        }
    AttrTypeReplacer replacer;
    replacer.addReplacement([&](FlatSymbolRefAttr ref) -> std::optional<Attribute> {
      auto it = newNames.find(ref.getValue());
      if (it == newNames.end())
        return std::nullopt;
      return FlatSymbolRefAttr::get(it->second);
    });
    replacer.recursivelyReplaceElementsIn(module, /*replaceAttrs=*/true, /*replaceLocs=*/false,
                                          /*replaceTypes=*/false);
    Block &body = module.getBodyRegion().front();
    Operation *previous = nullptr;
    for (memref::GlobalOp global : ordered) {
      global.setSymName(newNames[global.getSymName()].getValue());
      if (previous)
        global->moveAfter(previous);
      else
        global->moveBefore(&body, body.begin());
      previous = global;
    }
  }
};

} // namespace
