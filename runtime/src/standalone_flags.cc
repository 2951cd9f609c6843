// graphc runtime tooling: a standalone training executable's flags
// (graphc/runtime/standalone_flags.hpp), with getopt_long, as DESIGN.md asks
// for command-line parsing; the values are checked whole (no "5x", no "-1"
// seed, no "1e99" epochs) and a bad one is named with its flag.

#include "graphc/runtime/standalone_flags.hpp"

#include <getopt.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "graphc/runtime/data.h"

namespace graphc::rt {

const char kStandaloneUsage[] =
    "usage: %s [--data DIR] [--epochs N] [--batch N] [--lr X] [--lr-schedule S]\n"
    "          [--seed N] [--threads N] [--save FILE] [--resume FILE] [--load FILE]\n"
    "          [--eval-only] [--metrics FILE] [--normalize MEAN,STD] [--limit-train N]\n"
    "          [--limit-test N] [--continue-on-nan] [--report-startup] [--no-cuda-graphs]\n"
    "          [--reduce sum|ordered] [--shards N] [--collective-timeout SECONDS]\n";

namespace {

// A flag's value that is not what the flag takes: named with the flag and
// what it expected; the run stops before any work.
[[noreturn]] void badValue(const char* flag, const char* value, const std::string& expected) {
  throw UsageError(std::string("--") + flag + " " + value + ": expected " + expected,
                   /*showUsage=*/false);
}

// The whole text as a decimal integer in [low, high] (parseWholeInteger).
int64_t integerValue(const char* flag, const char* text, int64_t low, int64_t high) {
  std::optional<int64_t> value = parseWholeInteger(text, low, high);
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

StandaloneFlags parseStandaloneFlags(int argc, char** argv) {
  StandaloneFlags flags;
  TrainingConfig& config = flags.config;
  enum : int {
    kData = 256, kEpochs, kBatch, kLr, kLrSchedule, kSeed, kThreads, kSave, kResume, kLoad, kMetrics,
    kLimitTrain, kLimitTest, kNormalize, kEvalOnly, kContinueOnNan, kReportStartup, kReduce,
    kShards, kCollectiveTimeout, kNoCudaGraphs, kHelp
  };
  const option options[] = {{"data", required_argument, nullptr, kData},
                            {"epochs", required_argument, nullptr, kEpochs},
                            {"batch", required_argument, nullptr, kBatch},
                            {"lr", required_argument, nullptr, kLr},
                            {"lr-schedule", required_argument, nullptr, kLrSchedule},
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
                            {"reduce", required_argument, nullptr, kReduce},
                            {"shards", required_argument, nullptr, kShards},
                            {"collective-timeout", required_argument, nullptr, kCollectiveTimeout},
                            {"no-cuda-graphs", no_argument, nullptr, kNoCudaGraphs},
                            {"help", no_argument, nullptr, kHelp},
                            {nullptr, 0, nullptr, 0}};
  // optind 0 makes GNU getopt start over: the parser may run more than once
  // in a process (tests, the fuzzer).
  optind = 0;
  int code;
  while ((code = getopt_long(argc, argv, "", options, nullptr)) != -1) {
    const char* value = optarg;
    switch (code) {
      case kData: config.dataDir = value; break;
      case kEpochs: config.epochs = static_cast<int>(integerValue("epochs", value, 1, 1000000)); break;
      case kBatch:
        config.batchSize = integerValue("batch", value, 1, 1 << 24);
        flags.batchGiven = true;
        break;
      case kLr: config.learningRate = realValue("lr", value, 0); break;
      case kLrSchedule:
        try {
          config.lrSchedule = parseLrSchedule(value);
        } catch (const std::exception& e) {
          throw UsageError(std::string("bad option value: ") + e.what(), /*showUsage=*/false);
        }
        break;
      case kSeed: config.seed = seedValue("seed", value); break;
      // libomp aborts on absurd thread counts; 1024 is far beyond any use.
      case kThreads: flags.threads = static_cast<int>(integerValue("threads", value, 1, 1024)); break;
      case kSave: config.savePath = value; break;
      case kResume: config.resumePath = value; break;
      case kLoad: config.loadPath = value; break;
      case kMetrics: config.metricsPath = value; break;
      case kLimitTrain: config.limitTrain = integerValue("limit-train", value, 0, INT64_MAX); break;
      case kLimitTest: config.limitTest = integerValue("limit-test", value, 0, INT64_MAX); break;
      case kNormalize:
        try {
          setNormalize(config, value);
        } catch (const std::exception& e) {
          throw UsageError(std::string("bad option value: ") + e.what(), /*showUsage=*/false);
        }
        break;
      case kEvalOnly: config.evalOnly = true; break;
      case kContinueOnNan: config.continueOnNonFinite = true; break;
      case kReportStartup: flags.reportStartup = true; break;
      case kReduce:
        if (std::string(value) == "sum")
          config.dataParallel.reduction = GradientReduction::Sum;
        else if (std::string(value) == "ordered")
          config.dataParallel.reduction = GradientReduction::Ordered;
        else
          badValue("reduce", value, "sum or ordered");
        break;
      case kShards: config.dataParallel.shards = integerValue("shards", value, 1, 65536); break;
      case kCollectiveTimeout:
        config.collectiveTimeout = realValue("collective-timeout", value, 0);
        break;
      case kNoCudaGraphs: flags.cudaGraphs = false; break;
      case kHelp: flags.help = true; return flags;
      default: throw UsageError("", /*showUsage=*/true);  // getopt said what
    }
  }
  if (optind < argc)
    throw UsageError(std::string("unexpected argument '") + argv[optind] + "'", /*showUsage=*/true);
  if (config.dataParallel.shards > 0 && config.dataParallel.reduction != GradientReduction::Ordered)
    throw UsageError("--shards cuts batches for --reduce ordered; add --reduce ordered",
                     /*showUsage=*/false);
  return flags;
}

// Beside the options table above, so that a flag and its help change
// together; the defaults are TrainingConfig's, so the text cannot drift.
void printStandaloneFlags(std::FILE* out) {
  const TrainingConfig defaults;
  std::fprintf(out,
      "\nflags:\n"
      "  --data DIR           the data set's directory (default %s)\n"
      "  --epochs N           passes over the training set (default %d)\n"
      "  --batch N            images per step (default %lld; a model compiled with\n"
      "                       --batch=N trains at N only)\n"
      "  --lr X               learning rate (default %g)\n"
      "  --lr-schedule S      the rate per epoch: constant (default), step:STEP_SIZE[:GAMMA]\n"
      "                       (StepLR, gamma 0.1) or cosine:T_MAX[:ETA_MIN]\n"
      "                       (CosineAnnealingLR, eta_min 0)\n"
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
      "  --report-startup     print the time from main to the first training step\n"
      "  --no-cuda-graphs     a model compiled with --target=cuda launches every kernel\n"
      "                       of every step (default: the step is captured into a CUDA\n"
      "                       graph after one warm-up step and replayed)\n"
      "\ndata-parallel training, under mpirun or srun (docs/distributed.md):\n"
      "  --reduce sum|ordered how the processes' gradients are added: sum (default;\n"
      "                       MPI_Allreduce) or ordered (part by part, in order: the\n"
      "                       same model bit for bit for any number of processes)\n"
      "  --shards N           with --reduce ordered: the parts each batch is cut into\n"
      "                       (default: one per process; a multiple of the processes)\n"
      "  --collective-timeout SECONDS\n"
      "                       end the job when the other processes have not answered\n"
      "                       for this long (default %g; 0: wait forever)\n",
      GRAPHC_FASHION_MNIST_DIR, defaults.epochs, static_cast<long long>(defaults.batchSize),
      defaults.learningRate, static_cast<unsigned long long>(defaults.seed),
      static_cast<double>(defaults.mean), static_cast<double>(defaults.std),
      defaults.collectiveTimeout);
}

}  // namespace graphc::rt
