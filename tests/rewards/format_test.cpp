#include <gtest/gtest.h>

#include "rewards/format.h"

namespace {

using grpo::rewards::FormatOptions;
using grpo::rewards::has_r1_format;

const FormatOptions strict{.strict = true};
const FormatOptions lenient{.strict = false};

TEST(FormatReward, StrictWantsR1sExactLayout) {
  EXPECT_TRUE(has_r1_format("<think>\n2+2 is 4\n</think>\n<answer>\n4\n</answer>", strict));
  EXPECT_TRUE(has_r1_format("<think>\nline 1\nline 2\n</think>\n<answer>\n4\n</answer>", strict));
  EXPECT_FALSE(has_r1_format("<think>2+2</think><answer>4</answer>", strict));
  EXPECT_FALSE(has_r1_format("<think>\nx\n</think>\n<answer>\n4\n</answer>\n", strict));
  EXPECT_FALSE(has_r1_format(" <think>\nx\n</think>\n<answer>\n4\n</answer>", strict));
  EXPECT_FALSE(has_r1_format("<think>\nx\n</think>\n\n<answer>\n4\n</answer>", strict));
}

TEST(FormatReward, LenientAllowsWhitespace) {
  EXPECT_TRUE(has_r1_format("<think>2+2</think><answer>4</answer>", lenient));
  EXPECT_TRUE(has_r1_format("  <think>a</think>\n\n <answer>4</answer>\n", lenient));
  EXPECT_FALSE(has_r1_format("<think>a</think> so <answer>4</answer>", lenient));
  EXPECT_FALSE(has_r1_format("text <think>a</think><answer>4</answer>", lenient));
}

TEST(FormatReward, EachTagExactlyOnceInOrder) {
  for (const auto& options : {strict, lenient}) {
    EXPECT_FALSE(has_r1_format("<answer>\n4\n</answer>\n<think>\nx\n</think>", options));
    EXPECT_FALSE(has_r1_format("<think>\n<think>\nx\n</think>\n<answer>\n4\n</answer>", options));
    EXPECT_FALSE(has_r1_format("<think>\nx\n</think>\n<answer>\n4\n</answer></answer>", options));
    EXPECT_FALSE(has_r1_format("", options));
    EXPECT_FALSE(has_r1_format("<think></answer>", options));
  }
}

TEST(FormatReward, ScoresOneOrZero) {
  grpo::rewards::FormatReward reward;
  EXPECT_EQ(reward.name(), "format");
  EXPECT_EQ(reward.score({.completion = "<think>a</think><answer>1</answer>"}), 1.0);
  EXPECT_EQ(reward.score({.completion = "the answer is 1"}), 0.0);
}

// A prompt that ends with "<think>" opened the reasoning: the prefix counts as the
// completion's start, and a completion that opens it again has two <think> tags.
TEST(FormatReward, APrefixTheTemplateAlreadyWrote) {
  grpo::rewards::FormatReward reward({.prefix = "<think>"});
  EXPECT_EQ(reward.score({.completion = " 2+3=5. </think> <answer>5</answer>"}), 1.0);
  EXPECT_EQ(reward.score({.completion = "<think> 2+3=5. </think> <answer>5</answer>"}), 0.0);
  EXPECT_EQ(reward.score({.completion = " 2+3=5. <answer>5</answer>"}), 0.0);
  grpo::rewards::FormatReward plain;
  EXPECT_EQ(plain.score({.completion = " 2+3=5. </think> <answer>5</answer>"}), 0.0);
}

}  // namespace
