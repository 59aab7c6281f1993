#include "rewards/combine.h"

#include <cmath>
#include <limits>
#include <set>

#include "libgrpo/error.h"

namespace grpo::rewards {

void check_rewards(const std::vector<WeightedReward>& rewards) {
  GRPO_CHECK(!rewards.empty(), "rewards: no reward functions given");
  std::set<std::string> names;
  for (size_t i = 0; i < rewards.size(); ++i) {
    GRPO_CHECK(rewards[i].function != nullptr, "rewards: reward function ", i, " is null");
    GRPO_CHECK(std::isfinite(rewards[i].weight), "rewards: '", rewards[i].display_name(), "' has weight ",
               rewards[i].weight);
    GRPO_CHECK(names.insert(rewards[i].display_name()).second, "rewards: the name '", rewards[i].display_name(),
               "' is used twice; give one of them a name");
  }
}

WeightedSum::WeightedSum(std::vector<WeightedReward> parts, std::string name)
    : parts_(std::move(parts)), name_(std::move(name)) {
  check_rewards(parts_);
}

double WeightedSum::score(const Sample& sample) const { return score_within(sample, ScoreBudget{}); }

double WeightedSum::score_within(const Sample& sample, const ScoreBudget& budget) const {
  double sum = 0.0;
  bool any = false;
  for (const auto& part : parts_) {
    double r = part.function->score_within(sample, budget);
    if (std::isnan(r)) continue;
    sum += part.weight * r;
    any = true;
  }
  return any ? sum : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace grpo::rewards
