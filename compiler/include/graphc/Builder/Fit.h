//===- Fit.h - train a DSL model with the runtime's training loop -*- C++ -*-===//
//
// fit() traces a classifier, adds what `graphc --train` adds (the loss, its
// gradients and the optimizer update as `train_step`, and `eval`: summed loss
// and correct count), compiles it with the JIT, and runs it through the
// runtime's program object (bound to the module's parameters, so training
// updates them in place) under rt::runTraining, which owns the epochs, data,
// metrics and checkpoints.
//
//===----------------------------------------------------------------------===//
#ifndef GRAPHC_BUILDER_FIT_H
#define GRAPHC_BUILDER_FIT_H

#include "graphc/Builder/Losses.h"
#include "graphc/Builder/Trace.h"
#include "graphc/runtime/training.hpp"

namespace graphc {

enum class ClassificationLoss {
  CrossEntropy, // the model returns logits
  NLL,          // the model returns log-probabilities (LogSoftmax)
};

struct FitOptions {
  /// One sample as the model takes it; images [1, 28, 28] are reshaped to it
  /// (e.g. {784} for an MLP, as images.view(images.shape[0], -1)).
  std::vector<int64_t> inputShape = {1, 28, 28};
  ClassificationLoss loss = ClassificationLoss::CrossEntropy;
  OptimizerConfig optimizer = OptimizerConfig::adam();
  JitOptions jit;
  /// Rows per part of a step (graphc --micro-batch; 0: whole batches).
  int64_t microBatch = 0;
};

rt::TrainingSummary fit(nn::Module &model, const FitOptions &options,
                        const rt::TrainingConfig &config);

} // namespace graphc

#endif // GRAPHC_BUILDER_FIT_H
