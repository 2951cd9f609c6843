//===- Trace.h - tracing DSL code into the graph dialect --------*- C++ -*-===//
//
// trace() runs a module's forward on symbolic inputs and records the ops, the
// way torch.jit.trace does: the result is a graph-dialect module with one
// function per entry point, inputs first, then every parameter in
// state_dict order, then every buffer (BatchNorm's running statistics),
// each argument named (`graph.name`). A buffer the module assigns comes back
// as an extra result tied to its argument (`graph.updates_argument`). The graph can be
// printed, saved (--emit-graph), read back, and compiled (Graph.h,
// Compiled.h).
//
//===----------------------------------------------------------------------===//
#ifndef GRAPHC_BUILDER_TRACE_H
#define GRAPHC_BUILDER_TRACE_H

#include "graphc/Builder/Compiled.h"
#include "graphc/Builder/Graph.h"
#include "graphc/Builder/NN.h"
#include "graphc/Builder/Tensor.h"
#include "graphc/Pipelines/Pipelines.h"

#include <functional>
#include <string>
#include <vector>

namespace graphc {

// createContext(): graphc/Pipelines/Pipelines.h.

/// An input of a traced function: its name, dtype and shape (kDynamic = -1
/// for a size known only at run time, typically the batch).
struct InputSpec {
  std::string name;
  std::vector<int64_t> shape;
  graphc_dtype_t dtype = GRAPHC_DTYPE_F32;
  /// Differentiate with respect to this input too (the seed's X.grad).
  bool requiresGrad = false;
};

struct TraceOptions {
  /// Name of the traced function.
  std::string function = "forward";
  /// Make dimension 0 of every input dynamic (a batch of any size).
  bool dynamicBatch = true;
};

/// Traces `fn` over symbolic inputs with `parameters` (named leaves, e.g.
/// the seed's x, w and b) as the function's trailing arguments.
Graph trace(const std::vector<std::pair<std::string, Parameter>> &parameters,
            const std::vector<InputSpec> &inputs,
            const std::function<std::vector<Tensor>(const std::vector<Tensor> &)> &fn,
            const TraceOptions &options = {});

/// Traces `fn` over symbolic inputs; `module` supplies the parameters and
/// buffers. The module's mode (train() / eval()) at this call is the traced
/// function's.
Graph trace(const nn::Module &module, const std::vector<InputSpec> &inputs,
            const std::function<std::vector<Tensor>(const std::vector<Tensor> &)> &fn,
            const TraceOptions &options = {});

/// Traces module.forward on one input shaped like `example`.
Graph trace(nn::Module &module, const rt::Tensor &example, const TraceOptions &options = {});

/// For training (graphc --train, fit()): traces `fn` as options.function
/// with the module in eval mode, and, when the module depends on the mode
/// (BatchNorm, Dropout), again as `<function>_train` in training mode,
/// marked graph.train_mode_of = "<function>": the loss is built on that one,
/// eval and inference on the first, as a PyTorch loop calls model.train()
/// before its steps and model.eval() before testing. The module's mode is
/// restored.
Graph traceForTraining(nn::Module &module, const std::vector<InputSpec> &inputs,
                       const std::function<std::vector<Tensor>(const std::vector<Tensor> &)> &fn,
                       const TraceOptions &options = {});
Graph traceForTraining(nn::Module &module, const rt::Tensor &example,
                       const TraceOptions &options = {});

/// The main of a tracer program, as CMake's graphc_add_dsl_model builds and
/// runs it (`NAME_tracer GRAPH.mlir`): calls `traceModel` (which builds the
/// model and returns its traced graph) and saves the graph to the one
/// argument. Returns the exit status: 0; 2 for another command line (with
/// the usage); 1 when building, tracing or saving throws (with the error,
/// naming the program).
int tracerMain(int argc, char **argv, const std::function<Graph()> &traceModel);

} // namespace graphc

#endif // GRAPHC_BUILDER_TRACE_H
