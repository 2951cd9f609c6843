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

LogicalResult GraphDialect::verifyRegionArgAttribute(Operation *op, unsigned region,
                                                     unsigned argIndex, NamedAttribute attr) {
  if (attr.getName() != getBatchMultiplesAttrName())
    return success();
  auto multiples = dyn_cast<DenseI64ArrayAttr>(attr.getValue());
  if (op->getNumRegions() <= region || op->getRegion(region).empty())
    return success();
  Value arg = op->getRegion(region).front().getArgument(argIndex);
  // A tensor, or after bufferization the memref that replaced it.
  auto type = dyn_cast<ShapedType>(arg.getType());
  if (!multiples || !type || !type.hasRank() || multiples.size() != type.getRank())
    return op->emitError() << "argument #" << argIndex << ": " << getBatchMultiplesAttrName()
                           << " must be an array<i64> with one entry per dimension of a "
                              "ranked tensor";
  for (int64_t d = 0; d < type.getRank(); ++d)
    if ((multiples[d] > 0) != type.isDynamicDim(d) || multiples[d] < 0)
      return op->emitError() << "argument #" << argIndex << ": " << getBatchMultiplesAttrName()
                             << " entry " << d << " must be "
                             << (type.isDynamicDim(d) ? "a multiple >= 1 (the dimension is "
                                                        "dynamic)"
                                                      : "0 (the dimension is static)");
  return success();
}
