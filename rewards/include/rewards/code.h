// The code reward: runs the completion's program against the sample's tests
// in the sandbox service (sandbox/server.h) and scores the fraction of tests
// passed, or 1/0 for all-or-nothing.
//
//   Sample::fields["tests"]     JSON list in the service's test format:
//                               [{"stdin": "1 2", "expected_stdout": "3"}, ...]
//                               or [{"call": "add(1, 2)", "expected": 3}, ...]
//   Sample::fields["language"]  optional, "python" (default) or "cpp"
//
// The program is the last fenced code block of the completion (```python,
// ```cpp, or unlabelled); a completion without one scores 0. A group's G
// programs go to the service at once. A run the service could not do
// (service down, internal_error) scores NaN: the advantage stage leaves it
// out rather than punishing the policy for the infrastructure.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rewards/reward.h"
#include "sandbox/client.h"
#include "sandbox/protocol.h"

namespace grpo::rewards {

enum class CodeScoring {
  fraction,        // tests passed / tests
  all_or_nothing,  // 1 when every test passes, else 0
};

struct CodeRewardOptions {
  sandbox::ClientOptions client;
  CodeScoring scoring = CodeScoring::fraction;
  std::string default_language = "python";
  sandbox::Limits limits;                           // per run of the program
  sandbox::Compare compare = sandbox::Compare::whitespace;
};

// The last fenced block of `completion` written in `language` (or with no
// language tag); nullopt when there is none.
std::optional<std::string> extract_code(std::string_view completion, std::string_view language);

class CodeReward : public RewardFunction {
 public:
  explicit CodeReward(CodeRewardOptions options = {});
  std::string name() const override { return "code"; }
  double score(const Sample& sample) const override;
  double score_within(const Sample& sample, const ScoreBudget& budget) const override;
  bool batched() const override { return true; }
  std::vector<double> score_batch(const std::vector<const Sample*>& samples, const ScoreBudget& budget) const override;

 private:
  CodeRewardOptions options_;
  std::shared_ptr<sandbox::Client> client_;
};

}  // namespace grpo::rewards
