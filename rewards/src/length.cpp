#include "rewards/length.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "libgrpo/error.h"
#include "rewards/math.h"

namespace grpo::rewards {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

int64_t completion_length(const Sample& sample, LengthUnit unit) {
  if (unit == LengthUnit::bytes) return static_cast<int64_t>(sample.completion.size());
  return sample.completion_tokens;
}

OverlongPunishment::OverlongPunishment(OverlongOptions options) : options_(options) {
  GRPO_CHECK(options_.cache_length > 0 && options_.cache_length <= options_.max_length,
             "overlong: need 0 < cache_length <= max_length, got cache_length = ", options_.cache_length,
             ", max_length = ", options_.max_length);
}

double OverlongPunishment::score(const Sample& sample) const {
  int64_t length = completion_length(sample, options_.unit);
  if (length < 0) return kNaN;
  int64_t soft_start = options_.max_length - options_.cache_length;
  if (length <= soft_start) return 0.0;
  if (length > options_.max_length) return -1.0;
  return static_cast<double>(soft_start - length) / static_cast<double>(options_.cache_length);
}

CosineScaledReward::CosineScaledReward(CosineOptions options, std::shared_ptr<const RewardFunction> correctness)
    : options_(options), correctness_(correctness ? std::move(correctness) : std::make_shared<MathReward>()) {
  GRPO_CHECK(options_.max_length > 0, "cosine_scaled: max_length must be positive, got ", options_.max_length);
}

double CosineScaledReward::scale(bool correct, int64_t length) const {
  double progress = std::min(1.0, static_cast<double>(length) / static_cast<double>(options_.max_length));
  double cosine = std::cos(progress * std::numbers::pi);
  double lo = correct ? options_.min_value_correct : options_.max_value_wrong;
  double hi = correct ? options_.max_value_correct : options_.min_value_wrong;
  return lo + 0.5 * (hi - lo) * (1.0 + cosine);
}

double CosineScaledReward::score(const Sample& sample) const {
  return score_within(sample, ScoreBudget{});
}

double CosineScaledReward::score_within(const Sample& sample, const ScoreBudget& budget) const {
  int64_t length = completion_length(sample, options_.unit);
  if (length < 0) return kNaN;
  double correct = correctness_->score_within(sample, budget);
  if (std::isnan(correct)) return kNaN;
  return scale(correct >= 0.5, length);
}

}  // namespace grpo::rewards
