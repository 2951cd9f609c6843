// graphc runtime tooling: the training loop's callbacks over a program
// object (graphc/runtime/training.hpp).

#include <cstring>

#include "graphc/runtime/training.hpp"

namespace graphc::rt {

TrainingCallbacks trainingCallbacks(Program& program) {
  TrainingCallbacks callbacks;
  callbacks.trainStep = [&program](const Tensor& images, const Tensor& labels, double lr) {
    return program.trainStep(images, labels, lr);
  };
  callbacks.evalBatch = [&program](const Tensor& images, const Tensor& labels) {
    return program.eval(images, labels);
  };
  callbacks.checkpointTensors = [&program] { return program.tensors(); };
  callbacks.restore = [&program](const std::map<std::string, Tensor>& tensors, bool withOptimizer) {
    restoreProgram(program.get(), tensors, withOptimizer, "the checkpoint");
  };
  // From the table: train_step's input (batch first) and, when its target is
  // int64 class indices, the classes of the prediction [B, C] forward returns.
  const graphc_model_t* model = graphc_program_model(program.get());
  // A standalone executable's step may be its two halves only: the
  // gradient half takes the same input and target.
  const graphc_model_entry_t *train = nullptr, *gradients = nullptr, *forward = nullptr;
  for (int32_t e = 0; e < model->num_entries; ++e) {
    if (std::strcmp(model->entries[e].name, "train_step") == 0) train = &model->entries[e];
    if (std::strcmp(model->entries[e].name, "train_step_gradients") == 0)
      gradients = &model->entries[e];
    if (std::strcmp(model->entries[e].name, "forward") == 0) forward = &model->entries[e];
  }
  if (!train) train = gradients;
  bool classIndices = false;
  for (int32_t i = 0; train && i < train->num_arguments; ++i) {
    const graphc_model_tensor_t& t = train->arguments[i];
    if (t.role == GRAPHC_ROLE_INPUT && t.rank >= 1 && (t.shape[0] == -1 || t.shape[0] > 0)) {
      callbacks.sampleElements = 1;
      for (int32_t d = 1; d < t.rank; ++d)
        callbacks.sampleElements *= t.shape[d] < 0 ? 0 : t.shape[d];
      callbacks.fixedBatch = t.shape[0] > 0 ? t.shape[0] : 0;
    }
    if (t.role == GRAPHC_ROLE_TARGET) classIndices = t.dtype == GRAPHC_DTYPE_I64 && t.rank == 1;
  }
  if (classIndices && forward && forward->num_results >= 1 && forward->results[0].rank == 2 &&
      forward->results[0].shape[1] > 0)
    callbacks.numClasses = forward->results[0].shape[1];
  return callbacks;
}

}  // namespace graphc::rt
