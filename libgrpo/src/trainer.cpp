#include "libgrpo/trainer.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>
#include <random>

#include <nlohmann/json.hpp>

#include <fstream>

#include "libgrpo/checkpoint.h"
#include "libgrpo/error.h"
#include "libgrpo/logprobs.h"

namespace grpo {

void describe(config::Visitor& v, OptimizerOptions& o) {
  v.field("lr", o.lr, config::Range<double>::above(0.0));
  v.field("weight_decay", o.weight_decay, config::Range<double>::at_least(0.0));
  v.field("beta1", o.beta1, config::Range<double>::half_open(0.0, 1.0));
  v.field("beta2", o.beta2, config::Range<double>::half_open(0.0, 1.0));
  v.field("eps", o.eps, config::Range<double>::above(0.0));
  v.field("warmup_steps", o.warmup_steps, config::Range<int64_t>::at_least(0));
  v.field("total_steps", o.total_steps, config::Range<int64_t>::at_least(0));
  v.field("min_lr_ratio", o.min_lr_ratio, config::Range<double>::closed(0.0, 1.0));
  v.field("max_grad_norm", o.max_grad_norm, config::Range<double>::at_least(0.0));
}

double scheduled_lr(const OptimizerOptions& o, int64_t step) {
  if (step < o.warmup_steps) return o.lr * static_cast<double>(step + 1) / static_cast<double>(o.warmup_steps);
  if (o.total_steps <= 0) return o.lr;
  double span = static_cast<double>(std::max<int64_t>(1, o.total_steps - o.warmup_steps));
  double progress = std::clamp(static_cast<double>(step - o.warmup_steps) / span, 0.0, 1.0);
  double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
  return o.lr * (o.min_lr_ratio + (1.0 - o.min_lr_ratio) * cosine);
}

void describe(config::Visitor& v, TrainerOptions& o) {
  v.field("prompts_per_step", o.prompts_per_step, config::Range<int64_t>::at_least(1));
  v.field("group_size", o.group_size, config::Range<int64_t>::at_least(2));
  v.field("mu", o.mu, config::Range<int64_t>::at_least(1));
  v.field("minibatches", o.minibatches, config::Range<int64_t>::at_least(1));
  v.field("micro_batch_size", o.micro_batch_size, config::Range<int64_t>::at_least(0));
  v.field("ref_sync_steps", o.ref_sync_steps, config::Range<int64_t>::at_least(0));
  v.field("ref_mixup_alpha", o.ref_mixup_alpha, config::Range<double>::closed(0.0, 1.0));
  v.field("accuracy_reward", o.accuracy_reward);
  v.section("sampling", o.sampling);
  v.section("advantages", o.advantages);
  v.section("loss", o.loss);
  v.section("optimizer", o.optimizer);
  v.section("reflection", o.reflection);
  v.section("dynamic_sampling", o.dynamic_sampling);
  v.field("shuffle_rewards", o.shuffle_rewards);
}

void describe(config::Visitor& v, DynamicSamplingOptions& o) {
  v.field("enabled", o.enabled);
  v.field("max_draws", o.max_draws, config::Range<int64_t>::at_least(1));
  v.field("reward", o.reward);
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  void all_reduce_sum(torch::Tensor&) override {}
};

// A frozen copy of `model`'s weights.
CausalLM frozen_copy(CausalLM& model) {
  auto param = model->parameters().at(0);
  CausalLM copy(model->config(), torch::TensorOptions().dtype(param.scalar_type()).device(param.device()));
  torch::NoGradGuard no_grad;
  auto source = model->named_parameters();
  for (auto& p : copy->named_parameters()) {
    p.value().copy_(source[p.key()]);
    p.value().set_requires_grad(false);
  }
  auto source_buffers = model->named_buffers();
  for (auto& b : copy->named_buffers()) b.value().copy_(source_buffers[b.key()]);
  copy->eval();
  return copy;
}

// Log-probs of the completion tokens under `model`, without gradients, in
// slices of `rows` sequences.
torch::Tensor logps_no_grad(CausalLM& model, const torch::Tensor& ids, const torch::Tensor& mask, int64_t C,
                            int64_t rows, double temperature) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  for (int64_t s = 0; s < ids.size(0); s += rows) {
    int64_t e = std::min(ids.size(0), s + rows);
    parts.push_back(completion_logprobs(model, ids.slice(0, s, e), mask.slice(0, s, e), C,
                                        {.temperature = temperature, .with_entropy = false})
                        .logps);
  }
  return torch::cat(parts);
}

void accumulate(Metrics& sum, const Metrics& m) {
  for (const auto& [k, v] : m) sum[k] += v;
}

}  // namespace

std::shared_ptr<Communicator> single_process() { return std::make_shared<SingleProcess>(); }

Trainer::Trainer(Policy policy, std::vector<rewards::WeightedReward> rewards, TrainerOptions options,
                 std::shared_ptr<Communicator> comm)
    : policy_(std::move(policy)),
      options_(std::move(options)),
      comm_(std::move(comm)),
      scorer_(std::move(rewards)) {
  const TrainerOptions& o = options_;
  const int64_t N = o.prompts_per_step * o.group_size;
  GRPO_CHECK(o.group_size >= 2, "group_size must be at least 2 (the group is the baseline), got ", o.group_size);
  GRPO_CHECK(o.mu >= 1 && o.minibatches >= 1, "mu and minibatches must be at least 1");
  GRPO_CHECK(N % o.minibatches == 0, "prompts_per_step x group_size = ", N, " completions do not split into ",
             o.minibatches, " minibatches");
  const int64_t per_minibatch = N / o.minibatches;
  GRPO_CHECK(o.micro_batch_size == 0 || per_minibatch % o.micro_batch_size == 0, "a minibatch of ", per_minibatch,
             " completions does not split into micro-batches of ", o.micro_batch_size);
  GRPO_CHECK(policy_.model, "the trainer needs a policy model");
  const OptimizerOptions& opt = o.optimizer;
  optimizer_ = std::make_unique<torch::optim::AdamW>(
      policy_.model->parameters(), torch::optim::AdamWOptions(opt.lr)
                                       .betas({opt.beta1, opt.beta2})
                                       .eps(opt.eps)
                                       .weight_decay(opt.weight_decay));
  if (o.loss.beta > 0) reference_ = frozen_copy(policy_.model);
}

// ---------------------------------------------------------------- trainer state
//
//   trainer_state.json   {"format": 1, "step", "optimizer_step", "parameters", "has_reference"}
//   optimizer.pt         AdamW's moments and step counts (torch::serialize archive)
//   reference/           the reference model (loss.beta > 0), an HF model directory

void Trainer::save_state(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  torch::serialize::OutputArchive archive;
  optimizer_->save(archive);
  archive.save_to((dir / "optimizer.pt").string());
  if (reference_) save_pretrained(reference_, dir / "reference");
  nlohmann::json state = {{"format", 1},
                          {"step", step_},
                          {"optimizer_step", optimizer_step_},
                          {"parameters", policy_.model->parameters().size()},
                          {"has_reference", static_cast<bool>(reference_)}};
  std::ofstream out(dir / "trainer_state.json");
  out << state.dump(2) << "\n";
  out.close();
  GRPO_CHECK(out, "cannot write ", (dir / "trainer_state.json").string());
}

void Trainer::load_state(const std::filesystem::path& dir) {
  const auto path = dir / "trainer_state.json";
  nlohmann::json state;
  try {
    state = nlohmann::json::parse(config::read_text_file(path.string()));
  } catch (const nlohmann::json::exception& e) {
    GRPO_FAIL(path.string(), ": not valid JSON (", e.what(), ")");
  }
  GRPO_CHECK(state.is_object() && state.value("format", 0) == 1, path.string(),
             ": not a libgrpo trainer state (format 1)");
  GRPO_CHECK(state.value("parameters", size_t{0}) == policy_.model->parameters().size(), path.string(),
             ": saved for a model with ", state.value("parameters", size_t{0}), " parameter tensors, this one has ",
             policy_.model->parameters().size());
  torch::serialize::InputArchive archive;
  try {
    archive.load_from((dir / "optimizer.pt").string());
    optimizer_->load(archive);
  } catch (const c10::Error& e) {
    GRPO_FAIL((dir / "optimizer.pt").string(), ": cannot read the optimizer state (", e.what_without_backtrace(), ")");
  }
  if (reference_) {
    GRPO_CHECK(state.value("has_reference", false), path.string(),
               ": the checkpoint has no reference model, but loss.beta > 0 needs one");
    load_weights(reference_, CheckpointReader::open(dir / "reference"));
  }
  step_ = state.at("step").get<int64_t>();
  optimizer_step_ = state.at("optimizer_step").get<int64_t>();
}

void Trainer::set_steps_done(int64_t step, int64_t optimizer_step) {
  step_ = step;
  optimizer_step_ = optimizer_step;
}

// A step's groups after scoring: B prompts, their B * G completions, rewards [B, G, F].
struct Trainer::Scored {
  std::vector<Prompt> prompts;
  RolloutBatch rollout;
  std::vector<rewards::Sample> samples;
  rewards::BatchRewards rewards;
};

namespace {

// Prompts handed over as a list: dynamic sampling can draw no more than these.
class ListSource final : public PromptSource {
 public:
  explicit ListSource(const std::vector<Prompt>& prompts) : prompts_(prompts) {}
  std::vector<Prompt> next(int64_t n) override {
    std::vector<Prompt> out;
    while (static_cast<int64_t>(out.size()) < n && pos_ < prompts_.size()) out.push_back(prompts_[pos_++]);
    return out;
  }

 private:
  const std::vector<Prompt>& prompts_;
  size_t pos_ = 0;
};

size_t reward_index(const std::vector<std::string>& names, const std::string& name) {
  for (size_t f = 0; f < names.size(); ++f)
    if (names[f] == name) return f;
  return 0;
}

// rewards [B, G, F] with each group's G rows permuted (the same permutation for all
// F rewards of a completion), seeded by (seed, step).
torch::Tensor shuffle_within_groups(const torch::Tensor& rewards, int64_t seed, int64_t step) {
  std::mt19937_64 rng(static_cast<uint64_t>(seed) * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(step));
  std::vector<torch::Tensor> rows;
  for (int64_t b = 0; b < rewards.size(0); ++b) {
    std::vector<int64_t> perm(static_cast<size_t>(rewards.size(1)));
    std::iota(perm.begin(), perm.end(), int64_t{0});
    std::shuffle(perm.begin(), perm.end(), rng);
    rows.push_back(rewards[b].index_select(0, torch::tensor(perm)));
  }
  return torch::stack(rows);
}

// rewards [B, G, F] -> [B, G]: reward `f`, or the weighted sum when f < 0 (NaN terms left out).
torch::Tensor group_values(const rewards::BatchRewards& r, int64_t f) {
  if (f >= 0) return r.rewards.select(2, f);
  torch::Tensor w = torch::tensor(r.weights, torch::kFloat).view({1, 1, -1});
  torch::Tensor valid = ~torch::isnan(r.rewards);
  return torch::where(valid, r.rewards, torch::zeros_like(r.rewards)).mul(w).sum(2);
}

}  // namespace

StepStats Trainer::step(const std::vector<Prompt>& prompts) {
  GRPO_CHECK(static_cast<int64_t>(prompts.size()) == options_.prompts_per_step, "step() got ", prompts.size(),
             " prompts, expected prompts_per_step = ", options_.prompts_per_step);
  ListSource source(prompts);
  return step(source);
}

StepStats Trainer::step(PromptSource& source) {
  const TrainerOptions& o = options_;
  const int64_t B = o.prompts_per_step, G = o.group_size, N = B * G;
  StepStats stats;
  Metrics& m = stats.metrics;
  const auto start = Clock::now();

  // ---------------------------------------------------------------- sample groups, score
  Scored scored = sample_and_score(source, m);
  const RolloutBatch& batch = scored.rollout;
  stats.rollout = scored.rollout;

  // ---------------------------------------------------------------- advantages
  const rewards::BatchRewards& r = scored.rewards;
  torch::Tensor scores = o.shuffle_rewards ? shuffle_within_groups(r.rewards, o.sampling.seed, step_) : r.rewards;
  Advantages adv = compute_advantages(scores, o.advantages, r.weights, r.names);  // [B, G]

  // ---------------------------------------------------------------- update
  const auto t1 = Clock::now();
  torch::Tensor ids = torch::cat({batch.prompt_ids, batch.completion_ids}, 1);     // [N, P + C]
  torch::Tensor mask = torch::cat({batch.prompt_mask, batch.completion_mask}, 1);  // [N, P + C]
  torch::Tensor ref_logps;
  if (o.loss.beta > 0)
    ref_logps = logps_no_grad(reference_, ids, mask, batch.completion_ids.size(1), N / o.minibatches,
                              o.sampling.temperature);
  Metrics update_metrics = update(batch, ids, mask, adv.advantages.reshape({N}).to(torch::kFloat), ref_logps);
  const double t_update = seconds_since(t1);
  ++step_;
  if (o.ref_sync_steps > 0 && o.loss.beta > 0 && step_ % o.ref_sync_steps == 0) sync_reference();

  // ---------------------------------------------------------------- metrics
  const size_t acc_f = reward_index(r.names, o.accuracy_reward);
  auto acc = r.rewards.accessor<float, 3>();
  auto lengths = batch.completion_lengths.accessor<int64_t, 1>();
  std::vector<CompletionRecord> records;
  for (int64_t n = 0; n < N; ++n) {
    const rewards::Sample& s = scored.samples[static_cast<size_t>(n)];
    float value = acc[n / G][n % G][static_cast<int64_t>(acc_f)];
    records.push_back({s.completion, lengths[n], value >= 1.0f,
                       batch.finish_reasons[static_cast<size_t>(n)] == FinishReason::length});
    stats.completions.push_back(s.completion);
    stats.correct.push_back(value >= 1.0f);
  }
  stats.prompts = std::move(scored.prompts);
  for (const auto& [k, v] : adv.metrics) m[k] = v;
  for (const auto& [k, v] : r.metrics)
    if (!m.contains(k)) m[k] = v;
  for (const auto& [k, v] : update_metrics) m[k] = v;
  for (const auto& [k, v] : completion_stats(records, o.reflection)) m[k] = v;
  const double total = seconds_since(start);
  m["time/update"] = t_update;
  m["tokens_per_second"] = static_cast<double>(mask.sum().item<int64_t>()) / std::max(total, 1e-9);
  stats.step = step_;
  stats.rewards = adv.rewards;
  return stats;
}

// DAPO's loop: draw prompts_per_step prompts, sample and score their groups, keep the
// groups whose rewards differ, and draw again until B groups are kept or max_draws
// batches were drawn. Without dynamic sampling this is one draw.
Trainer::Scored Trainer::sample_and_score(PromptSource& source, Metrics& m) {
  const TrainerOptions& o = options_;
  const DynamicSamplingOptions& ds = o.dynamic_sampling;
  const int64_t B = o.prompts_per_step, G = o.group_size;
  std::vector<Scored> draws;
  std::vector<GroupRef> kept, dropped;
  double t_rollout = 0, t_reward = 0;
  const int64_t max_draws = ds.enabled ? ds.max_draws : 1;
  for (int64_t d = 0; d < max_draws && static_cast<int64_t>(kept.size()) < B; ++d) {
    std::vector<Prompt> prompts = source.next(B);
    if (prompts.empty()) break;
    GRPO_CHECK(d > 0 || static_cast<int64_t>(prompts.size()) == B, "the prompt source gave ", prompts.size(),
               " prompts, expected prompts_per_step = ", B);
    draws.push_back(sample_and_score_once(prompts, d));
    Scored& s = draws.back();
    t_rollout += s.rewards.metrics["time/rollout"];
    t_reward += s.rewards.metrics["time/reward"];
    const int64_t b_here = static_cast<int64_t>(s.prompts.size());
    const int64_t spread_f = ds.reward.empty() ? -1 : static_cast<int64_t>(reward_index(s.rewards.names, ds.reward));
    torch::Tensor values = group_values(s.rewards, spread_f);  // [b, G]
    torch::Tensor correct = s.rewards.rewards.select(2, static_cast<int64_t>(reward_index(s.rewards.names, o.accuracy_reward))) >= 1.0f;
    for (int64_t b = 0; b < b_here; ++b) {
      torch::Tensor v = values[b];
      torch::Tensor finite = v.masked_select(~torch::isnan(v));
      bool spread = finite.numel() >= 2 && (finite.max() - finite.min()).item<float>() > 0;
      GroupRef ref{draws.size() - 1, b};
      (!ds.enabled || spread ? kept : dropped).push_back(ref);
      source.observe(s.prompts[static_cast<size_t>(b)], correct[b].to(torch::kFloat).mean().item<double>());
    }
  }
  GRPO_CHECK(!draws.empty(), "the prompt source gave no prompts");
  const int64_t kept_groups = static_cast<int64_t>(kept.size());
  if (ds.enabled) {
    int64_t drawn = 0;
    for (const Scored& s : draws) drawn += static_cast<int64_t>(s.prompts.size());
    m["dynamic_sampling/draws"] = static_cast<double>(draws.size());
    m["dynamic_sampling/kept_groups"] = static_cast<double>(std::min(kept_groups, B));
    m["dynamic_sampling/kept_fraction"] = static_cast<double>(kept_groups) / static_cast<double>(drawn);
  }
  m["time/rollout"] = t_rollout;
  m["time/reward"] = t_reward;
  if (draws.size() == 1 && kept_groups == B) return std::move(draws.front());

  // Keep B groups: those with a spread first, then dropped ones to fill the batch.
  std::vector<GroupRef> picks(kept.begin(), kept.begin() + std::min(kept_groups, B));
  for (size_t i = 0; static_cast<int64_t>(picks.size()) < B && i < dropped.size(); ++i) picks.push_back(dropped[i]);
  GRPO_CHECK(static_cast<int64_t>(picks.size()) == B, "dynamic sampling found ", picks.size(),
             " groups, expected prompts_per_step = ", B, " (the prompt source ran dry)");
  std::vector<const RolloutBatch*> batches;
  for (const Scored& s : draws) batches.push_back(&s.rollout);
  Scored out;
  out.rollout = gather_groups(batches, picks, policy_.pad_token_id);
  std::vector<torch::Tensor> reward_rows;
  for (const GroupRef& g : picks) {
    const Scored& s = draws[g.batch];
    out.prompts.push_back(s.prompts[static_cast<size_t>(g.group)]);
    for (int64_t k = 0; k < G; ++k) out.samples.push_back(s.samples[static_cast<size_t>(g.group * G + k)]);
    reward_rows.push_back(s.rewards.rewards[g.group]);
  }
  out.rewards.names = draws.front().rewards.names;
  out.rewards.weights = draws.front().rewards.weights;
  out.rewards.rewards = torch::stack(reward_rows);  // [B, G, F]
  for (const Scored& s : draws)  // timeouts and errors add up over draws
    for (const auto& [k, v] : s.rewards.metrics)
      if (k.ends_with("/timeouts") || k.ends_with("/errors")) out.rewards.metrics[k] += v;
  return out;
}

// One draw: B prompts -> B * G completions -> their rewards.
Trainer::Scored Trainer::sample_and_score_once(const std::vector<Prompt>& prompts, int64_t draw) {
  const TrainerOptions& o = options_;
  const int64_t G = o.group_size, N = static_cast<int64_t>(prompts.size()) * G;
  Scored out;
  out.prompts = prompts;
  const auto t0 = Clock::now();
  std::vector<std::vector<int64_t>> prompt_ids;
  for (const Prompt& p : prompts) prompt_ids.push_back(p.ids);
  SamplingOptions sampling = o.sampling;
  // A fresh draw each step and each extra draw, the same one on a resumed run.
  sampling.seed = o.sampling.seed + step_ + draw * 1'000'003;
  policy_.model->eval();
  out.rollout = sample_groups(policy_, prompt_ids, G, sampling);
  const double t_rollout = seconds_since(t0);

  const auto t1 = Clock::now();
  out.samples.resize(static_cast<size_t>(N));
  auto lengths = out.rollout.completion_lengths.accessor<int64_t, 1>();
  for (int64_t n = 0; n < N; ++n) {
    const Prompt& p = prompts[static_cast<size_t>(n / G)];
    rewards::Sample& s = out.samples[static_cast<size_t>(n)];
    s.prompt = p.text;
    s.fields = p.fields;
    s.completion_tokens = lengths[n];
    auto row = out.rollout.completion_ids[n].slice(0, 0, lengths[n]).contiguous();
    s.completion_ids.assign(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel());
    if (policy_.tokenizer) s.completion = policy_.tokenizer->decode(s.completion_ids);
  }
  out.rewards = scorer_.score(out.samples, G);  // [B, G, F]
  out.rewards.metrics["time/rollout"] = t_rollout;
  out.rewards.metrics["time/reward"] = seconds_since(t1);
  return out;
}

// ref <- a * policy + (1 - a) * ref (a = 1: a fresh copy).
void Trainer::sync_reference() {
  const double a = options_.ref_mixup_alpha;
  if (a >= 1.0) {
    reference_ = frozen_copy(policy_.model);
    return;
  }
  torch::NoGradGuard no_grad;
  auto source = policy_.model->named_parameters();
  for (auto& p : reference_->named_parameters()) p.value().mul_(1.0 - a).add_(source[p.key()], a);
}

Metrics Trainer::update(const RolloutBatch& batch, const torch::Tensor& ids, const torch::Tensor& mask,
                        const torch::Tensor& advantages, const torch::Tensor& ref_logps) {
  const TrainerOptions& o = options_;
  const int64_t N = batch.completion_ids.size(0), C = batch.completion_ids.size(1);
  const int64_t per_minibatch = N / o.minibatches;
  const int64_t micro = o.micro_batch_size > 0 ? o.micro_batch_size : per_minibatch;
  const int64_t accumulation = per_minibatch / micro;
  const double temperature = o.sampling.temperature > 0 ? o.sampling.temperature : 1.0;
  torch::Tensor completion_mask = batch.completion_mask.to(torch::kFloat);
  torch::Tensor truncated = torch::zeros({N}, torch::kBool);
  bool* is_truncated = truncated.data_ptr<bool>();
  for (int64_t n = 0; n < N; ++n)
    is_truncated[n] = batch.finish_reasons[static_cast<size_t>(n)] == FinishReason::length;

  // π_θ_old: only needed when the policy moves before the last minibatch.
  torch::Tensor old_logps;
  if (o.mu > 1 || o.minibatches > 1) old_logps = logps_no_grad(policy_.model, ids, mask, C, micro, temperature);

  policy_.model->train();
  Metrics sums;
  int64_t micro_batches = 0;
  double grad_norm_sum = 0, lr = 0;
  auto params = policy_.model->parameters();
  for (int64_t pass = 0; pass < o.mu; ++pass) {
    // A fixed permutation per (step, pass): the same on a resumed run.
    auto gen = torch::make_generator<torch::CPUGeneratorImpl>(static_cast<uint64_t>(o.sampling.seed) * 1000003u +
                                                              static_cast<uint64_t>(step_ * 131 + pass));
    torch::Tensor order = o.minibatches > 1 ? torch::randperm(N, gen, torch::kLong) : torch::arange(N);
    for (int64_t mb = 0; mb < o.minibatches; ++mb) {
      torch::Tensor rows = order.slice(0, mb * per_minibatch, (mb + 1) * per_minibatch);
      // DAPO's normaliser counts the tokens of the whole optimizer step.
      torch::Tensor tokens = completion_mask.index_select(0, rows).sum();
      comm_->all_reduce_sum(tokens);
      StepScale scale{.accumulation_steps = accumulation,
                      .world_size = comm_->world_size(),
                      .total_tokens = tokens.item<double>(),
                      .total_sequences = static_cast<double>(per_minibatch * comm_->world_size())};
      optimizer_->zero_grad();
      for (int64_t k = 0; k < accumulation; ++k) {
        torch::Tensor r = rows.slice(0, k * micro, (k + 1) * micro);
        TokenLogprobs lp = completion_logprobs(policy_.model, ids.index_select(0, r), mask.index_select(0, r), C,
                                               {.temperature = temperature, .with_entropy = true});
        LossInput in{.logps = lp.logps,
                     .mask = completion_mask.index_select(0, r),
                     .advantages = advantages.index_select(0, r),
                     .old_logps = old_logps.defined() ? old_logps.index_select(0, r) : torch::Tensor(),
                     .ref_logps = ref_logps.defined() ? ref_logps.index_select(0, r) : torch::Tensor(),
                     .sampler_logps = batch.sampler_logps.index_select(0, r),
                     .entropies = lp.entropies,
                     .truncated = truncated.index_select(0, r),
                     .step = scale};
        LossOutput out = policy_loss(in, o.loss);
        out.loss.backward();
        accumulate(sums, out.metrics);
        ++micro_batches;
      }
      for (auto& p : params)
        if (p.grad().defined()) comm_->all_reduce_sum(p.mutable_grad());
      double max_norm = o.optimizer.max_grad_norm > 0 ? o.optimizer.max_grad_norm
                                                      : std::numeric_limits<double>::infinity();
      grad_norm_sum += torch::nn::utils::clip_grad_norm_(params, max_norm);
      lr = scheduled_lr(o.optimizer, optimizer_step_);
      for (auto& group : optimizer_->param_groups()) group.options().set_lr(lr);
      optimizer_->step();
      ++optimizer_step_;
    }
  }
  policy_.model->eval();
  Metrics m;
  for (const auto& [k, v] : sums) m[k] = v / static_cast<double>(micro_batches);
  m["grad_norm"] = grad_norm_sum / static_cast<double>(o.mu * o.minibatches);
  m["learning_rate"] = lr;
  return m;
}

}  // namespace grpo
