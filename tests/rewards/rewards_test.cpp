// Countdown, language, length, tag-count rewards, weighted sums and batch scoring.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <cmath>
#include <thread>

#include "libgrpo/advantages.h"
#include "libgrpo/error.h"
#include "rewards/combine.h"
#include "rewards/countdown.h"
#include "rewards/format.h"
#include "rewards/language.h"
#include "rewards/length.h"
#include "rewards/math.h"
#include "rewards/scoring.h"

namespace {

using namespace grpo::rewards;
using namespace std::chrono_literals;

// ---------------------------------------------------------------- tag count

TEST(TagCountReward, QuarterPerTag) {
  EXPECT_EQ(count_r1_tags("<think>\nx\n</think>\n<answer>\n4\n</answer>"), 1.0);
  EXPECT_EQ(count_r1_tags("<think>x</think><answer>4</answer>"), 0.0);
  EXPECT_EQ(count_r1_tags("<think>\nx</think><answer>4</answer>"), 0.25);
  EXPECT_EQ(count_r1_tags("<think>\nx\n</think>\n<answer>4</answer>"), 0.5);
  EXPECT_EQ(count_r1_tags("<think>\n<think>\nx\n</think>\n<answer>\n4\n</answer>"), 0.75);
  EXPECT_EQ(TagCountReward().name(), "tag_count");
}

// ---------------------------------------------------------------- countdown

TEST(Countdown, Verdicts) {
  std::vector<long long> nums = {3, 5, 7, 2};
  struct Case {
    std::string_view eq;
    CountdownVerdict want;
  };
  for (const auto& [eq, want] : std::vector<Case>{
           {"5 * 3 + 7 + 2", CountdownVerdict::correct},
           {"(7 - 5 + 2) * 3 * 2", CountdownVerdict::wrong_numbers},  // 2 twice
           {"3 * 7 + 5 - 2", CountdownVerdict::correct},
           {"(3 + 5) * (7 - 2) - 16", CountdownVerdict::wrong_numbers},
           {"3 * 5 + 7 - 2", CountdownVerdict::wrong_value},
           {"3 * 5 + 7", CountdownVerdict::wrong_numbers},         // 2 unused
           {"3 * 5 + 7 + 2 + 2", CountdownVerdict::wrong_numbers},  // 2 twice
           {"7 / (5 - 5) + 3 + 2", CountdownVerdict::undefined},
           {"3 ** 5 + 7 - 2", CountdownVerdict::bad_syntax},
           {"__import__('os')", CountdownVerdict::bad_syntax},
           {"3 * 7 + 5 - 2 = 24", CountdownVerdict::bad_syntax},
           {"(3 * 7 + 5 - 2", CountdownVerdict::bad_syntax},
           {"", CountdownVerdict::bad_syntax},
           {"-3 + 7 * 5 - 2 * 4", CountdownVerdict::wrong_numbers},
       })
    EXPECT_EQ(check_countdown(eq, nums, 24), want) << eq;
  // Exact rationals: 7 / 2 * 2 is 7 (no float round-off), and 1/3*3 is 1.
  EXPECT_EQ(check_countdown("7 / 2 * 2", {7, 2, 2}, 7), CountdownVerdict::correct);
  EXPECT_EQ(check_countdown("1 / 3 * 3", {1, 3, 3}, 1), CountdownVerdict::correct);
  EXPECT_EQ(check_countdown("(10 - 1 / 3) * 3", {10, 1, 3, 3}, 29), CountdownVerdict::correct);
  // Bounded: deep nesting and long input are refused, not recursed into.
  EXPECT_EQ(check_countdown(std::string(100, '(') + "1" + std::string(100, ')'), {1}, 1), CountdownVerdict::bad_syntax);
  EXPECT_EQ(check_countdown(std::string(10000, '1'), {1}, 1), CountdownVerdict::bad_syntax);
  EXPECT_EQ(check_countdown("99999999999999999999 - 1", {1}, 1), CountdownVerdict::bad_syntax);
}

TEST(Countdown, Scores) {
  CountdownReward reward;
  Sample s{.fields = {{"target", "24"}, {"nums", "[3, 5, 7, 2]"}}};
  s.completion = "<think>try</think><answer>(5 * 3) + 7 + 2</answer>";
  EXPECT_EQ(reward.score(s), 1.0);
  s.completion = "<answer>3 * 5 + 7 - 2</answer>";
  EXPECT_DOUBLE_EQ(reward.score(s), 0.1);
  s.completion = "<answer>2 + 2</answer> then <answer>3 * 7 + 5 - 2</answer>";
  EXPECT_EQ(reward.score(s), 1.0);  // the last answer counts
  s.completion = "the equation is 3 * 7 + 5 - 2";
  EXPECT_EQ(reward.score(s), 0.0);
  s.fields["nums"] = "3 5 7 2";
  s.completion = "<answer>3*7+5-2</answer>";
  EXPECT_EQ(reward.score(s), 1.0);
  EXPECT_THROW(reward.score({.completion = "<answer>1</answer>"}), grpo::Error);
}

// ---------------------------------------------------------------- language

TEST(LanguageReward, ShareOfTargetWords) {
  EXPECT_DOUBLE_EQ(language_share("We add the two numbers", "en"), 1.0);
  EXPECT_DOUBLE_EQ(language_share("We add \u4e24\u4e2a numbers", "en"), 0.6);  // 3 of 5: each Han character is a word
  EXPECT_DOUBLE_EQ(language_share("\u6211\u4eec\u76f8\u52a0", "zh"), 1.0);
  EXPECT_DOUBLE_EQ(language_share("\u6211\u4eec add \u76f8\u52a0", "zh"), 0.8);
  EXPECT_DOUBLE_EQ(language_share("\u0421\u043b\u043e\u0436\u0438\u043c two \u0447\u0438\u0441\u043b\u0430", "ru"), 2.0 / 3);
  EXPECT_DOUBLE_EQ(language_share("\u3053\u308c\u306f\u5186", "ja"), 1.0);  // kana and kanji
  // Math is not language: variables, LaTeX commands and $...$ are skipped.
  EXPECT_DOUBLE_EQ(language_share("\u8bbe x = \\frac{a}{b} $\\sqrt{word word}$", "zh"), 1.0);
  EXPECT_DOUBLE_EQ(language_share("1 + 2 = 3", "en"), 0.0);
  EXPECT_DOUBLE_EQ(language_share("na\u00efve caf\u00e9", "fr"), 1.0);
  EXPECT_THROW(language_share("x", "klingon"), grpo::Error);
}

TEST(LanguageReward, ReadsTheChainOfThought) {
  LanguageConsistencyReward en;
  EXPECT_EQ(en.name(), "language");
  EXPECT_DOUBLE_EQ(en.score({.completion = "<think>add them</think><answer>\u7b54\u6848</answer>"}), 1.0);
  EXPECT_DOUBLE_EQ(en.score({.completion = "<think>\u52a0 them</think>"}), 0.5);
  Sample zh{.completion = "<think>\u52a0\u8d77\u6765</think>", .fields = {{"language", "zh"}}};
  EXPECT_DOUBLE_EQ(en.score(zh), 1.0);  // the sample's language wins
  EXPECT_THROW(LanguageConsistencyReward({.language = "xx"}), grpo::Error);
}

// ---------------------------------------------------------------- length

TEST(OverlongPunishment, DapoSoftZone) {
  OverlongPunishment r({.max_length = 100, .cache_length = 20});
  auto at = [&](int64_t n) { return r.score({.completion_tokens = n}); };
  EXPECT_EQ(at(0), 0.0);
  EXPECT_EQ(at(80), 0.0);
  EXPECT_DOUBLE_EQ(at(90), -0.5);
  EXPECT_DOUBLE_EQ(at(100), -1.0);
  EXPECT_EQ(at(101), -1.0);
  EXPECT_TRUE(std::isnan(at(-1)));  // unknown length
  OverlongPunishment bytes({.max_length = 10, .cache_length = 5, .unit = LengthUnit::bytes});
  EXPECT_DOUBLE_EQ(bytes.score({.completion = "1234567"}), -0.4);
  EXPECT_THROW(OverlongPunishment({.max_length = 10, .cache_length = 20}), grpo::Error);
}

TEST(CosineScaledReward, OpenR1Formula) {
  CosineScaledReward r({.max_length = 100});
  EXPECT_DOUBLE_EQ(r.scale(true, 0), 1.0);
  EXPECT_DOUBLE_EQ(r.scale(true, 100), 0.5);
  EXPECT_DOUBLE_EQ(r.scale(true, 50), 0.75);
  EXPECT_DOUBLE_EQ(r.scale(true, 1000), 0.5);
  EXPECT_DOUBLE_EQ(r.scale(false, 0), -1.0);
  EXPECT_DOUBLE_EQ(r.scale(false, 100), -0.5);
  EXPECT_DOUBLE_EQ(r.scale(false, 50), -0.75);
  Sample s{.completion = "\\boxed{4}", .fields = {{"answer", "4"}}, .completion_tokens = 0};
  EXPECT_DOUBLE_EQ(r.score(s), 1.0);
  s.fields["answer"] = "5";
  EXPECT_DOUBLE_EQ(r.score(s), -1.0);
  s.fields["answer"] = "\\frac{";
  EXPECT_TRUE(std::isnan(r.score(s)));
}

// ---------------------------------------------------------------- combining

// Returns a fixed value; for pool tests.
struct Constant final : RewardFunction {
  explicit Constant(double v, std::string n = "constant") : value(v), label(std::move(n)) {}
  std::string name() const override { return label; }
  double score(const Sample&) const override { return value; }
  double value;
  std::string label;
};

// Sleeps past any budget, ignoring it (a badly behaved reward).
struct Sleepy final : RewardFunction {
  std::string name() const override { return "sleepy"; }
  double score(const Sample& s) const override {
    if (s.completion == "slow") std::this_thread::sleep_for(3s);
    return 1.0;
  }
};

// Honours its budget: gives up by throwing ScoreTimeout.
struct Patient final : RewardFunction {
  std::string name() const override { return "patient"; }
  double score(const Sample& s) const override { return score_within(s, {}); }
  double score_within(const Sample& s, const ScoreBudget& budget) const override {
    while (s.completion == "slow") {
      if (budget.expired()) throw ScoreTimeout("patient");
      std::this_thread::sleep_for(1ms);
    }
    return 0.5;
  }
};

struct Throws final : RewardFunction {
  std::string name() const override { return "throws"; }
  double score(const Sample& s) const override {
    if (s.completion == "bad") throw std::runtime_error("bad sample");
    return 2.0;
  }
};

TEST(WeightedSumReward, SkipsNaN) {
  auto nan = std::numeric_limits<double>::quiet_NaN();
  WeightedSum sum({weighted(std::make_shared<Constant>(1.0, "a"), 2.0), weighted(std::make_shared<Constant>(0.5, "b"), -1.0),
                   weighted(std::make_shared<Constant>(nan, "c"))});
  EXPECT_DOUBLE_EQ(sum.score({}), 1.5);
  EXPECT_EQ(sum.name(), "reward");
  WeightedSum all_nan({weighted(std::make_shared<Constant>(nan))});
  EXPECT_TRUE(std::isnan(all_nan.score({})));
  EXPECT_THROW(WeightedSum({}), grpo::Error);
  EXPECT_THROW(WeightedSum({weighted(std::make_shared<Constant>(1.0)), weighted(std::make_shared<Constant>(2.0))}),
               grpo::Error);  // two rewards named "constant"
}

TEST(RewardScoring, BatchToTensorAndMetrics) {
  RewardScorer scorer({weighted(std::make_shared<MathReward>(), 1.0), weighted(std::make_shared<FormatReward>(), 0.5)},
                      {.num_workers = 2});
  std::vector<Sample> samples;
  for (int b = 0; b < 2; ++b)
    for (int g = 0; g < 3; ++g)
      samples.push_back({.completion = "<think>x</think><answer>" + std::to_string(b + g) + "</answer>",
                         .fields = {{"answer", std::to_string(b)}}});
  BatchRewards out = scorer.score(samples, 3);
  ASSERT_EQ(out.rewards.sizes(), (std::vector<int64_t>{2, 3, 2}));
  EXPECT_EQ(out.rewards.dtype(), torch::kFloat32);
  EXPECT_EQ(out.names, (std::vector<std::string>{"accuracy", "format"}));
  EXPECT_EQ(out.weights, (std::vector<double>{1.0, 0.5}));
  auto r = out.rewards.accessor<float, 3>();
  for (int b = 0; b < 2; ++b)
    for (int g = 0; g < 3; ++g) {
      EXPECT_EQ(r[b][g][0], g == 0 ? 1.0f : 0.0f);
      EXPECT_EQ(r[b][g][1], 1.0f);
    }
  EXPECT_NEAR(out.metrics["rewards/accuracy/mean"], 2.0 / 6, 1e-6);
  EXPECT_NEAR(out.metrics["rewards/accuracy/std"], std::sqrt((2 * std::pow(4.0 / 6, 2) + 4 * std::pow(2.0 / 6, 2)) / 5), 1e-6);
  EXPECT_EQ(out.metrics["rewards/format/mean"], 1.0);
  EXPECT_EQ(out.metrics["rewards/accuracy/timeouts"], 0.0);
  // What the advantage stage takes.
  grpo::Advantages adv = grpo::compute_advantages(out.rewards, {}, out.weights, out.names);
  EXPECT_EQ(adv.advantages.sizes(), (std::vector<int64_t>{2, 3}));
}

TEST(RewardScoring, NeverHangsOnARewardThatIgnoresItsBudget) {
  RewardScorer scorer({weighted(std::make_shared<Sleepy>())}, {.num_workers = 2, .timeout = 50ms, .grace = 50ms});
  std::vector<Sample> samples = {{.completion = "slow"}, {.completion = "fast"}, {.completion = "slow"}, {.completion = "fast"}};
  auto start = std::chrono::steady_clock::now();
  BatchRewards out = scorer.score(samples, 2);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  auto r = out.rewards.accessor<float, 3>();
  EXPECT_EQ(r[0][0][0], 0.0f);  // fallback
  EXPECT_EQ(r[0][1][0], 1.0f);
  EXPECT_EQ(r[1][0][0], 0.0f);
  EXPECT_EQ(r[1][1][0], 1.0f);
  EXPECT_EQ(out.metrics["rewards/sleepy/timeouts"], 2.0);
  // The stuck workers were replaced: the pool still scores.
  BatchRewards again = scorer.score({{.completion = "fast"}, {.completion = "fast"}}, 2);
  EXPECT_EQ(again.rewards.sum().item<float>(), 2.0f);
}

TEST(RewardScoring, CooperativeTimeoutsErrorsAndNaNFallback) {
  RewardScorer scorer({weighted(std::make_shared<Patient>()), weighted(std::make_shared<Throws>())},
                      {.num_workers = 3, .timeout = 20ms, .fallback = std::numeric_limits<double>::quiet_NaN()});
  BatchRewards out = scorer.score({{.completion = "slow"}, {.completion = "bad"}}, 1);
  auto r = out.rewards.accessor<float, 3>();
  EXPECT_TRUE(std::isnan(r[0][0][0]));
  EXPECT_EQ(r[1][0][0], 0.5f);
  EXPECT_EQ(r[0][0][1], 2.0f);
  EXPECT_TRUE(std::isnan(r[1][0][1]));
  EXPECT_EQ(out.metrics["rewards/patient/timeouts"], 1.0);
  EXPECT_EQ(out.metrics["rewards/throws/errors"], 1.0);
  EXPECT_EQ(out.metrics["rewards/throws/mean"], 2.0);
  EXPECT_TRUE(std::isnan(out.metrics["rewards/throws/std"]));  // one scorable value
}

TEST(RewardScoring, CallerCanStopABatch) {
  RewardScorer scorer({weighted(std::make_shared<Patient>())}, {.num_workers = 1, .timeout = 10s});
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(50ms);
    stop.request_stop();
  });
  auto start = std::chrono::steady_clock::now();
  BatchRewards out = scorer.score({{.completion = "slow"}, {.completion = "slow"}, {.completion = "slow"}}, 3, stop.get_token());
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(out.metrics["rewards/patient/timeouts"], 3.0);
}

TEST(RewardScoring, RejectsBadShapes) {
  RewardScorer scorer({weighted(std::make_shared<Constant>(1.0))}, {.num_workers = 1});
  EXPECT_THROW(scorer.score({{}, {}, {}}, 2), grpo::Error);
  EXPECT_THROW(scorer.score({{}}, 0), grpo::Error);
  EXPECT_THROW(RewardScorer({weighted(nullptr)}), grpo::Error);
}

}  // namespace
