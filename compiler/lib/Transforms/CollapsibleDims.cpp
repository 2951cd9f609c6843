//===- CollapsibleDims.cpp - loop dims that run as one over a collapsed view ===//

#include "CollapsibleDims.h"

using namespace mlir;

namespace graphc::collapsible_dims {

FailureOr<std::optional<unsigned>> groupStart(AffineMap map, ArrayRef<unsigned> group) {
  std::optional<unsigned> start =
      map.getResultPosition(getAffineDimExpr(group.front(), map.getContext()));
  if (!start) {
    for (unsigned dim : group)
      if (map.isFunctionOfDim(dim))
        return failure();
    return std::optional<unsigned>();
  }
  for (auto [i, dim] : llvm::enumerate(group)) {
    unsigned pos = *start + i;
    if (pos >= map.getNumResults() || map.getResult(pos) != getAffineDimExpr(dim, map.getContext()))
      return failure();
  }
  // The group's dims may appear nowhere else in the map.
  for (auto [pos, expr] : llvm::enumerate(map.getResults()))
    if (pos < *start || pos >= *start + group.size())
      for (unsigned dim : group)
        if (expr.isFunctionOfDim(dim))
          return failure();
  return start;
}

SmallVector<ReassociationIndices> collapsing(unsigned rank, unsigned start, unsigned count) {
  SmallVector<ReassociationIndices> groups;
  for (unsigned d = 0; d < rank;) {
    ReassociationIndices group;
    unsigned span = d == start ? count : 1;
    for (unsigned i = 0; i < span; ++i)
      group.push_back(d + i);
    groups.push_back(group);
    d += span;
  }
  return groups;
}

bool canCollapse(linalg::GenericOp op, ArrayRef<unsigned> group, ArrayRef<OpOperand *> operands) {
  if (!op.getBody()->getOps<linalg::IndexOp>().empty())
    return false;
  for (OpOperand *operand : operands) {
    FailureOr<std::optional<unsigned>> start =
        groupStart(op.getMatchingIndexingMap(operand), group);
    if (failed(start))
      return false;
    if (!*start)
      continue;
    auto type = dyn_cast<MemRefType>(operand->get().getType());
    if (!type || !memref::CollapseShapeOp::isGuaranteedCollapsible(
                     type, collapsing(type.getRank(), **start, group.size())))
      return false;
  }
  return true;
}

} // namespace graphc::collapsible_dims
