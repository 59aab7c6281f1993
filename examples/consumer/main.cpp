// The smallest program built on libgrpo: score a group of completions with a
// rule-based reward, turn the scores into group-relative advantages, and take
// the GRPO loss of made-up per-token log-probs.
#include <torch/torch.h>

#include <iostream>
#include <vector>

#include "libgrpo/advantages.h"
#include "libgrpo/loss.h"
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
  const int64_t G = static_cast<int64_t>(completions.size());

  // ---- score: rewards [B=1, G, F=1]
  grpo::rewards::FormatReward format;
  torch::Tensor rewards = torch::empty({1, G, 1});
  for (int64_t g = 0; g < G; ++g) rewards[0][g][0] = format.score({.completion = completions[g]});

  // ---- advantages: (r - group mean) / (group std + eps), [B, G]
  grpo::Advantages adv = grpo::compute_advantages(rewards, grpo::AdvantageOptions{}, {}, {format.name()});

  // ---- loss over per-token log-probs [N = G, T = 3]; here random, in a trainer the policy's
  torch::manual_seed(0);
  torch::Tensor logps = (-torch::rand({G, 3})).requires_grad_();
  grpo::LossOutput loss = grpo::policy_loss(
      {.logps = logps, .mask = torch::ones({G, 3}), .advantages = adv.advantages.view({G})},
      grpo::LossOptions{.clip_eps_high = 0.28});
  loss.loss.backward();

  for (int64_t g = 0; g < G; ++g)
    std::cout << "format reward " << rewards[0][g][0].item<double>() << "  advantage " << adv.advantages[0][g].item<double>()
              << "  | " << completions[g] << "\n";
  std::cout << "reward " << adv.metrics["reward"] << ", frac_reward_zero_std " << adv.metrics["frac_reward_zero_std"]
            << ", loss " << loss.loss.item<double>() << ", |grad| " << logps.grad().norm().item<double>() << "\n";
  return 0;
}
