//===- GraphDialect.cpp - the graph dialect -------------------------------===//

#include "graphc/Dialect/Graph/GraphDialect.h"
#include "graphc/Dialect/Graph/GraphOps.h"

using namespace mlir;
using namespace graphc::graph;

#include "graphc/Dialect/Graph/GraphOpsDialect.cpp.inc"
#include "graphc/Dialect/Graph/GraphInterfaces.cpp.inc"

void GraphDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "graphc/Dialect/Graph/GraphOps.cpp.inc"
      >();
}

Operation *GraphDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                             Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return builder.create<ConstantOp>(loc, type, elements);
}
