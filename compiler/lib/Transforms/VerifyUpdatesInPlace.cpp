//===- VerifyUpdatesInPlace.cpp - --graphc-verify-updates-in-place --------===//

#include "graphc/Transforms/Passes.h"
#include "graphc/Dialect/Graph/GraphDialect.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace graphc {
#define GEN_PASS_DEF_VERIFYUPDATESINPLACE
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

/// `value` with memref.casts looked through, as
/// --drop-equivalent-buffer-results does when it matches a result to an
/// argument.
Value throughCasts(Value value) {
  while (auto cast = value.getDefiningOp<memref::CastOp>())
    value = cast.getSource();
  return value;
}

struct VerifyUpdatesInPlacePass
    : graphc::impl::VerifyUpdatesInPlaceBase<VerifyUpdatesInPlacePass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    unsigned updated = 0, notInPlace = 0;
    std::string which;
    func.walk([&](func::ReturnOp ret) {
      for (unsigned i = 0; i < func.getNumResults(); ++i) {
        auto target = func.getResultAttrOfType<IntegerAttr>(i, graphc::graph::GraphDialect::getUpdatesArgumentAttrName());
        if (!target)
          continue;
        ++updated;
        Value returned = throughCasts(ret.getOperand(i));
        if (returned == func.getArgument(target.getInt()))
          continue;
        ++notInPlace;
        auto name = func.getArgAttrOfType<StringAttr>(target.getInt(), graphc::graph::GraphDialect::getNameAttrName());
        which += (which.empty() ? "" : ", ") +
                 (name ? "'" + name.str() + "'" : "argument #" + std::to_string(target.getInt()));
      }
    });
    if (notInPlace == 0)
      return;
    // The compiled signature would keep these results, and no longer be the
    // one the graph's callers (program objects, headers) were promised.
    func.emitError() << "'" << func.getName() << "': " << notInPlace << " of " << updated
                     << " updated arguments could not be updated in place (" << which << ")";
    signalPassFailure();
  }
};

} // namespace
