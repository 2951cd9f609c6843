// graphc runtime tooling: one data-parallel training step (distributed.hpp).

#include <cstring>

#include "graphc/runtime/distributed.hpp"

namespace graphc::rt {

DataParallelStep::DataParallelStep(Program& program, ProcessGroup* group,
                                   const DataParallelOptions& options)
    : program_(program), group_(group), options_(options) {
  gradientElements_ = program.gradientElements();
  if (gradientElements_ == 0)
    throw Error(GRAPHC_UNIMPLEMENTED,
                std::string("model '") + graphc_program_model(program.get())->name +
                    "' was compiled without the data-parallel step (train_step_gradients, "
                    "train_step_apply); compile it with graphc --train --data-parallel (the "
                    "default for --emit=exe)");
  const int64_t processes = group ? group->size() : 1, rank = group ? group->rank() : 0;
  if (options.reduction == GradientReduction::Sum) {
    if (options.shards != 0 && options.shards != processes)
      throw Error(GRAPHC_INVALID_ARGUMENT,
                  "--shards " + std::to_string(options.shards) +
                      " needs --reduce ordered (the sum takes one part per process)");
    parts_ = processes;
  } else {
    parts_ = options.shards > 0 ? options.shards : processes;
    if (parts_ % processes != 0)
      throw Error(GRAPHC_INVALID_ARGUMENT,
                  "--shards " + std::to_string(parts_) + " cannot be shared by " +
                      std::to_string(processes) +
                      " processes; it must be a multiple of the number of processes");
  }
  partBegin_ = rank * parts_ / processes;
  partEnd_ = (rank + 1) * parts_ / processes;
  local_.resize(static_cast<size_t>((partEnd_ - partBegin_) * (gradientElements_ + 2)));
  if (options.reduction == GradientReduction::Ordered)
    all_.resize(static_cast<size_t>(parts_ * (gradientElements_ + 2)));
  // The state the gradient half returns (a result with a role): BatchNorm's
  // running statistics, the generator of Dropout.
  const graphc_model_t* model = graphc_program_model(program.get());
  for (int32_t e = 0; e < model->num_entries; ++e) {
    const graphc_model_entry_t& entry = model->entries[e];
    if (std::strcmp(entry.name, "train_step_gradients") != 0) continue;
    for (int32_t i = 0; i < entry.num_results; ++i) {
      if (entry.results[i].role == GRAPHC_ROLE_BUFFER)
        carriedName_ = entry.results[i].name;
      if (entry.results[i].role == GRAPHC_ROLE_RNG_STATE)
        carriedName_ = GRAPHC_CHECKPOINT_OPTIMIZER_PREFIX "rng_state";
      if (entry.results[i].role == GRAPHC_ROLE_BUFFER ||
          entry.results[i].role == GRAPHC_ROLE_RNG_STATE)
        carriedState_.push_back(program.tensor(carriedName_));
    }
  }
}

void DataParallelStep::broadcastModel() {
  if (!group_) return;
  // std::map: the same order in every process.
  for (auto& [name, tensor] : program_.tensors())
    group_->broadcast(tensor.rawData(), tensor.nbytes(), "the model's starting state");
}

double DataParallelStep::step(const Tensor& images, const Tensor& labels, int64_t globalBatch,
                              double lr) {
  const int64_t g = gradientElements_, stride = g + 2;
  const int64_t firstRow = globalBatch * partBegin_ / parts_;
  // The first part last: it keeps its new buffers and generator state, which
  // the process's other parts must not see (on another process they would
  // not: they read the state of before the step, as every part must).
  for (int64_t part = partEnd_ - 1; part >= partBegin_; --part) {
    float* values = local_.data() + (part - partBegin_) * stride;
    int64_t begin = globalBatch * part / parts_ - firstRow;
    int64_t rows = globalBatch * (part + 1) / parts_ - firstRow - begin;
    if (rows == 0) {  // a last batch smaller than the number of parts
      std::memset(values, 0, sizeof(float) * stride);
      continue;
    }
    Tensor partImages = images, partLabels = labels;
    if (rows != images.shape()[0]) {
      partImages = images.narrow(begin, rows);
      partLabels = labels.narrow(begin, rows);
    }
    // The first part's new buffers and generator state are the model's.
    double loss = program_.gradients(partImages, partLabels, values, part == 0);
    // Weighted by its rows, so that parts of different sizes add up to the
    // global batch's mean.
    const float weight = static_cast<float>(rows);
    for (int64_t i = 0; i < g; ++i) values[i] *= weight;
    values[g] = static_cast<float>(loss * rows);
    values[g + 1] = weight;
  }
  float* total = local_.data();
  if (options_.reduction == GradientReduction::Sum) {
    if (group_) group_->sum(total, stride, "the gradients");
  } else {
    // Every part, in part order, added one after the other: the same
    // additions whatever the number of processes.
    const float* all = local_.data();
    if (group_) {
      group_->gather(local_.data(), static_cast<int64_t>(local_.size()), all_.data(),
                     "the gradients");
      all = all_.data();
    }
    if (all != total) std::memcpy(total, all, sizeof(float) * stride);
    for (int64_t part = 1; part < parts_; ++part) {
      const float* values = all + part * stride;
      for (int64_t i = 0; i < stride; ++i) total[i] += values[i];
    }
  }
  const float rows = total[g + 1];
  for (int64_t i = 0; i < g; ++i) total[i] /= rows;
  if (group_ && !carriedState_.empty()) {
    // Looked up again (one name) before writing: a program on the GPU then
    // brings its host copies up to date and uploads what is written into
    // them before the next call (graphc_program_device in program.h).
    (void)program_.tensor(carriedName_);
    for (const Tensor& state : carriedState_)
      group_->broadcast(state.rawData(), state.nbytes(), "the model's buffers");
  }
  program_.applyGradients(total, lr);
  return static_cast<double>(total[g]) / rows;
}

}  // namespace graphc::rt
