//===- SpecializeBatch.cpp - --graphc-specialize-batch --------------------===//

#include "graphc/Dialect/Graph/GraphOps.h"
#include "graphc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"

namespace graphc {
#define GEN_PASS_DEF_SPECIALIZEBATCH
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;
using namespace graphc::graph;

namespace {

RankedTensorType withShape(RankedTensorType type, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, type.getElementType());
}

/// The result type `op` has once its operands are specialized, or failure.
FailureOr<Type> refinedType(Operation *op) {
  auto result = cast<RankedTensorType>(op->getResult(0).getType());
  if (auto infer = dyn_cast<InferTypeOpInterface>(op)) {
    SmallVector<Type> types;
    if (failed(infer.inferReturnTypes(op->getContext(), op->getLoc(), op->getOperands(),
                                      op->getAttrDictionary(), op->getPropertiesStorage(),
                                      op->getRegions(), types)))
      return failure();
    return types[0];
  }
  if (op->hasTrait<OpTrait::SameOperandsAndResultType>() || isa<CastOp>(op)) {
    auto in = cast<RankedTensorType>(op->getOperand(0).getType());
    return Type(withShape(result, in.getShape()));
  }
  SmallVector<int64_t> shape(result.getShape());
  if (auto reshape = dyn_cast<ReshapeOp>(op)) {
    auto in = cast<RankedTensorType>(reshape.getInput().getType());
    if (!in.hasStaticShape() || result.hasStaticShape())
      return Type(result);
    int64_t known = 1;
    for (int64_t d : shape)
      if (!ShapedType::isDynamic(d))
        known *= d;
    for (int64_t &d : shape)
      if (ShapedType::isDynamic(d))
        d = known ? in.getNumElements() / known : 0;
    return Type(withShape(result, shape));
  }
  if (auto broadcast = dyn_cast<BroadcastToOp>(op)) {
    auto in = cast<RankedTensorType>(broadcast.getInput().getType());
    int64_t lead = shape.size() - in.getRank();
    for (int64_t i = 0; i < (int64_t)shape.size(); ++i) {
      if (!ShapedType::isDynamic(shape[i]))
        continue;
      if (i >= lead && !ShapedType::isDynamic(in.getDimSize(i - lead)) &&
          in.getDimSize(i - lead) != 1)
        shape[i] = in.getDimSize(i - lead);
      else if (Value like = broadcast.getLike())
        shape[i] = cast<RankedTensorType>(like.getType()).getDimSize(i);
    }
    return Type(withShape(result, shape));
  }
  return Type(result);
}

struct SpecializeBatchPass : graphc::impl::SpecializeBatchBase<SpecializeBatchPass> {
  using SpecializeBatchBase::SpecializeBatchBase;
  void runOnOperation() override {
    auto func = getOperation().lookupSymbol<func::FuncOp>(function);
    if (!func) {
      getOperation().emitError("no function '") << function << "' to specialize";
      return signalPassFailure();
    }
    if (batch < 1) {
      func.emitError("--batch must be at least 1, got ") << static_cast<int64_t>(batch);
      return signalPassFailure();
    }
    Block &entry = func.front();
    for (BlockArgument arg : entry.getArguments()) {
      auto type = dyn_cast<RankedTensorType>(arg.getType());
      if (!type || type.getRank() == 0 || !type.isDynamicDim(0))
        continue;
      SmallVector<int64_t> shape(type.getShape());
      shape[0] = batch;
      arg.setType(withShape(type, shape));
    }
    WalkResult walk = func.walk([&](Operation *op) {
      if (op->getNumResults() != 1 || !isa<RankedTensorType>(op->getResult(0).getType()))
        return WalkResult::advance();
      FailureOr<Type> type = refinedType(op);
      if (failed(type))
        return WalkResult::interrupt();
      op->getResult(0).setType(*type);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    auto ret = cast<func::ReturnOp>(entry.getTerminator());
    func.setType(FunctionType::get(&getContext(), entry.getArgumentTypes(),
                                   ret.getOperandTypes()));
  }
};

} // namespace
