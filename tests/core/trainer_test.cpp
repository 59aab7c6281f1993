// The GRPO step, end to end on a tiny random model.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>

#include "libgrpo/error.h"
#include "libgrpo/trainer.h"
#include "support/tiny_models.h"

namespace {

using namespace grpo;

constexpr int64_t kRewarded = 5;

using test::tiny_policy;

// Share of the completion's tokens that are the rewarded one.
struct TokenShare final : rewards::RewardFunction {
  std::string name() const override { return "accuracy"; }
  double score(const rewards::Sample& s) const override {
    if (s.completion_ids.empty()) return 0.0;
    return static_cast<double>(std::count(s.completion_ids.begin(), s.completion_ids.end(), kRewarded)) /
           static_cast<double>(s.completion_ids.size());
  }
};

std::vector<Prompt> prompts(int64_t n) {
  std::vector<Prompt> out;
  for (int64_t i = 0; i < n; ++i) out.push_back({.ids = {1 + i % 7, 2, 3 + i % 5}});
  return out;
}

TrainerOptions options() {
  TrainerOptions o;
  o.prompts_per_step = 4;
  o.group_size = 8;
  o.sampling.max_new_tokens = 6;
  o.sampling.seed = 11;
  o.optimizer.lr = 3e-2;
  o.loss.beta = 0.0;
  return o;
}

TEST(Trainer, StepsRaiseTheRewardedTokensShare) {
  Trainer trainer(tiny_policy(), {{std::make_shared<TokenShare>(), 1.0}}, options());
  double first = 0, last = 0;
  for (int s = 0; s < 40; ++s) {
    StepStats stats = trainer.step(prompts(4));
    if (s == 0) first = stats.metrics.at("reward");
    if (s >= 35) last += stats.metrics.at("reward") / 5;
    for (const char* name : {"reward", "reward_std", "frac_reward_zero_std", "entropy", "grad_norm",
                             "learning_rate", "completions/mean_length", "completions/clipped_ratio",
                             "clip_ratio/region_mean", "accuracy", "time/rollout", "tokens_per_second"})
      ASSERT_TRUE(stats.metrics.count(name)) << name;
  }
  EXPECT_EQ(trainer.steps_done(), 40);
  EXPECT_LT(first, 0.2);  // about 1/16 before training
  EXPECT_GT(last, 0.6) << "first " << first << " last " << last;
  std::printf("rewarded-token share: step 1 %.3f, last 5 steps %.3f\n", first, last);
}

// The negative control: the same steps with each group's rewards permuted learn
// nothing, while the true rewards are still what the metrics report.
TEST(Trainer, ShuffledRewardsLearnNothing) {
  TrainerOptions o = options();
  o.shuffle_rewards = true;
  Trainer trainer(tiny_policy(), {{std::make_shared<TokenShare>(), 1.0}}, o);
  double first = 0, last = 0;
  for (int s = 0; s < 40; ++s) {
    StepStats stats = trainer.step(prompts(4));
    if (s < 5) first += stats.metrics.at("reward") / 5;
    if (s >= 35) last += stats.metrics.at("reward") / 5;
    // The rewards behind the advantages are a permutation of the true ones.
    EXPECT_NEAR(stats.rewards.mean().item<double>(), stats.metrics.at("reward"), 1e-5);
  }
  EXPECT_LT(last, first + 0.1) << "first " << first << " last " << last;
  std::printf("rewarded-token share with shuffled rewards: first 5 steps %.3f, last 5 steps %.3f\n", first, last);
}

TEST(Trainer, ShuffledRewardsArePermutedWithinEachGroup) {
  TrainerOptions o = options();
  Trainer plain(tiny_policy(), {{std::make_shared<TokenShare>(), 1.0}}, o);
  o.shuffle_rewards = true;
  Trainer shuffled(tiny_policy(), {{std::make_shared<TokenShare>(), 1.0}}, o);
  StepStats a = plain.step(prompts(4));
  StepStats b = shuffled.step(prompts(4));
  // Same policy and seed: the same completions and true rewards...
  EXPECT_EQ(a.completions, b.completions);
  EXPECT_DOUBLE_EQ(a.metrics.at("reward"), b.metrics.at("reward"));
  // ...but the rewards behind the advantages moved within (never across) groups.
  torch::Tensor ra = a.rewards.reshape({4, 8}), rb = b.rewards.reshape({4, 8});
  EXPECT_TRUE(torch::allclose(std::get<0>(ra.sort(1)), std::get<0>(rb.sort(1))));
  EXPECT_FALSE(torch::equal(ra, rb));
}

TEST(Trainer, MicroBatchesGiveTheSameUpdate) {
  auto run = [](int64_t micro) {
    TrainerOptions o = options();
    o.micro_batch_size = micro;
    Trainer trainer(tiny_policy(), {{std::make_shared<TokenShare>(), 1.0}}, o);
    trainer.step(prompts(4));
    std::vector<torch::Tensor> params;
    for (auto& p : trainer.policy().model->parameters()) params.push_back(p.detach().clone());
    return params;
  };
  auto whole = run(0), split = run(8);
  ASSERT_EQ(whole.size(), split.size());
  double moved = 0;
  auto before = tiny_policy().model->parameters();
  for (size_t i = 0; i < whole.size(); ++i) {
    // Adam moves every weight by about lr (3e-2): summation order may show at 1e-4 of that.
    EXPECT_LT((whole[i] - split[i]).abs().max().item<double>(), 1e-4) << i;
    moved = std::max(moved, (whole[i] - before[i]).abs().max().item().toDouble());
  }
  EXPECT_GT(moved, 1e-3);  // the step did change the weights
}

TEST(Trainer, SeveralPassesMinibatchesAndAReference) {
  TrainerOptions o = options();
  o.mu = 2;
  o.minibatches = 4;
  o.loss.beta = 0.04;
  o.ref_sync_steps = 2;
  o.optimizer.warmup_steps = 4;
  Trainer trainer(tiny_policy(), {{std::make_shared<TokenShare>(), 1.0}}, o);
  StepStats s1 = trainer.step(prompts(4));
  EXPECT_EQ(trainer.optimizer_steps_done(), 8);
  EXPECT_NEAR(s1.metrics.at("learning_rate"), 3e-2, 1e-12);  // after 4 warmup steps of 8
  StepStats s2 = trainer.step(prompts(4));
  EXPECT_GT(s2.metrics.at("kl"), 0.0);  // the policy has moved away from the reference
}

TEST(Trainer, ImpossibleBatchesFailUpFront) {
  TrainerOptions o = options();
  o.minibatches = 5;  // 32 completions
  try {
    Trainer trainer(tiny_policy(), {{std::make_shared<TokenShare>(), 1.0}}, o);
    FAIL() << "no error";
  } catch (const grpo::Error& e) {
    EXPECT_NE(e.message().find("32 completions do not split into 5 minibatches"), std::string::npos) << e.message();
  }
  o.minibatches = 2;
  o.micro_batch_size = 5;
  EXPECT_THROW(Trainer(tiny_policy(), {{std::make_shared<TokenShare>(), 1.0}}, o), grpo::Error);
  Trainer ok(tiny_policy(), {{std::make_shared<TokenShare>(), 1.0}}, options());
  EXPECT_THROW(ok.step(prompts(3)), grpo::Error);
}

TEST(Trainer, WarmupThenCosine) {
  OptimizerOptions o{.lr = 1.0, .warmup_steps = 2, .total_steps = 12, .min_lr_ratio = 0.1};
  EXPECT_DOUBLE_EQ(scheduled_lr(o, 0), 0.5);
  EXPECT_DOUBLE_EQ(scheduled_lr(o, 1), 1.0);
  EXPECT_DOUBLE_EQ(scheduled_lr(o, 2), 1.0);
  EXPECT_NEAR(scheduled_lr(o, 7), 0.1 + 0.9 * 0.5, 1e-12);
  EXPECT_NEAR(scheduled_lr(o, 12), 0.1, 1e-12);
  EXPECT_NEAR(scheduled_lr(o, 50), 0.1, 1e-12);
}

}  // namespace
