// graphc runtime: the main of a standalone training executable. The model
// (its graphc_model_t: train step, evaluation, and the table of their
// tensors) is linked in by `graphc --train --emit=exe`; this file owns the
// flags and runs rt::runTraining over a program object, which holds the
// parameters, the optimizer state and the arena.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "graphc/runtime/program.hpp"
#include "graphc/runtime/standalone.h"


namespace {

const char kUsage[] =
    "usage: %s [--data DIR] [--epochs N] [--batch N] [--lr X] [--seed N] [--threads N]\n"
    "          [--save FILE] [--resume FILE] [--load FILE] [--eval-only] [--metrics FILE]\n"
    "          [--normalize MEAN,STD] [--limit-train N] [--limit-test N] [--continue-on-nan]\n"
    "          [--report-startup]\n";

extern "C" void omp_set_num_threads(int);

bool flag(int& i, int argc, char** argv, const char* name, std::string& value) {
  if (std::strcmp(argv[i], name) != 0) return false;
  if (i + 1 >= argc) {
    std::fprintf(stderr, "%s: %s needs a value\n", argv[0], name);
    std::exit(2);
  }
  value = argv[++i];
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  auto mainStart = std::chrono::steady_clock::now();
  graphc::rt::TrainingConfig config;
  bool reportStartup = false;
  config.learningRate = 1e-3;
  std::string value;
  int threads = 0;
  try {
    for (int i = 1; i < argc; ++i) {
      if (flag(i, argc, argv, "--data", value)) config.dataDir = value;
      else if (flag(i, argc, argv, "--epochs", value)) config.epochs = std::stoi(value);
      else if (flag(i, argc, argv, "--batch", value)) config.batchSize = std::stoll(value);
      else if (flag(i, argc, argv, "--lr", value)) config.learningRate = std::stod(value);
      else if (flag(i, argc, argv, "--seed", value)) config.seed = std::stoull(value);
      else if (flag(i, argc, argv, "--threads", value)) threads = std::stoi(value);
      else if (flag(i, argc, argv, "--save", value)) config.savePath = value;
      else if (flag(i, argc, argv, "--resume", value)) config.resumePath = value;
      else if (flag(i, argc, argv, "--load", value)) config.loadPath = value;
      else if (flag(i, argc, argv, "--metrics", value)) config.metricsPath = value;
      else if (flag(i, argc, argv, "--limit-train", value)) config.limitTrain = std::stoll(value);
      else if (flag(i, argc, argv, "--limit-test", value)) config.limitTest = std::stoll(value);
      else if (flag(i, argc, argv, "--normalize", value)) graphc::rt::setNormalize(config, value);
      else if (std::strcmp(argv[i], "--eval-only") == 0) config.evalOnly = true;
      else if (std::strcmp(argv[i], "--continue-on-nan") == 0) config.continueOnNonFinite = true;
      else if (std::strcmp(argv[i], "--report-startup") == 0) reportStartup = true;
      else if (std::strcmp(argv[i], "--help") == 0) {
        std::printf(kUsage, argv[0]);
        return 0;
      } else {
        std::fprintf(stderr, "%s: unknown option '%s'\n", argv[0], argv[i]);
        std::fprintf(stderr, kUsage, argv[0]);
        return 2;
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: bad option value: %s\n", argv[0], e.what());
    return 2;
  }
  if (threads > 0) omp_set_num_threads(threads);

  try {
    graphc::rt::Program program(graphc_standalone_model);
    program.init(config.seed);
    const char* name = graphc_standalone_model->name;
    config.description = {{"model", name}, {"lr", std::to_string(config.learningRate)},
                          {"batch", std::to_string(config.batchSize)}};
    size_t parameters = 0, state = 0;
    for (auto& [tensorName, tensor] : program.tensors())
      ++(tensorName.rfind("optimizer.", 0) == 0 ? state : parameters);
    // The step count is stored with the state but is not an optimizer tensor.
    std::printf("%s: %zu parameters, %zu optimizer state tensors\n", name, parameters,
                state > 0 ? state - 1 : 0);
    graphc::rt::TrainingCallbacks callbacks = program.trainingCallbacks();
    double beforeTraining =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - mainStart).count();
    graphc::rt::TrainingSummary summary = graphc::rt::runTraining(config, callbacks);
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
