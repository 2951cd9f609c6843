//===- FusionReport.cpp - which graph ops each loop nest computes ---------===//

#include "FusionReport.h"

#include "graphc/Transforms/Epilogues.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Support/Format.h"

using namespace mlir;

namespace {

/// The graph ops named in `loc` (`graph.relu %7`), in order, once each.
llvm::SmallVector<StringRef> graphOpsOf(Location loc) {
  llvm::SetVector<StringRef> names;
  loc->walk([&](Location part) {
    if (auto named = dyn_cast<NameLoc>(part))
      if (named.getName().getValue().starts_with("graph."))
        names.insert(named.getName().getValue());
    return WalkResult::advance();
  });
  return names.takeVector();
}

/// `linalg.generic` with what it is: its loop kinds and result count.
std::string describe(linalg::LinalgOp op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << op->getName().getStringRef();
  if (auto generic = dyn_cast<linalg::GenericOp>(op.getOperation())) {
    os << " (" << generic.getNumParallelLoops() << " parallel";
    if (unsigned reductions = generic.getNumReductionLoops())
      os << ", " << reductions << " reduction";
    os << (generic.getNumLoops() == 1 ? " loop" : " loops");
    if (generic.getNumResults() > 1)
      os << ", " << generic.getNumResults() << " results";
    os << ")";
  }
  return text;
}

} // namespace

void graphc::emitFusionReport(ModuleOp module, llvm::raw_ostream &os, bool epiloguesInTiles) {
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isExternal())
      continue;
    os << "@" << func.getSymName() << ":\n";
    unsigned nests = 0, fusedNests = 0;
    llvm::SetVector<StringRef> graphOps;
    // Epilogues already listed with their matmul or convolution.
    llvm::SmallPtrSet<Operation *, 8> listed;
    func.walk([&](linalg::LinalgOp op) {
      if (listed.contains(op))
        return;
      llvm::SmallVector<StringRef> parts = graphOpsOf(op->getLoc());
      linalg::GenericOp epilogue;
      if (auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
          generic && epiloguesInTiles)
        epilogue = tiledEpilogueOf(generic);
      if (epilogue) {
        listed.insert(epilogue);
        for (StringRef part : graphOpsOf(epilogue->getLoc()))
          if (!llvm::is_contained(parts, part))
            parts.push_back(part);
      }
      graphOps.insert(parts.begin(), parts.end());
      ++nests;
      if (parts.size() > 1)
        ++fusedNests;
      os << llvm::format("  %3u  ", nests) << llvm::left_justify(describe(op), 46);
      if (parts.empty())
        os << " (no graph op)";
      for (auto [i, part] : llvm::enumerate(parts))
        os << (i ? " + " : " ") << part;
      if (epilogue)
        os << " (epilogue in the tiles)";
      os << "\n";
    });
    os << "  " << nests << " loop nests for " << graphOps.size() << " graph ops; " << fusedNests
       << " of them compute two or more\n";
  }
}
