// Pathological input: every check must come back quickly with false and a
// reason (too_large, timeout, cancelled), never hang, crash or throw.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "rewards/math.h"

namespace {

using namespace grpo::rewards;
using Clock = std::chrono::steady_clock;

std::string repeat(std::string_view s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

// Runs a check and requires it to finish within `limit`.
MathCheck timed(std::string_view gold, std::string_view pred, bool completion = false, const MathOptions& o = {},
                std::chrono::milliseconds limit = std::chrono::milliseconds(1500)) {
  auto start = Clock::now();
  MathCheck r = completion ? check_math(gold, pred, o) : check_math_answer(gold, pred, o);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  EXPECT_LT(took.count(), limit.count()) << "gold: " << gold.substr(0, 80) << "\npred: " << pred.substr(0, 80);
  return r;
}

TEST(MathLimits, DeepNesting) {
  for (std::string_view open : {"(", "{", "\\sqrt{", "\\frac{1}{", "-", "[", "\\left(", "2^{", "\\{"}) {
    std::string deep = repeat(open, 5000) + "1" + repeat("}", 10);
    MathCheck r = timed("1", deep);
    EXPECT_FALSE(r.correct) << open;
    EXPECT_TRUE(r.reason == MathReason::too_large || r.reason == MathReason::unparsable_pred) << open;
  }
  std::string balanced = repeat("(", 40) + "1" + repeat(")", 40);
  EXPECT_TRUE(timed("1", balanced).correct);  // within the depth limit
}

TEST(MathLimits, TowersOfPowers) {
  MathCheck r = timed("10^{10^{10}}", "1");
  EXPECT_FALSE(r.correct);
  EXPECT_EQ(r.reason, MathReason::too_large);
  EXPECT_TRUE(timed("10^{10^{10}}", "10^{10^{10}}").correct);  // the same text is the same answer
  EXPECT_FALSE(timed("10^{10^{10}}", "10^{10^{10}}+1").correct);
  EXPECT_FALSE(timed("9^{9^{9}}", "9^{9^{9}}-1").correct);
  EXPECT_FALSE(timed("2^{2^{2^{2^{2^{2}}}}}", "2").correct);
  EXPECT_FALSE(timed("2^{-10^{10}}", "0").correct);
  EXPECT_FALSE(timed("x^{10^{10}}", "x^{10^{10}+1}").correct);
  EXPECT_TRUE(timed("(x+1)^{1000}", "(1+x)^{1000}").correct);  // too big for GiNaC: numeric test
  EXPECT_FALSE(timed("(x+1)^{100000}", "(x+2)^{100000}").correct);
  EXPECT_FALSE(timed("(a+b+c+d+e+f+g+h)^{24}", "(a+b+c+d+e+f+g+h)^{23}").correct);
}

TEST(MathLimits, HugeFactorialsAndBinomials) {
  for (std::string_view big : {"100000!", "(10^{10})!", "1000000000!", "\\binom{10^{9}}{500}", "(5000!)!"}) {
    MathCheck r = timed(big, "1");
    EXPECT_FALSE(r.correct) << big;
  }
  EXPECT_TRUE(timed("20!", "2432902008176640000").correct);
  EXPECT_TRUE(timed("100!", "100!").correct);
}

TEST(MathLimits, GiantStrings) {
  std::string digits = repeat("9", 1'000'000);
  MathCheck r = timed("1", digits);
  EXPECT_FALSE(r.correct);
  EXPECT_EQ(r.reason, MathReason::too_large);
  // 10 MB completions: extraction is linear.
  std::string prose = repeat("lorem ipsum dolor sit amet ", 400'000);
  EXPECT_FALSE(timed("1", prose, true).correct);
  EXPECT_TRUE(timed("7", prose + " so the answer is \\boxed{7}", true).correct);
  EXPECT_FALSE(timed("1", repeat("\\boxed{", 200'000), true).correct);
  EXPECT_FALSE(timed("1", repeat("}", 1'000'000) + "\\boxed{2}", true).correct);
  EXPECT_FALSE(timed("1", repeat("$", 1'000'000), true).correct);
  EXPECT_TRUE(timed("1", repeat("\\boxed{1} and ", 100'000) + "\\boxed{1}", true).correct);  // one answer, repeated
  EXPECT_FALSE(timed("1", repeat("1,", 100'000), false).correct);
  EXPECT_FALSE(timed(repeat("x+", 5000) + "x", repeat("x+", 5000) + "y").correct);
  EXPECT_FALSE(timed("1", repeat("\\text{", 3000)).correct);
  EXPECT_FALSE(timed("1", std::string(100'000, '\xff')).correct);  // not UTF-8
}

TEST(MathLimits, ManyElements) {
  std::string a = "\\{", b = "\\{";
  for (int i = 1; i <= 60; ++i) {
    a += (i > 1 ? "," : "") + std::string("\\sqrt{") + std::to_string(i) + "}";
    b += (i > 1 ? "," : "") + std::string("\\sqrt{") + std::to_string(61 - i) + "}";
  }
  a += "\\}", b += "\\}";
  EXPECT_TRUE(timed(a, b).correct);
}

TEST(MathLimits, DeadlineGivesTimeout) {
  std::string a = "\\{", b = "\\{";
  for (int i = 1; i <= 60; ++i) {
    a += (i > 1 ? "," : "") + std::string("\\sin(") + std::to_string(i) + "x)";
    b += (i > 1 ? "," : "") + std::string("\\sin(") + std::to_string(61 - i) + "x+0)";
  }
  a += "\\}", b += "\\}";
  MathOptions fast;
  fast.timeout = std::chrono::milliseconds(2);
  MathCheck r = timed(a, b, false, fast, std::chrono::milliseconds(200));
  EXPECT_FALSE(r.correct);
  EXPECT_EQ(r.reason, MathReason::timeout);
}

TEST(MathLimits, StepBudgetGivesTimeout) {
  MathOptions few;
  few.limits.max_steps = 50;
  MathCheck r = timed("x^2+2x+1", "(x+1)^2", false, few);
  EXPECT_FALSE(r.correct);
  EXPECT_EQ(r.reason, MathReason::timeout);
}

TEST(MathLimits, CallerCanCancel) {
  std::stop_source stop;
  stop.request_stop();
  ScoreBudget budget{Clock::time_point::max(), stop.get_token()};
  MathCheck r = check_math("1", "\\boxed{1}", {}, budget);
  EXPECT_FALSE(r.correct);
  EXPECT_EQ(r.reason, MathReason::cancelled);
  // An expired caller deadline is a timeout.
  MathCheck late = check_math("1", "\\boxed{1}", {}, ScoreBudget{Clock::now() - std::chrono::seconds(1), {}});
  EXPECT_EQ(late.reason, MathReason::timeout);
}

TEST(MathLimits, RewardReportsTimeouts) {
  MathReward reward;
  Sample s{.completion = "\\boxed{1}", .fields = {{"answer", "1"}}};
  std::stop_source stop;
  stop.request_stop();
  EXPECT_THROW(reward.score_within(s, ScoreBudget{Clock::time_point::max(), stop.get_token()}), ScoreTimeout);
  EXPECT_EQ(reward.score(s), 1.0);
}

}  // namespace
