// The GRPO trainer: one step reads as the algorithm.
//
//   sample groups -> score -> advantages -> (old, reference log-probs)
//     -> mu passes over minibatches: loss, backward, clip, AdamW -> metrics
//
//   grpo::Trainer trainer(grpo::Policy::load(dir), {weighted(std::make_shared<MathReward>())},
//                         {.prompts_per_step = 8, .group_size = 16});
//   for (int64_t s = 0; s < 100; ++s) grpo::StepStats stats = trainer.step(next_prompts());
//
// Each stage is a function from its own header; the Trainer owns only the
// state between steps (optimizer, schedule, reference model, step count).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "libgrpo/advantages.h"
#include "libgrpo/completion_stats.h"
#include "libgrpo/config.h"
#include "libgrpo/loss.h"
#include "libgrpo/metrics.h"
#include "libgrpo/rollout.h"
#include "libgrpo/sampling.h"
#include "rewards/combine.h"
#include "rewards/scoring.h"

namespace grpo {

// AdamW with linear warmup then cosine decay to min_lr_ratio * lr at total_steps
// (constant after warmup when total_steps is 0), and global-norm gradient clipping.
struct OptimizerOptions {
  double lr = 1e-6;
  double weight_decay = 0.0;
  double beta1 = 0.9;
  double beta2 = 0.99;
  double eps = 1e-8;
  int64_t warmup_steps = 0;
  int64_t total_steps = 0;
  double min_lr_ratio = 0.0;
  double max_grad_norm = 1.0;  // 0: no clipping
};
void describe(config::Visitor& v, OptimizerOptions& o);

// The learning rate of optimizer step `step` (0-based).
double scheduled_lr(const OptimizerOptions& o, int64_t step);

// DAPO's dynamic sampling (Yu et al. 2025, sec. 3.2): a group whose rewards are all
// equal has zero advantage and teaches nothing, so it is dropped and more prompts are
// sampled until prompts_per_step groups with a reward spread are in hand. After
// max_draws batches of prompts the step goes on, topping up with dropped groups so
// the batch keeps its shape (verl calls the bound max_num_gen_batches).
struct DynamicSamplingOptions {
  bool enabled = false;
  int64_t max_draws = 4;  // batches of prompts_per_step prompts sampled per step, at most
  // The reward whose spread decides ("" -> the weighted sum); DAPO filters on accuracy.
  std::string reward;
};
void describe(config::Visitor& v, DynamicSamplingOptions& o);

struct TrainerOptions {
  int64_t prompts_per_step = 8;  // B
  int64_t group_size = 16;       // G
  int64_t mu = 1;                // passes over each batch (GRPO's μ); > 1 needs old log-probs
  int64_t minibatches = 1;       // optimizer steps per pass; B * G must divide evenly
  int64_t micro_batch_size = 0;  // completions per forward/backward (gradient accumulation); 0: a minibatch
  // The reference policy for the KL term (loss.beta > 0) moves towards the
  // policy every ref_sync_steps steps (0: never): ref <- a * policy + (1 - a) * ref
  // with a = ref_mixup_alpha. a = 1 resets it, as R1 does between stages; TRL's
  // sync_ref_model uses a = 0.6 (TR-DPO, Gorbatovski et al. 2024).
  int64_t ref_sync_steps = 0;
  double ref_mixup_alpha = 1.0;
  DynamicSamplingOptions dynamic_sampling;
  SamplingOptions sampling;
  AdvantageOptions advantages;
  LossOptions loss;
  OptimizerOptions optimizer;
  ReflectionOptions reflection;
  // Negative control: each group's reward rows are permuted at random before the
  // advantages, so an advantage no longer says anything about its completion. A run
  // with this on should learn nothing; metrics still report the true rewards.
  bool shuffle_rewards = false;
  // The reward whose value >= 1 marks a completion correct (for accuracy and
  // the length/reflection splits); empty: the first reward function.
  std::string accuracy_reward;
};
void describe(config::Visitor& v, TrainerOptions& o);

// One prompt of a step: its token ids and the row the rewards read
// (rewards::Sample::prompt and ::fields).
struct Prompt {
  std::string id;  // the example's id, for curricula (PromptSource::observe); may be empty
  std::vector<int64_t> ids;
  std::string text;
  std::map<std::string, std::string> fields;
};

// Where a step's prompts come from: the trainer draws prompts_per_step of them, and
// more when dynamic sampling drops groups. A source owns its cursor.
class PromptSource {
 public:
  virtual ~PromptSource() = default;
  // The next n prompts; fewer (or none) when the source is exhausted.
  virtual std::vector<Prompt> next(int64_t n) = 0;
  // After scoring: the share of the prompt's group that was correct (curricula use it).
  virtual void observe(const Prompt& prompt, double pass_rate) {}
};

struct StepStats {
  int64_t step = 0;  // 1-based, after this step
  Metrics metrics;   // TRL's names plus completion_stats(), grad_norm, learning_rate, time/*
  RolloutBatch rollout;
  std::vector<Prompt> prompts;           // the B prompts the step trained on
  std::vector<std::string> completions;  // decoded, B * G (empty strings without a tokenizer)
  std::vector<bool> correct;             // B * G: the accuracy reward's value >= 1
  torch::Tensor rewards;                 // [B, G] the weighted sum
};

// Data-parallel seam: how gradients and statistics meet across processes.
// The single-process one does nothing; a c10d-backed one sums across ranks.
class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  virtual void all_reduce_sum(torch::Tensor& t) = 0;  // in place
};
std::shared_ptr<Communicator> single_process();

class Trainer {
 public:
  Trainer(Policy policy, std::vector<rewards::WeightedReward> rewards, TrainerOptions options,
          std::shared_ptr<Communicator> comm = single_process());

  // One GRPO step on prompts drawn from `source`.
  StepStats step(PromptSource& source);
  // One GRPO step on `prompts` (prompts_per_step of them; dynamic sampling, when
  // enabled, can draw no more than these).
  StepStats step(const std::vector<Prompt>& prompts);

  // The state a resumed run needs beyond the policy's weights: optimizer moments,
  // step counts and the reference model. save_state writes trainer_state.json,
  // optimizer.pt and (with a reference) reference.safetensors into dir; load_state
  // reads them back and checks they fit this trainer's model and options.
  void save_state(const std::filesystem::path& dir);
  void load_state(const std::filesystem::path& dir);

  Policy& policy() { return policy_; }
  torch::optim::AdamW& optimizer() { return *optimizer_; }
  int64_t steps_done() const { return step_; }
  int64_t optimizer_steps_done() const { return optimizer_step_; }
  void set_steps_done(int64_t step, int64_t optimizer_step);  // when resuming
  const TrainerOptions& options() const { return options_; }

 private:
  struct Scored;
  // Samples and scores groups until the step has prompts_per_step of them.
  Scored sample_and_score(PromptSource& source, Metrics& metrics);
  Scored sample_and_score_once(const std::vector<Prompt>& prompts, int64_t draw);
  void sync_reference();

  // ids, mask: [N, P + C] prompt and completion together.
  Metrics update(const RolloutBatch& batch, const torch::Tensor& ids, const torch::Tensor& mask,
                 const torch::Tensor& advantages, const torch::Tensor& ref_logps);

  Policy policy_;
  TrainerOptions options_;
  std::shared_ptr<Communicator> comm_;
  rewards::RewardScorer scorer_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  CausalLM reference_{nullptr};
  int64_t step_ = 0;
  int64_t optimizer_step_ = 0;
};

}  // namespace grpo
