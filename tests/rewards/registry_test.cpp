// The recipe's `rewards:` list: YAML -> RewardSpec -> make_rewards(), each type
// checked by a score that only the right function (with the right options) gives.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "libgrpo/config.h"
#include "rewards/registry.h"
#include "support/expect_error.h"

namespace {

using namespace grpo;
using namespace grpo::rewards;

struct RewardList {
  std::vector<RewardSpec> rewards;
};

void describe(config::Visitor& v, RewardList& r) { v.list("rewards", r.rewards); }

std::vector<WeightedReward> build(const std::string& yaml) {
  return make_rewards(config::parse_yaml<RewardList>(yaml, "recipe.yaml").rewards);
}

Sample sample(std::string completion, std::map<std::string, std::string> fields = {}, int64_t tokens = -1) {
  return {.completion = std::move(completion), .fields = std::move(fields), .completion_tokens = tokens};
}

TEST(Registry, EachTypeBuildsItsFunction) {
  std::vector<WeightedReward> r = build(R"(
rewards:
  - type: math
  - type: format
  - type: tag_count
  - type: countdown
  - type: overlong
  - type: cosine
  - type: language
  - type: code
)");
  ASSERT_EQ(r.size(), 8u);
  const std::vector<std::string> names = {"accuracy", "format", "tag_count", "countdown",
                                          "overlong", "cosine_scaled", "language", "code"};
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(r[i].function->name(), names[i]);
    EXPECT_EQ(r[i].display_name(), names[i]);
    EXPECT_EQ(r[i].weight, 1.0);
  }
  const std::string r1 = "<think>\nadd them\n</think>\n<answer>\n4\n</answer>";
  // math: the boxed answer against fields["answer"].
  EXPECT_EQ(r[0].function->score(sample("so \\boxed{4}", {{"answer", "4"}})), 1.0);
  EXPECT_EQ(r[0].function->score(sample("so \\boxed{5}", {{"answer", "4"}})), 0.0);
  // format: R1's tags, lenient by default.
  EXPECT_EQ(r[1].function->score(sample(r1)), 1.0);
  EXPECT_EQ(r[1].function->score(sample("<think>a</think> <answer>4</answer>")), 1.0);
  EXPECT_EQ(r[1].function->score(sample("4")), 0.0);
  // tag_count: a quarter per tag.
  EXPECT_EQ(r[2].function->score(sample("<think>\nhm")), 0.25);
  EXPECT_EQ(r[2].function->score(sample(r1)), 1.0);
  // countdown: the equation must reach the target with the given numbers.
  const std::map<std::string, std::string> numbers = {{"nums", "[2, 3, 4]"}, {"target", "20"}};
  EXPECT_EQ(r[3].function->score(sample("<answer>(2 + 3) * 4</answer>", numbers)), 1.0);
  EXPECT_EQ(r[3].function->score(sample("<answer>2 + 3 + 4</answer>", numbers)), 0.1);
  // overlong: nothing under the defaults' soft zone (20480 - 4096 tokens), -1 past 20480.
  EXPECT_EQ(r[4].function->score(sample("x", {}, 16384)), 0.0);
  EXPECT_EQ(r[4].function->score(sample("x", {}, 20481)), -1.0);
  // cosine: correct and short -> max_value_correct; wrong and short -> min_value_wrong.
  EXPECT_DOUBLE_EQ(r[5].function->score(sample("\\boxed{4}", {{"answer", "4"}}, 0)), 1.0);
  EXPECT_DOUBLE_EQ(r[5].function->score(sample("\\boxed{3}", {{"answer", "4"}}, 0)), -1.0);
  EXPECT_DOUBLE_EQ(r[5].function->score(sample("\\boxed{4}", {{"answer", "4"}}, 1000)), 0.5);
  // language: English reasoning is all English.
  EXPECT_EQ(r[6].function->score(sample("<think>the cat sat on the mat</think>")), 1.0);
}

TEST(Registry, WeightsAndDisplayNames) {
  std::vector<WeightedReward> r = build(R"(
rewards:
  - {type: math, weight: 2.5}
  - {type: format, weight: 0.2, name: r1_format}
  - {type: math, name: accuracy_tag, math: {sources: [answer_tag]}}
)");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].weight, 2.5);
  EXPECT_EQ(r[0].display_name(), "accuracy");
  EXPECT_EQ(r[1].weight, 0.2);
  EXPECT_EQ(r[1].display_name(), "r1_format");
  EXPECT_EQ(r[1].function->name(), "format");
  EXPECT_EQ(r[2].display_name(), "accuracy_tag");
  EXPECT_EQ(r[2].weight, 1.0);
  // The weighted sum as WeightedSum computes it from these parts.
  WeightedSum sum(r);
  Sample s = sample("<think>\\boxed{7}</think><answer>7</answer>", {{"answer", "7"}});
  EXPECT_DOUBLE_EQ(sum.score(s), 2.5 * 1.0 + 0.2 * 1.0 + 1.0 * 1.0);
}

TEST(Registry, NestedOptionsAreApplied) {
  std::vector<WeightedReward> r = build(R"(
rewards:
  - type: overlong
    overlong: {max_length: 100, cache_length: 40}
  - type: overlong
    name: overlong_bytes
    overlong: {max_length: 10, cache_length: 4, unit: bytes}
  - type: math
    math: {answer_field: solution, sources: [boxed]}
  - type: format
    format: {strict: true}
  - type: countdown
    countdown: {format_score: 0.3, target_field: goal}
  - type: cosine
    cosine: {max_length: 100, min_value_correct: 0.0}
  - type: language
    language: {language: zh}
)");
  ASSERT_EQ(r.size(), 7u);
  // DAPO eq. 13 with L_max = 100, L_cache = 40: 0 up to 60, (60 - |y|) / 40 up to 100, then -1.
  const RewardFunction& overlong = *r[0].function;
  EXPECT_EQ(overlong.score(sample("", {}, 60)), 0.0);
  EXPECT_DOUBLE_EQ(overlong.score(sample("", {}, 70)), -0.25);
  EXPECT_DOUBLE_EQ(overlong.score(sample("", {}, 90)), -0.75);
  EXPECT_DOUBLE_EQ(overlong.score(sample("", {}, 100)), -1.0);
  EXPECT_EQ(overlong.score(sample("", {}, 101)), -1.0);
  EXPECT_TRUE(std::isnan(overlong.score(sample("", {}, -1))));  // tokens unknown
  // In bytes: 8 bytes with L_max = 10, L_cache = 4 -> (6 - 8) / 4; the token count is ignored.
  EXPECT_DOUBLE_EQ(r[1].function->score(sample("12345678", {}, 1)), -0.5);
  EXPECT_EQ(r[1].function->score(sample("123456", {}, 1000)), 0.0);
  // math: the reference from fields["solution"], boxed answers only.
  EXPECT_EQ(r[2].function->score(sample("\\boxed{4}", {{"solution", "4"}})), 1.0);
  EXPECT_EQ(r[2].function->score(sample("The answer is 4", {{"solution", "4"}})), 0.0);
  std::vector<WeightedReward> defaults = build("rewards: [{type: math}]");
  EXPECT_EQ(defaults[0].function->score(sample("The answer is 4", {{"answer", "4"}})), 1.0);
  // format strict: the lenient layout no longer passes, R1's exact one does.
  EXPECT_EQ(r[3].function->score(sample("<think>a</think> <answer>4</answer>")), 0.0);
  EXPECT_EQ(r[3].function->score(sample("<think>\na\n</think>\n<answer>\n4\n</answer>")), 1.0);
  // countdown: the target from fields["goal"], a wrong equation worth 0.3.
  const std::map<std::string, std::string> numbers = {{"nums", "[2, 3, 4]"}, {"goal", "20"}};
  EXPECT_EQ(r[4].function->score(sample("<answer>(2 + 3) * 4</answer>", numbers)), 1.0);
  EXPECT_DOUBLE_EQ(r[4].function->score(sample("<answer>2 + 3 + 4</answer>", numbers)), 0.3);
  // cosine with max_length 100 and min_value_correct 0: correct at 50 tokens -> 0 + 1 * (1 + cos(pi/2)) / 2.
  EXPECT_DOUBLE_EQ(r[5].function->score(sample("\\boxed{4}", {{"answer", "4"}}, 50)), 0.5);
  EXPECT_DOUBLE_EQ(r[5].function->score(sample("\\boxed{4}", {{"answer", "4"}}, 100)), 0.0);
  // language zh: English reasoning is not Chinese.
  EXPECT_EQ(r[6].function->score(sample("<think>the cat sat on the mat</think>")), 0.0);
}

TEST(Registry, UnknownTypeNamesTheAllowedOnes) {
  std::string message = test::error_of([] { build("rewards: [{type: math}, {type: maths}]"); });
  for (const char* allowed : {"'maths'", "math", "format", "tag_count", "countdown", "overlong", "cosine", "language",
                              "code"})
    EXPECT_NE(message.find(allowed), std::string::npos) << allowed << " in: " << message;
  RewardSpec bogus;
  bogus.type = "bogus";
  EXPECT_ERROR(make_rewards({bogus}), "unknown reward type 'bogus'");
}

TEST(Registry, BadListsAreErrors) {
  EXPECT_ERROR(build("rewards: [{type: math, math: {sources: [boxed, nope]}}]"), "unknown answer source 'nope'");
  EXPECT_ERROR(build("rewards: [{type: cosine, math: {sources: [nope]}}]"), "unknown answer source 'nope'");
  EXPECT_ERROR(build("rewards: [{type: math, math: {sources: []}}]"), "at least one answer source");
  EXPECT_ERROR(build("rewards: [{type: math}, {type: format}, {type: math, weight: 0.5}]"), "'accuracy'");
  EXPECT_ERROR(build("rewards: [{type: math}, {type: format, name: accuracy}]"), "'accuracy'");
  EXPECT_NO_THROW(build("rewards: [{type: math}, {type: math, name: accuracy_2}]"));
  EXPECT_ERROR(build("rewards: []"), "names no reward function");
  EXPECT_ERROR(build("rewards: [{type: overlong, overlong: {max_length: 10, cache_length: 20}}]"),
               "cache_length <= max_length");
  EXPECT_ERROR(build("rewards: [{type: overlong, overlong: {max_len: 10}}]"), "max_len");
  EXPECT_ERROR(build("rewards: [{type: code, code: {scoring: partial}}]"), "all_or_nothing");
}

TEST(Registry, MathOptionsKeepTheSourceOrder) {
  MathSpec spec;
  spec.sources = {"last_number", "boxed"};
  spec.rel_tol = 0.01;
  spec.timeout_ms = 250;
  MathOptions o = math_options(spec);
  EXPECT_EQ(o.extract.priority, (std::vector<AnswerSource>{AnswerSource::last_number, AnswerSource::boxed}));
  EXPECT_EQ(o.rel_tol, 0.01);
  EXPECT_EQ(o.timeout, std::chrono::milliseconds(250));
}

}  // namespace
