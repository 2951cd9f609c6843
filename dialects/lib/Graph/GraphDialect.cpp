//===- GraphDialect.cpp - the graph dialect -------------------------------===//

#include "graphc/Dialect/Graph/GraphDialect.h"
#include "graphc/Dialect/Graph/GraphOps.h"

#include "mlir/Transforms/InliningUtils.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace graphc::graph;

#include "graphc/Dialect/Graph/GraphOpsDialect.cpp.inc"
#include "graphc/Dialect/Graph/GraphInterfaces.cpp.inc"
#include "graphc/Dialect/Graph/GraphEnums.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "graphc/Dialect/Graph/GraphAttributes.cpp.inc"

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
  addAttributes<
#define GET_ATTRDEF_LIST
#include "graphc/Dialect/Graph/GraphAttributes.cpp.inc"
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
  StringRef name = attr.getName().getValue();
  Attribute value = attr.getValue();
  auto fail = [&](const char *expected) -> LogicalResult {
    return op->emitError() << "argument #" << argIndex << ": " << name << " must be "
                           << expected;
  };
  if (name == getNameAttrName())
    return isa<StringAttr>(value) ? success() : fail("a string");
  if (name == getRoleAttrName())
    return isa<ArgumentRoleAttr>(value) ? success() : fail("a #graph.role<...>");
  if (name == getRequiresGradAttrName() || name == getArenaAttrName())
    return isa<UnitAttr>(value) ? success() : fail("a unit attribute");
  if (name == getInitBoundAttrName()) {
    auto bound = dyn_cast<FloatAttr>(value);
    return bound && bound.getValueAsDouble() > 0 ? success() : fail("a float above 0");
  }
  if (name == getInitValueAttrName()) {
    auto elements = dyn_cast<DenseElementsAttr>(value);
    if (op->getNumRegions() <= region || op->getRegion(region).empty())
      return elements ? success() : fail("dense elements");
    // The argument's tensor type, or after bufferization its memref's.
    auto type = dyn_cast<ShapedType>(op->getRegion(region).front().getArgument(argIndex).getType());
    if (!elements || !type || elements.getType().getShape() != type.getShape() ||
        elements.getElementType() != type.getElementType())
      return op->emitError() << "argument #" << argIndex << ": " << name
                             << " must be dense elements of the argument's type " << type;
    return success();
  }
  if (name != getBatchMultiplesAttrName())
    return op->emitError() << "argument #" << argIndex << ": unknown attribute " << name
                           << " of the graph dialect";
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

LogicalResult GraphDialect::verifyRegionResultAttribute(Operation *op, unsigned region,
                                                        unsigned resultIndex,
                                                        NamedAttribute attr) {
  if (attr.getName() == getNameAttrName() && isa<StringAttr>(attr.getValue()))
    return success();
  if (attr.getName() == getUpdatesArgumentAttrName()) {
    auto index = dyn_cast<IntegerAttr>(attr.getValue());
    int64_t arguments = op->getNumRegions() > region && !op->getRegion(region).empty()
                            ? op->getRegion(region).getNumArguments()
                            : INT64_MAX;
    if (index && index.getInt() >= 0 && index.getInt() < arguments)
      return success();
    return op->emitError() << "result #" << resultIndex << ": " << attr.getName().getValue()
                           << " must be the index of an argument";
  }
  // What a result that is not the entry point's own output carries back to
  // the caller: a parameter's gradient, or the new value of a buffer or
  // generator state that the caller writes back itself.
  if (attr.getName() == getRoleAttrName()) {
    auto role = dyn_cast<ArgumentRoleAttr>(attr.getValue());
    if (role && (role.getValue() == ArgumentRole::Gradient ||
                 role.getValue() == ArgumentRole::Buffer ||
                 role.getValue() == ArgumentRole::RngState))
      return success();
    return op->emitError() << "result #" << resultIndex << ": " << attr.getName().getValue()
                           << " must be #graph.role<gradient>, <buffer> or <rng_state>";
  }
  if (attr.getName() == getNameAttrName())
    return op->emitError() << "result #" << resultIndex << ": " << attr.getName().getValue()
                           << " must be a string";
  return op->emitError() << "result #" << resultIndex << ": unknown attribute "
                         << attr.getName().getValue() << " of the graph dialect";
}

LogicalResult GraphDialect::verifyOperationAttribute(Operation *op, NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  Attribute value = attr.getValue();
  auto fail = [&](const char *expected) -> LogicalResult {
    return op->emitError() << name << " must be " << expected;
  };
  if (name == getGradientOfAttrName() || name == getLossAttrName() ||
      name == getOptimizerAttrName() || name == getTrainModeOfAttrName())
    return isa<StringAttr>(value) ? success() : fail("a string");
  if (name == getIndependentIterationsAttrName() || name == getUnrollAndJamAttrName())
    return isa<UnitAttr>(value) ? success() : fail("a unit attribute");
  if (name == getOptimizerOptionsAttrName())
    return isa<DictionaryAttr>(value) ? success() : fail("a dictionary");
  if (name == getArenaBytesAttrName()) {
    auto bytes = dyn_cast<DenseI64ArrayAttr>(value);
    return bytes && bytes.size() == 2 && bytes[0] >= 0 && bytes[1] >= 0
               ? success()
               : fail("array<i64: perBatch, fixed> of sizes >= 0");
  }
  return op->emitError() << "unknown attribute " << name << " of the graph dialect";
}

ArgumentRole graphc::graph::argumentRole(FunctionOpInterface function, unsigned index) {
  if (auto role = function.getArgAttrOfType<ArgumentRoleAttr>(index,
                                                              GraphDialect::getRoleAttrName()))
    return role.getValue();
  bool parameter = function.getArgAttr(index, GraphDialect::getRequiresGradAttrName()) ||
                   function.getArgAttr(index, GraphDialect::getInitBoundAttrName()) ||
                   function.getArgAttr(index, GraphDialect::getInitValueAttrName());
  return parameter ? ArgumentRole::Parameter : ArgumentRole::Input;
}
