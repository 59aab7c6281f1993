// MetricsLog: metrics.jsonl round trip, non-finite values, resume truncation
// and recovery from a run killed mid-line.
#include "libgrpo/metrics_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "libgrpo/error.h"

namespace fs = std::filesystem;
using grpo::Metrics;
using grpo::MetricsLog;
using grpo::read_metrics_jsonl;

namespace {

class MetricsLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("libgrpo_metrics_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string file_text() const {
    std::ifstream in(dir_ / "metrics.jsonl", std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
  void append_raw(const std::string& bytes) const {
    std::ofstream(dir_ / "metrics.jsonl", std::ios::binary | std::ios::app) << bytes;
  }
  std::vector<int64_t> steps() const {
    std::vector<int64_t> out;
    for (const auto& [step, metrics] : read_metrics_jsonl(dir_ / "metrics.jsonl")) out.push_back(step);
    return out;
  }

  fs::path dir_;
};

TEST_F(MetricsLogTest, RoundTripKeepsStepTimeAndValues) {
  {
    MetricsLog log(dir_);
    EXPECT_FALSE(log.last_step().has_value());
    log.log(0, {{"reward", 0.25}, {"clip_ratio/region_mean", 1e-7}}, 1700000000.5);
    log.log(1, {{"reward", 0.1 + 0.2}, {"kl", -3.0}}, 1700000001.25);
    EXPECT_EQ(log.last_step(), 1);
  }
  auto records = read_metrics_jsonl(dir_ / "metrics.jsonl");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].first, 0);
  EXPECT_EQ(records[0].second, (Metrics{{"time", 1700000000.5}, {"reward", 0.25}, {"clip_ratio/region_mean", 1e-7}}));
  EXPECT_EQ(records[1].first, 1);
  // Doubles survive exactly (shortest round-trip representation).
  EXPECT_EQ(records[1].second.at("reward"), 0.1 + 0.2);
  EXPECT_EQ(records[1].second.at("kl"), -3.0);
  EXPECT_EQ(records[1].second.at("time"), 1700000001.25);

  // "step" and "time" come first, one object per line.
  std::string text = file_text();
  EXPECT_EQ(text.rfind("{\"step\":0,\"time\":1700000000.5,", 0), 0u) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
}

TEST_F(MetricsLogTest, NonFiniteValuesAreNullAndReadBackAsNan) {
  {
    MetricsLog log(dir_);
    log.log(3, {{"loss", std::nan("")}, {"kl", INFINITY}, {"reward", -INFINITY}, {"ok", 1.0}}, 1.0);
  }
  EXPECT_EQ(file_text(), "{\"step\":3,\"time\":1.0,\"kl\":null,\"loss\":null,\"ok\":1.0,\"reward\":null}\n");
  auto records = read_metrics_jsonl(dir_ / "metrics.jsonl");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_TRUE(std::isnan(records[0].second.at("loss")));
  EXPECT_TRUE(std::isnan(records[0].second.at("kl")));
  EXPECT_EQ(records[0].second.at("ok"), 1.0);
}

TEST_F(MetricsLogTest, RejectsDuplicateStepsAndReservedNames) {
  MetricsLog log(dir_);
  log.log(5, {{"reward", 1.0}}, 1.0);
  EXPECT_THROW(log.log(5, {{"reward", 1.0}}, 2.0), grpo::Error);
  EXPECT_THROW(log.log(4, {{"reward", 1.0}}, 2.0), grpo::Error);
  EXPECT_THROW(log.log(6, {{"step", 1.0}}, 2.0), grpo::Error);
  EXPECT_THROW(log.log(6, {{"time", 1.0}}, 2.0), grpo::Error);
  log.log(6, {{"reward", 1.0}}, 2.0);
  EXPECT_EQ(steps(), (std::vector<int64_t>{5, 6}));
}

TEST_F(MetricsLogTest, ResumeDropsStepsAfterTheCheckpoint) {
  {
    MetricsLog log(dir_);
    for (int64_t step = 1; step <= 7; ++step) log.log(step, {{"reward", double(step)}}, double(step));
  }
  // The run died after step 7; its last checkpoint was step 4.
  MetricsLog log(dir_);
  EXPECT_EQ(log.last_step(), 7);
  EXPECT_THROW(log.log(5, {{"reward", 50.0}}, 50.0), grpo::Error);
  log.truncate_after(4);
  EXPECT_EQ(log.last_step(), 4);
  EXPECT_FALSE(fs::exists(dir_ / "metrics.jsonl.tmp"));
  EXPECT_EQ(steps(), (std::vector<int64_t>{1, 2, 3, 4}));
  log.log(5, {{"reward", 50.0}}, 50.0);
  log.log(6, {{"reward", 60.0}}, 60.0);
  auto records = read_metrics_jsonl(dir_ / "metrics.jsonl");
  ASSERT_EQ(records.size(), 6u);
  EXPECT_EQ(records[4].first, 5);
  EXPECT_EQ(records[4].second.at("reward"), 50.0);  // the resumed run's value, once
  // Truncating at or past the end changes nothing.
  log.truncate_after(100);
  EXPECT_EQ(steps(), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
}

TEST_F(MetricsLogTest, TornLastLineIsDroppedOnOpen) {
  {
    MetricsLog log(dir_);
    log.log(1, {{"reward", 1.0}}, 1.0);
    log.log(2, {{"reward", 2.0}}, 2.0);
  }
  append_raw("{\"step\":3,\"time\":3.0,\"rew");  // killed mid-write
  // A reader skips the torn line without an error.
  EXPECT_EQ(steps(), (std::vector<int64_t>{1, 2}));
  {
    MetricsLog log(dir_);
    EXPECT_EQ(log.last_step(), 2);
    log.log(3, {{"reward", 3.0}}, 3.0);
  }
  EXPECT_EQ(steps(), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(file_text().find("\"rew{"), std::string::npos);
  EXPECT_EQ(file_text().back(), '\n');
}

TEST_F(MetricsLogTest, GarbageLastLineIsDroppedButGarbageInsideIsAnError) {
  {
    MetricsLog log(dir_);
    log.log(1, {{"reward", 1.0}}, 1.0);
  }
  append_raw(std::string(5, '\0') + "\n");  // a crash can leave zeros where bytes were
  EXPECT_EQ(steps(), (std::vector<int64_t>{1}));
  {
    MetricsLog log(dir_);
    log.log(2, {{"reward", 2.0}}, 2.0);
  }
  EXPECT_EQ(steps(), (std::vector<int64_t>{1, 2}));

  append_raw("not json\n{\"step\":9,\"time\":1.0}\n");
  EXPECT_THROW(read_metrics_jsonl(dir_ / "metrics.jsonl"), grpo::Error);
  EXPECT_THROW(MetricsLog{dir_}, grpo::Error);
}

}  // namespace
