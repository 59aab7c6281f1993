// Math checker throughput on one core, and the case file bench_math_verify.py
// runs HF math-verify on, so that the two compare on identical inputs.
//
//   bench_math [--cases-out FILE] [--verdicts-out FILE] [--seconds 3] [--typical 2000]
//
// Two sets: "typical" (generated: a short completion ending in \boxed{answer}
// for an integer, fraction or decimal reference; 70% right) and "table" (the
// unit tests' 330 cases: units, sets, intervals, expressions, matrices, ...).
// Prints checks/s for each. bench/run_math_bench runs both checkers side by side.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "math_cases.h"
#include "rewards/math.h"

namespace {

using grpo::rewards::check_math;
using grpo::rewards::check_math_answer;

struct Case {
  std::string set, group, gold, pred;
  bool pred_is_answer;
  bool expected;
};

// Deterministic pseudo-random numbers (no <random>: the same cases everywhere).
struct Lcg {
  uint64_t s = 0x9E3779B97F4A7C15ull;
  uint64_t next() { return (s = s * 6364136223846793005ull + 1442695040888963407ull) >> 33; }
  int below(int n) { return static_cast<int>(next() % static_cast<uint64_t>(n)); }
};

// A reference answer and an equivalent (or, when `right` is false, a wrong) way to write it.
std::pair<std::string, std::string> typical_answer(Lcg& rng, bool right) {
  int kind = rng.below(10);
  int a = 1 + rng.below(999), b = 2 + rng.below(30);
  int off = right ? 0 : 1 + rng.below(3);
  if (kind < 6) return {std::to_string(a), std::to_string(a + off)};
  if (kind < 8) {
    std::string gold = "\\frac{" + std::to_string(a) + "}{" + std::to_string(b) + "}";
    std::string pred = rng.below(2) ? "\\dfrac{" + std::to_string(a + off) + "}{" + std::to_string(b) + "}"
                                    : std::to_string(a + off) + "/" + std::to_string(b);
    return {gold, pred};
  }
  if (kind < 9) {
    std::string gold = std::to_string(a) + "." + std::to_string(b);
    return {gold, std::to_string(a + off) + "." + std::to_string(b)};
  }
  return {"-" + std::to_string(a), "-" + std::to_string(a + off)};
}

std::vector<Case> typical_cases(int n) {
  static const char* openings[] = {
      "Let me work through this step by step. First we set up the equation from the problem statement, "
      "then simplify both sides and solve. ",
      "We count the cases carefully: there are several configurations to consider, and each one contributes "
      "to the total. Adding them up, ",
      "Using the formula for the sum of an arithmetic series and substituting the given values, we obtain "
      "the following. "};
  Lcg rng;
  std::vector<Case> out;
  for (int i = 0; i < n; ++i) {
    bool right = rng.below(10) < 7;
    auto [gold, pred] = typical_answer(rng, right);
    std::string completion = std::string(openings[rng.below(3)]) + "The final answer is $\\boxed{" + pred + "}$.";
    out.push_back({"typical", "typical", gold, completion, false, right});
  }
  return out;
}

std::vector<Case> table_cases() {
  std::vector<Case> out;
  for (const auto& g : grpo::rewards::testing::math_case_groups())
    for (const auto& c : g.cases)
      out.push_back({"table", std::string(g.name), std::string(c.gold), std::string(c.pred), !g.completions, c.equal});
  return out;
}

bool run(const Case& c) {
  return (c.pred_is_answer ? check_math_answer(c.gold, c.pred) : check_math(c.gold, c.pred)).correct;
}

// Checks per second over at least `seconds`, whole passes over the cases.
double throughput(const std::vector<Case>& cases, double seconds) {
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  int64_t checks = 0;
  int sink = 0;
  do {
    for (const auto& c : cases) sink += run(c);
    checks += static_cast<int64_t>(cases.size());
  } while (std::chrono::duration<double>(Clock::now() - start).count() < seconds);
  double took = std::chrono::duration<double>(Clock::now() - start).count();
  if (sink < 0) std::puts("");
  return static_cast<double>(checks) / took;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cases_out, verdicts_out;
  double seconds = 3;
  int typical = 2000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--cases-out") cases_out = argv[i + 1];
    else if (flag == "--verdicts-out") verdicts_out = argv[i + 1];
    else if (flag == "--seconds") seconds = std::stod(argv[i + 1]);
    else if (flag == "--typical") typical = std::stoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "bench_math: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  std::vector<Case> typ = typical_cases(typical), table = table_cases();
  std::vector<Case> all = typ;
  all.insert(all.end(), table.begin(), table.end());

  if (!cases_out.empty()) {
    std::ofstream out(cases_out);
    for (const auto& c : all)
      out << nlohmann::json{{"set", c.set}, {"group", c.group}, {"gold", c.gold}, {"pred", c.pred},
                            {"pred_is_answer", c.pred_is_answer}, {"expected", c.expected}}.dump() << "\n";
  }
  if (!verdicts_out.empty()) {
    std::ofstream out(verdicts_out);
    for (const auto& c : all) {
      auto r = c.pred_is_answer ? check_math_answer(c.gold, c.pred) : check_math(c.gold, c.pred);
      out << nlohmann::json{{"correct", r.correct}, {"reason", grpo::rewards::to_string(r.reason)},
                            {"gold", r.gold}, {"pred", r.pred}}.dump() << "\n";
    }
  }
  int wrong_typ = 0, wrong_table = 0;
  for (const auto& c : typ) wrong_typ += run(c) != c.expected;
  for (const auto& c : table) wrong_table += run(c) != c.expected;
  std::printf("set      cases  checks/s  off-expected\n");
  std::printf("typical  %5zu  %8.0f  %d\n", typ.size(), throughput(typ, seconds), wrong_typ);
  std::printf("table    %5zu  %8.0f  %d\n", table.size(), throughput(table, seconds), wrong_table);
  return 0;
}
