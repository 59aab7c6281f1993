// A team's own training loop around Trainer::step(), with its own reward.
//
// The policy is a tiny random decoder built in code (no checkpoint needed);
// the reward is the share of completion tokens equal to one chosen token. A
// real trainer would load a checkpoint with grpo::Policy::load(dir) and use
// rewards such as grpo::rewards::MathReward.
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

#include "libgrpo/trainer.h"

namespace {

constexpr int64_t kTarget = 5;

// ---------------------------------------------------------------- our reward
struct TargetTokenShare final : grpo::rewards::RewardFunction {
  std::string name() const override { return "target_share"; }
  double score(const grpo::rewards::Sample& s) const override {
    if (s.completion_ids.empty()) return 0.0;
    auto hits = std::count(s.completion_ids.begin(), s.completion_ids.end(), kTarget);
    return static_cast<double>(hits) / static_cast<double>(s.completion_ids.size());
  }
};

grpo::Policy tiny_policy() {
  grpo::Policy policy;
  auto config = grpo::ModelConfig::from_json(
      R"({"model_type": "qwen2", "vocab_size": 16, "hidden_size": 32, "intermediate_size": 64,
          "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1})");
  policy.model = grpo::CausalLM(config);
  policy.model->init_weights(0.05, /*seed=*/3);
  policy.eos_token_ids = {15};
  return policy;
}

}  // namespace

int main() {
  grpo::TrainerOptions options;
  options.prompts_per_step = 4;  // B
  options.group_size = 8;        // G
  options.sampling.max_new_tokens = 6;
  options.sampling.seed = 11;
  options.optimizer.lr = 3e-2;
  grpo::Trainer trainer(tiny_policy(), {{std::make_shared<TargetTokenShare>(), 1.0}}, options);

  // ---------------------------------------------------------------- our loop
  for (int64_t step = 1; step <= 30; ++step) {
    std::vector<grpo::Prompt> prompts;
    for (int64_t b = 0; b < options.prompts_per_step; ++b) prompts.push_back({.ids = {1 + b, 2, 3}});
    grpo::StepStats stats = trainer.step(prompts);
    if (step == 1 || step % 5 == 0)
      std::printf("step %2lld  reward %.3f  reward_std %.3f  grad_norm %.3f  mean_length %.2f\n",
                  static_cast<long long>(step), stats.metrics.at("reward"), stats.metrics.at("reward_std"),
                  stats.metrics.at("grad_norm"), stats.metrics.at("completions/mean_length"));
  }
  return 0;
}
