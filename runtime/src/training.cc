// graphc runtime: the training loop (see training.hpp).

#include "graphc/runtime/training.hpp"
#include "graphc/runtime/program.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "graphc/runtime/data.h"

namespace graphc::rt {

namespace {

using Clock = std::chrono::steady_clock;

// The first `limit` samples of a dataset (all when limit is 0 or larger).
Dataset loadDataset(const std::string& dir, bool train, int64_t limit) {
  Dataset full = Dataset::loadMnist(dir, train);
  if (limit <= 0 || limit >= full.size()) return full;
  auto firstRows = [&](const Tensor& t) {
    std::vector<int64_t> shape = t.shape();
    shape[0] = limit;
    Tensor rows = Tensor::zeros(shape, t.dtype());
    std::copy_n(static_cast<const char*>(t.rawData()), rows.nbytes(),
                static_cast<char*>(rows.rawData()));
    return rows;
  };
  return Dataset::fromTensors(firstRows(full.images()), firstRows(full.labels()));
}

struct Evaluation {
  double loss = 0, accuracy = 0;
};

// Under data-parallel training each process evaluates its part of every
// test batch, and the sums are added across processes.
Evaluation evaluate(const TrainingCallbacks& cb, DataLoader& loader, int64_t count) {
  loader.reset();
  Tensor images, labels;
  EvalResult total;
  while (loader.next(images, labels)) {
    if (labels.numel() == 0) continue;  // this process's part of a small last batch
    EvalResult r = cb.evalBatch(images, labels);
    total.lossSum += r.lossSum;
    total.correct += r.correct;
  }
  if (cb.dataParallel && cb.dataParallel->group()) {
    double sums[2] = {total.lossSum, static_cast<double>(total.correct)};
    cb.dataParallel->group()->sum(sums, 2, "the evaluation");
    total.lossSum = sums[0];
    total.correct = static_cast<int64_t>(sums[1]);
  }
  return {total.lossSum / count, static_cast<double>(total.correct) / count};
}

std::string formatDuration(double seconds) {
  char buffer[32];
  int s = static_cast<int>(seconds + 0.5);
  std::snprintf(buffer, sizeof buffer, "%d:%02d", s / 60, s % 60);
  return buffer;
}

// Progress: a bar redrawn in place on a terminal, plain lines otherwise.
class Progress {
 public:
  // Not `shown`: a data-parallel process other than rank 0, which prints nothing.
  Progress(int epoch, int epochs, int64_t batches, bool shown)
      : epoch_(epoch), epochs_(epochs), batches_(batches), tty_(isatty(STDOUT_FILENO)),
        shown_(shown) {}

  void update(int64_t batch, double loss, double imagesPerSecond, double elapsed) {
    if (!shown_) return;
    bool last = batch == batches_;
    if (tty_) {
      auto now = Clock::now();
      if (!last && now - lastDraw_ < std::chrono::milliseconds(100)) return;
      lastDraw_ = now;
      const int width = 30;
      int filled = static_cast<int>(width * batch / batches_);
      double eta = batch ? elapsed * (batches_ - batch) / batch : 0;
      std::printf("\repoch %d/%d [%s%s] %lld/%lld loss %.4f  %.0f img/s  ETA %s ", epoch_ + 1,
                  epochs_, std::string(filled, '#').c_str(),
                  std::string(width - filled, '.').c_str(), (long long)batch,
                  (long long)batches_, loss, imagesPerSecond, formatDuration(eta).c_str());
      if (last) std::printf("\n");
      std::fflush(stdout);
    } else if (batch % 100 == 0 || last) {
      std::printf("epoch %d/%d step %lld/%lld loss %.4f %.0f img/s\n", epoch_ + 1, epochs_,
                  (long long)batch, (long long)batches_, loss, imagesPerSecond);
      std::fflush(stdout);
    }
  }

 private:
  int epoch_, epochs_;
  int64_t batches_;
  bool tty_, shown_;
  Clock::time_point lastDraw_{};
};

// A two-panel SVG (loss; accuracy) of the metrics lines in `metricsPath`.
void writePlot(const std::string& metricsPath) {
  std::ifstream in(metricsPath);
  std::vector<double> epochs, trainLoss, testLoss, accuracy;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("test_accuracy")) continue;
    epochs.push_back(j["epoch"].get<double>());
    trainLoss.push_back(j["train_loss"].get<double>());
    testLoss.push_back(j["test_loss"].get<double>());
    accuracy.push_back(j["test_accuracy"].get<double>());
  }
  if (epochs.empty()) return;
  std::string path = metricsPath;
  size_t dot = path.rfind('.');
  path = (dot == std::string::npos || path.find('/', dot) != std::string::npos ? path
                                                                               : path.substr(0, dot)) +
         ".svg";
  const double w = 360, h = 240, margin = 40;
  auto panel = [&](std::ostringstream& svg, double x0, const std::string& title,
                   std::vector<std::pair<std::vector<double>*, const char*>> series) {
    double lo = 1e300, hi = -1e300;
    for (auto& [values, color] : series)
      for (double v : *values) lo = std::min(lo, v), hi = std::max(hi, v);
    if (hi - lo < 1e-12) hi = lo + 1;
    double e0 = epochs.front(), e1 = std::max(epochs.back(), e0 + 1);
    svg << "<g transform='translate(" << x0 << ",0)'>"
        << "<rect x='" << margin << "' y='" << margin / 2 << "' width='" << w - 1.5 * margin
        << "' height='" << h - 1.5 * margin << "' fill='none' stroke='#888'/>"
        << "<text x='" << w / 2 << "' y='14' text-anchor='middle' font-size='12'>" << title
        << "</text>"
        << "<text x='" << margin - 4 << "' y='" << margin / 2 + 10
        << "' text-anchor='end' font-size='9'>" << hi << "</text>"
        << "<text x='" << margin - 4 << "' y='" << h - margin
        << "' text-anchor='end' font-size='9'>" << lo << "</text>"
        << "<text x='" << w / 2 << "' y='" << h - 8
        << "' text-anchor='middle' font-size='10'>epoch</text>";
    for (auto& [values, color] : series) {
      svg << "<polyline fill='none' stroke='" << color << "' stroke-width='2' points='";
      for (size_t i = 0; i < values->size(); ++i) {
        double x = margin + (epochs[i] - e0) / (e1 - e0) * (w - 1.5 * margin);
        double y = margin / 2 + (hi - (*values)[i]) / (hi - lo) * (h - 1.5 * margin);
        svg << x << "," << y << " ";
      }
      svg << "'/>";
    }
    svg << "</g>";
  };
  std::ostringstream svg;
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << 2 * w << "' height='" << h
      << "' font-family='sans-serif'>";
  panel(svg, 0, "loss (blue: train, red: test)", {{&trainLoss, "#1f77b4"}, {&testLoss, "#d62728"}});
  panel(svg, w, "test accuracy", {{&accuracy, "#2ca02c"}});
  svg << "</svg>\n";
  std::ofstream(path) << svg.str();
}

constexpr const char* kOptimizerPrefix = GRAPHC_CHECKPOINT_OPTIMIZER_PREFIX;

}  // namespace

std::optional<int64_t> parseWholeInteger(const std::string& text, int64_t low, int64_t high) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE || value < low || value > high) return std::nullopt;
  return value;
}

void setNormalize(TrainingConfig& config, const std::string& meanCommaStd) {
  size_t comma = meanCommaStd.find(',');
  size_t meanEnd = 0, stdEnd = 0;
  try {
    if (comma != std::string::npos) {
      std::string stdText = meanCommaStd.substr(comma + 1);
      config.mean = std::stof(meanCommaStd.substr(0, comma), &meanEnd);
      config.std = std::stof(stdText, &stdEnd);
      if (meanEnd == comma && stdEnd == stdText.size()) return;
    }
  } catch (const std::exception&) {
  }
  throw std::invalid_argument("--normalize expects MEAN,STD, got '" + meanCommaStd + "'");
}

namespace {

// A checkpoint's metadata integer: the whole text, decimal, in [low, high]
// (std::stoi would read "2junk" as 2 and "-5" as -5).
int64_t metadataInteger(const std::string& path, const std::string& key,
                        const std::string& text, int64_t low, int64_t high) {
  std::optional<int64_t> value = parseWholeInteger(text, low, high);
  if (!value)
    throw Error(GRAPHC_DATA_LOSS, path + ": the checkpoint's metadata '" + key + "' is '" + text +
                                      "', expected an integer from " + std::to_string(low) +
                                      " to " + std::to_string(high));
  return *value;
}

// An exclusive lock on an output of the run (FILE.lock beside it, removed
// at the end): a second run writing the same checkpoint or metrics file is
// refused instead of interleaving its lines and checkpoints with this one's.
// Taking it also checks, before any training, that the file's directory
// exists and is writable.
class OutputLock {
 public:
  explicit OutputLock(const std::string& path) : path_(path + ".lock") {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd_ < 0)
      throw Error(GRAPHC_IO_ERROR, "cannot write beside " + path + " (creating " + path_ +
                                       "): " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      throw Error(GRAPHC_INVALID_ARGUMENT,
                  "another run is writing " + path + " (it holds " + path_ +
                      "); wait for it or choose another file");
    }
    // The lock is on the file now at that name: a run that ended between
    // our open and our flock has unlinked the one we opened.
    struct stat held, named;
    if (::fstat(fd_, &held) != 0 || ::stat(path_.c_str(), &named) != 0 ||
        held.st_ino != named.st_ino || held.st_dev != named.st_dev) {
      ::close(fd_);
      throw Error(GRAPHC_INVALID_ARGUMENT,
                  "another run is writing " + path + " (its lock " + path_ +
                      " changed while this run took it); try again");
    }
  }
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;
  ~OutputLock() {
    ::unlink(path_.c_str());
    ::close(fd_);
  }

 private:
  std::string path_;
  int fd_ = -1;
};

std::string dataDirectory(const TrainingConfig& config) {
  return config.dataDir.empty() ? std::string(GRAPHC_FASHION_MNIST_DIR) : config.dataDir;
}

// A data set the model cannot use is refused before the first step, naming
// the set and what the model expects: images of another size, labels outside
// its classes (a label of 200 trained to a loss of 0.0000 before).
void checkDataset(const Dataset& data, const char* which, const TrainingConfig& config,
                  const TrainingCallbacks& cb) {
  std::string where = std::string("the ") + which + " set in " + dataDirectory(config);
  std::vector<int64_t> shape = data.imageShape();
  int64_t perImage = 1;
  for (int64_t d : shape) perImage *= d;
  if (cb.sampleElements > 0 && perImage != cb.sampleElements) {
    std::string dims;
    for (int64_t d : shape) dims += (dims.empty() ? "" : "x") + std::to_string(d);
    throw Error(GRAPHC_INVALID_ARGUMENT, where + " has images of " + dims + " (" +
                                             std::to_string(perImage) +
                                             " values); the model takes " +
                                             std::to_string(cb.sampleElements) + " per sample");
  }
  if (cb.numClasses > 0) {
    Tensor labels = data.labels();
    const int64_t* values = static_cast<const int64_t*>(labels.rawData());
    for (int64_t i = 0; i < labels.numel(); ++i)
      if (values[i] < 0 || values[i] >= cb.numClasses)
        throw Error(GRAPHC_INVALID_ARGUMENT,
                    where + ": label " + std::to_string(i) + " is " + std::to_string(values[i]) +
                        ", outside the model's " + std::to_string(cb.numClasses) +
                        " classes (0 to " + std::to_string(cb.numClasses - 1) + ")");
  }
}

// SIGINT and SIGTERM during training: the handler only records the signal;
// the loop finishes its step, writes a checkpoint of the exact position and
// returns (the caller exits with 128 + the signal). The previous handlers
// come back when the loop ends.
volatile sig_atomic_t g_stopSignal = 0;

extern "C" void recordStopSignal(int signal) { g_stopSignal = signal; }

class StopSignals {
 public:
  StopSignals() {
    g_stopSignal = 0;
    struct sigaction action {};
    action.sa_handler = recordStopSignal;
    // Once: a second Ctrl-C stops a step that hangs. Restarted: a write
    // blocked on a full pipe is not cut short by the signal.
    action.sa_flags = SA_RESETHAND | SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previousInt_);
    sigaction(SIGTERM, &action, &previousTerm_);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  ~StopSignals() {
    sigaction(SIGINT, &previousInt_, nullptr);
    sigaction(SIGTERM, &previousTerm_, nullptr);
  }

 private:
  struct sigaction previousInt_ {}, previousTerm_ {};
};

// A test hook (docs/testing.md): GRAPHC_RAISE_SIGNAL_AT_STEP=N:SIG raises
// signal SIG after training step N, so a test interrupts a run at an exact
// step instead of racing it with a timer.
void raiseSignalForTest(int64_t step) {
  static const char* hook = std::getenv("GRAPHC_RAISE_SIGNAL_AT_STEP");
  if (!hook) return;
  char* end = nullptr;
  long long at = std::strtoll(hook, &end, 10);
  if (end && *end == ':' && at == step) std::raise(std::atoi(end + 1));
}

// A double written so that reading it back gives the same bits.
std::string exactText(double value) {
  char text[40];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

double metadataReal(const std::string& path, const std::string& key, const std::string& text) {
  char* end = nullptr;
  double value = text.empty() ? 0 : std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(value))
    throw Error(GRAPHC_DATA_LOSS, path + ": the checkpoint's metadata '" + key + "' is '" + text +
                                      "', expected a finite number");
  return value;
}

// Flags that contradict each other are refused before any work.
void checkFlags(const TrainingConfig& config) {
  if (!config.resumePath.empty() && !config.loadPath.empty())
    throw Error(GRAPHC_INVALID_ARGUMENT,
                "--resume and --load both give the starting weights; use one of them");
  if (config.evalOnly && !config.savePath.empty())
    throw Error(GRAPHC_INVALID_ARGUMENT,
                "--eval-only trains nothing, so --save would write the loaded weights back "
                "unchanged; drop --save");
  if (config.evalOnly && !config.resumePath.empty())
    throw Error(GRAPHC_INVALID_ARGUMENT, "--eval-only takes weights with --load, not --resume");
}

}  // namespace

TrainingSummary runTraining(const TrainingConfig& config, const TrainingCallbacks& cb) {
  checkFlags(config);
  // Data-parallel: this process's part of every batch; rank 0 alone prints
  // and writes the checkpoint and metrics.
  DataParallelStep* const parallel = cb.dataParallel;
  ProcessGroup* const group = parallel ? parallel->group() : nullptr;
  const bool root = !group || group->rank() == 0;
  const int64_t parts = parallel ? parallel->parts() : 1;
  if (cb.fixedBatch > 0 && config.batchSize != cb.fixedBatch * parts)
    throw Error(GRAPHC_INVALID_ARGUMENT,
                "the training step was compiled for batches of " +
                    std::to_string(cb.fixedBatch) + " (graphc --batch=" +
                    std::to_string(cb.fixedBatch) + "); --batch " +
                    std::to_string(config.batchSize) + " cannot run it" +
                    (parts > 1 ? " in " + std::to_string(parts) + " parts (--batch " +
                                     std::to_string(cb.fixedBatch * parts) + " can)"
                               : std::string()));
  std::vector<std::unique_ptr<OutputLock>> locks;
  for (const std::string* output : {&config.savePath, &config.metricsPath})
    if (!output->empty() && root) locks.push_back(std::make_unique<OutputLock>(*output));
  // The stop signal as every process agrees on it (any process's), so that
  // all stop after the same step.
  auto stopSignal = [&]() -> int {
    return group ? group->max(g_stopSignal, "the stop signal") : g_stopSignal;
  };
  if (config.batchSize < 1 || config.epochs < 0)
    throw Error(GRAPHC_INVALID_ARGUMENT, "batch size must be >= 1 and epochs >= 0");
  auto callStart = Clock::now();
  auto seconds = [](Clock::time_point from) {
    return std::chrono::duration<double>(Clock::now() - from).count();
  };
  LoaderOptions testOptions;
  testOptions.batchSize = config.batchSize;
  testOptions.seed = config.seed;
  testOptions.mean = config.mean;
  testOptions.stdDev = config.std;
  // Every test image counts: no shuffle, and the last partial batch is kept.
  auto loadStart = Clock::now();
  Dataset test = loadDataset(config.dataDir, false, config.limitTest);
  double dataLoadSeconds = seconds(loadStart);
  int64_t testCount = test.size();
  if (testCount == 0)
    throw Error(GRAPHC_INVALID_ARGUMENT,
                "the test set in " + dataDirectory(config) + " is empty; there is nothing to evaluate on");
  checkDataset(test, "test", config, cb);
  DataLoader testLoader(test, testOptions);
  if (parallel) testLoader.setShard(parallel->partBegin(), parallel->partEnd(), parallel->parts());

  TrainingSummary summary;
  summary.dataLoadSeconds = dataLoadSeconds;
  int firstEpoch = 0;
  int64_t firstBatch = 0, firstSeen = 0;
  double firstLossSum = 0;
  if (!config.resumePath.empty() || !config.loadPath.empty()) {
    bool resume = !config.resumePath.empty();
    const std::string& path = resume ? config.resumePath : config.loadPath;
    std::map<std::string, std::string> metadata;
    std::map<std::string, Tensor> tensors = loadSafetensors(path, &metadata);
    if (resume) {
      auto epoch = metadata.find("epoch");
      auto step = metadata.find("step");
      if (epoch == metadata.end() || step == metadata.end())
        throw Error(GRAPHC_DATA_LOSS, path + ": not a training checkpoint (no epoch/step in its "
                                             "metadata); use --load for weights only");
      firstEpoch = static_cast<int>(metadataInteger(path, "epoch", epoch->second, 0, 1000000));
      summary.steps = metadataInteger(path, "step", step->second, 0, INT64_MAX);
      // An interrupted run: its position inside the epoch, and the running
      // loss so far, so that the epoch's line comes out as uninterrupted.
      if (auto batch = metadata.find("epoch_batch"); batch != metadata.end()) {
        firstBatch = metadataInteger(path, "epoch_batch", batch->second, 0, INT64_MAX);
        auto sum = metadata.find("train_loss_sum"), seenText = metadata.find("train_seen");
        if (sum == metadata.end() || seenText == metadata.end())
          throw Error(GRAPHC_DATA_LOSS, path + ": an interrupted run's checkpoint without its "
                                               "running loss (train_loss_sum, train_seen)");
        firstLossSum = metadataReal(path, "train_loss_sum", sum->second);
        firstSeen = metadataInteger(path, "train_seen", seenText->second, 0, INT64_MAX);
        // Going on inside an epoch takes the same data order: the same seed
        // and batch size.
        for (auto [key, value] : {std::pair<const char*, std::string>{"seed", std::to_string(config.seed)},
                                  {"batch", std::to_string(config.batchSize)}}) {
          auto recorded = metadata.find(key);
          if (recorded != metadata.end() && recorded->second != value)
            throw Error(GRAPHC_INVALID_ARGUMENT,
                        path + " stopped inside an epoch with --" + key + " " + recorded->second +
                            "; resuming it with --" + key + " " + value +
                            " would train a different data order");
        }
      }
      if (root && firstEpoch >= config.epochs) {
        std::printf("%s: the run finished %d of %d epoch(s) already; nothing to train "
                    "(--epochs %d or more goes on)\n",
                    path.c_str(), firstEpoch, config.epochs, firstEpoch + 1);
      } else if (root) {
        if (firstBatch > 0)
          std::printf("resumed from epoch %d, batch %lld, step %lld of %s\n", firstEpoch + 1,
                      (long long)firstBatch, (long long)summary.steps, path.c_str());
        else
          std::printf("resumed from epoch %d, step %lld of %s\n", firstEpoch,
                      (long long)summary.steps, path.c_str());
      }
    } else {
      for (auto it = tensors.begin(); it != tensors.end();)
        it = it->first.rfind(kOptimizerPrefix, 0) == 0 ? tensors.erase(it) : std::next(it);
    }
    try {
      cb.restore(tensors, resume);
    } catch (const Error& e) {
      throw Error(e.code(), path + ": " + e.what()); // which file was wrong
    }
  }
  // Every process starts from rank 0's model (its initialization, or the
  // checkpoint it read).
  if (parallel) parallel->broadcastModel();

  // A finished run resumed: its accuracy is the checkpoint's, not 0.
  if (config.evalOnly || (!config.resumePath.empty() && firstEpoch >= config.epochs)) {
    Evaluation e = evaluate(cb, testLoader, testCount);
    if (root)
      std::printf("test loss %.4f, accuracy %.2f%% (%lld images)\n", e.loss, 100 * e.accuracy,
                  (long long)testCount);
    summary.testLoss = e.loss;
    summary.testAccuracy = e.accuracy;
    return summary;
  }

  loadStart = Clock::now();
  Dataset train = loadDataset(config.dataDir, true, config.limitTrain);
  summary.dataLoadSeconds += seconds(loadStart);
  int64_t trainCount = train.size();
  if (trainCount == 0)
    throw Error(GRAPHC_INVALID_ARGUMENT,
                "the training set in " + dataDirectory(config) + " is empty; there is nothing to train on");
  checkDataset(train, "training", config, cb);
  LoaderOptions trainOptions = testOptions;
  trainOptions.shuffle = true;
  // A fixed-batch training step cannot take the smaller last batch.
  trainOptions.dropLast = cb.fixedBatch > 0;
  DataLoader trainLoader(train, trainOptions);
  if (parallel) trainLoader.setShard(parallel->partBegin(), parallel->partEnd(), parallel->parts());
  int64_t batches = trainLoader.numBatches();

  std::ofstream metrics;
  if (!config.metricsPath.empty() && root) {
    metrics.open(config.metricsPath, config.resumePath.empty() ? std::ios::trunc : std::ios::app);
    if (!metrics)
      throw Error(GRAPHC_IO_ERROR, "cannot write metrics to " + config.metricsPath);
  }
  // What a checkpoint's metadata holds besides the position.
  auto checkpointMetadata = [&](int completedEpochs) {
    std::map<std::string, std::string> metadata = config.description;
    metadata["format"] = "graphc-checkpoint-1";
    metadata["epoch"] = std::to_string(completedEpochs);
    metadata["step"] = std::to_string(summary.steps);
    // The data order is a function of (seed, epoch): that is the whole RNG state.
    metadata["seed"] = std::to_string(config.seed);
    metadata["data_order"] = "graphc_loader_set_epoch(seed, epoch)";
    metadata["optimizer_prefix"] = kOptimizerPrefix;
    metadata["lr_schedule"] = config.lrSchedule.text();
    return metadata;
  };
  StopSignals stopSignals;
  auto runStart = Clock::now();
  for (int epoch = firstEpoch; epoch < config.epochs; ++epoch) {
    trainLoader.setEpoch(epoch);
    Progress progress(epoch, config.epochs, batches, root);
    auto epochStart = Clock::now();
    double lossSum = 0;
    int64_t seen = 0, batch = 0;
    if (epoch == firstEpoch && firstBatch > 0) {
      trainLoader.seek(firstBatch);
      batch = firstBatch;
      lossSum = firstLossSum;
      seen = firstSeen;
    }
    Tensor images, labels;
    const double lr = config.lrSchedule.rate(config.learningRate, epoch);
    // The global batch's rows (this process holds its part of them).
    auto globalRows = [&] {
      return std::min(config.batchSize, trainCount - trainLoader.batchIndex() * config.batchSize);
    };
    for (int64_t rows = globalRows(); trainLoader.next(images, labels); rows = globalRows()) {
      if (summary.steps == 0 && summary.secondsToFirstStep == 0)
        summary.secondsToFirstStep = seconds(callStart);
      double loss = parallel ? parallel->step(images, labels, rows, lr)
                             : cb.trainStep(images, labels, lr);
      ++batch;
      ++summary.steps;
      if (!std::isfinite(loss) && !config.continueOnNonFinite)
        throw Error(GRAPHC_OUT_OF_RANGE,
                    "training loss is " + std::to_string(loss) + " at step " +
                        std::to_string(summary.steps) + " (epoch " + std::to_string(epoch + 1) +
                        ", batch " + std::to_string(batch) +
                        "); stopping (--continue-on-nan to go on)");
      int64_t size = parallel ? rows : labels.numel();
      lossSum += loss * size;
      seen += size;
      double elapsed = std::chrono::duration<double>(Clock::now() - epochStart).count();
      progress.update(batch, lossSum / seen, seen / std::max(elapsed, 1e-9), elapsed);
      raiseSignalForTest(summary.steps);
      int stop = stopSignal();
      if (stop && batch < batches) {
        // Interrupted: the step is done; save the exact position.
        summary.interruptedBy = stop;
        if (!root) return summary;
        std::printf("\ninterrupted by %s at epoch %d, batch %lld of %lld (step %lld)\n",
                    stop == SIGINT ? "SIGINT" : "SIGTERM", epoch + 1, (long long)batch,
                    (long long)batches, (long long)summary.steps);
        if (!config.savePath.empty()) {
          std::map<std::string, std::string> metadata = checkpointMetadata(epoch);
          metadata["epoch_batch"] = std::to_string(batch);
          metadata["train_loss_sum"] = exactText(lossSum);
          metadata["train_seen"] = std::to_string(seen);
          saveSafetensors(config.savePath, cb.checkpointTensors(), metadata);
          std::printf("saved %s; continue with --resume %s\n", config.savePath.c_str(),
                      config.savePath.c_str());
        } else {
          std::printf("nothing saved (no --save)\n");
        }
        std::fflush(stdout);
        if (metrics.is_open()) {
          metrics.close();
          writePlot(config.metricsPath);
        }
        return summary;
      }
    }
    double trainSeconds = std::chrono::duration<double>(Clock::now() - epochStart).count();
    Evaluation e = evaluate(cb, testLoader, testCount);
    double runSeconds = std::chrono::duration<double>(Clock::now() - runStart).count();
    summary.trainLoss = lossSum / std::max<int64_t>(seen, 1);
    summary.testLoss = e.loss;
    summary.testAccuracy = e.accuracy;
    summary.epochsRun++;
    if (root)
      std::printf("epoch %d: train loss %.4f, test loss %.4f, test accuracy %.2f%% (%lld/%lld), "
                "%.0f images/s\n",
                epoch + 1, summary.trainLoss, e.loss, 100 * e.accuracy,
                (long long)std::llround(e.accuracy * testCount), (long long)testCount,
                trainCount / trainSeconds);
    std::fflush(stdout);
    if (metrics.is_open()) {
      nlohmann::json line = {{"epoch", epoch + 1},
                             {"step", summary.steps},
                             {"lr", lr},
                             {"train_loss", summary.trainLoss},
                             {"test_loss", e.loss},
                             {"test_accuracy", e.accuracy},
                             {"images_per_sec", trainCount / trainSeconds},
                             {"seconds", runSeconds}};
      metrics << line.dump() << "\n";
      metrics.flush();
    }
    if (!config.savePath.empty() && root)
      saveSafetensors(config.savePath, cb.checkpointTensors(), checkpointMetadata(epoch + 1));
    // A signal during the epoch's last batch or its evaluation: the epoch's
    // checkpoint is written; stop here.
    if (int stop = stopSignal()) {
      summary.interruptedBy = stop;
      if (!root) break;
      std::string next = epoch + 1 == config.epochs ? "; the run is complete"
                         : config.savePath.empty()  ? "; nothing saved (no --save)"
                                                    : "; continue with --resume " + config.savePath;
      std::printf("interrupted by %s after epoch %d (step %lld)%s\n",
                  stop == SIGINT ? "SIGINT" : "SIGTERM", epoch + 1,
                  (long long)summary.steps, next.c_str());
      break;
    }
  }
  if (metrics.is_open()) {
    metrics.close();
    writePlot(config.metricsPath);
  }
  return summary;
}

}  // namespace graphc::rt
