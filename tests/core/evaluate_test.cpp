// Evaluation: pass@1, pass@k and maj@k on hand-made completions, then
// evaluate() end to end on a tiny random model with a character tokenizer.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>

#include "libgrpo/error.h"
#include "libgrpo/evaluate.h"
#include "support/tiny_models.h"
#include "support/expect_error.h"

namespace {

using namespace grpo;

// ---------------------------------------------------------------- hand-made completions

// One completion of a prompt: its text and the reward's verdict.
struct Made {
  std::string completion;
  bool correct;
};

// k = made.size() samples per prompt, prompt-major.
std::vector<EvalSample> samples(const std::vector<std::vector<Made>>& prompts, const std::string& task = "") {
  std::vector<EvalSample> out;
  for (size_t p = 0; p < prompts.size(); ++p)
    for (const Made& m : prompts[p])
      out.push_back({.id = std::to_string(p), .task = task, .completion = m.completion, .reward = m.correct ? 1.0 : 0.0,
                     .rewards = {{"accuracy", m.correct ? 1.0 : 0.0}}, .correct = m.correct, .length = 10});
  return out;
}

TEST(EvalVote, AnswersAreExtractedAndCanonical) {
  EXPECT_EQ(vote_answer("\\boxed{\\dfrac{1}{2}}"), vote_answer("the answer is 1/2"));
  EXPECT_NE(vote_answer("\\boxed{0.5}"), vote_answer("\\boxed{0.25}"));
  EXPECT_EQ(vote_answer("I have no idea."), "");  // no answer: no vote
  // The first answer that parses: the tag's equation does not, its last number does.
  EXPECT_EQ(vote_answer("<answer> 3 + 4 * @ </answer>"), vote_answer("\\boxed{4}"));
  EXPECT_EQ(vote_answer("<answer> x @@ y </answer>"), "x @@ y");  // none parses: the trimmed text
}

TEST(EvalVote, EquivalentAnswersShareAGroup) {
  std::vector<std::string> answers = {vote_answer("\\boxed{0.5}"), vote_answer("The answer is 1/2"), "3", "",
                                      vote_answer("\\boxed{\\frac{1}{2}}"), "x @@ y", "x @@ y", "3.0"};
  EXPECT_EQ(group_answers(answers), (std::vector<int64_t>{0, 0, 2, -1, 0, 5, 5, 2}));
}

TEST(EvalVote, MostVotesWinAndTiesGoToTheFirstGroup) {
  using Groups = std::vector<int64_t>;
  EXPECT_EQ(majority_vote(Groups{0, 1, 1}), 1);         // more votes beat an earlier answer
  EXPECT_EQ(majority_vote(Groups{0, 1, 1, 0}), 0);      // 2 : 2, group 0 was voted for first
  EXPECT_EQ(majority_vote(Groups{-1, 1, 2, 2, 1}), 1);  // 2 : 2 again
  EXPECT_EQ(majority_vote(Groups{-1, -1, 2}), 2);       // non-votes do not count
  EXPECT_EQ(majority_vote(Groups{-1, -1}), -1);
  EXPECT_EQ(majority_vote(Groups{}), -1);
}

TEST(EvalMetrics, MajorityRightWhilePassAt1IsAQuarter) {
  // 12 is the majority; one of its two votes was judged correct (the other, say,
  // broke the format), so maj@4 is 1 while pass@1 is 1/4.
  Metrics m = eval_metrics(samples({{{"\\boxed{12}", true}, {"the answer is 12", false},
                                     {"\\boxed{7}", false}, {"\\boxed{9}", false}}}),
                           4);
  EXPECT_DOUBLE_EQ(m.at("pass@1"), 0.25);
  EXPECT_DOUBLE_EQ(m.at("accuracy"), 0.25);
  EXPECT_DOUBLE_EQ(m.at("maj@4"), 1.0);
  EXPECT_DOUBLE_EQ(m.at("pass@4"), 1.0);

  // The same share correct under a wrong majority (7): maj@4 is 0.
  m = eval_metrics(samples({{{"\\boxed{12}", true}, {"\\boxed{7}", false}, {"\\boxed{7}", false},
                             {"\\boxed{9}", false}}}),
                   4);
  EXPECT_DOUBLE_EQ(m.at("pass@1"), 0.25);
  EXPECT_DOUBLE_EQ(m.at("maj@4"), 0.0);
  EXPECT_DOUBLE_EQ(m.at("pass@4"), 1.0);
}

TEST(EvalMetrics, TiesGoToTheAnswerVotedForFirst) {
  Metrics first_right = eval_metrics(
      samples({{{"\\boxed{3}", true}, {"\\boxed{5}", false}, {"\\boxed{5}", false}, {"\\boxed{3}", true}}}), 4);
  Metrics first_wrong = eval_metrics(
      samples({{{"\\boxed{5}", false}, {"\\boxed{3}", true}, {"\\boxed{3}", true}, {"\\boxed{5}", false}}}), 4);
  EXPECT_DOUBLE_EQ(first_right.at("maj@4"), 1.0);
  EXPECT_DOUBLE_EQ(first_wrong.at("maj@4"), 0.0);
  EXPECT_DOUBLE_EQ(first_right.at("pass@1"), 0.5);
  EXPECT_DOUBLE_EQ(first_wrong.at("pass@1"), 0.5);
}

TEST(EvalMetrics, CompletionsWithoutAnAnswerDoNotVote) {
  // Three non-answers cannot outvote the one answer.
  Metrics m = eval_metrics(samples({{{"hmm", false}, {"no idea", false}, {"hmm", false}, {"\\boxed{4}", true}},
                                    // Nobody answered: no majority, maj@4 counts 0 for this prompt.
                                    {{"hmm", false}, {"no idea", false}, {"hmm", false}, {"...", false}}}),
                           4);
  EXPECT_DOUBLE_EQ(m.at("maj@4"), 0.5);
  EXPECT_DOUBLE_EQ(m.at("pass@4"), 0.5);
  EXPECT_DOUBLE_EQ(m.at("pass@1"), 0.125);
  EXPECT_DOUBLE_EQ(m.at("eval_prompts"), 2);
}

TEST(EvalMetrics, EquivalentAnswersVoteTogether) {
  // 1/2 in three spellings against 3 twice: only canonical answers make 1/2 the majority.
  Metrics m = eval_metrics(samples({{{"\\boxed{0.5}", true},
                                     {"\\boxed{3}", false},
                                     {"The answer is 1/2", true},
                                     {"\\boxed{3}", false},
                                     {"\\boxed{\\frac{1}{2}}", true}}}),
                           5);
  EXPECT_DOUBLE_EQ(m.at("maj@5"), 1.0);
  EXPECT_DOUBLE_EQ(m.at("pass@1"), 0.6);
}

TEST(EvalMetrics, PerTaskAccuracyRewardsAndLengths) {
  std::vector<EvalSample> s = samples({{{"a", true}, {"b", true}}, {{"c", true}, {"d", false}}}, "add");
  std::vector<EvalSample> mul = samples({{{"e", false}, {"wait, f", false}}}, "mul");
  s.insert(s.end(), mul.begin(), mul.end());
  s[0].length = 4;  // correct: 4, 10, 10; incorrect: 10, 10, 20
  s[5].length = 20;
  s[5].finish = FinishReason::length;
  s[1].rewards["accuracy"] = std::nan("");  // unscorable: left out of the means
  s[1].reward = std::nan("");
  Metrics m = eval_metrics(s, 2);
  EXPECT_DOUBLE_EQ(m.at("accuracy/add"), 0.75);
  EXPECT_DOUBLE_EQ(m.at("accuracy/mul"), 0.0);
  EXPECT_DOUBLE_EQ(m.at("accuracy"), 0.5);
  EXPECT_DOUBLE_EQ(m.at("pass@2"), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.at("reward"), 2.0 / 5.0);
  EXPECT_DOUBLE_EQ(m.at("rewards/accuracy/mean"), 2.0 / 5.0);
  EXPECT_DOUBLE_EQ(m.at("completions/mean_length"), 64.0 / 6.0);
  EXPECT_DOUBLE_EQ(m.at("completions/mean_length_correct"), 8.0);
  EXPECT_DOUBLE_EQ(m.at("completions/mean_length_incorrect"), 40.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.at("completions/clipped_ratio"), 1.0 / 6.0);
  EXPECT_DOUBLE_EQ(m.at("reflection/rate"), 1.0 / 6.0);
  EXPECT_DOUBLE_EQ(m.at("eval_prompts"), 3);

  Metrics one = eval_metrics(s, 1);  // k = 1: pass@1 only
  EXPECT_DOUBLE_EQ(one.at("pass@1"), 0.5);
  EXPECT_EQ(one.count("maj@1") + one.count("pass@6"), 0u);
  EXPECT_ERROR(eval_metrics(s, 4), "6 samples do not form groups of 4");
  EXPECT_ERROR(eval_metrics({}, 1), "0 samples");
}

// ---------------------------------------------------------------- evaluate() end to end

const std::string& kChars = test::kTestChars;  // one token each; "<eos>" is id 16
constexpr int64_t kEos = test::kTestEos;
using test::char_tokenizer;

Policy char_policy() {
  Policy policy;
  auto config = ModelConfig::from_json(
      R"({"model_type": "qwen2", "vocab_size": 17, "hidden_size": 32, "intermediate_size": 64,
          "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1,
          "tie_word_embeddings": false})");
  policy.model = CausalLM(config);
  policy.model->init_weights(0.05, 7);  // near-uniform over the 17 tokens
  policy.tokenizer = char_tokenizer();
  policy.eos_token_ids = {kEos};
  return policy;
}

// 1 when the completion holds a 7 (about a fifth of 5-token random completions).
struct HasSeven final : rewards::RewardFunction {
  std::string name() const override { return "seven"; }
  double score(const rewards::Sample& s) const override {
    return s.completion.find('7') != std::string::npos ? 1.0 : 0.0;
  }
};

// Tokens / 10, from the count the sampler reports.
struct Tokens final : rewards::RewardFunction {
  std::string name() const override { return "tokens"; }
  double score(const rewards::Sample& s) const override { return static_cast<double>(s.completion_tokens) / 10.0; }
};

std::vector<rewards::WeightedReward> eval_rewards() {
  return {rewards::weighted(std::make_shared<HasSeven>()), rewards::weighted(std::make_shared<Tokens>(), 0.5)};
}

std::vector<Example> examples() {
  std::vector<Example> out;
  for (int i = 0; i < 5; ++i)
    out.push_back({.id = "q" + std::to_string(i), .prompt = std::to_string(i + 1) + "+" + std::to_string(2 * i),
                   .answer = std::to_string(3 * i + 1), .task = i < 3 ? "add" : "other"});
  return out;
}

const PromptTemplate kTemplate{.style = "plain", .template_text = "{prompt}="};

EvalOptions eval_options() {
  EvalOptions o;
  o.samples_per_prompt = 4;
  o.prompts_per_batch = 2;  // three batches
  o.sampling.max_new_tokens = 5;
  o.sampling.temperature = 1.0;
  o.sampling.top_p = 1.0;
  o.sampling.seed = 5;
  return o;
}

bool same(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

TEST(Evaluate, MetricsAgreeWithTheSamples) {
  Policy policy = char_policy();
  const Tokenizer& tok = *policy.tokenizer;
  policy.model->train();
  EvalResult r = evaluate(policy, examples(), kTemplate, eval_rewards(), eval_options());
  EXPECT_TRUE(policy.model->is_training());  // restored

  const std::vector<Example> ex_all = examples();
  const size_t k = 4;
  ASSERT_EQ(r.samples.size(), 20u);
  double pass_1 = 0, pass_k = 0, add = 0, reward = 0, clipped = 0;
  for (size_t p = 0; p < 5; ++p) {
    int correct = 0;
    for (size_t j = 0; j < k; ++j) {
      const EvalSample& s = r.samples[p * k + j];
      const Example& ex = ex_all[p];
      EXPECT_EQ(s.id, ex.id);
      EXPECT_EQ(s.task, ex.task);
      EXPECT_EQ(s.answer, ex.answer);
      EXPECT_EQ(s.prompt, ex.prompt + "=");
      // Each character, and "<eos>", is one token.
      EXPECT_EQ(static_cast<int64_t>(tok.encode(s.completion).size()), s.length) << s.completion;
      EXPECT_GE(s.length, 1);
      EXPECT_LE(s.length, 5);
      const bool ends = s.completion.ends_with("<eos>");
      EXPECT_EQ(s.finish == FinishReason::eos, ends) << s.completion;
      EXPECT_EQ(s.finish == FinishReason::length, !ends && s.length == 5) << s.completion;
      const bool seven = s.completion.find('7') != std::string::npos;
      EXPECT_EQ(s.correct, seven) << s.completion;
      EXPECT_DOUBLE_EQ(s.rewards.at("seven"), seven ? 1.0 : 0.0);
      EXPECT_NEAR(s.rewards.at("tokens"), static_cast<double>(s.length) / 10.0, 1e-6);
      EXPECT_NEAR(s.reward, (seven ? 1.0 : 0.0) + 0.5 * static_cast<double>(s.length) / 10.0, 1e-6);
      correct += seven;
      reward += s.reward / 20.0;
      clipped += (s.finish == FinishReason::length) / 20.0;
    }
    pass_1 += correct / 4.0 / 5.0;
    pass_k += (correct > 0) / 5.0;
    if (p < 3) add += correct / 4.0 / 3.0;
  }
  const Metrics& m = r.metrics;
  ASSERT_GT(pass_1, 0.0);  // the seed gives both kinds, so the checks below can fail
  ASSERT_LT(pass_1, 1.0);
  EXPECT_NEAR(m.at("accuracy"), pass_1, 1e-12);
  EXPECT_NEAR(m.at("pass@1"), pass_1, 1e-12);
  EXPECT_NEAR(m.at("pass@4"), pass_k, 1e-12);
  EXPECT_NEAR(m.at("accuracy/add"), add, 1e-12);
  EXPECT_NEAR(m.at("reward"), reward, 1e-6);
  EXPECT_NEAR(m.at("completions/clipped_ratio"), clipped, 1e-12);
  EXPECT_DOUBLE_EQ(m.at("eval_prompts"), 5);
  for (const char* name : {"maj@4", "accuracy/other", "rewards/seven/mean", "rewards/tokens/mean",
                           "completions/mean_length", "reflection/rate", "rewards/seven/timeouts"})
    EXPECT_TRUE(m.count(name)) << name;
  std::printf("pass@1 %.3f  pass@4 %.3f  maj@4 %.3f\n", m.at("pass@1"), m.at("pass@4"), m.at("maj@4"));
}

TEST(Evaluate, TheSameSeedGivesTheSameResult) {
  Policy policy = char_policy();
  EvalResult a = evaluate(policy, examples(), kTemplate, eval_rewards(), eval_options());
  EvalResult b = evaluate(policy, examples(), kTemplate, eval_rewards(), eval_options());
  ASSERT_EQ(a.samples.size(), b.samples.size());
  for (size_t n = 0; n < a.samples.size(); ++n) EXPECT_EQ(a.samples[n].completion, b.samples[n].completion) << n;
  ASSERT_EQ(a.metrics.size(), b.metrics.size());
  for (const auto& [name, value] : a.metrics) EXPECT_TRUE(same(value, b.metrics.at(name))) << name;

  EvalOptions other = eval_options();
  other.sampling.seed = 6;
  EvalResult c = evaluate(policy, examples(), kTemplate, eval_rewards(), other);
  int differ = 0;
  for (size_t n = 0; n < a.samples.size(); ++n) differ += a.samples[n].completion != c.samples[n].completion;
  EXPECT_GT(differ, 5);
}

TEST(Evaluate, OptionsChooseThePromptsAndTheAccuracyReward) {
  Policy policy = char_policy();
  EvalOptions o = eval_options();
  o.max_prompts = 2;
  o.samples_per_prompt = 1;
  o.sampling.temperature = 0.0;  // greedy is fine with k = 1
  o.accuracy_reward = "tokens";  // never >= 1 at 5 tokens or fewer
  EvalResult r = evaluate(policy, examples(), kTemplate, eval_rewards(), o);
  ASSERT_EQ(r.samples.size(), 2u);
  EXPECT_EQ(r.samples[1].id, "q1");
  EXPECT_DOUBLE_EQ(r.metrics.at("eval_prompts"), 2);
  EXPECT_DOUBLE_EQ(r.metrics.at("accuracy"), 0.0);
  EXPECT_EQ(r.metrics.count("maj@1"), 0u);
}

TEST(Evaluate, BadInputsFailWithAReason) {
  Policy policy = char_policy();
  EXPECT_ERROR(evaluate(policy, {}, kTemplate, eval_rewards(), eval_options()), "no examples");
  EvalOptions greedy = eval_options();
  greedy.sampling.temperature = 0.0;
  EXPECT_ERROR(evaluate(policy, examples(), kTemplate, eval_rewards(), greedy), "4 identical completions");
  EvalOptions unknown = eval_options();
  unknown.accuracy_reward = "math";
  EXPECT_ERROR(evaluate(policy, examples(), kTemplate, eval_rewards(), unknown),
               "accuracy_reward 'math' is not one of the rewards (seven, tokens)");
  EXPECT_ERROR(evaluate(policy, examples(), kTemplate, {}, eval_options()), "no reward functions");
  policy.tokenizer.reset();
  EXPECT_ERROR(evaluate(policy, examples(), kTemplate, eval_rewards(), eval_options()), "the policy has no tokenizer");
}

TEST(Evaluate, OptionsReadFromYaml) {
  EvalOptions o = config::parse_yaml<EvalOptions>(
      "samples_per_prompt: 8\nmax_prompts: 100\naccuracy_reward: accuracy\nsampling:\n  max_new_tokens: 1024\n");
  EXPECT_EQ(o.samples_per_prompt, 8);
  EXPECT_EQ(o.max_prompts, 100);
  EXPECT_EQ(o.accuracy_reward, "accuracy");
  EXPECT_EQ(o.sampling.max_new_tokens, 1024);
  EXPECT_DOUBLE_EQ(o.sampling.temperature, 0.6);  // the evaluation default survives
  EXPECT_DOUBLE_EQ(o.sampling.top_p, 0.95);
  EXPECT_ERROR(config::parse_yaml<EvalOptions>("samples_per_prompt: 0\n", "eval.yaml"), "samples_per_prompt");
  EXPECT_ERROR(config::parse_yaml<EvalOptions>("prompt_per_batch: 4\n", "eval.yaml"), "prompt_per_batch");
}

}  // namespace
