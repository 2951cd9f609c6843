//===- UpdateInPlace.cpp - --graphc-update-in-place -----------------------===//

#include "graphc/Transforms/Passes.h"
#include "graphc/Dialect/Graph/GraphDialect.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace graphc {
#define GEN_PASS_DEF_UPDATEINPLACE
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

/// The output of an elementwise generic that `result` is, when it starts
/// from an uninitialized tensor: writing it into any same-typed buffer is as
/// good as into a new one. (graphc-fuse-elementwise gives one generic several
/// such outputs: an optimizer's new parameter and its new state.)
OpOperand *freshElementwiseOutput(OpResult result) {
  auto generic = dyn_cast<linalg::GenericOp>(result.getOwner());
  if (!generic || generic.getNumReductionLoops() != 0)
    return nullptr;
  OpOperand *output = generic.getDpsInitOperand(result.getResultNumber());
  if (!output->get().getDefiningOp<tensor::EmptyOp>())
    return nullptr;
  // A size-1 operand broadcast along a loop reads index 0 of it
  // (`(d0) -> (0)`, from a [1] tensor beside a [2] one): still one element
  // per iteration.
  bool permutations = llvm::all_of(generic.getIndexingMapsArray(), [](AffineMap m) {
    return m.isIdentity() || m.getNumResults() == 0 ||
           m.isProjectedPermutation(/*allowZeroInResults=*/true);
  });
  return permutations ? output : nullptr;
}

struct UpdateInPlacePass : graphc::impl::UpdateInPlaceBase<UpdateInPlacePass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    auto ret = cast<func::ReturnOp>(func.front().getTerminator());
    for (unsigned i = 0; i < func.getNumResults(); ++i) {
      auto target = func.getResultAttrOfType<IntegerAttr>(i, graphc::graph::GraphDialect::getUpdatesArgumentAttrName());
      if (!target) {
        // An argument returned as it is would bufferize to the argument's own
        // buffer and be dropped with the updated ones: return a copy.
        if (auto arg = dyn_cast<BlockArgument>(ret.getOperand(i))) {
          OpBuilder b(ret);
          // A copy takes its sizes from `arg`; alloc_tensor refuses dynamic
          // sizes given beside `copy`.
          auto type = cast<RankedTensorType>(arg.getType());
          Value copy = b.create<bufferization::AllocTensorOp>(ret.getLoc(), type, ValueRange(),
                                                              arg);
          ret.setOperand(i, copy);
        }
        continue;
      }
      unsigned argIndex = target.getInt();
      BlockArgument arg = func.getArgument(argIndex);
      auto result = dyn_cast<OpResult>(ret.getOperand(i));
      OpOperand *output = result ? freshElementwiseOutput(result) : nullptr;
      if (!output || result.getType() != arg.getType())
        continue;
      auto generic = cast<linalg::GenericOp>(result.getOwner());
      // The output map is the identity, so every element of the argument is
      // read (if at all) before it is overwritten in the same iteration.
      if (!generic.getMatchingIndexingMap(output).isIdentity())
        continue;
      for (OpOperand *input : generic.getDpsInputOperands())
        if (input->get() == arg && !generic.getMatchingIndexingMap(input).isIdentity())
          goto next;
      output->set(arg);
      func.setArgAttr(argIndex, bufferization::BufferizationDialect::kWritableAttrName,
                      BoolAttr::get(&getContext(), true));
    next:;
    }
  }
};

} // namespace
