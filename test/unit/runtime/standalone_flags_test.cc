// rt::parseStandaloneFlags: what a standalone executable accepts, and that
// every bad value is a UsageError naming the flag and the value (the
// executables' exit statuses and messages are tested end to end in
// test/e2e/bad_input/run.sh).
#include "graphc/runtime/standalone_flags.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using graphc::rt::StandaloneFlags;
using graphc::rt::UsageError;

StandaloneFlags parse(std::vector<std::string> args) {
  args.insert(args.begin(), "model");
  std::vector<char *> argv;
  for (std::string &arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  return graphc::rt::parseStandaloneFlags(static_cast<int>(args.size()), argv.data());
}

std::string usageError(std::vector<std::string> args) {
  try {
    parse(std::move(args));
  } catch (const UsageError &e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(StandaloneFlagsTest, DefaultsAreTrainingConfigs) {
  StandaloneFlags flags = parse({});
  graphc::rt::TrainingConfig defaults;
  EXPECT_EQ(flags.config.epochs, defaults.epochs);
  EXPECT_EQ(flags.config.batchSize, defaults.batchSize);
  EXPECT_EQ(flags.config.learningRate, 1e-3);
  EXPECT_FALSE(flags.batchGiven);
  EXPECT_EQ(flags.threads, 0);
}

TEST(StandaloneFlagsTest, ReadsEveryFormOfEveryFlag) {
  StandaloneFlags flags =
      parse({"--epochs", "3", "--batch=128", "--lr", "0.05", "--seed", "18446744073709551615",
             "--threads=2", "--save", "a.safetensors", "--limit-train", "640", "--eval-only",
             "--normalize", "0.25,2", "--report-startup", "--lr-schedule", "cosine:20:0.001"});
  EXPECT_EQ(flags.config.epochs, 3);
  EXPECT_EQ(flags.config.batchSize, 128);
  EXPECT_TRUE(flags.batchGiven);
  EXPECT_DOUBLE_EQ(flags.config.learningRate, 0.05);
  EXPECT_EQ(flags.config.seed, 18446744073709551615ull);
  EXPECT_EQ(flags.threads, 2);
  EXPECT_EQ(flags.config.savePath, "a.safetensors");
  EXPECT_EQ(flags.config.limitTrain, 640);
  EXPECT_TRUE(flags.config.evalOnly);
  EXPECT_FLOAT_EQ(flags.config.mean, 0.25f);
  EXPECT_FLOAT_EQ(flags.config.std, 2.0f);
  EXPECT_TRUE(flags.reportStartup);
  EXPECT_EQ(flags.config.lrSchedule.text(), "cosine:20:0.001");
}

TEST(StandaloneFlagsTest, BadValuesNameTheFlagAndTheValue) {
  EXPECT_EQ(usageError({"--batch", "abc"}), "--batch abc: expected an integer from 1 to 16777216");
  EXPECT_EQ(usageError({"--batch", "5x"}), "--batch 5x: expected an integer from 1 to 16777216");
  EXPECT_EQ(usageError({"--epochs", "1e99"}),
            "--epochs 1e99: expected an integer from 1 to 1000000");
  EXPECT_EQ(usageError({"--lr", "-1"}), "--lr -1: expected a finite number >= 0");
  EXPECT_EQ(usageError({"--lr", "nan"}), "--lr nan: expected a finite number >= 0");
  EXPECT_EQ(usageError({"--seed", "-1"}),
            "--seed -1: expected an integer from 0 to 18446744073709551615");
  EXPECT_EQ(usageError({"--seed", "18446744073709551616"}),
            "--seed 18446744073709551616: expected an integer from 0 to 18446744073709551615");
  EXPECT_EQ(usageError({"--threads", "0"}), "--threads 0: expected an integer from 1 to 1024");
  EXPECT_EQ(usageError({"--lr-schedule", "step:0"}),
            "bad option value: --lr-schedule expects constant, step:STEP_SIZE[:GAMMA] or "
            "cosine:T_MAX[:ETA_MIN], got 'step:0' (0: an integer >= 1)");
  EXPECT_EQ(usageError({"stray"}), "unexpected argument 'stray'");
}

TEST(StandaloneFlagsTest, DataParallelFlags) {
  StandaloneFlags flags = parse({"--shards", "8", "--reduce=ordered", "--collective-timeout", "30"});
  EXPECT_EQ(flags.config.dataParallel.reduction, graphc::rt::GradientReduction::Ordered);
  EXPECT_EQ(flags.config.dataParallel.shards, 8);
  EXPECT_DOUBLE_EQ(flags.config.collectiveTimeout, 30);
  StandaloneFlags defaults = parse({});
  EXPECT_EQ(defaults.config.dataParallel.reduction, graphc::rt::GradientReduction::Sum);
  EXPECT_EQ(defaults.config.dataParallel.shards, 0);
  EXPECT_DOUBLE_EQ(defaults.config.collectiveTimeout, 300);
  EXPECT_EQ(usageError({"--reduce", "mean"}), "--reduce mean: expected sum or ordered");
  EXPECT_EQ(usageError({"--shards", "0"}), "--shards 0: expected an integer from 1 to 65536");
  EXPECT_EQ(usageError({"--shards", "4"}),
            "--shards cuts batches for --reduce ordered; add --reduce ordered");
  EXPECT_EQ(usageError({"--collective-timeout", "-1"}),
            "--collective-timeout -1: expected a finite number >= 0");
}

TEST(StandaloneFlagsTest, ParsesAgainAfterAnError) {
  // getopt keeps global state: a second parse must start from the first flag.
  EXPECT_NE(usageError({"--batch", "x"}), "(accepted)");
  EXPECT_EQ(parse({"--batch", "32"}).config.batchSize, 32);
  EXPECT_EQ(parse({"--epochs", "2"}).config.epochs, 2);
}

TEST(StandaloneFlagsTest, HelpStopsParsing) {
  StandaloneFlags flags = parse({"--help", "--batch", "x"});
  EXPECT_TRUE(flags.help);
}

} // namespace
