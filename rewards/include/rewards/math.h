// Math answer checking: is a model's final answer equivalent to the reference?
//
//   auto r = grpo::rewards::check_math("\\frac{1}{2}", "... so the answer is $\\boxed{0.5}$.");
//   r.correct == true, r.reason == MathReason::equal, r.pred == "0.5", r.gold == "1/2"
//
// Three stages, each bounded:
//   1. extraction: the answer substring of a completion (the last \boxed{}, an
//      <answer> tag, "the answer is ...", the last number), in a configurable order;
//   2. parsing: LaTeX or plain text to an expression tree, after normalisation
//      (\dfrac, \left, \text{cm}, 7,425,000, 30^\circ, 50\%, $...$, 2\frac{1}{2}, ...);
//   3. equivalence: exact rationals for numbers (no float round-off), a relative
//      tolerance where one side is a decimal approximation of a value that has no
//      finite decimal form, GiNaC and numeric identity testing for expressions,
//      element-wise rules for tuples, sets, intervals, equations and matrices.
// Every check runs under a deadline and a step budget and polls a cancellation
// token; a check that runs out returns correct = false with reason `timeout`.
// Thread-safe: checks may run on many threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rewards/reward.h"

namespace grpo::rewards {

// Where a completion's answer can come from.
enum class AnswerSource {
  boxed,          // the last \boxed{...} or \fbox{...} (with boxes just before it, as a list)
  answer_tag,     // the last <answer>...</answer>
  answer_phrase,  // "the answer is X", "Final answer: X", "答案是 X", ... (the last one)
  last_math,      // the last $...$, \(...\) or \[...\]
  last_number,    // the last number (integer, decimal, fraction, percent) in the text
};

std::string_view to_string(AnswerSource source);

struct ExtractOptions {
  // Sources tried in this order; the first one whose answer parses wins.
  std::vector<AnswerSource> priority = {AnswerSource::boxed, AnswerSource::answer_tag,
                                        AnswerSource::answer_phrase, AnswerSource::last_number};
};

struct ExtractedAnswer {
  std::string text;  // the answer as written, e.g. "\frac{1}{2}"
  AnswerSource source;
};

// Every answer the sources in options.priority find in `completion`, in
// priority order (at most one per source). Linear in the completion's size.
std::vector<ExtractedAnswer> extract_answers(std::string_view completion, const ExtractOptions& options = {});

// Caps that keep one check small; exceeding one is reason `too_large`.
struct MathLimits {
  size_t max_answer_bytes = 2048;    // longer extracted answers are not parsed
  int max_nodes = 512;               // expression-tree nodes per answer
  int max_depth = 48;                // nesting of brackets, fractions, powers
  int64_t max_steps = 200'000;       // parse + compare steps per check
  int64_t max_exact_bits = 1 << 16;  // size of an exact intermediate (2^65536 is fine)
  int max_symbolic_nodes = 160;      // larger expressions skip GiNaC (numeric test only)
  int max_symbolic_exponent = 24;    // GiNaC never sees (x+1)^n with larger n
};

struct MathOptions {
  ExtractOptions extract;
  // Relative tolerance between a decimal approximation and an exact value that
  // has no finite decimal form (1/3 vs 0.333333, pi vs 3.14159265). Two values
  // that both have finite decimal forms must match exactly.
  double rel_tol = 1e-6;
  // Wall-clock budget of one check (on top of any ScoreBudget passed in).
  std::chrono::milliseconds timeout{1000};
  MathLimits limits;
};

enum class MathReason {
  equal,            // correct
  not_equal,        // both parsed, not equivalent
  no_answer,        // no source found an answer in the completion
  unparsable_pred,  // answers were found, none parsed
  unparsable_gold,  // the reference did not parse (NaN reward: not the model's fault)
  too_large,        // a limit in MathLimits was hit
  timeout,          // the deadline passed
  cancelled,        // the caller's stop token fired
};

std::string_view to_string(MathReason reason);

struct MathCheck {
  bool correct = false;
  MathReason reason = MathReason::not_equal;
  std::string gold;         // the parsed reference, canonical ("1/2", "{1, 2}", "(0, 1]"); "" if unparsed
  std::string pred;         // the parsed prediction, canonical; "" if unparsed
  std::string pred_answer;  // the prediction's answer as extracted from the completion
  std::optional<AnswerSource> source;  // which source it came from (empty with check_math_answer)
};

// Checks the answer in a full completion against the reference `gold` (an
// answer, or a solution with a \boxed{} answer).
MathCheck check_math(std::string_view gold, std::string_view completion, const MathOptions& options = {},
                     const ScoreBudget& budget = {});

// Checks an answer given on its own (no extraction) against `gold`.
MathCheck check_math_answer(std::string_view gold, std::string_view answer, const MathOptions& options = {},
                            const ScoreBudget& budget = {});

// Parses one answer and prints it in canonical form; empty when it does not parse.
std::string canonical_math(std::string_view answer, const MathOptions& options = {});

// Accuracy reward: 1.0 when the completion's answer matches fields[gold_field],
// 0.0 when not (or no answer), NaN when the reference itself does not parse.
// score_within() throws ScoreTimeout when a check times out. Name: "accuracy".
class MathReward final : public RewardFunction {
 public:
  explicit MathReward(MathOptions options = {}, std::string gold_field = "answer")
      : options_(std::move(options)), gold_field_(std::move(gold_field)) {}
  std::string name() const override { return "accuracy"; }
  double score(const Sample& sample) const override;
  double score_within(const Sample& sample, const ScoreBudget& budget) const override;

 private:
  MathOptions options_;
  std::string gold_field_;
};

}  // namespace grpo::rewards
