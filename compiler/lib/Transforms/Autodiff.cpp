//===- Autodiff.cpp - --graphc-autodiff -----------------------------------===//
//
// Reverse accumulation over the graph dialect. The forward ops are cloned
// into the gradient function, so the backward ops read the activations
// directly; canonicalization later removes whatever the gradients do not
// need.
//
//===----------------------------------------------------------------------===//

#include "graphc/Dialect/Graph/BatchMultiples.h"
#include "graphc/Dialect/Graph/GraphOps.h"
#include "graphc/Transforms/GraphOpBuilder.h"
#include "graphc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseSet.h"

namespace graphc {
#define GEN_PASS_DEF_AUTODIFF
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;
using namespace graphc::graph;

namespace {

constexpr llvm::StringLiteral kRequiresGrad = GraphDialect::getRequiresGradAttrName();
constexpr llvm::StringLiteral kName = GraphDialect::getNameAttrName();

/// Adds gradient contributions, reconciling static and dynamic sizes.
Value accumulate(OpBuilder &b, Location loc, Value existing, Value contribution, Type type) {
  Value sum = existing ? b.create<AddOp>(loc, existing, contribution).getResult() : contribution;
  if (sum.getType() != type)
    sum = b.create<ReshapeOp>(loc, type, sum);
  return sum;
}

LogicalResult differentiate(func::FuncOp forward, StringRef suffix) {
  MLIRContext *ctx = forward.getContext();
  Location loc = forward.getLoc();
  if (forward.getNumResults() == 0)
    return forward.emitError("cannot differentiate a function without results");
  auto output = dyn_cast<RankedTensorType>(forward.getResultTypes()[0]);
  if (!output || !isa<FloatType>(output.getElementType()))
    return forward.emitError("the differentiated (first) result must be a float tensor");
  bool scalarOutput = output.getRank() == 0;

  OpBuilder b(ctx);
  b.setInsertionPointAfter(forward);
  SmallVector<Type> inputs(forward.getArgumentTypes());
  if (!scalarOutput)
    inputs.push_back(output);
  auto gradFunc = b.create<func::FuncOp>(loc, (forward.getName() + suffix).str(),
                                         b.getFunctionType(inputs, {}));
  gradFunc->setAttr(GraphDialect::getGradientOfAttrName(), b.getStringAttr(forward.getName()));
  Block *entry = gradFunc.addEntryBlock();
  for (unsigned i = 0; i < forward.getNumArguments(); ++i)
    gradFunc.setArgAttrs(i, forward.getArgAttrDict(i));
  if (!scalarOutput) {
    gradFunc.setArgAttr(inputs.size() - 1, kName, b.getStringAttr("grad_output"));
    // grad_output has the result's sizes, which may be other multiples of the
    // batch than B (a concat along it returns 2B rows).
    FailureOr<BatchMultipleAnalysis> multiples = BatchMultipleAnalysis::run(forward);
    if (failed(multiples))
      return failure();
    ArrayRef<int64_t> resultMultiples = multiples->results()[0];
    if (llvm::any_of(resultMultiples, [](int64_t k) { return k > 1; }))
      gradFunc.setArgAttr(inputs.size() - 1, GraphDialect::getBatchMultiplesAttrName(),
                          b.getDenseI64ArrayAttr(resultMultiples));
  }

  // Forward: clone the body.
  IRMapping mapping;
  for (unsigned i = 0; i < forward.getNumArguments(); ++i)
    mapping.map(forward.getArgument(i), entry->getArgument(i));
  b.setInsertionPointToEnd(entry);
  SmallVector<Operation *> ops;
  func::ReturnOp forwardReturn;
  for (Operation &op : forward.front()) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      forwardReturn = ret;
      continue;
    }
    ops.push_back(b.clone(op, mapping));
  }
  SmallVector<Value> results;
  for (Value v : forwardReturn.getOperands())
    results.push_back(mapping.lookupOrDefault(v));

  // Activity: which values depend on an argument that requires a gradient.
  llvm::DenseSet<Value> active;
  SmallVector<BlockArgument> wrt;
  for (unsigned i = 0; i < forward.getNumArguments(); ++i)
    if (forward.getArgAttr(i, kRequiresGrad)) {
      wrt.push_back(entry->getArgument(i));
      active.insert(entry->getArgument(i));
    }
  for (Operation *op : ops)
    if (!isa<DetachOp>(op) && // a detached value carries no gradient
        llvm::any_of(op->getOperands(), [&](Value v) { return active.contains(v); }))
      for (Value r : op->getResults())
        active.insert(r);

  // Backward: seed, then every op in reverse.
  llvm::DenseMap<Value, Value> grads;
  if (active.contains(results[0])) {
    Value seed;
    if (scalarOutput)
      seed = b.create<ConstantOp>(
          loc, DenseElementsAttr::get(output, b.getFloatAttr(output.getElementType(), 1.0)));
    else
      seed = entry->getArguments().back();
    grads[results[0]] = seed;
  }
  for (Operation *op : llvm::reverse(ops)) {
    if (!active.contains(op->getResult(0)))
      continue;
    SmallVector<Value> resultGrads;
    bool any = false;
    for (Value r : op->getResults()) {
      resultGrads.push_back(grads.lookup(r));
      any |= resultGrads.back() != nullptr;
    }
    if (!any)
      continue;
    auto rule = dyn_cast<GradientOpInterface>(op);
    if (!rule)
      return op->emitOpError("has no gradient rule; cannot differentiate '")
             << forward.getName() << "' through it";
    SmallVector<Value> operandGrads;
    b.setInsertionPointToEnd(entry);
    if (failed(rule.buildGradients(b, resultGrads, operandGrads)))
      return failure();
    if (operandGrads.size() != op->getNumOperands())
      return op->emitOpError("gradient rule returned ")
             << operandGrads.size() << " gradients for " << op->getNumOperands() << " operands";
    for (auto [operand, grad] : llvm::zip(op->getOperands(), operandGrads))
      if (grad && active.contains(operand))
        grads[operand] = accumulate(b, op->getLoc(), grads.lookup(operand), grad,
                                    operand.getType());
  }

  // Return the results, then one gradient per marked argument.
  b.setInsertionPointToEnd(entry);
  SmallVector<Value> returned(results);
  SmallVector<Attribute> resultNames;
  // The forward's results keep what it says of them: a buffer's new value
  // stays tied to its argument (graph.updates_argument), which the gradient
  // function takes at the same position.
  for (unsigned i = 0; i < results.size(); ++i) {
    DictionaryAttr attrs = forward.getResultAttrDict(i);
    resultNames.push_back(attrs ? attrs : b.getDictionaryAttr({}));
  }
  for (BlockArgument arg : wrt) {
    Value g = grads.lookup(arg);
    returned.push_back(g ? g : graphc::GraphOpBuilder(b, loc).zerosLike(arg));
    auto name = forward.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kName);
    std::string gradName =
        "grad." + (name ? name.str() : "arg" + std::to_string(arg.getArgNumber()));
    resultNames.push_back(b.getDictionaryAttr(b.getNamedAttr(kName, b.getStringAttr(gradName))));
  }
  b.create<func::ReturnOp>(loc, returned);
  SmallVector<Type> resultTypes;
  for (Value v : returned)
    resultTypes.push_back(v.getType());
  gradFunc.setType(b.getFunctionType(inputs, resultTypes));
  gradFunc.setAllResultAttrs(resultNames);
  return success();
}

struct AutodiffPass : graphc::impl::AutodiffBase<AutodiffPass> {
  using AutodiffBase::AutodiffBase;
  void runOnOperation() override {
    SmallVector<func::FuncOp> targets;
    getOperation().walk([&](func::FuncOp f) {
      if (f.isPublic() && !f.isExternal() && !f->hasAttr(GraphDialect::getGradientOfAttrName()) &&
          llvm::any_of(llvm::seq(0u, f.getNumArguments()),
                       [&](unsigned i) { return f.getArgAttr(i, kRequiresGrad) != nullptr; }))
        targets.push_back(f);
    });
    for (func::FuncOp f : targets)
      if (failed(differentiate(f, suffix)))
        return signalPassFailure();
  }
};

} // namespace
