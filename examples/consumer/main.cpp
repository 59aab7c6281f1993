// The smallest program built on libgrpo: score a group of completions with a
// rule-based reward and turn the scores into group-relative advantages.
#include <torch/torch.h>

#include <iostream>
#include <vector>

#include "libgrpo/version.h"
#include "rewards/format.h"

int main() {
  std::cout << "libgrpo " << LIBGRPO_VERSION << "\n";

  // One prompt, a group of G = 4 completions.
  std::vector<std::string> completions = {
      "<think>2 + 2 = 4</think><answer>4</answer>",
      "the answer is 4",
      "<think>maybe 5</think><answer>5</answer>",
      "<answer>4</answer>",
  };
  grpo::rewards::FormatReward format;
  torch::Tensor rewards = torch::empty({1, static_cast<int64_t>(completions.size())});  // [B=1, G]
  for (size_t g = 0; g < completions.size(); ++g)
    rewards[0][static_cast<int64_t>(g)] = format.score({.completion = completions[g]});

  // (r - mean) / (std + eps) within the group.
  torch::Tensor advantages = (rewards - rewards.mean(1, true)) / (rewards.std(1, true, true) + 1e-4);
  for (size_t g = 0; g < completions.size(); ++g)
    std::cout << "format reward " << rewards[0][g].item<double>() << "  advantage "
              << advantages[0][g].item<double>() << "  | " << completions[g] << "\n";
  return 0;
}
