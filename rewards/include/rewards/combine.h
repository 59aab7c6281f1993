// Several named, weighted reward functions, and their weighted sum as one.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "rewards/reward.h"

namespace grpo::rewards {

struct WeightedReward {
  std::shared_ptr<const RewardFunction> function;
  double weight = 1.0;
  std::string name;  // empty: function->name()

  std::string display_name() const { return name.empty() ? function->name() : name; }
};

// Shorthand: weighted(std::make_shared<MathReward>(), 1.0).
inline WeightedReward weighted(std::shared_ptr<const RewardFunction> f, double weight = 1.0, std::string name = "") {
  return {std::move(f), weight, std::move(name)};
}

// sum_f weight_f * r_f as one reward. NaN terms are left out (as the advantage
// stage does); NaN when every term is NaN. score_within() passes the budget on.
// Throws grpo::Error for an empty list, a null function or repeated names.
class WeightedSum final : public RewardFunction {
 public:
  WeightedSum(std::vector<WeightedReward> parts, std::string name = "reward");
  std::string name() const override { return name_; }
  double score(const Sample& sample) const override;
  double score_within(const Sample& sample, const ScoreBudget& budget) const override;
  const std::vector<WeightedReward>& parts() const { return parts_; }

 private:
  std::vector<WeightedReward> parts_;
  std::string name_;
};

// Checks a list of rewards: non-empty, no null function, distinct names.
void check_rewards(const std::vector<WeightedReward>& rewards);

}  // namespace grpo::rewards
