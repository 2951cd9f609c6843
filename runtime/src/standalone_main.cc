// graphc runtime: the main of a standalone training executable. The model
// (its train step and evaluation, and the table of their tensors) is linked
// in by `graphc --train --emit=exe`; this file owns the flags, the
// parameters and optimizer state, and runs rt::runTraining.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "graphc/runtime/random.h"
#include "graphc/runtime/standalone.h"
#include "graphc/runtime/training.hpp"

using graphc::rt::Tensor;

namespace {

const char kUsage[] =
    "usage: %s [--data DIR] [--epochs N] [--batch N] [--lr X] [--seed N] [--threads N]\n"
    "          [--save FILE] [--resume FILE] [--load FILE] [--eval-only] [--metrics FILE]\n"
    "          [--normalize MEAN,STD] [--limit-train N] [--limit-test N] [--continue-on-nan]\n"
    "          [--report-startup]\n";

extern "C" void omp_set_num_threads(int);

Tensor makeTensor(const graphc_standalone_tensor& t) {
  return Tensor::zeros(std::vector<int64_t>(t.shape, t.shape + t.rank),
                       static_cast<graphc_dtype_t>(t.dtype));
}

struct Model {
  const graphc_standalone_model& def = graphc_standalone_model_definition;
  std::vector<std::pair<std::string, Tensor>> parameters, state;  // in train_step order
  Tensor step = Tensor::zeros({}, GRAPHC_DTYPE_F64);

  explicit Model(uint64_t seed) {
    graphc_generator_t* generator = graphc_default_generator();
    graphc_generator_manual_seed(generator, seed);
    for (int i = 0; i < def.num_train_arguments; ++i) {
      const graphc_standalone_tensor& t = def.train_arguments[i];
      if (t.role == GRAPHC_ROLE_PARAMETER) {
        Tensor p = makeTensor(t);
        // The draws of torch's default init, in state_dict order, as the DSL does.
        if (t.init_bound > 0)
          graphc::rt::check(graphc_tensor_uniform(p.get(), generator, -t.init_bound, t.init_bound));
        parameters.emplace_back(t.name, p);
      } else if (t.role == GRAPHC_ROLE_STATE) {
        state.emplace_back(t.name, makeTensor(t));
      }
    }
  }

  Tensor* parameter(const std::string& name) {
    for (auto& [n, t] : parameters)
      if (n == name) return &t;
    return nullptr;
  }

  /// The argument array of an entry point, in its table's order.
  std::vector<void*> arguments(const graphc_standalone_tensor* table, int count,
                               const Tensor& images, const Tensor& labels, Tensor& lr) {
    std::vector<void*> out;
    size_t nextState = 0;
    for (int i = 0; i < count; ++i) {
      switch (table[i].role) {
        case GRAPHC_ROLE_IMAGES: out.push_back(images.rawData()); break;
        case GRAPHC_ROLE_TARGET: out.push_back(labels.rawData()); break;
        case GRAPHC_ROLE_PARAMETER: out.push_back(parameter(table[i].name)->rawData()); break;
        case GRAPHC_ROLE_STATE: out.push_back(state.at(nextState++).second.rawData()); break;
        case GRAPHC_ROLE_STEP: out.push_back(step.rawData()); break;
        case GRAPHC_ROLE_LR: out.push_back(lr.rawData()); break;
      }
    }
    return out;
  }
};

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
      else if (flag(i, argc, argv, "--normalize", value)) {
        size_t comma = value.find(',');
        if (comma == std::string::npos) throw std::invalid_argument("--normalize expects MEAN,STD");
        config.mean = std::stof(value.substr(0, comma));
        config.std = std::stof(value.substr(comma + 1));
      } else if (std::strcmp(argv[i], "--eval-only") == 0) config.evalOnly = true;
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
    Model model(config.seed);
    const graphc_standalone_model& def = model.def;
    config.description = {{"model", def.name}, {"lr", std::to_string(config.learningRate)},
                          {"batch", std::to_string(config.batchSize)}};
    std::printf("%s: %zu parameters, %zu optimizer state tensors\n", def.name,
                model.parameters.size(), model.state.size());
    graphc::rt::TrainingCallbacks callbacks;
    callbacks.trainStep = [&](const Tensor& images, const Tensor& labels, double lr) {
      Tensor rate = Tensor::zeros({}, GRAPHC_DTYPE_F64);
      rate.data<double>()[0] = lr;
      std::vector<void*> args =
          model.arguments(def.train_arguments, def.num_train_arguments, images, labels, rate);
      float loss = 0;
      void* results[] = {&loss};
      if (def.train_step(labels.numel(), args.data(), results) != 0)
        throw graphc::rt::Error(GRAPHC_INTERNAL, "train_step failed");
      return static_cast<double>(loss);
    };
    callbacks.evalBatch = [&](const Tensor& images, const Tensor& labels) {
      Tensor unused = Tensor::zeros({}, GRAPHC_DTYPE_F64);
      std::vector<void*> args =
          model.arguments(def.eval_arguments, def.num_eval_arguments, images, labels, unused);
      float lossSum = 0, correct = 0;
      void* results[] = {&lossSum, &correct};
      if (def.eval(labels.numel(), args.data(), results) != 0)
        throw graphc::rt::Error(GRAPHC_INTERNAL, "eval failed");
      return graphc::rt::EvalResult{lossSum, static_cast<int64_t>(correct + 0.5f)};
    };
    callbacks.checkpointTensors = [&] {
      std::map<std::string, Tensor> tensors;
      for (auto& [name, t] : model.parameters) tensors.emplace(name, t);
      for (auto& [name, t] : model.state) tensors.emplace("optimizer." + name, t);
      tensors.emplace("optimizer.step", model.step);
      return tensors;
    };
    callbacks.restore = [&](const std::map<std::string, Tensor>& tensors, bool withOptimizer) {
      auto copyInto = [&](Tensor& to, const std::string& name) {
        auto it = tensors.find(name);
        if (it == tensors.end())
          throw graphc::rt::Error(GRAPHC_NOT_FOUND, "checkpoint has no tensor '" + name + "'");
        if (it->second.shape() != to.shape() || it->second.dtype() != to.dtype())
          throw graphc::rt::Error(GRAPHC_INVALID_ARGUMENT, "checkpoint tensor '" + name +
                                                               "' has a different shape or dtype "
                                                               "than the model's");
        std::memcpy(to.rawData(), it->second.rawData(), to.nbytes());
      };
      // Validate everything before writing anything.
      for (auto& [name, t] : model.parameters) {
        auto it = tensors.find(name);
        if (it == tensors.end() || it->second.shape() != t.shape() || it->second.dtype() != t.dtype())
          throw graphc::rt::Error(GRAPHC_INVALID_ARGUMENT,
                                  "checkpoint tensor '" + name + "' is missing or has the wrong "
                                  "shape or dtype");
      }
      for (auto& [name, t] : model.parameters) copyInto(t, name);
      if (withOptimizer) {
        for (auto& [name, t] : model.state) copyInto(t, "optimizer." + name);
        copyInto(model.step, "optimizer.step");
      }
    };
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
