// The Countdown task (TinyZero): reach a target number with an arithmetic
// equation that uses each given number exactly once.
//
//   numbers 3 5 7 2, target 24: "<answer>(7 - 3) * (5 + 2) - 4</answer>" is wrong
//   (4 is not given), "<answer>3 * 7 + 5 - 2</answer>" is right.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rewards/reward.h"

namespace grpo::rewards {

struct CountdownOptions {
  std::string target_field = "target";   // Sample::fields key of the target, e.g. "24"
  std::string numbers_field = "nums";    // the given numbers, e.g. "[3, 5, 7, 2]" or "3 5 7 2"
  double format_score = 0.1;  // an equation was given, but it is invalid or misses the target
  double correct_score = 1.0;
};

// Why an equation scored what it scored.
enum class CountdownVerdict {
  no_equation,    // no <answer>...</answer> (score 0)
  bad_syntax,     // not only integers, + - * /, parentheses; or too long or too deep
  wrong_numbers,  // the numbers used are not the given ones, each once
  undefined,      // division by zero
  wrong_value,    // a valid equation with another value
  correct,
};

// Evaluates `equation` exactly (rationals: 7/2*2 is 7), with a hand-written
// parser bounded in length (512 bytes), nesting (64) and number size (18 digits);
// nothing is ever passed to an interpreter.
CountdownVerdict check_countdown(std::string_view equation, const std::vector<long long>& numbers, long long target);

// The reward: 0 without an equation, format_score for an invalid or wrong one,
// correct_score when it reaches the target. The equation is the last
// <answer>...</answer> of the completion. Name: "countdown".
class CountdownReward final : public RewardFunction {
 public:
  explicit CountdownReward(CountdownOptions options = {}) : options_(std::move(options)) {}
  std::string name() const override { return "countdown"; }
  double score(const Sample& sample) const override;

 private:
  CountdownOptions options_;
};

}  // namespace grpo::rewards
