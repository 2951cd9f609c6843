//===- AppendLoss.cpp - --graphc-append-loss -------------------------------===//
//
// The loss and eval functions of a training step, written in graph ops: the
// decompositions are op for op those of the DSL's composites (Losses.cpp,
// log_softmax in Ops.cpp), so a model trained through the driver computes
// exactly what the DSL's fit computes. One difference: the DSL's class
// losses also leave out rows labelled ignore_index (-100) and average over
// the rest; the runtime's data never has such rows (labels are checked
// against the class count before training), so the mean over every row is
// the same value.
//
//===----------------------------------------------------------------------===//

#include "graphc/Transforms/GraphOpBuilder.h"
#include "graphc/Dialect/Graph/BatchMultiples.h"
#include "graphc/Dialect/Graph/GraphDialect.h"
#include "graphc/Transforms/Passes.h"

#include "mlir/IR/SymbolTable.h"

namespace graphc {
#define GEN_PASS_DEF_APPENDLOSS
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;
using namespace graphc;
using graph::GraphDialect;

namespace {

enum class Loss { MSE, CrossEntropy, NLL, BCEWithLogits };

std::optional<Loss> parseLoss(StringRef name) {
  return llvm::StringSwitch<std::optional<Loss>>(name)
      .Case("mse", Loss::MSE)
      .Case("cross_entropy", Loss::CrossEntropy)
      .Case("nll", Loss::NLL)
      .Case("bce_with_logits", Loss::BCEWithLogits)
      .Default(std::nullopt);
}

/// A type as the user wrote it (a diagnostic would quote it).
std::string typeText(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << type;
  return text;
}

bool takesClassIndices(Loss loss) { return loss == Loss::CrossEntropy || loss == Loss::NLL; }

/// [N, C] mask of each row's label class, of `element` (nll_loss's one-hot).
Value oneHot(GraphOpBuilder &o, OpBuilder &b, Value labels, int64_t classes, Type element) {
  SmallVector<int64_t> ids;
  for (int64_t c = 0; c < classes; ++c)
    ids.push_back(c);
  Type i64 = b.getI64Type();
  Value classIds = o.constant(DenseElementsAttr::get(RankedTensorType::get({classes}, i64),
                                                     ArrayRef<int64_t>(ids)));
  int64_t rows = cast<RankedTensorType>(labels.getType()).getDimSize(0);
  Value column = o.reshape(o.to(labels, i64), {rows, 1});
  return o.to(o.eq(classIds, column), element);
}

Value logSoftmax(GraphOpBuilder &o, Value x, int64_t dim) {
  Value shifted = o.sub(x, o.amax(x, {dim}, true));
  return o.sub(shifted, o.log(o.sum(o.exp(shifted), {dim}, true)));
}

/// The loss per element (per row for the class losses).
Value perElementLoss(GraphOpBuilder &o, OpBuilder &b, Loss loss, Value prediction, Value target) {
  Type element = cast<RankedTensorType>(prediction.getType()).getElementType();
  switch (loss) {
  case Loss::MSE: {
    Value diff = o.sub(prediction, target);
    return o.mul(diff, diff);
  }
  case Loss::CrossEntropy:
  case Loss::NLL: {
    Value logProbabilities = loss == Loss::NLL ? prediction : logSoftmax(o, prediction, 1);
    int64_t classes = cast<RankedTensorType>(prediction.getType()).getDimSize(1);
    Value mask = oneHot(o, b, target, classes, element);
    return o.neg(o.sum(o.mul(logProbabilities, mask), {1}, false));
  }
  case Loss::BCEWithLogits: {
    Value positive = o.max(prediction, o.constant(0.0, element));
    Value softplus = o.log(o.add(o.exp(o.neg(o.abs(prediction))), o.constant(1.0, element)));
    return o.add(o.sub(positive, o.mul(prediction, target)), softplus);
  }
  }
  llvm_unreachable("every loss is listed");
}

/// How many rows' argmax is their label (ties count once), as a float scalar.
Value correctCount(GraphOpBuilder &o, OpBuilder &b, Value logits, Value labels) {
  Type f32 = b.getF32Type();
  Value isMax = o.to(o.eq(logits, o.amax(logits, {1}, true)), f32);
  int64_t classes = cast<RankedTensorType>(logits.getType()).getDimSize(1);
  Value hits = o.mul(isMax, oneHot(o, b, labels, classes, f32));
  return o.sumAll(o.min(o.sum(hits, {1}, false), o.constant(1.0, f32)));
}

struct AppendLossPass : graphc::impl::AppendLossBase<AppendLossPass> {
  using AppendLossBase::AppendLossBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto model = module.lookupSymbol<func::FuncOp>(function);
    if (!model || model.isExternal() || model.getNumResults() == 0) {
      module.emitError() << "no function '" << function << "' with a result to train";
      return signalPassFailure();
    }
    std::optional<Loss> kind = parseLoss(loss);
    if (!kind) {
      module.emitError() << "unknown loss '" << loss
                         << "' (mse, cross_entropy, nll or bce_with_logits)";
      return signalPassFailure();
    }
    for (StringRef name : {StringRef(lossFunction), StringRef(evalFunction)})
      if (module.lookupSymbol(name)) {
        module.emitError() << "the module already has a function '" << name << "'";
        return signalPassFailure();
      }
    if (failed(checkPrediction(model, *kind)))
      return signalPassFailure();

    // The model in training mode, where the DSL traced one (BatchNorm,
    // Dropout): the loss is built on it, eval on the model as it is.
    func::FuncOp trainingModel = model;
    for (auto f : module.getOps<func::FuncOp>())
      if (auto of = f->getAttrOfType<StringAttr>(GraphDialect::getTrainModeOfAttrName()))
        if (of.getValue() == function)
          trainingModel = f;
    if (trainingModel != model && failed(checkSameSignature(model, trainingModel)))
      return signalPassFailure();

    // Roles first: in a graph without recorded roles, requires_grad is what
    // makes an argument a parameter, and only the loss keeps it.
    for (func::FuncOp f : {model, trainingModel})
      for (unsigned i = 0; i < f.getNumArguments(); ++i)
        f.setArgAttr(i, GraphDialect::getRoleAttrName(),
                     graph::ArgumentRoleAttr::get(&getContext(), graph::argumentRole(f, i)));
    append(trainingModel, *kind, lossFunction, /*forEval=*/false);
    func::FuncOp eval = append(model, *kind, evalFunction, /*forEval=*/true);
    // Only the loss is differentiated; the models and eval stay inference functions.
    for (func::FuncOp f : {model, trainingModel, eval})
      for (unsigned i = 0; i < f.getNumArguments(); ++i)
        f.removeArgAttr(i, GraphDialect::getRequiresGradAttrName());
  }

  /// The training-mode trace takes what the model takes (and the generator
  /// state of its random ops, Dropout's, after them) and predicts the same.
  LogicalResult checkSameSignature(func::FuncOp model, func::FuncOp trainingModel) {
    ArrayRef<Type> ours = model.getArgumentTypes(), theirs = trainingModel.getArgumentTypes();
    bool same = theirs.size() >= ours.size() && theirs.take_front(ours.size()) == ours &&
                model.getResultTypes()[0] == trainingModel.getResultTypes()[0];
    for (unsigned i = ours.size(); same && i < theirs.size(); ++i)
      same = graph::argumentRole(trainingModel, i) == graph::ArgumentRole::RngState;
    if (same)
      return success();
    return trainingModel.emitError()
           << "'" << trainingModel.getName() << "', '" << function
           << "' in training mode, must take the same arguments (and its generator state) and "
              "predict the same type";
  }

  /// The prediction's refusals, at the model's return (the loss's ops are
  /// nothing the user wrote): sizes the target cannot have, a type the loss
  /// cannot take.
  LogicalResult checkPrediction(func::FuncOp model, Loss kind) {
    Operation *ret = model.front().getTerminator();
    FailureOr<graph::BatchMultipleAnalysis> multiples = graph::BatchMultipleAnalysis::run(model);
    if (failed(multiples))
      return failure();
    if (llvm::any_of(multiples->results()[0], [](int64_t k) { return k > 1; }))
      return ret->emitError() << "'" << function << "' returns a prediction of sizes "
                              << graph::formatMultiples(multiples->results()[0])
                              << "; training needs one whose dynamic sizes are the batch B, as "
                                 "the target's are (sum or reshape it)";
    auto prediction = dyn_cast<RankedTensorType>(model.getResultTypes()[0]);
    bool classes = takesClassIndices(kind);
    if (!prediction || !isa<FloatType>(prediction.getElementType()) ||
        (classes && prediction.getRank() != 2))
      return ret->emitError() << "'" << function << "' returns " << typeText(model.getResultTypes()[0])
                              << "; --loss=" << loss << " takes "
                              << (classes ? "class scores [B, C] (float, rank 2)"
                                          : "a float tensor")
                              << (classes ? " (--loss=mse takes any float prediction)" : "");
    if (classes && prediction.isDynamicDim(1))
      return ret->emitError() << "'" << function << "' returns " << typeText(prediction) << "; --loss="
                              << loss << " needs a static number of classes";
    return success();
  }

  /// `name`(model's arguments..., target): the mean loss, or for eval the
  /// summed loss and the correct count.
  func::FuncOp append(func::FuncOp model, Loss kind, StringRef name, bool forEval) {
    MLIRContext *ctx = &getContext();
    OpBuilder b(ctx);
    auto prediction = cast<RankedTensorType>(model.getResultTypes()[0]);
    Type target = takesClassIndices(kind)
                      ? RankedTensorType::get({prediction.getDimSize(0)}, b.getI64Type())
                      : Type(prediction);
    SmallVector<Type> inputs(model.getArgumentTypes());
    inputs.push_back(target);
    Type scalar = RankedTensorType::get({}, prediction.getElementType());
    SmallVector<Type> results{scalar};
    if (forEval)
      results.push_back(RankedTensorType::get({}, b.getF32Type()));
    // The buffers the model updates (BatchNorm's running statistics in
    // training mode) are the loss's to update too: same arguments, same
    // positions. Eval calls the model for its prediction only.
    SmallVector<unsigned> updates;
    if (!forEval)
      for (unsigned r = 1; r < model.getNumResults(); ++r)
        if (model.getResultAttr(r, GraphDialect::getUpdatesArgumentAttrName())) {
          updates.push_back(r);
          results.push_back(model.getResultTypes()[r]);
        }

    b.setInsertionPointToEnd(getOperation().getBody());
    Location loc = NameLoc::get(b.getStringAttr(name), model.getLoc());
    auto func = b.create<func::FuncOp>(loc, name, b.getFunctionType(inputs, results));
    for (unsigned i = 0; i < model.getNumArguments(); ++i)
      func.setArgAttrs(i, model.getArgAttrDict(i));
    unsigned t = inputs.size() - 1;
    func.setArgAttr(t, GraphDialect::getNameAttrName(), b.getStringAttr("target"));
    func.setArgAttr(t, GraphDialect::getRoleAttrName(),
                    graph::ArgumentRoleAttr::get(ctx, graph::ArgumentRole::Target));
    Block *entry = func.addEntryBlock();
    b.setInsertionPointToEnd(entry);
    GraphOpBuilder o(b, loc);
    auto call = b.create<func::CallOp>(loc, model, entry->getArguments().drop_back());
    Value perElement = perElementLoss(o, b, kind, call.getResult(0), entry->getArgument(t));
    SmallVector<Value> returned;
    // A scalar prediction's loss is already reduced (the DSL's reduce()).
    bool scalarLoss = cast<RankedTensorType>(perElement.getType()).getRank() == 0;
    returned.push_back(scalarLoss ? perElement
                                  : forEval ? o.sumAll(perElement) : o.meanAll(perElement));
    if (forEval)
      returned.push_back(takesClassIndices(kind)
                             ? correctCount(o, b, call.getResult(0), entry->getArgument(t))
                             : o.constant(0.0, b.getF32Type()));
    for (unsigned r : updates) {
      func.setResultAttrs(returned.size(), model.getResultAttrDict(r));
      returned.push_back(call.getResult(r));
    }
    b.create<func::ReturnOp>(loc, returned);
    return func;
  }
};

} // namespace
