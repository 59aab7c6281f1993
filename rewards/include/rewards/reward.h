// Rule-based rewards: named functions that score one completion.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <vector>

namespace grpo::rewards {

// One completion to score, with the dataset row it answers (for example
// fields["answer"] holds the reference answer of a math problem).
struct Sample {
  std::string prompt;
  std::string completion;
  std::map<std::string, std::string> fields;
  // Length of the completion in tokens, for length-based rewards (length.h);
  // -1 when unknown.
  int64_t completion_tokens = -1;
  // The completion's token ids, when the caller has them (the trainer does).
  std::vector<int64_t> completion_ids;
};

// Limits on one scoring call: a deadline and a stop request that another
// thread can make. Rewards that can run long poll it cooperatively; nothing
// here uses signals, which misbehave in threaded trainers.
struct ScoreBudget {
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  std::stop_token stop;

  // A budget of `timeout` from now.
  static ScoreBudget within(std::chrono::nanoseconds timeout, std::stop_token stop = {}) {
    return {std::chrono::steady_clock::now() + timeout, std::move(stop)};
  }
  bool cancelled() const { return stop.stop_requested(); }
  bool expired() const { return cancelled() || std::chrono::steady_clock::now() >= deadline; }
};

// Thrown by RewardFunction::score_within() when the budget ran out (or was
// cancelled) before the reward was known.
class ScoreTimeout : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A named reward. score() returns the reward of one sample, or NaN when the
// sample cannot be scored (the advantage stage then leaves it out).
// Implementations are thread-safe: score() may run on many threads at once.
class RewardFunction {
 public:
  virtual ~RewardFunction() = default;
  virtual std::string name() const = 0;
  virtual double score(const Sample& sample) const = 0;

  // score() within `budget`: throws ScoreTimeout when the budget runs out.
  // The default ignores the budget, which suits rewards that do a bounded,
  // linear amount of work; rewards that may run long override it.
  virtual double score_within(const Sample& sample, const ScoreBudget& budget) const {
    return score(sample);
  }

  // Rewards whose work is remote (the code reward sends programs to a
  // sandbox service) return true here and score a whole group per call in
  // score_batch(), so that the group's G calls overlap. The scorer then
  // budgets the group as one job.
  virtual bool batched() const { return false; }
  virtual std::vector<double> score_batch(const std::vector<const Sample*>& samples, const ScoreBudget& budget) const {
    std::vector<double> out;
    out.reserve(samples.size());
    for (const Sample* s : samples) out.push_back(score_within(*s, budget));
    return out;
  }
};

}  // namespace grpo::rewards
