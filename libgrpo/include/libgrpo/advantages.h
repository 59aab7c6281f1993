// Group-relative advantages: how much better each completion did than its
// siblings sampled from the same prompt. No critic: the group is the baseline.
//
// DeepSeekMath (Shao et al. 2024), outcome supervision:
//     A_i = (r_i - mean(r_1..r_G)) / std(r_1..r_G)
// every token of completion i gets A_i.
#pragma once

#include <torch/types.h>

#include <optional>
#include <string>
#include <vector>

#include "libgrpo/config.h"
#include "libgrpo/metrics.h"

namespace grpo {

enum class AdvantageEstimator {
  grpo,          // r_i - group mean, then scaled (see RewardScale)
  rloo,          // r_i - mean of the other G-1 rewards (leave-one-out), then scaled
  reinforce_pp,  // REINFORCE++-baseline: r_i - group mean, then whitened over the batch
                 // (per completion; `scale` does not apply)
};

enum class RewardScale {
  group,  // divide by the group's std (GRPO)
  batch,  // divide by the whole batch's std (more robust for small groups)
  none,   // no division (Dr. GRPO: the std term biases towards easy/hard prompts)
};

// How several reward functions become one advantage.
enum class RewardAggregation {
  sum_then_normalize,  // weighted sum of the rewards, then the estimator above
  normalize_then_sum,  // each reward normalised within its group, weighted sum,
                       // then whitened over the batch (GDPO); the estimator must be grpo
};

struct AdvantageOptions {
  AdvantageEstimator estimator = AdvantageEstimator::grpo;
  RewardScale scale = RewardScale::group;
  RewardAggregation aggregation = RewardAggregation::sum_then_normalize;
  double eps = 1e-4;  // added to every std before dividing (TRL's value)
};

void describe(config::Visitor& v, AdvantageOptions& o);

struct Advantages {
  torch::Tensor advantages;  // [B, G], rewards' dtype; 0 where unscorable
  torch::Tensor rewards;     // [B, G] weighted sum over reward functions; NaN where unscorable
  torch::Tensor scorable;    // [B, G] bool: at least one reward function scored it
  Metrics metrics;           // reward, reward_std, frac_reward_zero_std, rewards/<name>/mean|std
};

// rewards: [B, G, F] float32/float64, F reward functions; NaN means "this
//          function did not score this completion" and is left out of sums and
//          statistics. A completion no function scored is unscorable: it is
//          left out of every statistic and gets advantage 0.
//          A batch in which nothing is scorable is an error.
// weights: F weights (empty: all 1). names: F names for the metrics (empty:
//          "reward_0", ...).
// Statistics use the unbiased (Bessel-corrected) std; a group with fewer than
// two scorable members has no std and its members get advantage 0.
Advantages compute_advantages(const torch::Tensor& rewards, const AdvantageOptions& options,
                              const std::vector<double>& weights = {},
                              const std::vector<std::string>& names = {});

// NaN-aware statistics along `dim` (all elements when dim is empty), as TRL
// computes them. nanstd is Bessel-corrected and NaN where fewer than two values.
torch::Tensor nanstd(const torch::Tensor& x, std::optional<int64_t> dim = std::nullopt,
                     bool keepdim = false);

}  // namespace grpo
