#include "libgrpo/advantages.h"

#include <torch/torch.h>

#include <cmath>

#include "libgrpo/error.h"

namespace grpo {

void describe(config::Visitor& v, AdvantageOptions& o) {
  v.choice("estimator", o.estimator,
           {{"grpo", AdvantageEstimator::grpo},
            {"rloo", AdvantageEstimator::rloo},
            {"reinforce_pp", AdvantageEstimator::reinforce_pp}});
  v.choice("scale", o.scale,
           {{"group", RewardScale::group}, {"batch", RewardScale::batch}, {"none", RewardScale::none}});
  v.choice("aggregation", o.aggregation,
           {{"sum_then_normalize", RewardAggregation::sum_then_normalize},
            {"normalize_then_sum", RewardAggregation::normalize_then_sum}});
  v.field("eps", o.eps, config::Range<double>::at_least(0.0));
}

torch::Tensor nanstd(const torch::Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  torch::Tensor flat = dim ? x : x.reshape({-1});
  int64_t d = dim ? *dim : 0;
  torch::Tensor mean = torch::nanmean(flat, d, /*keepdim=*/true);
  torch::Tensor variance = torch::nanmean((flat - mean).pow(2), d, /*keepdim=*/true);
  torch::Tensor count = (~torch::isnan(flat)).sum(d, /*keepdim=*/true).to(flat.scalar_type());
  // Bessel's correction; undefined (NaN) for fewer than two values.
  torch::Tensor correction =
      torch::where(count > 1, count / (count - 1), torch::full_like(count, std::nan("")));
  torch::Tensor std = (variance * correction).sqrt();
  return keepdim ? std : std.squeeze(d);
}

namespace {

// mean over the group of the scorable members: [B, G] -> [B, 1]
torch::Tensor group_mean(const torch::Tensor& r) { return torch::nanmean(r, 1, /*keepdim=*/true); }

// (x - batch mean) / (batch std + eps) over the scorable rows.
torch::Tensor whiten(const torch::Tensor& x, double eps) {
  return (x - torch::nanmean(x)) / (nanstd(x) + eps);
}

}  // namespace

Advantages compute_advantages(const torch::Tensor& rewards, const AdvantageOptions& options,
                              const std::vector<double>& weights, const std::vector<std::string>& names) {
  GRPO_CHECK(rewards.defined() && rewards.dim() == 3,
             "rewards must be [B, G, F] (prompts, group, reward functions), got ",
             rewards.defined() ? rewards.sizes() : c10::IntArrayRef{});
  GRPO_CHECK(rewards.is_floating_point(), "rewards must be floating point, got ", rewards.scalar_type());
  const int64_t B = rewards.size(0), G = rewards.size(1), F = rewards.size(2);
  GRPO_CHECK(B > 0 && G > 0 && F > 0, "rewards is empty: ", rewards.sizes());
  GRPO_CHECK(weights.empty() || static_cast<int64_t>(weights.size()) == F, "got ", weights.size(),
             " reward weights for ", F, " reward functions");
  GRPO_CHECK(names.empty() || static_cast<int64_t>(names.size()) == F, "got ", names.size(),
             " reward names for ", F, " reward functions");
  GRPO_CHECK(!(options.aggregation == RewardAggregation::normalize_then_sum &&
               options.estimator != AdvantageEstimator::grpo),
             "aggregation normalize_then_sum works with estimator grpo only");
  GRPO_CHECK(!torch::isinf(rewards).any().item<bool>(), "rewards contain +-inf; use NaN for unscorable");

  torch::NoGradGuard no_grad;
  torch::Tensor r = rewards.detach();
  torch::Tensor w = weights.empty() ? torch::ones({F}, r.options())
                                    : torch::tensor(weights, r.options().dtype(torch::kFloat64)).to(r.dtype());
  torch::Tensor scorable = (~torch::isnan(r)).any(2);                       // [B, G]
  GRPO_CHECK(scorable.any().item<bool>(),
             "no completion in the batch could be scored (every reward is NaN); check the reward "
             "functions and the dataset fields they read");
  torch::Tensor nan = torch::full({}, std::nan(""), r.options());
  // Weighted sum over the functions that scored each completion.
  torch::Tensor total = torch::where(scorable, torch::nansum(r * w, 2), nan);  // [B, G]

  torch::Tensor advantages, std_for_zero;  // std_for_zero: [B, G], to count zero-spread groups
  if (options.aggregation == RewardAggregation::normalize_then_sum) {
    // Per function: (r_f - group mean_f) / (group std_f + eps); weighted sum; whiten over the batch.
    torch::Tensor per_fn = (r - torch::nanmean(r, 1, true)) / (nanstd(r, 1, true) + options.eps);
    torch::Tensor mixed = torch::where(scorable, torch::nansum(per_fn * w, 2), nan);
    std_for_zero = nanstd(mixed).expand({B, G});
    advantages = (mixed - torch::nanmean(mixed)) / (std_for_zero + options.eps);
  } else {
    torch::Tensor group_std = nanstd(total, 1, true).expand({B, G});
    torch::Tensor batch_std = nanstd(total).expand({B, G});
    std_for_zero = options.scale == RewardScale::batch ? batch_std : group_std;
    if (options.estimator == AdvantageEstimator::rloo) {
      // Baseline for i: mean of the other scorable members, (sum - r_i) / (n - 1).
      torch::Tensor n = scorable.sum(1, true).to(r.scalar_type());
      torch::Tensor sum = torch::nansum(total, 1, true);
      advantages = torch::where(n > 1, total - (sum - total) / (n - 1), nan);
    } else {  // grpo and reinforce_pp both centre on the group mean
      advantages = total - group_mean(total);
    }
    if (options.estimator == AdvantageEstimator::reinforce_pp) {
      advantages = whiten(advantages, options.eps);
    } else if (options.scale == RewardScale::group) {
      advantages = advantages / (group_std + options.eps);
    } else if (options.scale == RewardScale::batch) {
      advantages = options.estimator == AdvantageEstimator::rloo ? whiten(advantages, options.eps)
                                                                 : advantages / (batch_std + options.eps);
    }
  }
  // Unscorable completions, and groups too small for a statistic, carry no signal.
  advantages = torch::nan_to_num(advantages, 0.0);

  Advantages out;
  out.advantages = advantages;
  out.rewards = total;
  out.scorable = scorable;
  Metrics& m = out.metrics;
  m["reward"] = torch::nanmean(total).item<double>();
  m["reward_std"] = nanstd(total).item<double>();
  // isclose(std, 0) as TRL tests it; a NaN std (group of one) is not zero.
  m["frac_reward_zero_std"] = (std_for_zero.abs() <= 1e-8).to(torch::kFloat64).mean().item<double>();
  for (int64_t f = 0; f < F; ++f) {
    std::string name = names.empty() ? "reward_" + std::to_string(f) : names[f];
    torch::Tensor column = r.select(2, f);
    m["rewards/" + name + "/mean"] = torch::nanmean(column).item<double>();
    m["rewards/" + name + "/std"] = nanstd(column).item<double>();
  }
  return out;
}

}  // namespace grpo
