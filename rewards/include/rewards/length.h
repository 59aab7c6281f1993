// Length-shaped rewards: DAPO's soft overlong punishment and the cosine length
// scaling of "Demystifying Long Chain-of-Thought Reasoning in LLMs" (Yeo et al.
// 2025), as open-r1's cosine scaled reward implements it.
#pragma once

#include <memory>
#include <string>

#include "rewards/reward.h"

namespace grpo::rewards {

enum class LengthUnit {
  tokens,  // Sample::completion_tokens; a sample without it is unscorable (NaN)
  bytes,   // the completion's size in bytes (open-r1 uses characters)
};

// Length of a completion in `unit`, or -1 when unknown.
int64_t completion_length(const Sample& sample, LengthUnit unit);

struct OverlongOptions {
  int64_t max_length = 20480;    // L_max: longer completions get -1
  int64_t cache_length = 4096;   // L_cache: the soft zone before L_max
  LengthUnit unit = LengthUnit::tokens;
};

// DAPO (Yu et al. 2025), eq. 13:
//   R(y) = 0                                   |y| <= L_max - L_cache
//        = ((L_max - L_cache) - |y|) / L_cache  L_max - L_cache < |y| <= L_max
//        = -1                                  |y| > L_max
// Name: "overlong".
class OverlongPunishment final : public RewardFunction {
 public:
  explicit OverlongPunishment(OverlongOptions options = {});
  std::string name() const override { return "overlong"; }
  double score(const Sample& sample) const override;

 private:
  OverlongOptions options_;
};

struct CosineOptions {
  double min_value_wrong = -1.0;   // wrong and short (the largest penalty)
  double max_value_wrong = -0.5;   // wrong and long (thinking longer is penalised less)
  double min_value_correct = 0.5;  // correct and long
  double max_value_correct = 1.0;  // correct and short
  int64_t max_length = 1000;       // lengths past this count as max_length
  LengthUnit unit = LengthUnit::tokens;
};

// With progress p = min(|y| / max_length, 1):
//   r = lo + (hi - lo) * (1 + cos(pi p)) / 2
// where (lo, hi) = (min_value_correct, max_value_correct) for a correct answer and
// (max_value_wrong, min_value_wrong) for a wrong one. Correctness is
// `correctness`'s score >= 0.5 (default: MathReward); NaN when it is NaN.
// Name: "cosine_scaled".
class CosineScaledReward final : public RewardFunction {
 public:
  explicit CosineScaledReward(CosineOptions options = {}, std::shared_ptr<const RewardFunction> correctness = nullptr);
  std::string name() const override { return "cosine_scaled"; }
  double score(const Sample& sample) const override;
  double score_within(const Sample& sample, const ScoreBudget& budget) const override;

  // The formula alone.
  double scale(bool correct, int64_t length) const;

 private:
  CosineOptions options_;
  std::shared_ptr<const RewardFunction> correctness_;
};

}  // namespace grpo::rewards
