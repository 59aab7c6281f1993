// Scoring a batch: every (completion, reward function) pair on a worker pool,
// each under its own time budget, into the [B, G, F] tensor the advantage stage
// takes (libgrpo/advantages.h).
#pragma once

#include <torch/types.h>

#include <chrono>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "libgrpo/metrics.h"
#include "rewards/combine.h"

namespace grpo::rewards {

struct ScoringOptions {
  int num_workers = 0;  // 0: one per hardware thread
  // Budget of one (sample, function) pair, from the moment a worker starts it.
  std::chrono::milliseconds timeout{5000};
  // How long past its timeout a function that ignores its budget may run before
  // its result is given up and a fresh worker replaces the stuck one.
  std::chrono::milliseconds grace{1000};
  // The reward of a pair that timed out or threw. 0.0 treats it as wrong; NaN
  // leaves it out of the advantages.
  double fallback = 0.0;
};

struct BatchRewards {
  torch::Tensor rewards;           // [B, G, F] float32; NaN = unscorable
  std::vector<std::string> names;  // F names, for compute_advantages()
  std::vector<double> weights;     // F weights, for compute_advantages()
  // Per reward (TRL's names): rewards/<name>/mean and rewards/<name>/std over
  // the scorable entries (std Bessel-corrected), rewards/<name>/timeouts and
  // rewards/<name>/errors (counts of fallbacks).
  Metrics metrics;
};

class RewardScorer {
 public:
  explicit RewardScorer(std::vector<WeightedReward> rewards, ScoringOptions options = {});
  ~RewardScorer();
  RewardScorer(const RewardScorer&) = delete;
  RewardScorer& operator=(const RewardScorer&) = delete;

  // samples: B * G completions, prompt-major (samples[b * G + g]).
  // `stop` cancels the batch: unfinished pairs get the fallback, as timeouts.
  // Never waits longer than about (timeout + grace) per wave of workers.
  BatchRewards score(const std::vector<Sample>& samples, int64_t group_size, std::stop_token stop = {});

  const std::vector<WeightedReward>& rewards() const { return rewards_; }

 private:
  struct Pool;
  std::vector<WeightedReward> rewards_;
  ScoringOptions options_;
  std::shared_ptr<Pool> pool_;
};

}  // namespace grpo::rewards
