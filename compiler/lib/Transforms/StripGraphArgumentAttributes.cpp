//===- StripGraphArgumentAttributes.cpp - --graphc-strip-graph-argument-attributes -===//

#include "graphc/Transforms/Passes.h"
#include "graphc/Dialect/Graph/GraphDialect.h"

namespace graphc {
#define GEN_PASS_DEF_STRIPGRAPHARGUMENTATTRIBUTES
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

SmallVector<NamedAttribute> withoutGraphAttributes(DictionaryAttr attrs) {
  SmallVector<NamedAttribute> kept;
  if (attrs)
    for (NamedAttribute a : attrs)
      if (a.getName().strref().split('.').first != graphc::graph::GraphDialect::getDialectNamespace())
        kept.push_back(a);
  return kept;
}

struct StripGraphArgumentAttributesPass
    : graphc::impl::StripGraphArgumentAttributesBase<StripGraphArgumentAttributesPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      func.setArgAttrs(i, withoutGraphAttributes(func.getArgAttrDict(i)));
    for (unsigned i = 0; i < func.getNumResults(); ++i)
      func.setResultAttrs(i, withoutGraphAttributes(func.getResultAttrDict(i)));
  }
};

} // namespace
