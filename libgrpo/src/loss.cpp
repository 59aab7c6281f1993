#include "libgrpo/loss.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "libgrpo/error.h"

namespace grpo {

using torch::Tensor;

void describe(config::Visitor& v, LossOptions& o) {
  using config::Range;
  v.choice("objective", o.objective,
           {{"clip", PolicyObjective::clip}, {"cispo", PolicyObjective::cispo}, {"sapo", PolicyObjective::sapo}});
  v.choice("aggregation", o.aggregation,
           {{"grpo", LossAggregation::grpo},
            {"bnpo", LossAggregation::bnpo},
            {"dr_grpo", LossAggregation::dr_grpo},
            {"dapo", LossAggregation::dapo},
            {"sequence_sum", LossAggregation::sequence_sum}});
  v.choice("importance_level", o.importance_level,
           {{"token", ImportanceLevel::token}, {"sequence", ImportanceLevel::sequence}});
  v.field("clip_eps_low", o.clip_eps_low, Range<double>::closed(0.0, 1.0));
  v.field("clip_eps_high", o.clip_eps_high, Range<double>::at_least(0.0));
  v.field("ratio_cap", o.ratio_cap, Range<double>::at_least(0.0));
  v.field("dual_clip_c", o.dual_clip_c, Range<double>::at_least(0.0));
  v.field("sapo_temperature_pos", o.sapo_temperature_pos, Range<double>::above(0.0));
  v.field("sapo_temperature_neg", o.sapo_temperature_neg, Range<double>::above(0.0));
  v.field("beta", o.beta, Range<double>::at_least(0.0));
  v.choice("kl_estimator", o.kl_estimator,
           {{"k1", KlEstimator::k1}, {"k2", KlEstimator::k2}, {"k3", KlEstimator::k3}});
  v.field("kl_in_reward", o.kl_in_reward);
  v.field("kl_clamp", o.kl_clamp, Range<double>::at_least(0.0));
  v.field("kl_importance_weighted", o.kl_importance_weighted);
  v.field("entropy_coef", o.entropy_coef);
  v.field("top_entropy_quantile", o.top_entropy_quantile, Range<double>{0.0, 1.0, true, false});
  v.field("off_policy_mask_threshold", o.off_policy_mask_threshold, Range<double>::at_least(0.0));
  v.choice("sampler_correction", o.sampler_correction,
           {{"none", SamplerCorrection::none},
            {"token_truncate", SamplerCorrection::token_truncate},
            {"token_mask", SamplerCorrection::token_mask},
            {"sequence_truncate", SamplerCorrection::sequence_truncate},
            {"sequence_mask", SamplerCorrection::sequence_mask}});
  v.field("sampler_is_min", o.sampler_is_min, Range<double>::at_least(0.0));
  v.field("sampler_is_max", o.sampler_is_max, Range<double>::above(0.0));
  v.field("mask_truncated_completions", o.mask_truncated_completions);
  v.field("max_completion_length", o.max_completion_length, Range<int64_t>::at_least(0));
}

namespace {

// Σ x·m / max(Σ m, 1) over the whole batch; x may be [N, 1] (one value per
// sequence), then it is the plain mean over sequences.
double masked_mean(const Tensor& x, const Tensor& mask) {
  if (x.size(1) == 1 && mask.size(1) != 1) return x.mean().item<double>();
  return ((x * mask).sum() / mask.sum().clamp_min(1.0)).item<double>();
}

// Per-sequence Σ_t x·m / Σ_t m: [N], NaN for empty sequences.
Tensor sequence_means(const Tensor& x, const Tensor& mask) {
  if (x.size(1) == 1 && mask.size(1) != 1) return x.squeeze(1);
  return (x * mask).sum(-1) / mask.sum(-1);
}

double nan_reduce(const Tensor& x, bool take_max) {
  Tensor finite = x.masked_select(~torch::isnan(x));
  if (finite.numel() == 0) return std::nan("");
  return (take_max ? finite.max() : finite.min()).item<double>();
}

void check_same_shape(const Tensor& t, const char* name, const Tensor& logps) {
  if (!t.defined()) return;
  GRPO_CHECK(t.sizes() == logps.sizes(), name, " must have the shape of logps ", logps.sizes(), ", got ",
             t.sizes());
}

void validate(const LossInput& in, const LossOptions& o) {
  GRPO_CHECK(in.logps.defined() && in.logps.dim() == 2, "logps must be [N, T], got ",
             in.logps.defined() ? in.logps.sizes() : c10::IntArrayRef{});
  GRPO_CHECK(in.logps.is_floating_point(), "logps must be floating point, got ", in.logps.scalar_type());
  GRPO_CHECK(in.mask.defined(), "mask is required");
  check_same_shape(in.mask, "mask", in.logps);
  check_same_shape(in.old_logps, "old_logps", in.logps);
  check_same_shape(in.ref_logps, "ref_logps", in.logps);
  check_same_shape(in.sampler_logps, "sampler_logps", in.logps);
  check_same_shape(in.entropies, "entropies", in.logps);
  const int64_t N = in.logps.size(0);
  GRPO_CHECK(in.advantages.defined(), "advantages are required");
  GRPO_CHECK((in.advantages.dim() == 1 && in.advantages.size(0) == N) ||
                 in.advantages.sizes() == in.logps.sizes(),
             "advantages must be [N] or [N, T] with N = ", N, ", T = ", in.logps.size(1), "; got ",
             in.advantages.sizes());
  GRPO_CHECK(torch::isfinite(in.advantages).all().item<bool>(), "advantages contain NaN or inf");
  if (in.truncated.defined())
    GRPO_CHECK(in.truncated.dim() == 1 && in.truncated.size(0) == N, "truncated must be [N] with N = ", N,
               ", got ", in.truncated.sizes());
  GRPO_CHECK(o.beta == 0 || in.ref_logps.defined(), "beta = ", o.beta, " needs ref_logps");
  GRPO_CHECK(o.sampler_correction == SamplerCorrection::none || in.sampler_logps.defined(),
             "sampler_correction needs sampler_logps");
  GRPO_CHECK(o.entropy_coef == 0 || in.entropies.defined(), "entropy_coef = ", o.entropy_coef,
             " needs entropies");
  GRPO_CHECK(o.top_entropy_quantile >= 1 || in.entropies.defined(), "top_entropy_quantile = ",
             o.top_entropy_quantile, " needs entropies");
  GRPO_CHECK(!o.mask_truncated_completions || in.truncated.defined(),
             "mask_truncated_completions needs truncated");
  GRPO_CHECK(o.dual_clip_c == 0 || o.dual_clip_c > 1, "dual_clip_c must be > 1 (or 0 for off), got ",
             o.dual_clip_c);
  GRPO_CHECK(in.step.accumulation_steps >= 1 && in.step.world_size >= 1,
             "step.accumulation_steps and step.world_size must be >= 1");
  GRPO_CHECK(o.aggregation != LossAggregation::dapo || in.step.total_tokens > 0 ||
                 (in.step.accumulation_steps == 1 && in.step.world_size == 1),
             "dapo aggregation over ", in.step.accumulation_steps, " micro-batches x ", in.step.world_size,
             " ranks needs step.total_tokens (completion tokens of the whole step)");
  // A NaN log-prob on a real token would poison the whole batch silently.
  Tensor real = in.mask.to(torch::kBool);
  GRPO_CHECK(!torch::isnan(in.logps.detach().masked_select(real)).any().item<bool>(),
             "logps are NaN on real (unmasked) tokens");
}

// The per-token surrogate loss [N, T] (or [N, 1] at sequence level) before
// masks, corrections and KL; ratio is ρ after any cap (for the clip metrics).
Tensor surrogate(const Tensor& logps, Tensor& ratio, const Tensor& A, const LossOptions& o) {
  switch (o.objective) {
    case PolicyObjective::clip: {
      Tensor clipped = ratio.clamp(1.0 - o.clip_eps_low, 1.0 + o.clip_eps_high);
      if (o.ratio_cap > 0) ratio = ratio.clamp_max(o.ratio_cap);
      Tensor loss = -torch::min(ratio * A, clipped * A);
      // Dual-clip: for A < 0 the clipped objective is unbounded in ρ; cap the loss at -c·A.
      if (o.dual_clip_c > 0) loss = torch::where(A < 0, torch::min(loss, -o.dual_clip_c * A), loss);
      return loss;
    }
    case PolicyObjective::cispo:
      // The weight is clipped and detached; the gradient always flows through log π.
      return -ratio.clamp_max(o.clip_eps_high).detach() * A * logps;
    case PolicyObjective::sapo: {
      Tensor tau = torch::where(A > 0, torch::full_like(A, o.sapo_temperature_pos),
                                torch::full_like(A, o.sapo_temperature_neg));
      return -torch::sigmoid(tau * (ratio - 1.0)) * 4.0 / tau * A;
    }
  }
  GRPO_FAIL("unknown policy objective");
}

// Divides the masked sum of per-token losses by the aggregation's normaliser
// for this micro-batch's share of the step.
Tensor aggregate(const Tensor& per_token, const Tensor& mask, const LossInput& in, const LossOptions& o) {
  const StepScale& s = in.step;
  const int64_t N = per_token.size(0);
  // This micro-batch's share of the step's sequences and tokens. Gradients are
  // summed over micro-batches and averaged over ranks, hence the / world_size.
  const double sequences = s.total_sequences > 0 ? s.total_sequences / s.world_size
                                                 : static_cast<double>(N) * s.accumulation_steps;
  Tensor masked = per_token * mask;
  switch (o.aggregation) {
    case LossAggregation::grpo:
      return (masked.sum(-1) / mask.sum(-1).clamp_min(1.0)).sum() / sequences;
    case LossAggregation::bnpo:
    case LossAggregation::dapo: {
      Tensor tokens = s.total_tokens > 0
                          ? torch::full({}, s.total_tokens / s.world_size, mask.options())
                          : mask.sum().clamp_min(1.0) * static_cast<double>(s.accumulation_steps);
      return masked.sum() / tokens.clamp_min(1.0);
    }
    case LossAggregation::dr_grpo: {
      const int64_t L = o.max_completion_length > 0 ? o.max_completion_length : per_token.size(1);
      return masked.sum() / (sequences * static_cast<double>(L));
    }
    case LossAggregation::sequence_sum:
      return masked.sum(-1).sum() / sequences;
  }
  GRPO_FAIL("unknown loss aggregation");
}

}  // namespace

Tensor kl_estimate(const Tensor& logps, const Tensor& ref_logps, KlEstimator estimator, double clamp) {
  Tensor log_r = ref_logps - logps;  // log π_ref / π_θ
  Tensor k;
  switch (estimator) {
    case KlEstimator::k1: k = -log_r; break;
    case KlEstimator::k2: k = 0.5 * log_r.pow(2); break;
    case KlEstimator::k3: k = torch::exp(log_r) - log_r - 1.0; break;
  }
  return clamp > 0 ? k.clamp(-clamp, clamp) : k;
}

Tensor kl_penalty(const Tensor& rewards, const Tensor& logps, const Tensor& ref_logps, const Tensor& mask,
                  const LossOptions& o) {
  GRPO_CHECK(rewards.dim() == 1 && rewards.size(0) == logps.size(0), "rewards must be [N] with N = ",
             logps.size(0), ", got ", rewards.sizes());
  GRPO_CHECK(ref_logps.sizes() == logps.sizes() && mask.sizes() == logps.sizes(),
             "logps, ref_logps and mask must have one shape");
  torch::NoGradGuard no_grad;
  Tensor k = kl_estimate(logps, ref_logps, o.kl_estimator, o.kl_clamp) * mask.to(logps.scalar_type());
  return rewards - o.beta * k.sum(-1).to(rewards.scalar_type());
}

SamplerWeights sampler_importance_weights(const Tensor& old_logps, const Tensor& sampler_logps,
                                          const Tensor& mask, const LossOptions& o) {
  GRPO_CHECK(old_logps.sizes() == sampler_logps.sizes() && mask.sizes() == old_logps.sizes(),
             "old_logps ", old_logps.sizes(), ", sampler_logps ", sampler_logps.sizes(), " and mask ",
             mask.sizes(), " must have one shape");
  torch::NoGradGuard no_grad;
  Tensor m = mask.to(old_logps.scalar_type());
  // log w per token; an unscored (NaN) sampler token counts as agreement.
  Tensor log_w = torch::nan_to_num((old_logps.detach() - sampler_logps) * m, 0.0);
  const bool per_sequence = o.sampler_correction == SamplerCorrection::sequence_truncate ||
                            o.sampler_correction == SamplerCorrection::sequence_mask;
  if (per_sequence) log_w = log_w.sum(-1, /*keepdim=*/true);  // log Π_t w_t
  Tensor w = torch::exp(log_w);
  const double lo = o.sampler_is_min > 0 ? o.sampler_is_min : -std::numeric_limits<double>::infinity();
  const double hi = o.sampler_is_max;
  switch (o.sampler_correction) {
    case SamplerCorrection::none: break;
    case SamplerCorrection::token_truncate:
    case SamplerCorrection::sequence_truncate:
      w = o.sampler_is_min > 0 ? w.clamp(o.sampler_is_min, hi) : w.clamp_max(hi);
      break;
    case SamplerCorrection::token_mask:
    case SamplerCorrection::sequence_mask:
      w = w.masked_fill((w < lo) | (w > hi), 0.0);
      break;
  }

  SamplerWeights out;
  out.weights = w;
  Tensor real = mask.to(torch::kBool);
  Tensor diff = (old_logps.detach() - sampler_logps).abs();
  Tensor seen = diff.masked_select(real & ~torch::isnan(diff));
  out.metrics["sampling/sampling_logp_difference/mean"] = seen.numel() ? seen.mean().item<double>() : 0.0;
  out.metrics["sampling/sampling_logp_difference/max"] = seen.numel() ? seen.max().item<double>() : 0.0;
  Tensor flat = per_sequence ? w.flatten() : w.masked_select(real);
  out.metrics["sampling/importance_sampling_ratio/min"] = flat.numel() ? flat.min().item<double>() : 0.0;
  out.metrics["sampling/importance_sampling_ratio/mean"] = flat.numel() ? flat.mean().item<double>() : 0.0;
  out.metrics["sampling/importance_sampling_ratio/max"] = flat.numel() ? flat.max().item<double>() : 0.0;
  return out;
}

Tensor high_entropy_mask(const Tensor& entropies, const Tensor& mask, double quantile) {
  torch::NoGradGuard no_grad;
  Tensor real = mask.to(torch::kBool);
  // The threshold in float32, as TRL computes it, so ties at the threshold fall the same way.
  Tensor values = entropies.detach().masked_select(real).to(torch::kFloat32);
  if (values.numel() == 0) return torch::zeros_like(real);
  // Keep the top `quantile` fraction: entropy >= the (1 - quantile) quantile.
  Tensor threshold = torch::quantile(values, 1.0 - quantile);
  return (entropies.detach() * real.to(entropies.scalar_type()) >= threshold) & real;
}

LossOutput policy_loss(const LossInput& in, const LossOptions& o) {
  validate(in, o);
  const auto dtype = in.logps.scalar_type();
  const Tensor& logps = in.logps;
  Tensor mask = in.mask.to(dtype);
  if (o.mask_truncated_completions) mask = mask * (~in.truncated.to(torch::kBool)).unsqueeze(1).to(dtype);
  Tensor A = (in.advantages.dim() == 1 ? in.advantages.unsqueeze(1) : in.advantages).to(dtype);
  Tensor old = in.old_logps.defined() ? in.old_logps.to(dtype) : logps.detach();
  LossOutput out;
  Metrics& metrics = out.metrics;

  // ---- importance ratio ρ = π_θ / π_old, per token or per sequence (GSPO)
  Tensor log_ratio = logps - old;
  if (o.importance_level == ImportanceLevel::sequence)
    log_ratio = ((log_ratio * mask).sum(-1) / mask.sum(-1).clamp_min(1.0)).unsqueeze(-1);  // [N, 1]
  Tensor ratio = torch::exp(log_ratio);

  // ---- KL to the reference policy
  Tensor kl;
  if (o.beta != 0) {
    kl = kl_estimate(logps, in.ref_logps.to(dtype), o.kl_estimator, o.kl_clamp);
    if (o.kl_importance_weighted) kl = kl * ratio;
  }

  // ---- per-token surrogate, then the masks and weights that scale it
  Tensor per_token = surrogate(logps, ratio, A, o);
  if (o.off_policy_mask_threshold > 0) {
    // DeepSeek-V3.2: drop negative-advantage sequences the sampler has drifted too far from.
    Tensor sampler = in.sampler_logps.defined() ? in.sampler_logps.to(dtype) : old;
    Tensor drift = torch::nan_to_num(sampler - logps.detach(), 0.0);
    Tensor mean_drift = (drift * mask).sum(-1, true) / mask.sum(-1, true).clamp_min(1.0);
    per_token = per_token * ((A >= 0) | (mean_drift <= o.off_policy_mask_threshold)).to(dtype);
  }
  Tensor entropy_mask;
  if (o.top_entropy_quantile < 1) {
    entropy_mask = high_entropy_mask(in.entropies, mask, o.top_entropy_quantile).to(dtype);
    per_token = per_token * entropy_mask;
  }
  if (o.sampler_correction != SamplerCorrection::none) {
    SamplerWeights w = sampler_importance_weights(old, in.sampler_logps.to(dtype), mask, o);
    per_token = per_token * w.weights;
    metrics.insert(w.metrics.begin(), w.metrics.end());
  }
  if (o.beta != 0 && !o.kl_in_reward) per_token = per_token + o.beta * kl;

  // ---- aggregation to a scalar
  Tensor loss = aggregate(per_token, mask, in, o);
  metrics["policy_loss"] = loss.item<double>();
  if (o.entropy_coef != 0) {
    // Bonus on the mean token entropy over the tokens the policy term acts on.
    Tensor acting = entropy_mask.defined() ? mask * entropy_mask : mask;
    Tensor mean_entropy = (in.entropies.to(dtype) * acting).sum() / acting.sum().clamp_min(1.0);
    loss = loss - o.entropy_coef * mean_entropy / static_cast<double>(in.step.accumulation_steps);
  }
  out.loss = loss;

  // ---- metrics
  torch::NoGradGuard no_grad;
  if (o.beta != 0) metrics["kl"] = masked_mean(kl.detach(), mask);
  if (in.entropies.defined()) metrics["entropy"] = masked_mean(in.entropies.detach().to(dtype), mask);
  Tensor r = ratio.detach();
  if (o.objective == PolicyObjective::clip) {
    Tensor low = ((r < 1.0 - o.clip_eps_low) & (A < 0)).to(dtype);
    Tensor high = ((r > 1.0 + o.clip_eps_high) & (A > 0)).to(dtype);
    metrics["clip_ratio/low_mean"] = masked_mean(low, mask);
    metrics["clip_ratio/high_mean"] = masked_mean(high, mask);
    metrics["clip_ratio/region_mean"] = masked_mean(((low + high) > 0).to(dtype), mask);
    metrics["clip_ratio/low_min"] = nan_reduce(sequence_means(low, mask), /*take_max=*/false);
    metrics["clip_ratio/high_max"] = nan_reduce(sequence_means(high, mask), /*take_max=*/true);
  } else if (o.objective == PolicyObjective::cispo) {
    metrics["cispo_clip_ratio"] = masked_mean(((r > o.clip_eps_high) & (A > 0)).to(dtype), mask);
  }
  return out;
}

}  // namespace grpo
