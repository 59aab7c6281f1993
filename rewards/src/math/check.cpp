// check_math(): extraction, parsing and comparison under one budget.
#include <cmath>
#include <limits>
#include <new>

#include "libgrpo/error.h"
#include "math/budget.h"
#include "math/compare.h"
#include "math/parse.h"
#include "rewards/math.h"

namespace grpo::rewards {
namespace {

using math::Budget;
using math::Expr;

// The reference: an answer, or a solution whose \boxed{} holds the answer.
bool parse_reference(std::string_view gold, Expr& out, Budget& budget) {
  bool boxed = gold.find("\\boxed") != std::string_view::npos || gold.find("\\fbox") != std::string_view::npos;
  if (boxed) {
    auto found = extract_answers(gold, {.priority = {AnswerSource::boxed}});
    if (!found.empty() && math::parse_answer(found[0].text, out, budget)) return true;
  }
  if (gold.size() <= budget.limits().max_answer_bytes && math::parse_answer(gold, out, budget)) return true;
  for (const auto& candidate : extract_answers(gold))
    if (candidate.text.size() <= budget.limits().max_answer_bytes && math::parse_answer(candidate.text, out, budget))
      return true;
  return false;
}

// Parses the first candidate that parses. Oversized candidates are skipped, and
// reported as too_large if nothing else parses.
MathReason parse_prediction(const std::vector<ExtractedAnswer>& candidates, Expr& out, MathCheck& result,
                            Budget& budget) {
  if (candidates.empty()) return MathReason::no_answer;
  MathReason failure = MathReason::unparsable_pred;
  for (const auto& candidate : candidates) {
    try {
      if (math::parse_answer(candidate.text, out, budget)) {
        result.pred_answer = candidate.text;
        result.source = candidate.source;
        return MathReason::equal;  // parsed
      }
    } catch (const math::Exhausted& e) {
      if (e.reason != MathReason::too_large) throw;
      failure = MathReason::too_large;
    }
  }
  result.pred_answer = candidates.front().text;
  return failure;
}

MathCheck run_check(std::string_view gold, const std::vector<ExtractedAnswer>& candidates, bool from_completion,
                    const MathOptions& options, Budget& budget) {
  MathCheck result;
  try {
    budget.poll();  // a check that is cancelled or late before it starts does no work
    Expr gold_expr, pred_expr;
    if (!parse_reference(gold, gold_expr, budget)) {
      result.reason = MathReason::unparsable_gold;
      return result;
    }
    result.gold = math::to_string({&gold_expr, gold_expr.root});
    MathReason parsed = parse_prediction(candidates, pred_expr, result, budget);
    if (!from_completion) result.source.reset();
    if (parsed != MathReason::equal) {
      result.reason = parsed;
      return result;
    }
    result.pred = math::to_string({&pred_expr, pred_expr.root});
    math::Comparer comparer(budget, options.rel_tol);
    result.correct = comparer.equal({&gold_expr, gold_expr.root}, {&pred_expr, pred_expr.root});
    result.reason = result.correct ? MathReason::equal
                    : comparer.saw_too_large() ? MathReason::too_large
                                               : MathReason::not_equal;
  } catch (const math::Exhausted& e) {
    result.correct = false;
    result.reason = e.reason;
  } catch (const std::bad_alloc&) {
    result.correct = false;
    result.reason = MathReason::too_large;
  }
  return result;
}

}  // namespace

std::string_view to_string(MathReason reason) {
  switch (reason) {
    case MathReason::equal: return "equal";
    case MathReason::not_equal: return "not_equal";
    case MathReason::no_answer: return "no_answer";
    case MathReason::unparsable_pred: return "unparsable_pred";
    case MathReason::unparsable_gold: return "unparsable_gold";
    case MathReason::too_large: return "too_large";
    case MathReason::timeout: return "timeout";
    case MathReason::cancelled: return "cancelled";
  }
  return "?";
}

MathCheck check_math(std::string_view gold, std::string_view completion, const MathOptions& options,
                     const ScoreBudget& outer) {
  Budget budget(outer, options.timeout, options.limits);
  return run_check(gold, extract_answers(completion, options.extract), true, options, budget);
}

MathCheck check_math_answer(std::string_view gold, std::string_view answer, const MathOptions& options,
                            const ScoreBudget& outer) {
  Budget budget(outer, options.timeout, options.limits);
  return run_check(gold, {{std::string(answer), AnswerSource::boxed}}, false, options, budget);
}

std::string canonical_math(std::string_view answer, const MathOptions& options) {
  ScoreBudget outer;
  Budget budget(outer, options.timeout, options.limits);
  try {
    Expr e;
    if (math::parse_answer(answer, e, budget)) return math::to_string({&e, e.root});
  } catch (const math::Exhausted&) {
  }
  return "";
}

double MathReward::score(const Sample& sample) const {
  try {
    return score_within(sample, ScoreBudget{});
  } catch (const ScoreTimeout&) {
    return 0.0;
  }
}

double MathReward::score_within(const Sample& sample, const ScoreBudget& budget) const {
  auto gold = sample.fields.find(gold_field_);
  GRPO_CHECK(gold != sample.fields.end(), "math reward: the sample has no field '", gold_field_,
             "' holding the reference answer");
  MathCheck check = check_math(gold->second, sample.completion, options_, budget);
  if (check.reason == MathReason::timeout || check.reason == MathReason::cancelled)
    throw ScoreTimeout("math check: " + std::string(to_string(check.reason)));
  if (check.reason == MathReason::unparsable_gold) return std::numeric_limits<double>::quiet_NaN();
  return check.correct ? 1.0 : 0.0;
}

}  // namespace grpo::rewards
