//===- Fit.cpp - train a DSL model with the runtime's training loop -------===//

#include "graphc/Builder/Fit.h"

#include "graphc/runtime/program.hpp"


namespace graphc {

rt::TrainingSummary fit(nn::Module &model, const FitOptions &options,
                        const rt::TrainingConfig &config) {
  // Batches come as [B, 1, 28, 28] float32 images; the batch is dynamic, so
  // the last partial batch runs through the same code.
  std::vector<int64_t> sampleShape(options.inputShape);
  std::vector<InputSpec> inputs{{"images", {1, 1, 28, 28}}};
  // Eval mode for eval, training mode for the training step (BatchNorm, Dropout).
  Graph graph = traceForTraining(model, inputs, [&](const std::vector<Tensor> &xs) {
    std::vector<int64_t> shape{-1};
    shape.insert(shape.end(), sampleShape.begin(), sampleShape.end());
    return std::vector<Tensor>{model(xs[0].view(shape))};
  });

  // The same training functions `graphc --train` builds, compiled by the
  // JIT and run through a program object, as a standalone executable runs
  // its object file.
  LossKind loss =
      options.loss == ClassificationLoss::CrossEntropy ? LossKind::CrossEntropy : LossKind::NLL;
  {
    DiagnosticCollector diagnostics(graph.module().getContext());
    if (mlir::failed(addTrainingFunctions(graph.module(), "forward", loss, options.optimizer,
                                          /*dataParallel=*/options.microBatch > 0,
                                          options.microBatch)))
      throw CompileError("building the training step failed:\n" + diagnostics.text());
  }
  std::unique_ptr<JitModule> jit = JitModule::compile(graph.module(), options.jit);
  rt::Program program(jit->model());
  // The program trains the module's own parameter buffers in place.
  for (auto &[name, tensor] : model.stateDict())
    program.bind(name, tensor);
  rt::TrainingCallbacks callbacks = rt::trainingCallbacks(program);
  return rt::runTraining(config, callbacks);
}

} // namespace graphc
