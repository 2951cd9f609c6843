// graphc runtime: the training loop shared by every way of running a model
// (DSL programs through the JIT, and standalone executables).
//
// The loop owns what PyTorch users write by hand around a model: epochs over
// a shuffled DataLoader, a running training loss, evaluation over the whole
// test set after each epoch, progress output, metrics as JSON lines with a
// plot, atomic safetensors checkpoints and an exact resume. The model itself
// is three callbacks: a training step, an evaluation batch, and access to the
// tensors a checkpoint holds.
#ifndef GRAPHC_RUNTIME_TRAINING_HPP_
#define GRAPHC_RUNTIME_TRAINING_HPP_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "graphc/runtime/distributed.hpp"
#include "graphc/runtime/lr_schedule.hpp"
#include "graphc/runtime/program.hpp"
#include "graphc/runtime/runtime.hpp"

namespace graphc::rt {

struct TrainingConfig {
  std::string dataDir;        // empty: /usr/share/datasets/fashion-mnist
  int epochs = 1;
  int64_t batchSize = 64;
  double learningRate = 1e-3;
  LrSchedule lrSchedule;      // per epoch, from learningRate (default: constant)
  uint64_t seed = 0;          // data order (and the model's init, by the caller)
  float mean = 0.5f, std = 0.5f; // Normalize((0.5,), (0.5,)), as the seeds
  int64_t limitTrain = 0;     // use only the first N training images (0: all)
  int64_t limitTest = 0;      // likewise for the test set
  std::string metricsPath;    // JSON lines; a plot goes beside it (.svg)
  std::string savePath;       // checkpoint written after every epoch
  std::string resumePath;     // continue the run saved in this checkpoint
  std::string loadPath;       // start from these weights (no optimizer state)
  bool evalOnly = false;      // evaluate the (loaded) model and stop
  bool continueOnNonFinite = false; // otherwise a NaN/inf loss stops training
  std::map<std::string, std::string> description; // stored in the checkpoint metadata
  // Data-parallel training (distributed.hpp): how gradients are summed and
  // into how many parts each batch is cut (--reduce, --shards), and how long
  // one collective may wait for the other processes (--collective-timeout;
  // 0: forever).
  DataParallelOptions dataParallel;
  double collectiveTimeout = 300;
};

struct TrainingCallbacks {
  // One optimizer step on a batch; returns the batch's mean loss.
  std::function<double(const Tensor &images, const Tensor &labels, double lr)> trainStep;
  // Loss sum and correct count on a batch, without updating anything.
  std::function<EvalResult(const Tensor &images, const Tensor &labels)> evalBatch;
  // Every tensor a checkpoint holds (parameters by state_dict name, optimizer
  // state under "optimizer."), sharing the model's buffers.
  std::function<std::map<std::string, Tensor>()> checkpointTensors;
  // Copies a checkpoint's tensors in; `withOptimizer` false for --load.
  std::function<void(const std::map<std::string, Tensor> &, bool withOptimizer)> restore;
  // What the model takes, so that a data set it cannot use is refused before
  // the first step (0: not checked): the values of one input sample, and the
  // number of classes a label must be below.
  int64_t sampleElements = 0;
  int64_t numClasses = 0;
  // The batch the training step was compiled for (graphc --batch=N), or 0
  // for any batch. The loop then requires --batch N and drops the last
  // partial training batch (drop_last); evaluation takes any batch.
  int64_t fixedBatch = 0;
  // Set for data-parallel training: the loop then takes this process's part
  // of every batch (training and test), trains with this step instead of
  // trainStep, sums the evaluation across processes, and only rank 0 prints
  // and writes files. Null: one process, trainStep.
  DataParallelStep* dataParallel = nullptr;
};

struct TrainingSummary {
  double trainLoss = 0, testLoss = 0, testAccuracy = 0;
  int64_t steps = 0;
  int epochsRun = 0;
  // Seconds from the call to the start of the first training step, and how
  // much of that went to loading the data sets (for the startup budget).
  double secondsToFirstStep = 0, dataLoadSeconds = 0;
  // SIGINT or SIGTERM stopped the run after a step (its position is in the
  // --save checkpoint): the caller exits with 128 + this.
  int interruptedBy = 0;
};

// `text` as a whole decimal integer in [low, high], or nothing: "2junk",
// "1e99", " 3" and out-of-range values are refused (std::stoll would read
// "2junk" as 2). For flags and checkpoint metadata alike.
std::optional<int64_t> parseWholeInteger(const std::string &text, int64_t low, int64_t high);

// Sets config.mean and config.std from a `--normalize MEAN,STD` value; throws
// std::invalid_argument naming the value when it is not two numbers.
void setNormalize(TrainingConfig &config, const std::string &meanCommaStd);

// Runs the loop. Throws rt::Error (bad data, checkpoint or configuration)
// with a message naming the file or tensor; returns normally otherwise.
TrainingSummary runTraining(const TrainingConfig &config, const TrainingCallbacks &callbacks);

// runTraining's callbacks over a program object: train_step, eval, and the
// program's tensors as the checkpoint (parameters, optimizer.<state>,
// optimizer.step), plus what its model table says the data must be. The
// callbacks refer to `program`, which must outlive them.
TrainingCallbacks trainingCallbacks(Program &program);

}  // namespace graphc::rt

#endif  // GRAPHC_RUNTIME_TRAINING_HPP_
