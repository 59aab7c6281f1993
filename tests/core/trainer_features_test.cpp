// The trainer's features beyond one plain step: DAPO dynamic sampling over a
// PromptSource, the EMA reference sync, and save_state / load_state, on a tiny
// random model.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>

#include "libgrpo/checkpoint.h"
#include "libgrpo/error.h"
#include "libgrpo/trainer.h"
#include "support/tiny_models.h"
#include "support/expect_error.h"

namespace {

using namespace grpo;
namespace fs = std::filesystem;

constexpr int64_t kVocab = 16;
constexpr int64_t kRewarded = 5;

using test::tiny_policy;

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

// A scratch directory, removed with its contents at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("libgrpo-trainer-test-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

// ---------------------------------------------------------------- dynamic sampling

// The reward of one completion: a "flat" prompt always gets 1 (its group has no
// spread); any other gets first_token / 16, plus 1 (correct) when first_token >= 8.
// Sixteen-way first tokens give every group of 8 a spread but for a 16^-7 chance.
double kind_reward(const std::string& kind, int64_t first_token) {
  if (kind == "flat") return 1.0;
  return static_cast<double>(first_token) / 16.0 + (first_token >= 8 ? 1.0 : 0.0);
}

struct KindReward final : rewards::RewardFunction {
  std::string name() const override { return "accuracy"; }
  double score(const rewards::Sample& s) const override {
    auto it = s.fields.find("kind");
    return kind_reward(it == s.fields.end() ? "" : it->second, s.completion_ids.empty() ? 0 : s.completion_ids[0]);
  }
};

struct Constant final : rewards::RewardFunction {
  std::string name() const override { return "constant"; }
  double score(const rewards::Sample&) const override { return 0.5; }
};

Prompt flat(const std::string& id) { return {.id = id, .ids = {1, 2, 3}, .fields = {{"kind", "flat"}}}; }
Prompt mixed(const std::string& id, int64_t token) {
  return {.id = id, .ids = {4, token, 6}, .fields = {{"kind", "mixed"}}};
}

// Serves fixed batches, one per call, and records what the trainer asked and reported.
class ScriptedSource final : public PromptSource {
 public:
  explicit ScriptedSource(std::vector<std::vector<Prompt>> batches) : batches_(std::move(batches)) {}
  std::vector<Prompt> next(int64_t n) override {
    requested.push_back(n);
    if (calls_ == batches_.size()) return {};
    return batches_[calls_++];
  }
  void observe(const Prompt& prompt, double pass_rate) override { observed.emplace_back(prompt.id, pass_rate); }
  size_t calls() const { return calls_; }

  std::vector<int64_t> requested;
  std::vector<std::pair<std::string, double>> observed;

 private:
  std::vector<std::vector<Prompt>> batches_;
  size_t calls_ = 0;
};

std::vector<std::string> ids_of(const std::vector<Prompt>& prompts) {
  std::vector<std::string> out;
  for (const Prompt& p : prompts) out.push_back(p.id);
  return out;
}

TrainerOptions dynamic_options(int64_t max_draws) {
  TrainerOptions o = options();
  o.dynamic_sampling.enabled = true;
  o.dynamic_sampling.max_draws = max_draws;
  return o;
}

// Every trained-on row's reward, recomputed from its rollout row and its prompt,
// must be the reward the step used: rows, prompts and rewards stay aligned.
void expect_rewards_match_rows(const StepStats& stats, int64_t G) {
  const int64_t B = static_cast<int64_t>(stats.prompts.size());
  ASSERT_EQ(stats.rewards.sizes(), (std::vector<int64_t>{B, G}));
  ASSERT_EQ(stats.rollout.completion_ids.size(0), B * G);
  for (int64_t n = 0; n < B * G; ++n) {
    const Prompt& p = stats.prompts[static_cast<size_t>(n / G)];
    ASSERT_GT(stats.rollout.completion_lengths[n].item<int64_t>(), 0);
    const int64_t first = stats.rollout.completion_ids[n][0].item<int64_t>();
    const double want = kind_reward(p.fields.at("kind"), first);
    EXPECT_NEAR(stats.rewards[n / G][n % G].item<double>(), want, 1e-6) << "row " << n << " of " << p.id;
    EXPECT_EQ(stats.correct[static_cast<size_t>(n)], want >= 1.0) << "row " << n;
    // The prompt the row was sampled for sits right-aligned in its prompt columns.
    const int64_t P = stats.rollout.prompt_ids.size(1);
    for (size_t j = 0; j < p.ids.size(); ++j)
      EXPECT_EQ(stats.rollout.prompt_ids[n][P - static_cast<int64_t>(p.ids.size()) + static_cast<int64_t>(j)]
                    .item<int64_t>(),
                p.ids[j])
          << "row " << n;
  }
}

// The share of a trained-on group's completions whose first token is >= 8.
double pass_rate_of(const StepStats& stats, int64_t b, int64_t G) {
  int64_t correct = 0;
  for (int64_t g = 0; g < G; ++g) correct += stats.rollout.completion_ids[b * G + g][0].item<int64_t>() >= 8;
  return static_cast<double>(correct) / static_cast<double>(G);
}

TEST(DynamicSampling, DrawsUntilEnoughGroupsHaveASpread) {
  ScriptedSource source({{flat("f0"), mixed("m0", 7), flat("f1"), flat("f2")},
                         {flat("f3"), mixed("m1", 8), flat("f4"), flat("f5")},
                         {mixed("m2", 9), mixed("m3", 10), flat("f6"), flat("f7")},
                         {mixed("m4", 11), mixed("m5", 12), mixed("m6", 13), mixed("m7", 1)}});
  Trainer trainer(tiny_policy(), {rewards::weighted(std::make_shared<KindReward>())}, dynamic_options(4));
  StepStats stats = trainer.step(source);

  EXPECT_EQ(source.calls(), 3u);  // the fourth batch was not needed
  EXPECT_EQ(source.requested, (std::vector<int64_t>{4, 4, 4}));
  EXPECT_EQ(ids_of(stats.prompts), (std::vector<std::string>{"m0", "m1", "m2", "m3"}));
  EXPECT_DOUBLE_EQ(stats.metrics.at("dynamic_sampling/draws"), 3);
  EXPECT_DOUBLE_EQ(stats.metrics.at("dynamic_sampling/kept_groups"), 4);
  EXPECT_DOUBLE_EQ(stats.metrics.at("dynamic_sampling/kept_fraction"), 4.0 / 12.0);
  EXPECT_DOUBLE_EQ(stats.metrics.at("frac_reward_zero_std"), 0.0);
  expect_rewards_match_rows(stats, 8);

  // observe(): every drawn prompt once, in draw order, with its group's pass rate.
  ASSERT_EQ(source.observed.size(), 12u);
  const std::vector<std::string> order = {"f0", "m0", "f1", "f2", "f3", "m1", "f4", "f5", "m2", "m3", "f6", "f7"};
  for (size_t i = 0; i < order.size(); ++i) {
    EXPECT_EQ(source.observed[i].first, order[i]);
    if (order[i][0] == 'f') {
      EXPECT_DOUBLE_EQ(source.observed[i].second, 1.0) << order[i];
    }
  }
  for (int64_t b = 0; b < 4; ++b) {
    auto it = std::find_if(source.observed.begin(), source.observed.end(),
                           [&](const auto& o) { return o.first == stats.prompts[static_cast<size_t>(b)].id; });
    ASSERT_NE(it, source.observed.end());
    EXPECT_DOUBLE_EQ(it->second, pass_rate_of(stats, b, 8)) << it->first;
  }
  EXPECT_EQ(trainer.steps_done(), 1);
}

TEST(DynamicSampling, TopsUpWithDroppedGroupsAfterMaxDraws) {
  ScriptedSource source({{flat("f0"), mixed("m0", 7), flat("f1"), flat("f2")},
                         {flat("f3"), mixed("m1", 8), flat("f4"), flat("f5")},
                         {mixed("m2", 9), mixed("m3", 10), mixed("m4", 11), mixed("m5", 12)}});
  Trainer trainer(tiny_policy(), {rewards::weighted(std::make_shared<KindReward>())}, dynamic_options(2));
  StepStats stats = trainer.step(source);

  EXPECT_EQ(source.calls(), 2u);  // max_draws = 2
  // The groups with a spread first, then the first dropped ones, in draw order.
  EXPECT_EQ(ids_of(stats.prompts), (std::vector<std::string>{"m0", "m1", "f0", "f1"}));
  EXPECT_DOUBLE_EQ(stats.metrics.at("dynamic_sampling/draws"), 2);
  EXPECT_DOUBLE_EQ(stats.metrics.at("dynamic_sampling/kept_groups"), 2);
  EXPECT_DOUBLE_EQ(stats.metrics.at("dynamic_sampling/kept_fraction"), 2.0 / 8.0);
  EXPECT_DOUBLE_EQ(stats.metrics.at("frac_reward_zero_std"), 0.5);
  EXPECT_EQ(source.observed.size(), 8u);
  expect_rewards_match_rows(stats, 8);
  EXPECT_TRUE(torch::all(stats.rewards.slice(0, 2, 4) == 1.0f).item<bool>());
}

TEST(DynamicSampling, TheNamedRewardDecidesTheSpread) {
  // The constant reward never has a spread: every group is dropped, all draws are spent,
  // and the first draw's groups fill the batch.
  ScriptedSource source({{mixed("m0", 7), mixed("m1", 8), mixed("m2", 9), mixed("m3", 10)},
                         {mixed("m4", 11), mixed("m5", 12), mixed("m6", 13), mixed("m7", 1)},
                         {mixed("m8", 2), mixed("m9", 3), mixed("m10", 4), mixed("m11", 6)}});
  TrainerOptions o = dynamic_options(2);
  o.dynamic_sampling.reward = "constant";
  Trainer trainer(tiny_policy(),
                  {rewards::weighted(std::make_shared<KindReward>()), rewards::weighted(std::make_shared<Constant>())},
                  o);
  StepStats stats = trainer.step(source);
  EXPECT_EQ(source.calls(), 2u);
  EXPECT_EQ(ids_of(stats.prompts), (std::vector<std::string>{"m0", "m1", "m2", "m3"}));
  EXPECT_DOUBLE_EQ(stats.metrics.at("dynamic_sampling/kept_groups"), 0);
  EXPECT_DOUBLE_EQ(stats.metrics.at("dynamic_sampling/kept_fraction"), 0);

  // The same batches judged by the weighted sum: the first draw is kept whole.
  ScriptedSource again({{mixed("m0", 7), mixed("m1", 8), mixed("m2", 9), mixed("m3", 10)}});
  o.dynamic_sampling.reward = "";
  Trainer sum(tiny_policy(),
              {rewards::weighted(std::make_shared<KindReward>()), rewards::weighted(std::make_shared<Constant>())}, o);
  StepStats s = sum.step(again);
  EXPECT_EQ(again.calls(), 1u);
  EXPECT_DOUBLE_EQ(s.metrics.at("dynamic_sampling/kept_fraction"), 1.0);
}

TEST(DynamicSampling, OffMeansOneDrawAsGiven) {
  ScriptedSource source({{flat("f0"), mixed("m0", 7), flat("f1"), flat("f2")},
                         {mixed("m1", 8), mixed("m2", 9), mixed("m3", 10), mixed("m4", 11)}});
  Trainer trainer(tiny_policy(), {rewards::weighted(std::make_shared<KindReward>())}, options());
  StepStats stats = trainer.step(source);
  EXPECT_EQ(source.calls(), 1u);
  EXPECT_EQ(ids_of(stats.prompts), (std::vector<std::string>{"f0", "m0", "f1", "f2"}));
  EXPECT_EQ(stats.metrics.count("dynamic_sampling/draws"), 0u);
  EXPECT_DOUBLE_EQ(stats.metrics.at("frac_reward_zero_std"), 0.75);
  EXPECT_EQ(source.observed.size(), 4u);
  expect_rewards_match_rows(stats, 8);
}

TEST(DynamicSampling, AListOfPromptsIsAllItCanDraw) {
  Trainer trainer(tiny_policy(), {rewards::weighted(std::make_shared<KindReward>())}, dynamic_options(4));
  StepStats stats = trainer.step(std::vector<Prompt>{flat("f0"), mixed("m0", 7), flat("f1"), flat("f2")});
  EXPECT_EQ(ids_of(stats.prompts), (std::vector<std::string>{"m0", "f0", "f1", "f2"}));
  EXPECT_DOUBLE_EQ(stats.metrics.at("dynamic_sampling/draws"), 1);
  EXPECT_DOUBLE_EQ(stats.metrics.at("dynamic_sampling/kept_groups"), 1);
  expect_rewards_match_rows(stats, 8);

  // The count is still checked, with or without dynamic sampling.
  EXPECT_ERROR(trainer.step(std::vector<Prompt>{flat("a"), flat("b"), flat("c")}),
               "step() got 3 prompts, expected prompts_per_step = 4");
  Trainer plain(tiny_policy(), {rewards::weighted(std::make_shared<KindReward>())}, options());
  EXPECT_ERROR(plain.step(std::vector<Prompt>(5, flat("a"))), "step() got 5 prompts, expected prompts_per_step = 4");
  EXPECT_EQ(plain.steps_done(), 0);
}

TEST(DynamicSampling, AShortFirstDrawIsAnError) {
  ScriptedSource source({{flat("f0"), mixed("m0", 7)}});
  Trainer trainer(tiny_policy(), {rewards::weighted(std::make_shared<KindReward>())}, dynamic_options(4));
  EXPECT_ERROR(trainer.step(source), "the prompt source gave 2 prompts, expected prompts_per_step = 4");
  ScriptedSource empty(std::vector<std::vector<Prompt>>{});
  EXPECT_ERROR(trainer.step(empty), "the prompt source gave no prompts");
}

// ---------------------------------------------------------------- EMA reference

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

// Every tensor of an HF directory, by name, copied out of the mapping.
std::map<std::string, torch::Tensor> read_weights(const fs::path& dir) {
  CheckpointReader reader = CheckpointReader::open(dir);
  std::map<std::string, torch::Tensor> out;
  for (const std::string& name : reader.names()) out[name] = reader.tensor(name).clone();
  return out;
}

std::map<std::string, torch::Tensor> policy_weights(Trainer& trainer, const fs::path& dir) {
  save_pretrained(trainer.policy().model, dir);
  return read_weights(dir);
}

double max_diff(const std::map<std::string, torch::Tensor>& a, const std::map<std::string, torch::Tensor>& b) {
  double d = 0;
  for (const auto& [name, t] : a) d = std::max(d, (t - b.at(name)).abs().max().item<double>());
  return d;
}

// ref <- a * policy + (1 - a) * ref after every step; a = 0.25 tells a from 1 - a.
void expect_mixed_reference(double alpha) {
  SCOPED_TRACE("ref_mixup_alpha " + std::to_string(alpha));
  TempDir tmp;
  TrainerOptions o = options();
  o.loss.beta = 0.04;
  o.ref_sync_steps = 1;
  o.ref_mixup_alpha = alpha;
  Trainer trainer(tiny_policy(), {rewards::weighted(std::make_shared<TokenShare>())}, o);
  auto ref0 = policy_weights(trainer, tmp.path / "policy0");  // the reference starts as the policy
  const float a = static_cast<float>(alpha);

  trainer.step(prompts(4));
  auto policy1 = policy_weights(trainer, tmp.path / "policy1");
  trainer.save_state(tmp.path / "state1");
  auto ref1 = read_weights(tmp.path / "state1" / "reference");
  ASSERT_EQ(ref1.size(), ref0.size());
  EXPECT_GT(max_diff(policy1, ref0), 1e-3);  // the step moved the policy
  for (const auto& [name, r] : ref1) {
    torch::Tensor want = a * policy1.at(name) + (1 - a) * ref0.at(name);
    EXPECT_TRUE(torch::allclose(r, want, 0, 1e-7)) << name << " off by " << (r - want).abs().max().item<double>();
  }

  trainer.step(prompts(4));  // and again, from the mixed reference
  auto policy2 = policy_weights(trainer, tmp.path / "policy2");
  trainer.save_state(tmp.path / "state2");
  auto ref2 = read_weights(tmp.path / "state2" / "reference");
  EXPECT_GT(max_diff(policy2, policy1), 1e-3);
  for (const auto& [name, r] : ref2) {
    torch::Tensor want = a * policy2.at(name) + (1 - a) * ref1.at(name);
    EXPECT_TRUE(torch::allclose(r, want, 0, 1e-7)) << name << " off by " << (r - want).abs().max().item<double>();
  }
}

TEST(ReferenceSync, MixesThePolicyIntoTheReference) {
  expect_mixed_reference(0.5);
  expect_mixed_reference(0.25);
}

TEST(ReferenceSync, AlphaOneCopiesThePolicyEverySyncSteps) {
  TempDir tmp;
  TrainerOptions o = options();
  o.loss.beta = 0.04;
  o.ref_sync_steps = 2;
  o.ref_mixup_alpha = 1.0;
  Trainer trainer(tiny_policy(), {rewards::weighted(std::make_shared<TokenShare>())}, o);
  auto policy0 = policy_weights(trainer, tmp.path / "policy0");

  trainer.step(prompts(4));  // step 1: no sync yet, the reference is still the initial policy
  trainer.save_state(tmp.path / "state1");
  auto ref1 = read_weights(tmp.path / "state1" / "reference");
  for (const auto& [name, r] : ref1) EXPECT_TRUE(torch::equal(r, policy0.at(name))) << name;

  trainer.step(prompts(4));  // step 2: the reference becomes the policy
  auto policy2 = policy_weights(trainer, tmp.path / "policy2");
  trainer.save_state(tmp.path / "state2");
  auto ref2 = read_weights(tmp.path / "state2" / "reference");
  EXPECT_GT(max_diff(policy2, policy0), 1e-3);
  for (const auto& [name, r] : ref2) EXPECT_TRUE(torch::equal(r, policy2.at(name))) << name;
}

// ---------------------------------------------------------------- save_state / load_state

TrainerOptions resumable_options() {
  TrainerOptions o = options();
  o.loss.beta = 0.04;
  o.mu = 2;
  o.minibatches = 2;
  o.ref_sync_steps = 2;
  o.ref_mixup_alpha = 0.6;
  o.optimizer.warmup_steps = 3;
  o.optimizer.total_steps = 20;
  o.optimizer.weight_decay = 0.01;
  return o;
}

std::unique_ptr<Trainer> restored_trainer(const fs::path& dir, const TrainerOptions& o) {
  Policy policy;
  policy.model = load_pretrained(dir);
  policy.eos_token_ids = {kVocab - 1};
  policy.pad_token_id = 0;
  auto trainer = std::make_unique<Trainer>(std::move(policy), std::vector{rewards::weighted(std::make_shared<TokenShare>())}, o);
  trainer->load_state(dir);
  return trainer;
}

bool timing(const std::string& key) { return key.starts_with("time/") || key == "tokens_per_second"; }

TEST(TrainerState, ResumedTrainerStepsLikeTheOriginal) {
  TempDir tmp;
  const TrainerOptions o = resumable_options();
  Trainer original(tiny_policy(), {rewards::weighted(std::make_shared<TokenShare>())}, o);
  original.step(prompts(4));
  original.step(prompts(4));
  original.save_state(tmp.path);
  save_pretrained(original.policy().model, tmp.path);
  EXPECT_TRUE(fs::exists(tmp.path / "trainer_state.json"));
  EXPECT_TRUE(fs::exists(tmp.path / "optimizer.pt"));
  EXPECT_TRUE(fs::exists(tmp.path / "reference" / "model.safetensors"));

  std::unique_ptr<Trainer> resumed = restored_trainer(tmp.path, o);
  Trainer& restored = *resumed;
  EXPECT_EQ(restored.steps_done(), 2);
  EXPECT_EQ(restored.optimizer_steps_done(), 8);  // 2 steps x mu 2 x 2 minibatches

  StepStats a = original.step(prompts(4));
  StepStats b = restored.step(prompts(4));
  EXPECT_EQ(a.step, 3);
  EXPECT_EQ(b.step, 3);
  size_t compared = 0;
  for (const auto& [key, value] : a.metrics) {
    if (timing(key)) continue;
    ASSERT_TRUE(b.metrics.count(key)) << key;
    const double other = b.metrics.at(key);
    if (std::isnan(value)) {
      EXPECT_TRUE(std::isnan(other)) << key;
    } else {
      EXPECT_EQ(value, other) << key;
    }
    ++compared;
  }
  EXPECT_EQ(a.metrics.size(), b.metrics.size());
  EXPECT_GT(compared, 10u);
  EXPECT_GT(a.metrics.at("kl"), 0.0);  // the reference took part
  EXPECT_TRUE(torch::equal(a.rollout.completion_ids, b.rollout.completion_ids));
  auto pa = original.policy().model->parameters(), pb = restored.policy().model->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pb[i])) << "parameter " << i;

  // Without the optimizer state the same step would differ: the comparison can fail.
  Policy fresh;
  fresh.model = load_pretrained(tmp.path);
  fresh.eos_token_ids = {kVocab - 1};
  Trainer forgetful(std::move(fresh), {rewards::weighted(std::make_shared<TokenShare>())}, o);
  forgetful.set_steps_done(2, 8);
  forgetful.step(prompts(4));
  auto pf = forgetful.policy().model->parameters();
  bool all_equal = true;
  for (size_t i = 0; i < pa.size(); ++i) all_equal = all_equal && torch::equal(pa[i], pf[i]);
  EXPECT_FALSE(all_equal);
}

TEST(TrainerState, BadStateFilesAreErrorsNamingTheFile) {
  TempDir tmp;
  const TrainerOptions o = resumable_options();
  Trainer trainer(tiny_policy(), {rewards::weighted(std::make_shared<TokenShare>())}, o);
  trainer.step(prompts(4));
  trainer.save_state(tmp.path);

  const fs::path state = tmp.path / "trainer_state.json";
  std::string good;
  {
    std::ifstream in(state);
    good.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto write_state = [&](const std::string& text) {
    std::ofstream out(state);
    out << text;
  };
  auto fresh = [&] { return Trainer(tiny_policy(), {rewards::weighted(std::make_shared<TokenShare>())}, o); };

  write_state("{\"format\": 1, \"step\": ");
  {
    Trainer t = fresh();
    EXPECT_ERROR(t.load_state(tmp.path), "trainer_state.json: not valid JSON");
  }
  write_state("[1, 2]");
  {
    Trainer t = fresh();
    EXPECT_ERROR(t.load_state(tmp.path), "trainer_state.json: not a libgrpo trainer state");
  }
  {
    std::string edited = good;
    const std::string key = "\"parameters\": ";
    size_t at = edited.find(key);
    ASSERT_NE(at, std::string::npos) << good;
    size_t end = edited.find_first_of(",\n}", at + key.size());
    edited.replace(at + key.size(), end - at - key.size(), "3");
    write_state(edited);
    Trainer t = fresh();
    EXPECT_ERROR(t.load_state(tmp.path), "saved for a model with 3 parameter tensors");
  }
  write_state(good);
  fs::remove(tmp.path / "optimizer.pt");
  {
    Trainer t = fresh();
    std::string message = test::error_of([&] { t.load_state(tmp.path); });
    EXPECT_NE(message.find("optimizer.pt"), std::string::npos) << message;
    EXPECT_NE(message.find("cannot read the optimizer state"), std::string::npos) << message;
  }
  {
    std::ofstream out(tmp.path / "optimizer.pt");
    out << "not an archive";
  }
  {
    Trainer t = fresh();
    EXPECT_ERROR(t.load_state(tmp.path), "optimizer.pt: cannot read the optimizer state");
  }
  // A state written without a reference cannot serve a trainer with a KL term.
  TempDir no_ref;
  Trainer plain(tiny_policy(), {rewards::weighted(std::make_shared<TokenShare>())}, options());
  plain.save_state(no_ref.path);
  EXPECT_FALSE(fs::exists(no_ref.path / "reference"));
  {
    Trainer t = fresh();
    EXPECT_ERROR(t.load_state(no_ref.path), "the checkpoint has no reference model");
  }
  TempDir nothing;
  {
    Trainer t = fresh();
    EXPECT_ERROR(t.load_state(nothing.path), "trainer_state.json");
  }
}

}  // namespace
