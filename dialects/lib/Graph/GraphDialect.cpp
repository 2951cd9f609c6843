//===- GraphDialect.cpp - the graph dialect -------------------------------===//

#include "graphc/Dialect/Graph/GraphDialect.h"
#include "graphc/Dialect/Graph/GraphOps.h"

#include "mlir/Transforms/InliningUtils.h"

using namespace mlir;
using namespace graphc::graph;

#include "graphc/Dialect/Graph/GraphOpsDialect.cpp.inc"
#include "graphc/Dialect/Graph/GraphInterfaces.cpp.inc"

namespace {
/// Graph ops are pure tensor computations with no regions: any of them can
/// be inlined (the driver inlines a traced model into its loss function).
struct GraphInlinerInterface : DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;
  bool isLegalToInline(Operation *, Operation *, bool) const final { return true; }
  bool isLegalToInline(Region *, Region *, bool, IRMapping &) const final { return true; }
  bool isLegalToInline(Operation *, Region *, bool, IRMapping &) const final { return true; }
};
} // namespace

void GraphDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "graphc/Dialect/Graph/GraphOps.cpp.inc"
      >();
  addInterfaces<GraphInlinerInterface>();
}

Operation *GraphDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                             Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return builder.create<ConstantOp>(loc, type, elements);
}
