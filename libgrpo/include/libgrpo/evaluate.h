// Evaluation: how well a policy answers a dataset split (what `grpo eval` runs).
//
//   grpo::Policy policy = grpo::Policy::load("/models/Qwen2.5-0.5B-Instruct");
//   grpo::Dataset test = grpo::make_dataset(data, grpo::Split::test);
//   grpo::EvalResult r = grpo::evaluate(policy, test.examples(), {.style = "r1_chat"},
//                                       {weighted(std::make_shared<MathReward>())}, {.samples_per_prompt = 4});
//   r.metrics.at("accuracy");  // pass@1, averaged over the 4 samples of each prompt
//   r.metrics.at("maj@4");     // the most common answer of the 4 is correct
//
// k completions are sampled for each prompt (prompts_per_batch prompts at a time),
// scored by the same reward functions as training, and summarised per prompt:
//
//   pass@1  mean over prompts of c / k         (c = correct completions of the prompt)
//   pass@k  mean over prompts of [c > 0]       (Chen et al. 2021's unbiased estimator
//                                               1 - C(n-c, k) / C(n, k) with n = k)
//   maj@k   mean over prompts of whether the majority answer is correct (Wang et al.
//           2022's self-consistency; DeepSeek-R1 reports cons@64)
//
// A completion is correct when the accuracy reward's value is >= 1, as in training.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "libgrpo/completion_stats.h"
#include "libgrpo/config.h"
#include "libgrpo/dataset.h"
#include "libgrpo/metrics.h"
#include "libgrpo/prompt.h"
#include "libgrpo/rollout.h"
#include "libgrpo/sampling.h"
#include "rewards/combine.h"

namespace grpo {

struct EvalOptions {
  // k: completions per prompt. pass@1 averages over them; maj@k and pass@k need k > 1.
  int64_t samples_per_prompt = 1;
  // DeepSeek-R1's evaluation setting (temperature 0.6, top-p 0.95, pass@1 over k
  // samples): the paper found greedy decoding of long chains of thought to repeat
  // itself more and to vary more from checkpoint to checkpoint. Temperature 0
  // (greedy) is allowed with k = 1 only, since k greedy samples are all the same.
  SamplingOptions sampling{.temperature = 0.6, .top_p = 0.95};
  // Prompts sampled together (each with its k completions). Batch i is sampled
  // with seed sampling.seed + i, so results depend on this as well as on the seed.
  int64_t prompts_per_batch = 32;
  // The reward whose value >= 1 marks a completion correct; empty: the first.
  std::string accuracy_reward;
  ReflectionOptions reflection;
  // Evaluate only the first max_prompts examples; 0: all of them.
  int64_t max_prompts = 0;
};

// An `eval:` YAML section: samples_per_prompt, prompts_per_batch,
// accuracy_reward, max_prompts, sampling, reflection.
void describe(config::Visitor& v, EvalOptions& o);

// One evaluated completion.
struct EvalSample {
  std::string id;          // Example::id
  std::string task;        // Example::task
  std::string prompt;      // the rendered prompt text the policy continued
  std::string completion;  // decoded, as the rewards saw it
  std::string answer;      // Example::answer, the reference
  double reward = 0.0;     // weighted sum of the rewards (NaN terms left out; NaN if all are)
  std::map<std::string, double> rewards;  // each reward function's value, by display name
  bool correct = false;    // accuracy reward >= 1
  int64_t length = 0;      // completion tokens (the EOS token included)
  FinishReason finish = FinishReason::eos;
};

struct EvalResult {
  // eval_metrics() of the samples, plus the scorer's rewards/<name>/timeouts and
  // rewards/<name>/errors (counts); the caller adds a prefix such as "eval/".
  Metrics metrics;
  std::vector<EvalSample> samples;  // prompt-major: samples[p * k + j] is sample j of prompt p
};

// Samples options.samples_per_prompt completions for each example (the first
// max_prompts of them), scores them and summarises them with eval_metrics().
// Prompts are render_prompt(prompt_template, example, tokenizer), encoded with the
// policy's tokenizer (required). Deterministic: the same inputs and options give
// the same result. Throws grpo::Error for no examples, a policy without a model or
// tokenizer, an unknown accuracy_reward, or greedy sampling with k > 1.
EvalResult evaluate(Policy& policy, const std::vector<Example>& examples, const PromptTemplate& prompt_template,
                    const std::vector<rewards::WeightedReward>& rewards, const EvalOptions& options);

// The answer a completion votes for in maj@k: the first answer that
// rewards::extract_answers() finds (default priority) whose canonical form
// (rewards::canonical_math) is not empty, in that form; when none parses, the
// first extracted answer, trimmed; "" when the completion has no answer (it
// does not vote).
std::string vote_answer(std::string_view completion);

// One prompt's answers (vote_answer() of each completion) sorted into groups of
// equivalent ones: out[j] is the index of the first answer equivalent to
// answers[j] (the same text, or equal by rewards::check_math_answer, so "0.5",
// "1/2" and "\frac{1}{2}" vote together), -1 for "" (no vote).
std::vector<int64_t> group_answers(const std::vector<std::string>& answers);

// The winning group of group_answers()' output: the one with the most members,
// ties going to the group whose first answer came first. -1 when nobody voted.
int64_t majority_vote(const std::vector<int64_t>& groups);

// The metrics of evaluated samples, prompt-major in groups of k = samples_per_prompt
// (samples.size() must be a non-zero multiple of k):
//   accuracy, pass@1                   mean over prompts of the share of its k samples correct
//   pass@<k>, maj@<k>                  (k > 1) any sample correct; some sample whose answer is
//                                      in the majority_vote() group is correct (0 with no votes)
//   accuracy/<task>                    pass@1 over the prompts of each non-empty Example::task
//   reward                             mean weighted reward over the samples (NaN ones left out)
//   rewards/<name>/mean                mean of each reward function (NaN ones left out)
//   completions/..., reflection/...    completion_stats() of the samples
//   eval_prompts                       the number of prompts
Metrics eval_metrics(const std::vector<EvalSample>& samples, int64_t samples_per_prompt,
                     const ReflectionOptions& reflection = {});

}  // namespace grpo
