// Fuzz target: the math checker's extraction, parsing and comparison. The input
// is "gold\ncompletion". Any input must give a verdict and a reason; a crash,
// a sanitizer report, an exception or a hang (libFuzzer's -timeout) is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rewards/math.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace grpo::rewards;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t split = input.find('\n');
  std::string_view gold = input.substr(0, split);
  std::string_view rest = split == std::string_view::npos ? input : input.substr(split + 1);

  MathOptions options;
  options.extract.priority = {AnswerSource::boxed, AnswerSource::answer_tag, AnswerSource::answer_phrase,
                              AnswerSource::last_math, AnswerSource::last_number};
  MathCheck full = check_math(gold, rest, options);
  MathCheck answer = check_math_answer(gold, rest, options);
  for (const MathCheck& r : {full, answer})
    if (r.correct != (r.reason == MathReason::equal)) __builtin_trap();
  // An answer equals itself, unless a limit stopped the check.
  MathCheck self = check_math_answer(rest, rest, options);
  if (!self.correct && self.reason == MathReason::not_equal && !self.pred.empty() && self.pred == self.gold)
    __builtin_trap();
  canonical_math(rest, options);
  return 0;
}
