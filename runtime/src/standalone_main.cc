// graphc runtime: the main of a standalone training executable. The model
// (its graphc_model_t: train step, evaluation, and the table of their
// tensors) is linked in by `graphc --train --emit=exe`; this file owns the
// flags and runs rt::runTraining over a program object, which holds the
// parameters, the optimizer state and the arena.

#include <omp.h>  // served by openmp_threads.cc in an executable
#include <getopt.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "graphc/runtime/program.hpp"
#include "graphc/runtime/training.hpp"
#include "graphc/runtime/data.h"
#include "graphc/runtime/standalone.h"


namespace {

const char kUsage[] =
    "usage: %s [--data DIR] [--epochs N] [--batch N] [--lr X] [--seed N] [--threads N]\n"
    "          [--save FILE] [--resume FILE] [--load FILE] [--eval-only] [--metrics FILE]\n"
    "          [--normalize MEAN,STD] [--limit-train N] [--limit-test N] [--continue-on-nan]\n"
    "          [--report-startup]\n";

// --help: the usage, the compiled model, and each flag with its default
// (taken from TrainingConfig, so that the text cannot drift from it).
void printHelp(const char* program) {
  const graphc::rt::TrainingConfig defaults;
  std::printf(kUsage, program);
  std::printf("\nTrains the model %s compiled into this executable on Fashion-MNIST-format\n"
              "images (IDX files) and reports the test accuracy after every epoch.\n"
              "  loss:      %s\n  optimizer: %s\n",
              graphc_standalone.model->name, graphc_standalone.loss, graphc_standalone.optimizer);
  if (graphc_standalone.num_classes > 0)
    std::printf("  classes:   %lld (labels 0 to %lld)\n",
                static_cast<long long>(graphc_standalone.num_classes),
                static_cast<long long>(graphc_standalone.num_classes - 1));
  std::printf(
      "\nflags:\n"
      "  --data DIR           the data set's directory (default %s)\n"
      "  --epochs N           passes over the training set (default %d)\n"
      "  --batch N            images per step (default %lld; a model compiled with\n"
      "                       --batch=N trains at N only)\n"
      "  --lr X               learning rate (default %g)\n"
      "  --seed N             parameter initialization and data order, as\n"
      "                       torch.manual_seed (default %llu)\n"
      "  --threads N          threads (default: OMP_NUM_THREADS, else every core)\n"
      "  --save FILE          write a checkpoint (safetensors) after every epoch\n"
      "  --resume FILE        continue the run a checkpoint saved, exactly\n"
      "  --load FILE          start from a checkpoint's parameters (no optimizer state)\n"
      "  --eval-only          evaluate the test set and stop\n"
      "  --metrics FILE       one JSON line per epoch, and a plot beside it (.svg)\n"
      "  --normalize MEAN,STD pixel normalization (default %g,%g)\n"
      "  --limit-train N      the first N training images only (default: all)\n"
      "  --limit-test N       the first N test images only (default: all)\n"
      "  --continue-on-nan    keep training after a non-finite loss (default: stop)\n"
      "  --report-startup     print the time from main to the first training step\n",
      GRAPHC_FASHION_MNIST_DIR, defaults.epochs, static_cast<long long>(defaults.batchSize),
      defaults.learningRate, static_cast<unsigned long long>(defaults.seed),
      static_cast<double>(defaults.mean), static_cast<double>(defaults.std));
}

const char* g_program = "graphc-model";

// A flag's value that is not what the flag takes: named with the flag and
// the range, and the run stops before any work (exit 2, as for usage).
[[noreturn]] void badValue(const char* flag, const char* value, const std::string& expected) {
  std::fprintf(stderr, "%s: --%s %s: expected %s\n", g_program, flag, value, expected.c_str());
  std::exit(2);
}

// The whole text as a decimal integer in [low, high] (rt::parseWholeInteger),
// or a usage error naming the flag.
int64_t integerValue(const char* flag, const char* text, int64_t low, int64_t high) {
  std::optional<int64_t> value = graphc::rt::parseWholeInteger(text, low, high);
  if (!value)
    badValue(flag, text, "an integer from " + std::to_string(low) + " to " + std::to_string(high));
  return *value;
}

// A seed: any unsigned 64-bit integer, written in decimal digits only
// (strtoull would wrap "-1" around).
uint64_t seedValue(const char* flag, const char* text) {
  const std::string expected = "an integer from 0 to 18446744073709551615";
  if (*text == '\0') badValue(flag, text, expected);
  for (const char* c = text; *c; ++c)
    if (!std::isdigit(static_cast<unsigned char>(*c))) badValue(flag, text, expected);
  errno = 0;
  unsigned long long value = std::strtoull(text, nullptr, 10);
  if (errno == ERANGE) badValue(flag, text, expected);
  return value;
}

// The whole text as a finite number >= low (PyTorch refuses a negative
// learning rate).
double realValue(const char* flag, const char* text, double low) {
  char bound[32];
  std::snprintf(bound, sizeof bound, "%g", low);
  std::string expected = std::string("a finite number >= ") + bound;
  if (*text == '\0' || std::isspace(static_cast<unsigned char>(*text))) badValue(flag, text, expected);
  errno = 0;
  char* end = nullptr;
  double value = std::strtod(text, &end);
  if (*end != '\0' || errno == ERANGE || !std::isfinite(value) || value < low)
    badValue(flag, text, expected);
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  auto mainStart = std::chrono::steady_clock::now();
  g_program = argv[0];
  graphc::rt::TrainingConfig config;
  bool reportStartup = false;
  config.learningRate = 1e-3;
  int threads = 0;
  bool batchGiven = false;
  // getopt_long: long options only, "--flag value" or "--flag=value"; an
  // unknown or incomplete flag is reported by getopt itself.
  enum : int {
    kData = 256, kEpochs, kBatch, kLr, kSeed, kThreads, kSave, kResume, kLoad, kMetrics,
    kLimitTrain, kLimitTest, kNormalize, kEvalOnly, kContinueOnNan, kReportStartup, kHelp
  };
  const option options[] = {{"data", required_argument, nullptr, kData},
                            {"epochs", required_argument, nullptr, kEpochs},
                            {"batch", required_argument, nullptr, kBatch},
                            {"lr", required_argument, nullptr, kLr},
                            {"seed", required_argument, nullptr, kSeed},
                            {"threads", required_argument, nullptr, kThreads},
                            {"save", required_argument, nullptr, kSave},
                            {"resume", required_argument, nullptr, kResume},
                            {"load", required_argument, nullptr, kLoad},
                            {"metrics", required_argument, nullptr, kMetrics},
                            {"limit-train", required_argument, nullptr, kLimitTrain},
                            {"limit-test", required_argument, nullptr, kLimitTest},
                            {"normalize", required_argument, nullptr, kNormalize},
                            {"eval-only", no_argument, nullptr, kEvalOnly},
                            {"continue-on-nan", no_argument, nullptr, kContinueOnNan},
                            {"report-startup", no_argument, nullptr, kReportStartup},
                            {"help", no_argument, nullptr, kHelp},
                            {nullptr, 0, nullptr, 0}};
  try {
    int code;
    while ((code = getopt_long(argc, argv, "", options, nullptr)) != -1) {
      const char* value = optarg;
      switch (code) {
        case kData: config.dataDir = value; break;
        case kEpochs: config.epochs = static_cast<int>(integerValue("epochs", value, 1, 1000000)); break;
        case kBatch:
          config.batchSize = integerValue("batch", value, 1, 1 << 24);
          batchGiven = true;
          break;
        case kLr: config.learningRate = realValue("lr", value, 0); break;
        case kSeed: config.seed = seedValue("seed", value); break;
        // libomp aborts on absurd thread counts; 1024 is far beyond any use.
        case kThreads: threads = static_cast<int>(integerValue("threads", value, 1, 1024)); break;
        case kSave: config.savePath = value; break;
        case kResume: config.resumePath = value; break;
        case kLoad: config.loadPath = value; break;
        case kMetrics: config.metricsPath = value; break;
        case kLimitTrain: config.limitTrain = integerValue("limit-train", value, 0, INT64_MAX); break;
        case kLimitTest: config.limitTest = integerValue("limit-test", value, 0, INT64_MAX); break;
        case kNormalize: graphc::rt::setNormalize(config, value); break;
        case kEvalOnly: config.evalOnly = true; break;
        case kContinueOnNan: config.continueOnNonFinite = true; break;
        case kReportStartup: reportStartup = true; break;
        case kHelp: printHelp(argv[0]); return 0;
        default: std::fprintf(stderr, kUsage, argv[0]); return 2;
      }
    }
    if (optind < argc) {
      std::fprintf(stderr, "%s: unexpected argument '%s'\n", argv[0], argv[optind]);
      std::fprintf(stderr, kUsage, argv[0]);
      return 2;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: bad option value: %s\n", argv[0], e.what());
    return 2;
  }
  if (threads > 0) omp_set_num_threads(threads);

  try {
    graphc::rt::Program program(graphc_standalone.model);
    program.init(config.seed);
    graphc::rt::TrainingCallbacks callbacks = graphc::rt::trainingCallbacks(program);
    if (callbacks.numClasses == 0) callbacks.numClasses = graphc_standalone.num_classes;
    // An executable compiled with --batch=N trains at N unless told otherwise
    // (and refuses another --batch).
    if (!batchGiven && callbacks.fixedBatch > 0) config.batchSize = callbacks.fixedBatch;
    const char* name = graphc_standalone.model->name;
    config.description = {{"model", name}, {"lr", std::to_string(config.learningRate)},
                          {"batch", std::to_string(config.batchSize)}};
    size_t parameters = 0, state = 0;
    for (auto& [tensorName, tensor] : program.tensors())
      ++(tensorName.rfind(GRAPHC_CHECKPOINT_OPTIMIZER_PREFIX, 0) == 0 ? state : parameters);
    // The step count is stored with the state but is not an optimizer tensor.
    std::printf("%s: %zu parameters, %zu optimizer state tensors\n", name, parameters,
                state > 0 ? state - 1 : 0);
    double beforeTraining =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - mainStart).count();
    graphc::rt::TrainingSummary summary = graphc::rt::runTraining(config, callbacks);
    if (summary.interruptedBy) return 128 + summary.interruptedBy;  // 130, 143
    std::printf("test accuracy: %.2f%%\n", 100 * summary.testAccuracy);
    if (reportStartup)
      // main() to the first training step, minus reading the data sets.
      std::printf("startup: %.2f ms to the first training step (data loading, %.2f ms, excluded)\n",
                  1e3 * (beforeTraining + summary.secondsToFirstStep - summary.dataLoadSeconds),
                  1e3 * summary.dataLoadSeconds);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
  return 0;
}
