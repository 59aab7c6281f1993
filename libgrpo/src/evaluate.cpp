#include "libgrpo/evaluate.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <map>
#include <span>

#include "libgrpo/error.h"
#include "rewards/math.h"
#include "rewards/scoring.h"

namespace grpo {

void describe(config::Visitor& v, EvalOptions& o) {
  v.field("samples_per_prompt", o.samples_per_prompt, config::Range<int64_t>::at_least(1));
  v.field("prompts_per_batch", o.prompts_per_batch, config::Range<int64_t>::at_least(1));
  v.field("max_prompts", o.max_prompts, config::Range<int64_t>::at_least(0));
  v.field("accuracy_reward", o.accuracy_reward);
  v.section("sampling", o.sampling);
  v.section("reflection", o.reflection);
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string trim(std::string_view s) {
  const char* space = " \t\r\n\f\v";
  const size_t begin = s.find_first_not_of(space);
  if (begin == std::string_view::npos) return "";
  return std::string(s.substr(begin, s.find_last_not_of(space) - begin + 1));
}

// Mean over the values that are not NaN; NaN when there are none.
struct NanMean {
  double sum = 0, count = 0;
  void add(double x) {
    if (std::isnan(x)) return;
    sum += x;
    count += 1;
  }
  double value() const { return count > 0 ? sum / count : kNaN; }
};

// Which of `rewards` decides correctness.
size_t accuracy_index(const std::vector<rewards::WeightedReward>& rewards, const std::string& name) {
  if (name.empty()) return 0;
  std::string names;
  for (size_t f = 0; f < rewards.size(); ++f) {
    if (rewards[f].display_name() == name) return f;
    names += (f ? ", " : "") + rewards[f].display_name();
  }
  GRPO_FAIL("evaluate: accuracy_reward '", name, "' is not one of the rewards (", names, ")");
}

// Restores the model's training mode when evaluation ends, however it ends.
class EvalMode {
 public:
  explicit EvalMode(CausalLM& model) : model_(model), was_training_(model->is_training()) { model_->eval(); }
  ~EvalMode() {
    if (was_training_) model_->train();
  }
  EvalMode(const EvalMode&) = delete;
  EvalMode& operator=(const EvalMode&) = delete;

 private:
  CausalLM& model_;
  bool was_training_;
};

// The prompts of one batch, rendered and encoded.
struct BatchPrompts {
  std::span<const Example> examples;          // B
  std::span<const std::string> texts;         // B
  std::span<const std::vector<int64_t>> ids;  // B
};

// Samples k completions for each prompt of the batch and scores them: B * k
// EvalSamples, prompt-major. Adds the scorer's fallback counts (timeouts,
// errors) to `fallbacks`.
std::vector<EvalSample> evaluate_batch(Policy& policy, const BatchPrompts& batch, rewards::RewardScorer& scorer,
                                       const SamplingOptions& sampling, int64_t k, size_t accuracy,
                                       Metrics& fallbacks) {
  const Tokenizer& tokenizer = *policy.tokenizer;
  const int64_t N = static_cast<int64_t>(batch.examples.size()) * k;

  // ---------------------------------------------------------------- sample
  RolloutBatch rollout =
      sample_groups(policy, std::vector<std::vector<int64_t>>(batch.ids.begin(), batch.ids.end()), k, sampling);
  auto lengths = rollout.completion_lengths.accessor<int64_t, 1>();  // [N]

  // ---------------------------------------------------------------- score
  // Decoded as the trainer decodes (special tokens kept), so a reward sees
  // the same text in evaluation as in training.
  std::vector<rewards::Sample> samples(static_cast<size_t>(N));
  for (int64_t n = 0; n < N; ++n) {
    const size_t b = static_cast<size_t>(n / k);
    rewards::Sample& s = samples[static_cast<size_t>(n)];
    s.prompt = batch.texts[b];
    s.fields = reward_fields(batch.examples[b]);
    s.completion_tokens = lengths[n];
    auto row = rollout.completion_ids[n].slice(0, 0, lengths[n]).contiguous();
    s.completion_ids.assign(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel());
    s.completion = tokenizer.decode(s.completion_ids);
  }
  rewards::BatchRewards scored = scorer.score(samples, k);  // rewards: [B, k, F]
  for (const auto& [name, value] : scored.metrics)
    if (name.ends_with("/timeouts") || name.ends_with("/errors")) fallbacks[name] += value;

  // ---------------------------------------------------------------- collect
  auto r = scored.rewards.accessor<float, 3>();
  std::vector<EvalSample> out(static_cast<size_t>(N));
  for (int64_t n = 0; n < N; ++n) {
    const int64_t b = n / k, j = n % k;
    const Example& example = batch.examples[static_cast<size_t>(b)];
    EvalSample& e = out[static_cast<size_t>(n)];
    e.id = example.id;
    e.task = example.task;
    e.prompt = batch.texts[static_cast<size_t>(b)];
    e.completion = std::move(samples[static_cast<size_t>(n)].completion);
    e.answer = example.answer;
    double total = 0;
    bool scorable = false;
    for (size_t f = 0; f < scored.names.size(); ++f) {
      const double value = r[b][j][static_cast<int64_t>(f)];
      e.rewards[scored.names[f]] = value;
      if (std::isnan(value)) continue;
      total += scored.weights[f] * value;
      scorable = true;
    }
    e.reward = scorable ? total : kNaN;
    e.correct = r[b][j][static_cast<int64_t>(accuracy)] >= 1.0f;
    e.length = lengths[n];
    e.finish = rollout.finish_reasons[static_cast<size_t>(n)];
  }
  return out;
}

}  // namespace

std::string vote_answer(std::string_view completion) {
  std::vector<rewards::ExtractedAnswer> found = rewards::extract_answers(completion);
  for (const rewards::ExtractedAnswer& a : found) {
    std::string canonical = rewards::canonical_math(a.text);
    if (!canonical.empty()) return canonical;
  }
  return found.empty() ? "" : trim(found.front().text);
}

std::vector<int64_t> group_answers(const std::vector<std::string>& answers) {
  std::vector<int64_t> groups(answers.size(), -1);
  std::vector<size_t> firsts;  // the first answer of each group, in order
  for (size_t j = 0; j < answers.size(); ++j) {
    if (answers[j].empty()) continue;
    for (size_t first : firsts)
      if (answers[first] == answers[j] || rewards::check_math_answer(answers[first], answers[j]).correct) {
        groups[j] = static_cast<int64_t>(first);
        break;
      }
    if (groups[j] < 0) {
      groups[j] = static_cast<int64_t>(j);
      firsts.push_back(j);
    }
  }
  return groups;
}

int64_t majority_vote(const std::vector<int64_t>& groups) {
  std::map<int64_t, int64_t> votes;  // group -> members; the map orders groups by first answer
  for (int64_t g : groups)
    if (g >= 0) ++votes[g];
  int64_t best = -1, best_votes = 0;
  for (const auto& [g, n] : votes)
    if (n > best_votes) {  // only strictly more votes displace an earlier group
      best = g;
      best_votes = n;
    }
  return best;
}

Metrics eval_metrics(const std::vector<EvalSample>& samples, int64_t samples_per_prompt,
                     const ReflectionOptions& reflection) {
  const int64_t k = samples_per_prompt;
  const int64_t N = static_cast<int64_t>(samples.size());
  GRPO_CHECK(k >= 1 && N > 0 && N % k == 0, "eval_metrics: ", N, " samples do not form groups of ", k);
  const int64_t P = N / k;

  double pass_1 = 0, pass_k = 0, maj_k = 0;
  std::map<std::string, NanMean> by_task;  // pass@1 per task
  std::vector<std::string> votes(static_cast<size_t>(k));
  for (int64_t p = 0; p < P; ++p) {
    const EvalSample* group = samples.data() + p * k;
    int64_t correct = 0;
    for (int64_t j = 0; j < k; ++j) correct += group[j].correct;
    const double share = static_cast<double>(correct) / static_cast<double>(k);
    pass_1 += share;
    pass_k += correct > 0;
    if (!group[0].task.empty()) by_task[group[0].task].add(share);
    if (k == 1) continue;
    for (int64_t j = 0; j < k; ++j) votes[static_cast<size_t>(j)] = vote_answer(group[j].completion);
    const std::vector<int64_t> groups = group_answers(votes);
    const int64_t winner = majority_vote(groups);  // -1 when nobody answered
    for (int64_t j = 0; j < k; ++j)
      if (winner >= 0 && groups[static_cast<size_t>(j)] == winner && group[j].correct) {
        maj_k += 1;
        break;
      }
  }

  NanMean reward;
  std::map<std::string, NanMean> per_reward;
  std::vector<CompletionRecord> records;
  for (const EvalSample& s : samples) {
    reward.add(s.reward);
    for (const auto& [name, value] : s.rewards) per_reward[name].add(value);
    records.push_back({s.completion, s.length, s.correct, s.finish == FinishReason::length});
  }

  Metrics m = completion_stats(records, reflection);
  const double prompts = static_cast<double>(P);
  m["accuracy"] = pass_1 / prompts;
  m["pass@1"] = pass_1 / prompts;
  if (k > 1) {
    m["pass@" + std::to_string(k)] = pass_k / prompts;
    m["maj@" + std::to_string(k)] = maj_k / prompts;
  }
  for (const auto& [task, mean] : by_task) m["accuracy/" + task] = mean.value();
  m["reward"] = reward.value();
  for (const auto& [name, mean] : per_reward) m["rewards/" + name + "/mean"] = mean.value();
  m["eval_prompts"] = prompts;
  return m;
}

EvalResult evaluate(Policy& policy, const std::vector<Example>& examples, const PromptTemplate& prompt_template,
                    const std::vector<rewards::WeightedReward>& rewards, const EvalOptions& options) {
  const EvalOptions& o = options;
  const int64_t k = o.samples_per_prompt;
  GRPO_CHECK(!examples.empty(), "evaluate: no examples to evaluate on");
  GRPO_CHECK(policy.model, "evaluate: the policy has no model");
  GRPO_CHECK(policy.tokenizer, "evaluate: the policy has no tokenizer, which prompts need to become token ids ",
             "(Policy::load reads tokenizer.json from the checkpoint directory)");
  GRPO_CHECK(k >= 1, "evaluate: samples_per_prompt must be at least 1, got ", k);
  GRPO_CHECK(o.prompts_per_batch >= 1, "evaluate: prompts_per_batch must be at least 1, got ", o.prompts_per_batch);
  GRPO_CHECK(o.max_prompts >= 0, "evaluate: max_prompts must be >= 0, got ", o.max_prompts);
  GRPO_CHECK(o.sampling.temperature > 0 || k == 1, "evaluate: greedy sampling (temperature 0) gives ",
             "samples_per_prompt = ", k, " identical completions; use k = 1 or a temperature above 0");
  rewards::check_rewards(rewards);
  const size_t accuracy = accuracy_index(rewards, o.accuracy_reward);

  // Every prompt is rendered before any sampling, so a template error shows at once.
  const size_t P = o.max_prompts > 0 ? std::min(examples.size(), static_cast<size_t>(o.max_prompts))
                                     : examples.size();
  std::vector<std::string> texts;
  std::vector<std::vector<int64_t>> ids;
  for (size_t p = 0; p < P; ++p) {
    texts.push_back(render_prompt(prompt_template, examples[p], *policy.tokenizer));
    ids.push_back(policy.tokenizer->encode(texts.back()));
    GRPO_CHECK(!ids.back().empty(), "evaluate: example '", examples[p].id, "' renders to an empty prompt");
  }

  rewards::RewardScorer scorer(rewards);
  EvalMode eval_mode(policy.model);
  torch::NoGradGuard no_grad;
  EvalResult result;
  Metrics fallbacks;
  const size_t per_batch = static_cast<size_t>(o.prompts_per_batch);
  for (size_t start = 0, batch = 0; start < P; start += per_batch, ++batch) {
    const size_t count = std::min(per_batch, P - start);
    SamplingOptions sampling = o.sampling;
    sampling.seed = o.sampling.seed + static_cast<int64_t>(batch);
    BatchPrompts prompts{std::span(examples).subspan(start, count), std::span(texts).subspan(start, count),
                         std::span(ids).subspan(start, count)};
    std::vector<EvalSample> done = evaluate_batch(policy, prompts, scorer, sampling, k, accuracy, fallbacks);
    std::move(done.begin(), done.end(), std::back_inserter(result.samples));
  }
  result.metrics = eval_metrics(result.samples, k, o.reflection);
  for (const auto& [name, value] : fallbacks) result.metrics[name] = value;
  return result;
}

}  // namespace grpo
