// The policy loss: clipped importance-weighted advantages, a KL penalty to a
// reference policy, and the aggregation that turns per-token terms into one
// scalar. All functions are autograd-differentiable in `logps`.
//
// The GRPO objective (DeepSeekMath, Shao et al. 2024, eq. 3), to maximise:
//
//   J(θ) = E[ 1/G Σ_i 1/|o_i| Σ_t { min( ρ_it A_i, clip(ρ_it, 1-ε_low, 1+ε_high) A_i )
//                                    - β D_KL[π_θ || π_ref] } ]
//   ρ_it = π_θ(o_it | q, o_i,<t) / π_θ_old(o_it | q, o_i,<t)
//
// The loss is -J. Shapes: N completions (B prompts x G samples), T completion
// tokens (right-padded; `mask` marks real tokens).
#pragma once

#include <torch/types.h>

#include "libgrpo/config.h"
#include "libgrpo/metrics.h"

namespace grpo {

// The surrogate objective per token.
enum class PolicyObjective {
  clip,   // PPO/GRPO clipped ratio (with optional dual-clip and ratio cap)
  cispo,  // CISPO (MiniMax-M1): -sg(min(ρ, ε_high)) A log π; clips the weight, never the gradient
  sapo,   // SAPO: soft gate -σ(τ(ρ-1))·4/τ · A, τ = temperature_pos / _neg by the sign of A
};

// How per-token losses become one scalar. Let l_it be the per-token loss,
// m_it the mask, and S / K the step's completions / completion tokens (over
// all micro-batches and ranks; see StepScale).
enum class LossAggregation {
  grpo,          // (1/S) Σ_i (Σ_t l_it m_it) / |o_i|        token mean per sequence, then mean
  bnpo,          // Σ_it l_it m_it / K                        token mean over the batch
  dr_grpo,       // Σ_it l_it m_it / (S · L_max)              Dr. GRPO: a constant normaliser
  dapo,          // Σ_it l_it m_it / K                        DAPO: K counted over the whole step
  sequence_sum,  // (1/S) Σ_i Σ_t l_it m_it                   LUSPO: length-unbiased sequence sum
};

// Importance ratio per token, or per sequence (GSPO, Zheng et al. 2025):
//   ρ_i = exp( (1/|o_i|) Σ_t log ρ_it ), shared by every token of sequence i.
enum class ImportanceLevel { token, sequence };

// Schulman's estimators of KL(π_θ || π_ref) from a sample of π_θ, with
// log r = log π_ref - log π_θ:
//   k1 = -log r            unbiased, high variance, can be negative
//   k2 = (log r)^2 / 2     biased, low variance
//   k3 = r - 1 - log r     unbiased, low variance, >= 0 (GRPO's choice)
enum class KlEstimator { k1, k2, k3 };

// Correction for the gap between the sampler's log-probs (the rollout engine)
// and the trainer's old log-probs of the same tokens: w = π_old / π_sampler,
// per token or per sequence (the product over its tokens), then either
// truncated to [is_min, is_max] or zeroed outside it. The weight multiplies
// the per-token loss and carries no gradient.
enum class SamplerCorrection { none, token_truncate, token_mask, sequence_truncate, sequence_mask };

struct LossOptions {
  PolicyObjective objective = PolicyObjective::clip;
  LossAggregation aggregation = LossAggregation::dapo;
  ImportanceLevel importance_level = ImportanceLevel::token;

  double clip_eps_low = 0.2;   // ρ is clipped below at 1 - clip_eps_low
  double clip_eps_high = 0.2;  // ... and above at 1 + clip_eps_high (DAPO clip-higher: 0.28).
                               // cispo: the cap on ρ itself (e.g. 5.0)
  double ratio_cap = 0;        // > 0: ρ in the unclipped branch is capped at this (TRL's delta,
                               // two-sided clipping); 0 = off
  double dual_clip_c = 0;      // > 1: dual-clip (Ye et al. 2020): for A < 0 the loss is at most
                               // -c·A, bounding the push from very large ρ; 0 = off
  double sapo_temperature_pos = 1.0;
  double sapo_temperature_neg = 1.05;

  double beta = 0.0;                     // KL coefficient; 0 = no reference policy needed
  KlEstimator kl_estimator = KlEstimator::k3;
  bool kl_in_reward = false;             // fold β·KL into the rewards instead (see kl_penalty());
                                         // the loss then only reports kl
  double kl_clamp = 10.0;                // k-estimates clamped to [-kl_clamp, kl_clamp] (verl); 0 = off
  bool kl_importance_weighted = false;   // multiply the KL term by ρ (unbiased under π_old)

  double entropy_coef = 0.0;             // loss -= coef · mean token entropy
  double top_entropy_quantile = 1.0;     // ρ_H: keep the policy term only on tokens whose entropy is
                                         // in the top ρ_H fraction of the batch (1 = all tokens)
  double off_policy_mask_threshold = 0;  // > 0: drop sequences with A < 0 whose mean
                                         // log π_sampler - log π_θ exceeds it (DeepSeek-V3.2); 0 = off

  SamplerCorrection sampler_correction = SamplerCorrection::none;
  double sampler_is_min = 0.0;           // lower bound of w (0 = none)
  double sampler_is_max = 3.0;           // C_max, upper bound of w

  bool mask_truncated_completions = false;  // completions that hit the length limit get no loss
  int64_t max_completion_length = 0;        // L_max for dr_grpo; 0 = T of the batch
};

void describe(config::Visitor& v, LossOptions& o);

// Where one micro-batch sits in its optimizer step. With these the gradient of
// a step is the same however it is split into micro-batches and ranks.
struct StepScale {
  int64_t accumulation_steps = 1;  // micro-batches per optimizer step on this rank
  int64_t world_size = 1;          // data-parallel ranks; gradients are averaged across them
  double total_tokens = 0;         // K: completion tokens of the whole step (all micro-batches
                                   // and ranks, after masking); 0 = this micro-batch's
                                   // count x accumulation_steps x world_size
  double total_sequences = 0;      // S: completions of the whole step; 0 = N x accumulation_steps x
                                   // world_size
};

struct LossInput {
  torch::Tensor logps;          // [N, T] log π_θ of the completion tokens; the gradient flows here
  torch::Tensor mask;           // [N, T] 1 for real completion tokens, 0 for padding (any dtype)
  torch::Tensor advantages;     // [N] or [N, T]
  torch::Tensor old_logps;      // [N, T] log π_θ_old at sampling time; undefined: logps.detach()
                                // (one update per batch, ρ = 1)
  torch::Tensor ref_logps;      // [N, T] log π_ref; required when beta > 0
  torch::Tensor sampler_logps;  // [N, T] the sampler's own log-probs; required by
                                // sampler_correction and off_policy_mask_threshold
  torch::Tensor entropies;      // [N, T] per-token entropy of π_θ; required by entropy_coef > 0
                                // and top_entropy_quantile < 1; reported as `entropy` when given
  torch::Tensor truncated;      // [N] bool: hit the length limit; used by mask_truncated_completions
  StepScale step;
};

struct LossOutput {
  torch::Tensor loss;  // scalar; backward() of the sum over a step's micro-batches is the step's gradient
  // kl, entropy, clip_ratio/low_mean|high_mean|region_mean|low_min|high_max
  // (or cispo_clip_ratio), sampling/importance_sampling_ratio/min|mean|max,
  // sampling/sampling_logp_difference/mean|max, policy_loss.
  Metrics metrics;
};

LossOutput policy_loss(const LossInput& input, const LossOptions& options);

// Per-token KL estimate [N, T] of π_θ from π_ref (see KlEstimator); not masked.
torch::Tensor kl_estimate(const torch::Tensor& logps, const torch::Tensor& ref_logps, KlEstimator estimator,
                          double clamp = 10.0);

// KL folded into the reward: r_i - β Σ_t m_it k(t) for each completion.
// rewards: [N]; returns [N] without gradient.
torch::Tensor kl_penalty(const torch::Tensor& rewards, const torch::Tensor& logps,
                         const torch::Tensor& ref_logps, const torch::Tensor& mask, const LossOptions& options);

struct SamplerWeights {
  torch::Tensor weights;  // [N, T] for token_* modes, [N, 1] for sequence_* modes; no gradient
  Metrics metrics;        // sampling/importance_sampling_ratio/min|mean|max,
                          // sampling/sampling_logp_difference/mean|max
};

// w = π_old / π_sampler under options.sampler_correction. NaN sampler
// log-probs (the sampler could not score a token) count as agreement (w = 1).
SamplerWeights sampler_importance_weights(const torch::Tensor& old_logps, const torch::Tensor& sampler_logps,
                                          const torch::Tensor& mask, const LossOptions& options);

// Tokens whose entropy is at least the (1 - quantile) quantile of the masked
// entropies: [N, T] bool, always false on padding.
torch::Tensor high_entropy_mask(const torch::Tensor& entropies, const torch::Tensor& mask, double quantile);

}  // namespace grpo
