// Learning-rate schedules against PyTorch's StepLR and CosineAnnealingLR
// (lr_schedule_reference.json, from gen_lr_schedule_reference.py), and the
// --lr-schedule parser's errors.
#include "graphc/runtime/lr_schedule.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

namespace rt = graphc::rt;

TEST(LrScheduleTest, MatchesPyTorchEveryEpoch) {
  std::ifstream in(std::string(GRAPHC_RUNTIME_TEST_DIR) + "/lr_schedule_reference.json");
  ASSERT_TRUE(in) << "lr_schedule_reference.json is missing";
  nlohmann::json reference = nlohmann::json::parse(in);
  double base = reference["base_lr"];
  ASSERT_EQ(reference["schedules"].size(), 4u);
  for (auto &[text, rates] : reference["schedules"].items()) {
    rt::LrSchedule schedule = rt::parseLrSchedule(text);
    for (size_t epoch = 0; epoch < rates.size(); ++epoch) {
      double want = rates[epoch];
      // PyTorch's cosine recurrence and our closed form differ by rounding only.
      EXPECT_NEAR(schedule.rate(base, static_cast<int64_t>(epoch)), want, 1e-12 + 1e-12 * want)
          << text << " epoch " << epoch;
    }
  }
}

TEST(LrScheduleTest, ConstantIsTheDefault) {
  rt::LrSchedule schedule;
  EXPECT_EQ(schedule.text(), "constant");
  EXPECT_EQ(schedule.rate(0.25, 1000), 0.25);
  EXPECT_EQ(rt::parseLrSchedule("constant").kind, rt::LrSchedule::Kind::Constant);
}

TEST(LrScheduleTest, TextReadsBack) {
  for (const char *text : {"step:30:0.1", "step:1:0.5", "cosine:10:0", "cosine:7:0.001"})
    EXPECT_EQ(rt::parseLrSchedule(text).text(), text);
  EXPECT_EQ(rt::parseLrSchedule("step:5").text(), "step:5:0.1");
  EXPECT_EQ(rt::parseLrSchedule("cosine:5").text(), "cosine:5:0");
}

TEST(LrScheduleTest, BadValuesSayWhatWasExpected) {
  for (const char *bad : {"", "linear", "step", "step:0", "step:-2", "step:3:", "step:3:x",
                          "step:3:-0.1", "step:3:0.1:4", "cosine:0", "cosine:2:nan",
                          "cosine:2:inf", "step:1e3", "constant:1", "step:99999999999999999999"}) {
    try {
      rt::parseLrSchedule(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const std::invalid_argument &e) {
      EXPECT_NE(std::string(e.what()).find("--lr-schedule expects constant, "
                                           "step:STEP_SIZE[:GAMMA] or cosine:T_MAX[:ETA_MIN], "
                                           "got '" + std::string(bad) + "'"),
                std::string::npos)
          << e.what();
    }
  }
}
