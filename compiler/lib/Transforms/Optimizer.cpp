//===- Optimizer.cpp - --graphc-optimizer ---------------------------------===//
//
// Appends `train_step`: the gradient function's body followed by the update
// of every trained parameter, written as graph ops so the update is fused,
// lowered and compiled with the rest. Scalar hyperparameter arithmetic (bias
// corrections, step sizes) is done in float64 from the f64 `step` and `lr`
// arguments and rounded once to the parameter's type, as torch.optim does
// with Python floats.
//
//===----------------------------------------------------------------------===//

#include "graphc/Dialect/Graph/GraphOps.h"
#include "graphc/Transforms/Passes.h"
#include "graphc/Transforms/GraphOpBuilder.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace graphc {
#define GEN_PASS_DEF_OPTIMIZER
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;
using namespace graphc::graph;

namespace {

constexpr llvm::StringLiteral kName = graphc::graph::GraphDialect::getNameAttrName();

using Ops = graphc::GraphOpBuilder;

struct Hyper {
  std::string optimizer;
  double momentum, dampening, weightDecay, beta1, beta2, eps;
  bool nesterov;
  double alpha;
  bool centered;
  double lrDecay, initialAccumulatorValue;
  bool dataParallel;
};

/// The names of the state tensors each parameter carries, in torch.optim's
/// state order.
SmallVector<std::string> stateNames(const Hyper &h) {
  if (h.optimizer == "sgd")
    return h.momentum != 0 ? SmallVector<std::string>{"momentum_buffer"}
                           : SmallVector<std::string>{};
  if (h.optimizer == "rmsprop") {
    SmallVector<std::string> names{"square_avg"};
    if (h.momentum > 0)
      names.push_back("momentum_buffer");
    if (h.centered)
      names.push_back("grad_avg");
    return names;
  }
  if (h.optimizer == "adagrad")
    return {"sum"};
  return {"exp_avg", "exp_avg_sq"};
}

/// torch.optim.SGD, single-tensor path: returns the new parameter and state.
void sgdUpdate(Ops &o, const Hyper &h, Value p, Value g, ArrayRef<Value> state, Value step,
               Value lr, SmallVectorImpl<Value> &out) {
  Type t = cast<RankedTensorType>(p.getType()).getElementType();
  Value d = g;
  if (h.weightDecay != 0)
    d = o.add(d, o.mul(p, o.constant(h.weightDecay, t)));
  Value newBuffer;
  if (h.momentum != 0) {
    // The buffer starts as a copy of the first step's gradient (no dampening).
    Value dampened = h.dampening != 0 ? o.mul(d, o.constant(1 - h.dampening, t)) : d;
    Value later = o.add(o.mul(state[0], o.constant(h.momentum, t)), dampened);
    Value first = o.eq(step, o.constant(0, cast<RankedTensorType>(step.getType()).getElementType()));
    newBuffer = o.select(first, d, later);
    d = h.nesterov ? o.add(d, o.mul(newBuffer, o.constant(h.momentum, t))) : newBuffer;
  }
  out.push_back(o.sub(p, o.mul(d, o.to(lr, t))));
  if (newBuffer)
    out.push_back(newBuffer);
}

/// torch.optim.Adam / AdamW, single-tensor path.
void adamUpdate(Ops &o, const Hyper &h, Value p, Value g, ArrayRef<Value> state, Value step,
                Value lr, SmallVectorImpl<Value> &out) {
  Type t = cast<RankedTensorType>(p.getType()).getElementType();
  Type f64 = cast<RankedTensorType>(step.getType()).getElementType();
  Value m = state[0], v = state[1];
  bool decoupled = h.optimizer == "adamw";
  if (h.weightDecay != 0) {
    if (decoupled) // param.mul_(1 - lr * weight_decay)
      p = o.mul(p, o.to(o.sub(o.constant(1, f64), o.mul(lr, o.constant(h.weightDecay, f64))), t));
    else // grad = grad.add(param, alpha=weight_decay)
      g = o.add(g, o.mul(p, o.constant(h.weightDecay, t)));
  }
  // exp_avg.lerp_(grad, 1 - beta1); exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)
  Value newM = o.add(m, o.mul(o.sub(g, m), o.constant(1 - h.beta1, t)));
  Value newV = o.add(o.mul(v, o.constant(h.beta2, t)), o.mul(o.mul(g, g), o.constant(1 - h.beta2, t)));
  Value count = o.add(step, o.constant(1, f64));
  Value correction1 = o.sub(o.constant(1, f64), o.pow(o.constant(h.beta1, f64), count));
  Value correction2 = o.sub(o.constant(1, f64), o.pow(o.constant(h.beta2, f64), count));
  Value stepSize = o.to(o.div(lr, correction1), t);
  Value denom = o.add(o.div(o.sqrt(newV), o.to(o.sqrt(correction2), t)), o.constant(h.eps, t));
  out.push_back(o.sub(p, o.mul(o.div(newM, denom), stepSize)));
  out.push_back(newM);
  out.push_back(newV);
}

/// torch.optim.RMSprop, single-tensor path.
void rmspropUpdate(Ops &o, const Hyper &h, Value p, Value g, ArrayRef<Value> state, Value lr,
                   SmallVectorImpl<Value> &out) {
  Type t = cast<RankedTensorType>(p.getType()).getElementType();
  if (h.weightDecay != 0)
    g = o.add(g, o.mul(p, o.constant(h.weightDecay, t)));
  unsigned next = 0;
  Value squareAvg = state[next++];
  Value buffer = h.momentum > 0 ? state[next++] : Value();
  Value gradAvg = h.centered ? state[next++] : Value();
  // square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
  Value newSquareAvg =
      o.add(o.mul(squareAvg, o.constant(h.alpha, t)), o.mul(o.mul(g, g), o.constant(1 - h.alpha, t)));
  Value newGradAvg, avg;
  if (h.centered) {
    // grad_avg.lerp_(grad, 1 - alpha); avg = (square_avg - grad_avg^2).sqrt()
    newGradAvg = o.add(gradAvg, o.mul(o.sub(g, gradAvg), o.constant(1 - h.alpha, t)));
    avg = o.sqrt(o.sub(newSquareAvg, o.mul(newGradAvg, newGradAvg)));
  } else {
    avg = o.sqrt(newSquareAvg);
  }
  avg = o.add(avg, o.constant(h.eps, t));
  Value newBuffer;
  Value direction = o.div(g, avg);
  if (h.momentum > 0) // buf.mul_(momentum).addcdiv_(grad, avg); param.add_(buf, alpha=-lr)
    direction = newBuffer = o.add(o.mul(buffer, o.constant(h.momentum, t)), direction);
  out.push_back(o.sub(p, o.mul(direction, o.to(lr, t))));
  out.push_back(newSquareAvg);
  if (newBuffer)
    out.push_back(newBuffer);
  if (newGradAvg)
    out.push_back(newGradAvg);
}

/// torch.optim.Adagrad, single-tensor path. The program starts every state
/// at zero, so the first step adds initial_accumulator_value itself.
void adagradUpdate(Ops &o, const Hyper &h, Value p, Value g, ArrayRef<Value> state, Value step,
                   Value lr, SmallVectorImpl<Value> &out) {
  Type t = cast<RankedTensorType>(p.getType()).getElementType();
  Type f64 = cast<RankedTensorType>(step.getType()).getElementType();
  if (h.weightDecay != 0)
    g = o.add(g, o.mul(p, o.constant(h.weightDecay, t)));
  // clr = lr / (1 + (step - 1) * lr_decay), step counted from 1: our step
  // argument counts completed steps, so it is step - 1 already.
  Value clr = o.div(lr, o.add(o.constant(1, f64), o.mul(step, o.constant(h.lrDecay, f64))));
  Value sum = state[0];
  if (h.initialAccumulatorValue != 0)
    sum = o.select(o.eq(step, o.constant(0, f64)), o.add(sum, o.constant(h.initialAccumulatorValue, t)),
                   sum);
  Value newSum = o.add(sum, o.mul(g, g));
  Value std = o.add(o.sqrt(newSum), o.constant(h.eps, t));
  out.push_back(o.sub(p, o.mul(o.div(g, std), o.to(clr, t))));
  out.push_back(newSum);
}

/// The optimizer's update of one parameter: its new value, then its new
/// state in stateNames' order.
SmallVector<Value> updateParameter(Ops &o, const Hyper &h, Value p, Value g, ArrayRef<Value> state,
                                   Value step, Value lr) {
  SmallVector<Value> updated;
  if (h.optimizer == "sgd")
    sgdUpdate(o, h, p, g, state, step, lr, updated);
  else if (h.optimizer == "rmsprop")
    rmspropUpdate(o, h, p, g, state, lr, updated);
  else if (h.optimizer == "adagrad")
    adagradUpdate(o, h, p, g, state, step, lr, updated);
  else
    adamUpdate(o, h, p, g, state, step, lr, updated);
  return updated;
}

/// A function `name` of `argTypes` with `argAttrs`, after `after`, with its
/// entry block as the builder's insertion point.
func::FuncOp startFunction(OpBuilder &b, Operation *after, Location loc, StringRef name,
                           ArrayRef<Type> argTypes, ArrayRef<DictionaryAttr> argAttrs) {
  b.setInsertionPointAfter(after);
  auto f = b.create<func::FuncOp>(loc, name, b.getFunctionType(argTypes, {}));
  f.setAllArgAttrs(argAttrs);
  b.setInsertionPointToEnd(f.addEntryBlock());
  return f;
}

/// Returns `results` with `resultAttrs` from `f`, whose type it completes.
void finishFunction(OpBuilder &b, func::FuncOp f, Location loc, ArrayRef<Value> results,
                    ArrayRef<Attribute> resultAttrs) {
  b.create<func::ReturnOp>(loc, results);
  SmallVector<Type> resultTypes;
  for (Value v : results)
    resultTypes.push_back(v.getType());
  f.setType(b.getFunctionType(f.getArgumentTypes(), resultTypes));
  f.setAllResultAttrs(resultAttrs);
}

LogicalResult buildTrainStep(ModuleOp module, StringRef function, const Hyper &h) {
  auto forward = module.lookupSymbol<func::FuncOp>(function);
  auto gradient = module.lookupSymbol<func::FuncOp>((function + "_grad").str());
  if (!forward)
    return module.emitError("no loss function '") << function << "' to train";
  bool trainable = false;
  for (unsigned i = 0; i < forward.getNumArguments(); ++i)
    trainable |= forward.getArgAttr(i, graphc::graph::GraphDialect::getRequiresGradAttrName()) != nullptr;
  if (!trainable)
    return forward.emitError("'")
           << function << "' has no argument marked graph.requires_grad: the model has no "
           << "parameters to train";
  if (!gradient)
    return forward.emitError("has no gradient function '")
           << function << "_grad'; run --graphc-autodiff first";
  if (!llvm::is_contained(graphc::optimizerNames(), h.optimizer))
    return forward.emitError("unknown optimizer '")
           << h.optimizer << "' (" << graphc::optimizerNameList() << ")";
  auto loss = dyn_cast<RankedTensorType>(forward.getResultTypes()[0]);
  if (!loss || loss.getRank() != 0)
    return forward.emitError("a training step needs a scalar loss as the first result");

  MLIRContext *ctx = module.getContext();
  OpBuilder b(ctx);
  Location loc = forward.getLoc();
  Type f64 = b.getF64Type();
  auto scalarF64 = RankedTensorType::get({}, f64);

  // Arguments: inputs, parameters (marked), state per parameter, step, lr.
  SmallVector<unsigned> inputs, params;
  for (unsigned i = 0; i < forward.getNumArguments(); ++i)
    (forward.getArgAttr(i, graphc::graph::GraphDialect::getRequiresGradAttrName()) ? params : inputs).push_back(i);
  SmallVector<std::string> states = stateNames(h);
  SmallVector<Type> argTypes;
  SmallVector<DictionaryAttr> argAttrs;
  auto nameOf = [&](unsigned i) {
    auto n = forward.getArgAttrOfType<StringAttr>(i, kName);
    return n ? n.str() : "arg" + std::to_string(i);
  };
  auto withRole = [&](StringRef name, graphc::graph::ArgumentRole role) {
    return b.getDictionaryAttr(
        {b.getNamedAttr(kName, b.getStringAttr(name)),
         b.getNamedAttr(graphc::graph::GraphDialect::getRoleAttrName(),
                        graphc::graph::ArgumentRoleAttr::get(ctx, role))});
  };
  // An input or parameter keeps what the loss function says of it (name,
  // role, init rule, batch multiples), except that train_step itself is not
  // differentiated again.
  auto asInLoss = [&](unsigned i) {
    NamedAttrList attrs(forward.getArgAttrDict(i));
    attrs.erase(graphc::graph::GraphDialect::getRequiresGradAttrName());
    if (!attrs.get(graphc::graph::GraphDialect::getRoleAttrName()))
      attrs.set(graphc::graph::GraphDialect::getRoleAttrName(),
                graphc::graph::ArgumentRoleAttr::get(ctx, graphc::graph::argumentRole(forward, i)));
    if (!attrs.get(kName))
      attrs.set(kName, b.getStringAttr(nameOf(i)));
    return attrs.getDictionary(ctx);
  };
  for (unsigned i : inputs) {
    argTypes.push_back(forward.getArgumentTypes()[i]);
    argAttrs.push_back(asInLoss(i));
  }
  for (unsigned i : params) {
    argTypes.push_back(forward.getArgumentTypes()[i]);
    argAttrs.push_back(asInLoss(i));
  }
  for (const std::string &s : states)
    for (unsigned i : params) {
      argTypes.push_back(forward.getArgumentTypes()[i]);
      argAttrs.push_back(withRole(s + "." + nameOf(i), graphc::graph::ArgumentRole::OptimizerState));
    }
  argTypes.append({scalarF64, scalarF64});
  argAttrs.append({withRole("step", graphc::graph::ArgumentRole::Step),
                   withRole("lr", graphc::graph::ArgumentRole::LearningRate)});

  auto step = startFunction(b, gradient, loc, "train_step", argTypes, argAttrs);
  step->setAttr(graphc::graph::GraphDialect::getOptimizerAttrName(), b.getStringAttr(h.optimizer));
  Block *entry = &step.front();

  // The gradient function's body, with its arguments mapped onto ours
  // (inputs, then parameters: the same first arguments in train_step and
  // train_step_gradients).
  SmallVector<unsigned> forwardToStep(forward.getNumArguments());
  {
    unsigned at = 0;
    for (unsigned i : inputs)
      forwardToStep[i] = at++;
    for (unsigned i : params)
      forwardToStep[i] = at++;
  }
  unsigned forwardResults = forward.getNumResults();
  struct GradientBody {
    IRMapping mapping;
    Operation *gradReturn = nullptr;
    Value loss;
    SmallVector<Value> grads;
  };
  auto cloneGradientBody = [&](Block *into) {
    GradientBody body;
    for (unsigned i = 0; i < forward.getNumArguments(); ++i)
      body.mapping.map(gradient.getArgument(i), into->getArgument(forwardToStep[i]));
    for (Operation &op : gradient.front()) {
      if (isa<func::ReturnOp>(op)) {
        body.gradReturn = &op;
        continue;
      }
      b.clone(op, body.mapping);
    }
    body.loss = body.mapping.lookupOrDefault(body.gradReturn->getOperand(0));
    // The gradient function returns one gradient per marked argument, in order.
    for (unsigned k = 0; k < params.size(); ++k)
      body.grads.push_back(
          body.mapping.lookupOrDefault(body.gradReturn->getOperand(forwardResults + k)));
    return body;
  };
  GradientBody body = cloneGradientBody(entry);
  IRMapping &mapping = body.mapping;
  Operation *gradReturn = body.gradReturn;
  Value lossValue = body.loss;
  SmallVector<Value> &grads = body.grads;

  unsigned stateBase = inputs.size() + params.size();
  Value stepArg = entry->getArgument(argTypes.size() - 2);
  Value lrArg = entry->getArgument(argTypes.size() - 1);
  SmallVector<Value> newParams;
  SmallVector<SmallVector<Value>> newStates(states.size());
  for (unsigned k = 0; k < params.size(); ++k) {
    Value p = entry->getArgument(inputs.size() + k);
    SmallVector<Value> state;
    for (unsigned s = 0; s < states.size(); ++s)
      state.push_back(entry->getArgument(stateBase + s * params.size() + k));
    Ops o(b, p.getLoc());
    SmallVector<Value> updated = updateParameter(o, h, p, grads[k], state, stepArg, lrArg);
    newParams.push_back(updated[0]);
    for (unsigned s = 0; s < states.size(); ++s)
      newStates[s].push_back(updated[1 + s]);
  }
  Ops o(b, loc);
  Value nextStep = o.add(stepArg, o.constant(1, f64));

  // Results: the loss, then every updated value tied to the argument it replaces.
  SmallVector<Value> results{lossValue};
  SmallVector<Attribute> resultAttrs{b.getDictionaryAttr(b.getNamedAttr(kName, b.getStringAttr("loss")))};
  auto tie = [&](Value v, unsigned argIndex) {
    results.push_back(v);
    resultAttrs.push_back(b.getDictionaryAttr(
        {b.getNamedAttr(graphc::graph::GraphDialect::getUpdatesArgumentAttrName(), b.getI64IntegerAttr(argIndex)),
         b.getNamedAttr(kName, cast<DictionaryAttr>(argAttrs[argIndex]).get(kName))}));
  };
  for (unsigned k = 0; k < params.size(); ++k)
    tie(newParams[k], inputs.size() + k);
  // Buffers the loss function updates (BatchNorm's running statistics) are
  // updated by the step too.
  for (unsigned r = 1; r < forwardResults; ++r)
    if (auto target = forward.getResultAttrOfType<IntegerAttr>(
            r, graphc::graph::GraphDialect::getUpdatesArgumentAttrName()))
      tie(mapping.lookupOrDefault(gradReturn->getOperand(r)),
          forwardToStep[target.getInt()]);
  for (unsigned s = 0; s < states.size(); ++s)
    for (unsigned k = 0; k < params.size(); ++k)
      tie(newStates[s][k], stateBase + s * params.size() + k);
  tie(nextStep, argTypes.size() - 2);
  finishFunction(b, step, loc, results, resultAttrs);
  if (!h.dataParallel)
    return success();

  // train_step_gradients(inputs..., params...) -> (loss, new buffer and
  // generator state..., gradients...): train_step's first half.
  unsigned dataAndParams = inputs.size() + params.size();
  auto gradients = startFunction(b, step, loc, "train_step_gradients",
                                 ArrayRef<Type>(argTypes).take_front(dataAndParams),
                                 ArrayRef<DictionaryAttr>(argAttrs).take_front(dataAndParams));
  GradientBody half = cloneGradientBody(&gradients.front());
  SmallVector<Value> gradientResults{half.loss};
  SmallVector<Attribute> gradientResultAttrs{resultAttrs[0]};
  auto carried = [&](Value v, StringAttr name, graphc::graph::ArgumentRole role) {
    gradientResults.push_back(v);
    gradientResultAttrs.push_back(b.getDictionaryAttr(
        {b.getNamedAttr(kName, name),
         b.getNamedAttr(graphc::graph::GraphDialect::getRoleAttrName(),
                        graphc::graph::ArgumentRoleAttr::get(ctx, role))}));
  };
  for (unsigned r = 1; r < forwardResults; ++r)
    if (auto target = forward.getResultAttrOfType<IntegerAttr>(
            r, graphc::graph::GraphDialect::getUpdatesArgumentAttrName())) {
      unsigned arg = forwardToStep[target.getInt()];
      carried(half.mapping.lookupOrDefault(half.gradReturn->getOperand(r)),
              cast<StringAttr>(argAttrs[arg].get(kName)),
              graphc::graph::argumentRole(forward, target.getInt()));
    }
  for (unsigned k = 0; k < params.size(); ++k)
    carried(half.grads[k], cast<StringAttr>(argAttrs[inputs.size() + k].get(kName)),
            graphc::graph::ArgumentRole::Gradient);
  finishFunction(b, gradients, loc, gradientResults, gradientResultAttrs);

  // train_step_apply(params..., state..., gradients..., step, lr) ->
  // (params'..., state'..., step + 1): the second half, with train_step's
  // update.
  SmallVector<Type> applyTypes;
  SmallVector<DictionaryAttr> applyAttrs;
  for (unsigned i = inputs.size(); i < argTypes.size() - 2; ++i) {
    applyTypes.push_back(argTypes[i]);
    applyAttrs.push_back(argAttrs[i]);
  }
  for (unsigned k = 0; k < params.size(); ++k) {
    applyTypes.push_back(argTypes[inputs.size() + k]);
    applyAttrs.push_back(withRole(nameOf(params[k]), graphc::graph::ArgumentRole::Gradient));
  }
  applyTypes.append({scalarF64, scalarF64});
  applyAttrs.append({argAttrs[argTypes.size() - 2], argAttrs[argTypes.size() - 1]});
  auto apply = startFunction(b, gradients, loc, "train_step_apply", applyTypes, applyAttrs);
  apply->setAttr(graphc::graph::GraphDialect::getOptimizerAttrName(), b.getStringAttr(h.optimizer));
  Block *applyEntry = &apply.front();
  unsigned applyStates = params.size(), applyGrads = params.size() * (1 + states.size());
  Value applyStep = applyEntry->getArgument(applyTypes.size() - 2);
  Value applyLr = applyEntry->getArgument(applyTypes.size() - 1);
  SmallVector<Value> applyResults;
  SmallVector<Attribute> applyResultAttrs;
  auto tieApply = [&](Value v, unsigned argIndex) {
    applyResults.push_back(v);
    applyResultAttrs.push_back(b.getDictionaryAttr(
        {b.getNamedAttr(graphc::graph::GraphDialect::getUpdatesArgumentAttrName(),
                        b.getI64IntegerAttr(argIndex)),
         b.getNamedAttr(kName, applyAttrs[argIndex].get(kName))}));
  };
  SmallVector<SmallVector<Value>> applyNewStates(states.size());
  for (unsigned k = 0; k < params.size(); ++k) {
    Value p = applyEntry->getArgument(k);
    SmallVector<Value> state;
    for (unsigned s = 0; s < states.size(); ++s)
      state.push_back(applyEntry->getArgument(applyStates + s * params.size() + k));
    Ops po(b, p.getLoc());
    SmallVector<Value> updated = updateParameter(po, h, p, applyEntry->getArgument(applyGrads + k),
                                                 state, applyStep, applyLr);
    tieApply(updated[0], k);
    for (unsigned s = 0; s < states.size(); ++s)
      applyNewStates[s].push_back(updated[1 + s]);
  }
  for (unsigned s = 0; s < states.size(); ++s)
    for (unsigned k = 0; k < params.size(); ++k)
      tieApply(applyNewStates[s][k], applyStates + s * params.size() + k);
  Ops ao(b, loc);
  tieApply(ao.add(applyStep, ao.constant(1, f64)), applyTypes.size() - 2);
  finishFunction(b, apply, loc, applyResults, applyResultAttrs);
  return success();
}

struct OptimizerPass : graphc::impl::OptimizerBase<OptimizerPass> {
  using OptimizerBase::OptimizerBase;
  void runOnOperation() override {
    Hyper h{optimizer, momentum, dampening, weightDecay, beta1, beta2, eps, nesterov,
            alpha,     centered, lrDecay,   initialAccumulatorValue, dataParallel};
    if (h.weightDecay < 0)
      h.weightDecay = graphc::defaultOptimizerWeightDecay(optimizer);
    if (h.eps < 0)
      h.eps = graphc::defaultOptimizerEps(optimizer);
    if (failed(buildTrainStep(getOperation(), function, h)))
      signalPassFailure();
  }
};

} // namespace

llvm::ArrayRef<llvm::StringLiteral> graphc::optimizerNames() {
  static const llvm::StringLiteral names[] = {"sgd", "adam", "adamw", "rmsprop", "adagrad"};
  return names;
}

std::string graphc::optimizerNameList() {
  std::string text;
  auto names = optimizerNames();
  for (size_t i = 0; i < names.size(); ++i)
    text += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i].str();
  return text;
}

double graphc::defaultOptimizerEps(llvm::StringRef optimizer) {
  return optimizer == "adagrad" ? 1e-10 : 1e-8;
}

double graphc::defaultOptimizerWeightDecay(llvm::StringRef optimizer) {
  return optimizer == "adamw" ? 0.01 : 0.0;
}
