// R1's format reward: is the completion "<think>reasoning</think><answer>answer</answer>"?
#pragma once

#include <string>
#include <string_view>

#include "rewards/reward.h"

namespace grpo::rewards {

struct FormatOptions {
  // strict: exactly "<think>\n...\n</think>\n<answer>\n...\n</answer>", nothing
  //         before or after (the layout R1's template asks for);
  // lenient: "<think>...</think>", optional whitespace, "<answer>...</answer>",
  //         optional surrounding whitespace.
  // Either way each tag appears exactly once.
  bool strict = false;
  // Text the prompt already holds that counts as the completion's start: "<think>"
  // when the template ends by opening the reasoning (as TinyZero's and many R1-Zero
  // reproductions do), so that a completion "... </think> <answer>..." is well-formed.
  std::string prefix;
};

// True when `completion` has the format; see FormatOptions.
bool has_r1_format(std::string_view completion, const FormatOptions& options = {});

// 1.0 when has_r1_format(), else 0.0. Name: "format".
class FormatReward final : public RewardFunction {
 public:
  explicit FormatReward(FormatOptions options = {}) : options_(options) {}
  std::string name() const override { return "format"; }
  double score(const Sample& sample) const override;

 private:
  FormatOptions options_;
};

// Partial credit for the R1 tags (open-r1's tag_count_reward): 0.25 for each of
// "<think>\n", "\n</think>\n", "\n<answer>\n" and "\n</answer>" that appears
// exactly once. A smoother signal than FormatReward early in training. Name: "tag_count".
double count_r1_tags(std::string_view completion);

class TagCountReward final : public RewardFunction {
 public:
  std::string name() const override { return "tag_count"; }
  double score(const Sample& sample) const override { return count_r1_tags(sample.completion); }
};

}  // namespace grpo::rewards
