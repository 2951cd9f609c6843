//===- Trace.cpp - tracing DSL code into the graph dialect ----------------===//

#include "graphc/Builder/Trace.h"
#include "Tracer.h"
#include "graphc/Dialect/Graph/BatchMultiples.h"
#include "graphc/Pipelines/Pipelines.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;

namespace graphc {

namespace {

using TracedFunction = std::function<std::vector<Tensor>(const std::vector<Tensor> &)>;

/// Traces `fn` into `moduleOp` as `function`, with `parameters` and then
/// `buffers` as the trailing arguments.
void traceInto(MLIRContext *ctx, ModuleOp moduleOp, const std::string &function,
               const std::vector<std::pair<std::string, Parameter>> &parameters,
               const std::vector<std::pair<std::string, Buffer>> &buffers,
               const std::vector<InputSpec> &inputs, const TracedFunction &fn,
               const TraceOptions &options) {
  OpBuilder builder(ctx);
  {
    Tracer tracer(ctx, moduleOp, function);
    std::vector<Tensor> symbolic;
    for (const InputSpec &in : inputs) {
      SmallVector<int64_t> shape;
      for (size_t i = 0; i < in.shape.size(); ++i)
        shape.push_back(in.shape[i] == kDynamic || (i == 0 && options.dynamicBatch)
                            ? ShapedType::kDynamic
                            : in.shape[i]);
      symbolic.push_back(tracer.addArgument(
          RankedTensorType::get(shape, elementTypeFor(ctx, in.dtype)), in.name,
          graph::ArgumentRole::Input, in.requiresGrad));
    }
    for (auto &[name, p] : parameters) {
      const rt::Tensor &v = p.value();
      auto type = RankedTensorType::get(v.shape(), elementTypeFor(ctx, v.dtype()));
      Tensor arg = tracer.addArgument(type, name, graph::ArgumentRole::Parameter, p.requiresGrad());
      // How a compiled program initializes it: PyTorch's default rule where
      // the module used one, else the value the module gave it by hand.
      if (p.initBound() > 0)
        tracer.setArgumentAttr(arg, graph::GraphDialect::getInitBoundAttrName(),
                               builder.getF64FloatAttr(p.initBound()));
      else
        tracer.setArgumentAttr(arg, graph::GraphDialect::getInitValueAttrName(),
                               denseElementsOf(type, v));
      tracer.bindParameter(p.id(), arg);
    }
    for (auto &[name, b] : buffers) {
      const rt::Tensor &v = b.value();
      auto type = RankedTensorType::get(v.shape(), elementTypeFor(ctx, v.dtype()));
      Tensor arg = tracer.addArgument(type, name, graph::ArgumentRole::Buffer);
      // A compiled program starts the buffer at the value it has now
      // (BatchNorm's zeros and ones), as a hand-set parameter.
      tracer.setArgumentAttr(arg, graph::GraphDialect::getInitValueAttrName(),
                             denseElementsOf(type, v));
      tracer.bindParameter(b.id(), arg);
    }
    tracer.finish(fn(symbolic));
  }
}

/// The graph of the traced functions: verified, with the parameters and
/// buffers the compiled programs bind (buffers by name, like parameters
/// that need no gradient).
Graph finishGraph(std::shared_ptr<MLIRContext> ctx, OwningOpRef<ModuleOp> moduleOp,
                  std::vector<std::pair<std::string, Parameter>> parameters,
                  const std::vector<std::pair<std::string, Buffer>> &buffers) {
  if (failed(verify(*moduleOp)))
    throw std::logic_error("internal error: the traced graph does not verify");
  for (auto &[name, b] : buffers)
    parameters.emplace_back(name, b.asParameter());
  return Graph(std::move(ctx), std::move(moduleOp), std::move(parameters));
}

Graph traceWith(std::vector<std::pair<std::string, Parameter>> parameters,
                const std::vector<std::pair<std::string, Buffer>> &buffers,
                const std::vector<InputSpec> &inputs, const TracedFunction &fn,
                const TraceOptions &options) {
  auto ctx = createContext();
  OwningOpRef<ModuleOp> moduleOp(ModuleOp::create(UnknownLoc::get(ctx.get())));
  traceInto(ctx.get(), *moduleOp, options.function, parameters, buffers, inputs, fn, options);
  return finishGraph(std::move(ctx), std::move(moduleOp), std::move(parameters), buffers);
}

} // namespace

Graph trace(const nn::Module &module, const std::vector<InputSpec> &inputs,
            const std::function<std::vector<Tensor>(const std::vector<Tensor> &)> &fn,
            const TraceOptions &options) {
  return traceWith(module.namedParameters(), module.namedBuffers(), inputs, fn, options);
}

Graph trace(const std::vector<std::pair<std::string, Parameter>> &parameters,
            const std::vector<InputSpec> &inputs,
            const std::function<std::vector<Tensor>(const std::vector<Tensor> &)> &fn,
            const TraceOptions &options) {
  return traceWith(parameters, {}, inputs, fn, options);
}

Graph traceForTraining(nn::Module &module, const std::vector<InputSpec> &inputs,
                       const TracedFunction &fn, const TraceOptions &options) {
  bool wasTraining = module.isTraining();
  struct RestoreMode {
    nn::Module &module;
    bool training;
    ~RestoreMode() { module.train(training); }
  } restore{module, wasTraining};
  auto parameters = module.namedParameters();
  auto buffers = module.namedBuffers();
  auto ctx = createContext();
  OwningOpRef<ModuleOp> moduleOp(ModuleOp::create(UnknownLoc::get(ctx.get())));
  module.eval();
  traceInto(ctx.get(), *moduleOp, options.function, parameters, buffers, inputs, fn, options);
  if (module.dependsOnMode()) {
    module.train();
    std::string trainName = options.function + "_train";
    traceInto(ctx.get(), *moduleOp, trainName, parameters, buffers, inputs, fn, options);
    moduleOp->lookupSymbol(trainName)->setAttr(graph::GraphDialect::getTrainModeOfAttrName(),
                                               StringAttr::get(ctx.get(), options.function));
  }
  return finishGraph(std::move(ctx), std::move(moduleOp), std::move(parameters), buffers);
}

Graph traceForTraining(nn::Module &module, const rt::Tensor &example,
                       const TraceOptions &options) {
  InputSpec input{"input", example.shape(), example.dtype()};
  return traceForTraining(
      module, {input},
      [&](const std::vector<Tensor> &xs) { return std::vector<Tensor>{module(xs[0])}; }, options);
}

Graph trace(nn::Module &module, const rt::Tensor &example, const TraceOptions &options) {
  InputSpec input{"input", example.shape(), example.dtype()};
  return trace(module, {input},
               [&](const std::vector<Tensor> &xs) { return std::vector<Tensor>{module(xs[0])}; },
               options);
}

} // namespace graphc
