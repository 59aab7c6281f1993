#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "math_cases.h"
#include "libgrpo/error.h"
#include "rewards/math.h"

namespace {

using namespace grpo::rewards;
using grpo::rewards::testing::math_case_groups;

// ---------------------------------------------------------------- the case table

class MathTable : public ::testing::TestWithParam<size_t> {};

TEST_P(MathTable, Verdicts) {
  const auto& group = math_case_groups()[GetParam()];
  for (const auto& c : group.cases) {
    MathCheck r = group.completions ? check_math(c.gold, c.pred) : check_math_answer(c.gold, c.pred);
    EXPECT_EQ(r.correct, c.equal) << "gold: " << c.gold << "\npred: " << c.pred << "\nparsed gold: " << r.gold
                                  << "\nparsed pred: " << r.pred << "\nreason: " << to_string(r.reason);
  }
}

INSTANTIATE_TEST_SUITE_P(Groups, MathTable, ::testing::Range<size_t>(0, math_case_groups().size()),
                         [](const auto& info) { return std::string(math_case_groups()[info.param].name); });

TEST(MathTable, HasHundredsOfCases) {
  size_t n = 0;
  for (const auto& g : math_case_groups()) n += g.cases.size();
  EXPECT_GE(n, 300u);
}

// ---------------------------------------------------------------- extraction

TEST(MathExtract, SourcesInPriorityOrder) {
  std::string text = "<answer>1</answer> The answer is 2. \\boxed{3} and then 4";
  auto all = extract_answers(text, {.priority = {AnswerSource::boxed, AnswerSource::answer_tag,
                                                 AnswerSource::answer_phrase, AnswerSource::last_number}});
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].text, "3");
  EXPECT_EQ(all[1].text, "1");
  EXPECT_EQ(all[2].text, "2");
  EXPECT_EQ(all[3].text, "4");
  auto reordered = extract_answers(text, {.priority = {AnswerSource::last_number, AnswerSource::boxed}});
  ASSERT_EQ(reordered.size(), 2u);
  EXPECT_EQ(reordered[0].source, AnswerSource::last_number);
}

TEST(MathExtract, PriorityDecidesTheVerdict) {
  std::string text = "The answer is 5. \\boxed{6}";
  EXPECT_TRUE(check_math("6", text).correct);
  MathOptions phrase_first;
  phrase_first.extract.priority = {AnswerSource::answer_phrase, AnswerSource::boxed};
  EXPECT_TRUE(check_math("5", text, phrase_first).correct);
  EXPECT_EQ(check_math("5", text, phrase_first).source, AnswerSource::answer_phrase);
}

TEST(MathExtract, NestedBracesAndLastBox) {
  auto a = extract_answers("\\boxed{\\frac{1}{2}} then \\boxed{\\left\\{1,2\\right\\}}");
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a[0].text, "\\left\\{1,2\\right\\}");
}

TEST(MathExtract, LastMathSpan) {
  MathOptions o;
  o.extract.priority = {AnswerSource::last_math};
  EXPECT_TRUE(check_math("\\sqrt{2}", "so $x^2 = 2$ and $x = \\sqrt{2}$", o).correct);
}

TEST(MathExtract, AnUnparsableSourceFallsThrough) {
  // The tag holds words, the last number is the answer.
  MathCheck r = check_math("9", "<answer>nine, as shown above (trust me)</answer> 9");
  EXPECT_TRUE(r.correct);
  EXPECT_EQ(r.source, AnswerSource::last_number);
}

// ---------------------------------------------------------------- results

TEST(MathCheck, ReasonsAndCanonicalForms) {
  MathCheck r = check_math("\\frac{1}{2}", "thus $\\boxed{0.5}$");
  EXPECT_TRUE(r.correct);
  EXPECT_EQ(r.reason, MathReason::equal);
  EXPECT_EQ(r.gold, "1/2");
  EXPECT_EQ(r.pred, "0.5");
  EXPECT_EQ(r.pred_answer, "0.5");
  EXPECT_EQ(check_math("1", "2 = \\boxed{2}").reason, MathReason::not_equal);
  EXPECT_EQ(check_math("1", "no digits").reason, MathReason::no_answer);
  EXPECT_EQ(check_math("1", "\\boxed{\\frac{}{}}").reason, MathReason::unparsable_pred);
  EXPECT_EQ(check_math("\\frac{", "\\boxed{1}").reason, MathReason::unparsable_gold);
  EXPECT_EQ(canonical_math("\\left\\{ 2, 1 \\right\\}"), "{2, 1}");
  EXPECT_EQ(canonical_math("(0, 1]"), "(0, 1]");
  EXPECT_EQ(canonical_math("\\frac{"), "");
  EXPECT_EQ(to_string(MathReason::timeout), "timeout");
}

TEST(MathCheck, RelativeToleranceIsConfigurable) {
  MathOptions loose;
  loose.rel_tol = 1e-2;
  EXPECT_FALSE(check_math_answer("\\frac{1}{3}", "0.33").correct);
  EXPECT_TRUE(check_math_answer("\\frac{1}{3}", "0.33", loose).correct);
  EXPECT_TRUE(check_math_answer("\\pi", "3.14", loose).correct);
  EXPECT_FALSE(check_math_answer("2", "2.01", loose).correct);  // 2 has a finite decimal form: exact only
}

TEST(MathReward, ScoresAndUnscorable) {
  MathReward reward;
  EXPECT_EQ(reward.name(), "accuracy");
  EXPECT_EQ(reward.score({.completion = "\\boxed{4}", .fields = {{"answer", "4"}}}), 1.0);
  EXPECT_EQ(reward.score({.completion = "\\boxed{5}", .fields = {{"answer", "4"}}}), 0.0);
  EXPECT_EQ(reward.score({.completion = "nothing", .fields = {{"answer", "4"}}}), 0.0);
  EXPECT_TRUE(std::isnan(reward.score({.completion = "\\boxed{5}", .fields = {{"answer", "\\frac{"}}})));
  EXPECT_THROW(reward.score({.completion = "\\boxed{5}"}), grpo::Error);
  MathReward other_field({}, "solution");
  EXPECT_EQ(other_field.score({.completion = "\\boxed{4}", .fields = {{"solution", "so \\boxed{4}"}}}), 1.0);
}

TEST(MathCheck, ManyThreadsAtOnce) {
  // GiNaC is shared under a lock; exact and numeric paths run in parallel.
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        wrong += !check_math_answer("x^2+2x+1", "(x+1)^2").correct;
        wrong += !check_math_answer("\\frac{1}{2}", "0.5").correct;
        wrong += check_math_answer("\\sqrt{2}", "\\sqrt{3}").correct;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
