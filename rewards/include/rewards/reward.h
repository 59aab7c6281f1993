// Rule-based rewards: named functions that score one completion.
#pragma once

#include <map>
#include <string>

namespace grpo::rewards {

// One completion to score, with the dataset row it answers (for example
// fields["answer"] holds the reference answer of a math problem).
struct Sample {
  std::string prompt;
  std::string completion;
  std::map<std::string, std::string> fields;
};

// A named reward. score() returns the reward of one sample, or NaN when the
// sample cannot be scored (the advantage stage then leaves it out).
// Implementations are thread-safe: score() may run on many threads at once.
class RewardFunction {
 public:
  virtual ~RewardFunction() = default;
  virtual std::string name() const = 0;
  virtual double score(const Sample& sample) const = 0;
};

}  // namespace grpo::rewards
