// graphc runtime: the main of a standalone training executable. The model
// (its graphc_model_t: train step, evaluation, and the table of their
// tensors) is linked in by `graphc --train --emit=exe`; this file reads the
// flags (rt::parseStandaloneFlags) and runs rt::runTraining over a program
// object, which holds the parameters, the optimizer state and the arena.

#include <omp.h>  // served by openmp_threads.cc in an executable
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "graphc/runtime/distributed.hpp"
#include "graphc/runtime/program.hpp"
#include "graphc/runtime/training.hpp"
#include "graphc/runtime/standalone.h"
#include "graphc/runtime/standalone_flags.hpp"


namespace {

// --help: the usage, the compiled model, and each flag with its default.
void printHelp(const char* program) {
  std::printf(graphc::rt::kStandaloneUsage, program);
  std::printf("\nTrains the model %s compiled into this executable on Fashion-MNIST-format\n"
              "images (IDX files) and reports the test accuracy after every epoch.\n"
              "  loss:      %s\n  optimizer: %s\n",
              graphc_standalone.model->name, graphc_standalone.loss, graphc_standalone.optimizer);
  if (graphc_standalone.num_classes > 0)
    std::printf("  classes:   %lld (labels 0 to %lld)\n",
                static_cast<long long>(graphc_standalone.num_classes),
                static_cast<long long>(graphc_standalone.num_classes - 1));
  // graphc --micro-batch: the rows of the static-batch half's input.
  const graphc_model_t* model = graphc_standalone.model;
  for (int32_t e = 0; e < model->num_entries; ++e) {
    if (std::strcmp(model->entries[e].name, "train_step_micro_gradients") != 0) continue;
    for (int32_t i = 0; i < model->entries[e].num_arguments; ++i) {
      const graphc_model_tensor_t& argument = model->entries[e].arguments[i];
      if (argument.role != GRAPHC_ROLE_INPUT || argument.rank < 1) continue;
      std::printf("  parts:     %lld rows (a larger batch's step is computed in parts of that "
                  "many rows, on the threads: graphc --micro-batch)\n",
                  static_cast<long long>(argument.shape[0]));
      break;
    }
  }
  graphc::rt::printStandaloneFlags(stdout);
}

// Under a launcher: the cores this process may run on. A launcher that
// binds each process (Open MPI does for up to 2 processes, to one core each)
// gives it its share already; one that does not leaves the whole machine,
// shared by the job's processes on it.
int threadsForThisProcess() {
  cpu_set_t cpus;
  int allowed = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : 0;
  int machine = static_cast<int>(std::thread::hardware_concurrency());
  if (allowed > 0 && allowed < machine) return allowed;
  return std::max(1, machine / graphc::rt::processesOnThisMachine());
}

}  // namespace

int main(int argc, char** argv) {
  auto mainStart = std::chrono::steady_clock::now();
  graphc::rt::StandaloneFlags flags;
  try {
    flags = graphc::rt::parseStandaloneFlags(argc, argv);
  } catch (const graphc::rt::UsageError& e) {
    if (*e.what()) std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    if (e.showUsage()) std::fprintf(stderr, graphc::rt::kStandaloneUsage, argv[0]);
    return 2;
  }
  if (flags.help) {
    printHelp(argv[0]);
    return 0;
  }
  graphc::rt::TrainingConfig& config = flags.config;
  const int threads = flags.threads;
  const bool batchGiven = flags.batchGiven, reportStartup = flags.reportStartup;
  // Started by mpirun or srun: one process of a data-parallel job
  // (docs/distributed.md).
  std::unique_ptr<graphc::rt::ProcessGroup> group;
  try {
    if (graphc::rt::startedByMpiLauncher())
      group = graphc::rt::joinMpiProcessGroup(config.collectiveTimeout);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
  const bool root = !group || group->rank() == 0;
  if (threads > 0)
    omp_set_num_threads(threads);
  else if (group && !std::getenv("OMP_NUM_THREADS"))
    omp_set_num_threads(threadsForThisProcess());

  try {
    graphc::rt::Program program(graphc_standalone.model);
    if (!flags.cudaGraphs) graphc_program_set_cuda_graphs(program.get(), 0);
    program.init(config.seed);
    graphc::rt::TrainingCallbacks callbacks = graphc::rt::trainingCallbacks(program);
    if (callbacks.numClasses == 0) callbacks.numClasses = graphc_standalone.num_classes;
    // An executable compiled with --batch=N trains at N unless told otherwise
    // (and refuses another --batch).
    if (!batchGiven && callbacks.fixedBatch > 0) config.batchSize = callbacks.fixedBatch;
    const char* name = graphc_standalone.model->name;
    config.description = {{"model", name}, {"lr", std::to_string(config.learningRate)},
                          {"batch", std::to_string(config.batchSize)}};
    // Several processes, or one cutting its batches into ordered parts.
    std::unique_ptr<graphc::rt::DataParallelStep> parallel;
    if ((group && group->size() > 1) ||
        config.dataParallel.reduction == graphc::rt::GradientReduction::Ordered) {
      parallel = std::make_unique<graphc::rt::DataParallelStep>(program, group.get(),
                                                                config.dataParallel);
      callbacks.dataParallel = parallel.get();
      const int processes = group ? group->size() : 1;
      const bool ordered = config.dataParallel.reduction == graphc::rt::GradientReduction::Ordered;
      config.description["processes"] = std::to_string(processes);
      config.description["reduce"] = ordered ? "ordered" : "sum";
      config.description["shards"] = std::to_string(parallel->parts());
      if (root)
        std::printf("data-parallel: %d process%s, global batch %lld, %lld per process in %lld "
                    "part%s (%s)\n",
                    processes, processes == 1 ? "" : "es", (long long)config.batchSize,
                    (long long)(config.batchSize / processes),
                    (long long)(parallel->parts() / processes),
                    parallel->parts() / processes == 1 ? "" : "s",
                    ordered ? "gradients added part by part in order" : "gradients summed");
    }
    size_t parameters = 0, state = 0;
    for (auto& [tensorName, tensor] : program.tensors())
      ++(tensorName.rfind(GRAPHC_CHECKPOINT_OPTIMIZER_PREFIX, 0) == 0 ? state : parameters);
    // The step count is stored with the state but is not an optimizer tensor.
    if (root)
      std::printf("%s: %zu parameters, %zu optimizer state tensors\n", name, parameters,
                  state > 0 ? state - 1 : 0);
    double beforeTraining =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - mainStart).count();
    graphc::rt::TrainingSummary summary = graphc::rt::runTraining(config, callbacks);
    if (summary.interruptedBy) return 128 + summary.interruptedBy;  // 130, 143
    if (root) std::printf("test accuracy: %.2f%%\n", 100 * summary.testAccuracy);
    if (reportStartup && root)
      // main() to the first training step, minus reading the data sets.
      std::printf("startup: %.2f ms to the first training step (data loading, %.2f ms, excluded)\n",
                  1e3 * (beforeTraining + summary.secondsToFirstStep - summary.dataLoadSeconds),
                  1e3 * summary.dataLoadSeconds);
  } catch (const std::exception& e) {
    if (group && group->size() > 1) {
      // The other processes would wait for this one in their next
      // collective: end the whole job now, saying which process failed.
      std::fprintf(stderr, "%s (process %d of %d): %s\n", argv[0], group->rank(), group->size(),
                   e.what());
      group->abort(1);
    }
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
  return 0;
}
