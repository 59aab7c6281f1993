#include <gtest/gtest.h>

#include <cmath>

#include "libgrpo/completion_stats.h"

namespace {

using grpo::CompletionRecord;
using grpo::ReflectionOptions;

TEST(Reflection, WholeWordsAnyCase) {
  ReflectionOptions o;
  EXPECT_TRUE(grpo::reflects("12 * 3 = 36. Wait, that is wrong.", o));
  EXPECT_TRUE(grpo::reflects("Hmm... LET ME RECALCULATE: 7", o));
  EXPECT_TRUE(grpo::reflects("check", o));
  EXPECT_FALSE(grpo::reflects("the checkers are waiting", o));   // not whole words
  EXPECT_FALSE(grpo::reflects("let me recalculated", o));
  EXPECT_FALSE(grpo::reflects("", o));
  EXPECT_TRUE(grpo::reflects("the answer, however, is 4", o));
  EXPECT_FALSE(grpo::reflects("wait", ReflectionOptions{.phrases = {"verify"}}));
}

TEST(CompletionStats, CountsBySplit) {
  // Lengths 10 (correct, reflects), 20 (correct), 30 (wrong, reflects, truncated), 40 (wrong).
  std::vector<CompletionRecord> c = {
      {"x = 3. Wait, check: yes.", 10, true, false},
      {"x = 3", 20, true, false},
      {"I made a mistake and", 30, false, true},
      {"x = 5", 40, false, false},
  };
  auto m = grpo::completion_stats(c);
  EXPECT_DOUBLE_EQ(m.at("accuracy"), 0.5);
  EXPECT_DOUBLE_EQ(m.at("completions/mean_length"), 25.0);
  EXPECT_DOUBLE_EQ(m.at("completions/min_length"), 10.0);
  EXPECT_DOUBLE_EQ(m.at("completions/max_length"), 40.0);
  EXPECT_DOUBLE_EQ(m.at("completions/clipped_ratio"), 0.25);
  EXPECT_DOUBLE_EQ(m.at("completions/mean_terminated_length"), 70.0 / 3);
  EXPECT_DOUBLE_EQ(m.at("completions/mean_length_correct"), 15.0);
  EXPECT_DOUBLE_EQ(m.at("completions/mean_length_incorrect"), 35.0);
  EXPECT_DOUBLE_EQ(m.at("reflection/rate"), 0.5);
  EXPECT_DOUBLE_EQ(m.at("reflection/precision"), 0.5);  // 1 of the 2 reflecting is correct
  EXPECT_DOUBLE_EQ(m.at("reflection/recall"), 0.5);     // 1 of the 2 correct reflects
}

TEST(CompletionStats, UndefinedRatiosAreNaN) {
  auto m = grpo::completion_stats({{"x = 5", 4, false, false}});
  EXPECT_TRUE(std::isnan(m.at("completions/mean_length_correct")));
  EXPECT_TRUE(std::isnan(m.at("reflection/precision")));
  EXPECT_TRUE(std::isnan(m.at("reflection/recall")));
  auto empty = grpo::completion_stats({});
  EXPECT_TRUE(std::isnan(empty.at("accuracy")));
}

}  // namespace
