// The math checker's case table: (gold, prediction, expected verdict), grouped
// by what they exercise. Shared by the unit tests and bench/bench_math.cpp.
// `pred` is an answer (check_math_answer) unless the group says completions.
#pragma once

#include <string_view>
#include <vector>

namespace grpo::rewards::testing {

struct MathCase {
  std::string_view gold;
  std::string_view pred;
  bool equal;
};

struct MathCaseGroup {
  std::string_view name;
  bool completions;  // pred is a full completion (check_math) rather than an answer
  std::vector<MathCase> cases;
};

const std::vector<MathCaseGroup>& math_case_groups();

}  // namespace grpo::rewards::testing
