// The flags of a training program, the same as a standalone executable's
// (DESIGN.md section 3): --data --epochs --batch --lr --seed --threads --save
// --resume --load --eval-only --metrics --normalize MEAN,STD, plus
// --optimizer, --limit-train/--limit-test (for quick runs) and
// --continue-on-nan.
#ifndef GRAPHC_EXAMPLES_TRAININGFLAGS_H
#define GRAPHC_EXAMPLES_TRAININGFLAGS_H

#include "graphc/Builder.h"

#include "ExampleFlags.h"
#include "llvm/Support/CommandLine.h"

#include <iostream>

namespace training_flags {
namespace cl = llvm::cl;

// Every flag in example_flags::category(), so that --help lists these only;
// the defaults are TrainingConfig's and are named in the descriptions.
inline cl::OptionCategory &flags = example_flags::category();
inline cl::opt<std::string> data("data", cl::cat(flags), cl::value_desc("DIR"),
                                 cl::desc("Fashion-MNIST directory (default "
                                          "/usr/share/datasets/fashion-mnist)"));
inline cl::opt<int> epochs("epochs", cl::cat(flags), cl::desc("Epochs (default 1)"), cl::init(1));
inline cl::opt<int64_t> batch("batch", cl::cat(flags), cl::desc("Batch size (default 64)"),
                              cl::init(64));
inline cl::opt<double> lr("lr", cl::cat(flags), cl::desc("Learning rate (default 0.001)"),
                          cl::init(1e-3));
inline cl::opt<uint64_t> seed("seed", cl::cat(flags),
                              cl::desc("Seed for the initial weights and the data order "
                                       "(default 0)"),
                              cl::init(0));
inline cl::opt<std::string> save("save", cl::cat(flags), cl::value_desc("FILE"),
                                 cl::desc("Write a checkpoint after every epoch"));
inline cl::opt<std::string> resume("resume", cl::cat(flags), cl::value_desc("FILE"),
                                   cl::desc("Continue the run saved in FILE"));
inline cl::opt<std::string> load("load", cl::cat(flags), cl::value_desc("FILE"),
                                 cl::desc("Start from the weights in FILE (safetensors, "
                                          "PyTorch state_dict names)"));
inline cl::opt<bool> evalOnly("eval-only", cl::cat(flags),
                              cl::desc("Evaluate on the test set and stop"));
inline cl::opt<std::string> metrics("metrics", cl::cat(flags), cl::value_desc("FILE"),
                                    cl::desc("Write metrics as JSON lines (and a plot)"));
inline cl::opt<std::string> normalize("normalize", cl::cat(flags), cl::value_desc("MEAN,STD"),
                                      cl::desc("Normalize(MEAN, STD) (default 0.5,0.5)"),
                                      cl::init("0.5,0.5"));
inline cl::opt<std::string> optimizer("optimizer", cl::cat(flags),
                                      cl::desc("sgd, adam, adamw, rmsprop or adagrad (default adam)"),
                                      cl::init("adam"));
inline cl::opt<std::string> lrSchedule("lr-schedule", cl::cat(flags), cl::value_desc("S"),
                                       cl::desc("constant (default), step:STEP_SIZE[:GAMMA] or "
                                                "cosine:T_MAX[:ETA_MIN], per epoch"),
                                       cl::init("constant"));
inline cl::opt<double> momentum("momentum", cl::cat(flags), cl::desc("SGD and RMSprop momentum (default 0)"),
                                cl::init(0.0));
inline cl::opt<int64_t> limitTrain("limit-train", cl::cat(flags),
                                   cl::desc("Use only the first N training images (default 0: "
                                            "all)"),
                                   cl::init(0));
inline cl::opt<int64_t> limitTest("limit-test", cl::cat(flags),
                                  cl::desc("Use only the first N test images (default 0: all)"),
                                  cl::init(0));
inline cl::opt<std::string> emitGraph("emit-graph", cl::cat(flags), cl::value_desc("FILE"),
                                      cl::desc("Write the traced model (MLIR) to FILE and stop"));
inline cl::opt<bool> continueOnNan("continue-on-nan", cl::cat(flags),
                                   cl::desc("Keep training after a NaN or infinite loss"));
inline cl::opt<int64_t> microBatch(
    "micro-batch", cl::cat(flags), cl::value_desc("N"),
    cl::desc("Compute each step in parts of N rows (graphc --micro-batch; default 0: whole)"),
    cl::init(0));

inline cl::opt<int> *threads = nullptr;

/// Parses the command line. libLLVM registers a `--threads` option of its
/// own (unused by graphc's programs); it is unregistered first so that
/// --threads means what the standalone executables' flag means.
inline void parse(int argc, char **argv, const char *overview) {
  auto &registered = cl::getRegisteredOptions();
  auto llvmThreads = registered.find("threads");
  if (llvmThreads != registered.end())
    llvmThreads->second->removeArgument();
  static cl::opt<int> threadsFlag("threads", cl::cat(flags),
                                  cl::desc("Threads for the generated code (default 0: all "
                                           "cores)"),
                                  cl::init(0));
  threads = &threadsFlag;
  example_flags::parse(argc, argv, overview);
}

inline graphc::rt::TrainingConfig config(const std::string &model) {
  graphc::rt::TrainingConfig c;
  c.dataDir = data;
  c.epochs = epochs;
  c.batchSize = batch;
  c.learningRate = lr;
  c.lrSchedule = graphc::rt::parseLrSchedule(lrSchedule);
  c.seed = seed;
  graphc::rt::setNormalize(c, normalize);
  c.limitTrain = limitTrain;
  c.limitTest = limitTest;
  c.metricsPath = metrics;
  c.savePath = save;
  c.resumePath = resume;
  c.loadPath = load;
  c.evalOnly = evalOnly;
  c.continueOnNonFinite = continueOnNan;
  c.description = {{"model", model},         {"optimizer", optimizer},
                   {"lr", std::to_string(lr)}, {"lr_schedule", c.lrSchedule.text()},
                   {"batch", std::to_string(batch)},
                   {"epochs", std::to_string(epochs)}, {"normalize", normalize}};
  graphc::setNumThreads(*threads);
  return c;
}

inline graphc::OptimizerConfig optimizerConfig();

/// --emit-graph: traces `model` on one sample of `sampleShape` (the batch is
/// dynamic) and writes the graph, with `loss` and the --optimizer flags as
/// the defaults `graphc --train` uses. Returns true if it did.
inline bool emitGraphIfAsked(graphc::nn::Module &model, std::vector<int64_t> sampleShape,
                             const std::string &loss) {
  if (emitGraph.empty())
    return false;
  sampleShape.insert(sampleShape.begin(), 1);
  graphc::traceForTraining(model, graphc::rt::Tensor::zeros(sampleShape))
      .setTrainingDefaults(loss, optimizerConfig())
      .save(emitGraph);
  std::cerr << "wrote " << emitGraph << "\n";
  return true;
}

inline graphc::OptimizerConfig optimizerConfig() {
  if (optimizer == "sgd")
    return graphc::OptimizerConfig::sgd(momentum);
  if (optimizer == "adam")
    return graphc::OptimizerConfig::adam();
  if (optimizer == "adamw")
    return graphc::OptimizerConfig::adamw();
  if (optimizer == "rmsprop")
    return graphc::OptimizerConfig::rmsprop(/*alpha=*/0.99, /*eps=*/1e-8, /*weightDecay=*/0,
                                            momentum);
  if (optimizer == "adagrad")
    return graphc::OptimizerConfig::adagrad();
  throw std::invalid_argument("--optimizer must be sgd, adam, adamw, rmsprop or adagrad, got '" +
                              optimizer + "'");
}

} // namespace training_flags

#endif // GRAPHC_EXAMPLES_TRAININGFLAGS_H
