//===- Fit.cpp - train a DSL model with the runtime's training loop -------===//

#include "graphc/Builder/Fit.h"

#include <numeric>

namespace graphc {

namespace {

Tensor lossOf(const Tensor &output, const Tensor &labels, ClassificationLoss loss,
              Reduction reduction) {
  return loss == ClassificationLoss::CrossEntropy ? cross_entropy(output, labels, reduction)
                                                  : nll_loss(output, labels, reduction);
}

} // namespace

rt::TrainingSummary fit(nn::Module &model, const FitOptions &options,
                        const rt::TrainingConfig &config) {
  // Batches come as [B, 1, 28, 28] float32 images and [B] int64 labels; the
  // batch is dynamic, so the last partial batch runs through the same code.
  std::vector<InputSpec> inputs{{"images", {1, 1, 28, 28}}, {"labels", {1}, GRAPHC_DTYPE_I64}};
  std::vector<int64_t> sampleShape(options.inputShape);
  auto modelInput = [&](const Tensor &images) {
    std::vector<int64_t> shape{-1};
    shape.insert(shape.end(), sampleShape.begin(), sampleShape.end());
    return images.view(shape);
  };

  Graph trainGraph = trace(model, inputs, [&](const std::vector<Tensor> &xs) {
    return std::vector<Tensor>{lossOf(model(modelInput(xs[0])), xs[1], options.loss,
                                      Reduction::Mean)};
  });
  TrainProgram train = trainGraph.addTrainStep(options.optimizer).compileTrainStep(options.jit);

  Graph evalGraph = trace(model, inputs, [&](const std::vector<Tensor> &xs) {
    Tensor output = model(modelInput(xs[0]));
    return std::vector<Tensor>{lossOf(output, xs[1], options.loss, Reduction::Sum),
                               correct_count(output, xs[1])};
  });
  Program eval = evalGraph.compile(options.jit);

  rt::TrainingCallbacks callbacks;
  callbacks.trainStep = [&](const rt::Tensor &images, const rt::Tensor &labels, double lr) {
    return train.step({images, labels}, lr);
  };
  callbacks.evalBatch = [&](const rt::Tensor &images, const rt::Tensor &labels) {
    std::vector<rt::Tensor> out = eval.run({images, labels});
    return rt::EvalResult{out[0].data<float>()[0],
                          static_cast<int64_t>(out[1].data<float>()[0] + 0.5f)};
  };
  callbacks.checkpointTensors = [&] {
    std::map<std::string, rt::Tensor> tensors = model.stateDict();
    for (auto &[name, tensor] : train.state())
      tensors.emplace("optimizer." + name, tensor);
    return tensors;
  };
  callbacks.restore = [&](const std::map<std::string, rt::Tensor> &tensors, bool withOptimizer) {
    std::map<std::string, rt::Tensor> parameters, state;
    for (auto &[name, tensor] : tensors) {
      if (name.rfind("optimizer.", 0) == 0)
        state.emplace(name.substr(10), tensor);
      else
        parameters.emplace(name, tensor);
    }
    model.loadStateDict(parameters);
    if (withOptimizer)
      train.loadState(state);
  };
  return rt::runTraining(config, callbacks);
}

} // namespace graphc
