// Procedural tasks: countdown, arithmetic and linear equations, generated from
// a seed so that a run needs no data files.
#include <algorithm>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "dataset_random.h"
#include "libgrpo/dataset.h"
#include "libgrpo/error.h"

namespace grpo {
namespace {

using data::SplitMix64;

// Redraws allowed for one example before the task is declared too small.
constexpr int64_t kMaxAttempts = 1000;

int64_t digits(int64_t x) {
  int64_t n = 1;
  for (x = std::llabs(x); x >= 10; x /= 10) ++n;
  return n;
}

int64_t pow10(int64_t n) {
  int64_t p = 1;
  while (n-- > 0) p *= 10;
  return p;
}

// --- countdown --------------------------------------------------------------

struct Term {
  int64_t value;
  std::string text;
  bool leaf;
};

std::string operand(const Term& t) { return t.leaf ? t.text : "(" + t.text + ")"; }

// Combines the numbers pairwise in random order with random operators until one
// term is left, keeping every intermediate value a positive integer (so the
// equation reads naturally and is exact). nullopt when the value misses [1, max_target].
std::optional<Term> random_equation(const std::vector<int64_t>& numbers, int64_t max_target, SplitMix64& rng) {
  std::vector<Term> pool;
  for (int64_t n : numbers) pool.push_back({n, std::to_string(n), true});
  const int64_t cap = max_target * 100;  // products beyond this rarely come back into range
  while (pool.size() > 1) {
    const auto last = static_cast<int64_t>(pool.size()) - 1;
    size_t i = static_cast<size_t>(rng.uniform(0, last));
    size_t j = static_cast<size_t>(rng.uniform(0, last - 1));
    if (j >= i) ++j;
    const Term& a = pool[i];
    const Term& b = pool[j];
    std::vector<char> ops = {'+'};
    if (a.value > b.value) ops.push_back('-');
    if (a.value <= cap / b.value) ops.push_back('*');
    if (b.value > 1 && a.value % b.value == 0) ops.push_back('/');
    const char op = ops[static_cast<size_t>(rng.uniform(0, static_cast<int64_t>(ops.size()) - 1))];
    int64_t value = op == '+' ? a.value + b.value
                  : op == '-' ? a.value - b.value
                  : op == '*' ? a.value * b.value
                              : a.value / b.value;
    Term combined{value, operand(a) + " " + op + " " + operand(b), false};
    pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(std::max(i, j)));
    pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(std::min(i, j)));
    pool.push_back(std::move(combined));
  }
  if (pool[0].value < 1 || pool[0].value > max_target) return std::nullopt;
  return pool[0];
}

Example make_countdown(const CountdownTaskOptions& o, SplitMix64& rng) {
  const int64_t count = rng.uniform(o.min_numbers, o.max_numbers);
  for (int64_t attempt = 0; attempt < kMaxAttempts; ++attempt) {
    std::vector<int64_t> numbers;
    for (int64_t k = 0; k < count; ++k) numbers.push_back(rng.uniform(1, o.max_number));
    std::optional<Term> equation = random_equation(numbers, o.max_target, rng);
    if (!equation) continue;
    std::string list = "[";
    for (size_t k = 0; k < numbers.size(); ++k) list += (k ? ", " : "") + std::to_string(numbers[k]);
    list += "]";
    Example ex;
    ex.prompt = "Using the numbers " + list + ", create an equation that equals " +
                std::to_string(equation->value) +
                ". You can use basic arithmetic operations (+, -, *, /) and must use each number exactly once.";
    ex.answer = equation->text;
    ex.fields = {{"nums", list}, {"target", std::to_string(equation->value)}};
    ex.difficulty = static_cast<double>(count);
    return ex;
  }
  GRPO_FAIL("task.countdown: no equation of ", count, " numbers in [1, ", o.max_number, "] reached [1, ",
            o.max_target, "] in ", kMaxAttempts, " tries; raise max_target");
}

// --- arithmetic -------------------------------------------------------------

int64_t random_operand(int64_t n_digits, SplitMix64& rng) {
  return n_digits == 1 ? rng.uniform(0, 9) : rng.uniform(pow10(n_digits - 1), pow10(n_digits) - 1);
}

Example make_arithmetic(const ArithmeticTaskOptions& o, SplitMix64& rng) {
  const std::string& op = o.operators[static_cast<size_t>(rng.uniform(0, static_cast<int64_t>(o.operators.size()) - 1))];
  const int64_t da = rng.uniform(o.min_digits, o.max_digits);
  const int64_t db = rng.uniform(o.min_digits, o.max_digits);
  std::set<int64_t> used;
  // A fresh operand of d digits (one not used yet when distinct_operands is set).
  auto draw_operand = [&](int64_t d) {
    int64_t x = random_operand(d, rng);
    for (int64_t attempt = 0; o.distinct_operands && used.contains(x); ++attempt) {
      GRPO_CHECK(attempt < kMaxAttempts, "task.arithmetic: no distinct operand of ", d, " digits left");
      x = random_operand(d, rng);
    }
    used.insert(x);
    return x;
  };
  const int64_t a = draw_operand(da);
  const int64_t b = draw_operand(db);
  int64_t result = op == "+" ? a + b : op == "-" ? a - b : a * b;
  std::string expression = std::to_string(a) + " " + op + " " + std::to_string(b);
  int64_t total_digits = da + db;
  // Operands past the second are drawn after the first two, so two-operand
  // problems are the same whatever max_operands says.
  const int64_t count = o.max_operands > 2 ? rng.uniform(o.min_operands, o.max_operands) : 2;
  for (int64_t k = 2; k < count; ++k) {
    const std::string& next_op =
        o.operators[static_cast<size_t>(rng.uniform(0, static_cast<int64_t>(o.operators.size()) - 1))];
    const int64_t d = rng.uniform(o.min_digits, o.max_digits);
    const int64_t x = draw_operand(d);
    result = next_op == "+" ? result + x : result - x;
    expression += " " + next_op + " " + std::to_string(x);
    total_digits += d;
  }
  Example ex;
  ex.prompt = "What is " + expression + "?";
  ex.answer = std::to_string(result);
  ex.fields = {{"expression", expression}};
  ex.difficulty = static_cast<double>(total_digits);
  return ex;
}

// --- linear equations -------------------------------------------------------

Example make_linear_equation(const LinearEquationTaskOptions& o, SplitMix64& rng) {
  const int64_t a = rng.uniform(1, o.max_coefficient) * (rng.uniform(0, 1) ? 1 : -1);
  const int64_t b = rng.uniform(-o.max_coefficient, o.max_coefficient);
  const int64_t x = rng.uniform(-o.max_solution, o.max_solution);
  const int64_t c = a * x + b;
  std::string lhs = a == 1 ? "x" : a == -1 ? "-x" : std::to_string(a) + "x";
  if (b > 0) lhs += " + " + std::to_string(b);
  if (b < 0) lhs += " - " + std::to_string(-b);
  Example ex;
  ex.prompt = "Solve for x: " + lhs + " = " + std::to_string(c);
  ex.answer = std::to_string(x);
  ex.difficulty = static_cast<double>(digits(std::max({std::llabs(a), std::llabs(b), std::llabs(c)})));
  return ex;
}

// --- splits -----------------------------------------------------------------

void check_options(const TaskOptions& o) {
  const auto& cd = o.countdown;
  GRPO_CHECK(cd.min_numbers <= cd.max_numbers, "task.countdown: min_numbers = ", cd.min_numbers,
             " exceeds max_numbers = ", cd.max_numbers);
  const auto& ar = o.arithmetic;
  GRPO_CHECK(ar.min_digits <= ar.max_digits, "task.arithmetic: min_digits = ", ar.min_digits,
             " exceeds max_digits = ", ar.max_digits);
  GRPO_CHECK(!ar.operators.empty(), "task.arithmetic.operators is empty");
  for (const std::string& op : ar.operators)
    GRPO_CHECK(op == "+" || op == "-" || op == "*", "task.arithmetic.operators: '", op,
               "' is not one of +, -, *");
  GRPO_CHECK(ar.min_operands >= 2 && ar.min_operands <= ar.max_operands, "task.arithmetic: operands must satisfy 2 <= ",
             "min_operands <= max_operands, got ", ar.min_operands, " and ", ar.max_operands);
  GRPO_CHECK(ar.max_operands <= 2 || std::find(ar.operators.begin(), ar.operators.end(), "*") == ar.operators.end(),
             "task.arithmetic: more than 2 operands (max_operands = ", ar.max_operands,
             ") allows only + and -; remove '*' from operators");
  const int64_t values = pow10(ar.max_digits) - (ar.min_digits == 1 ? 0 : pow10(ar.min_digits - 1));
  GRPO_CHECK(!ar.distinct_operands || ar.max_operands <= values, "task.arithmetic: ", ar.max_operands,
             " distinct operands of ", ar.min_digits, " to ", ar.max_digits, " digits do not exist");
}

Example draw(const TaskOptions& o, Split split, int64_t index, int64_t attempt) {
  SplitMix64 rng{data::stable_hash(o.name), static_cast<uint64_t>(o.seed), static_cast<uint64_t>(split),
                 static_cast<uint64_t>(index), static_cast<uint64_t>(attempt)};
  Example ex = o.name == "countdown"    ? make_countdown(o.countdown, rng)
               : o.name == "arithmetic" ? make_arithmetic(o.arithmetic, rng)
                                        : make_linear_equation(o.linear_equation, rng);
  ex.id = o.name + (split == Split::train ? "/train/" : "/test/") + std::to_string(index);
  ex.task = o.name;
  return ex;
}

}  // namespace

std::vector<Example> generate_task(const TaskOptions& o, Split split) {
  GRPO_CHECK(o.name == "countdown" || o.name == "arithmetic" || o.name == "linear_equation", "task.name is '",
             o.name, "', expected countdown, arithmetic or linear_equation");
  check_options(o);

  // The test set comes first, with distinct prompts; the train set is drawn
  // around it. So the test set never depends on train_size.
  std::set<std::string> test_prompts;
  std::vector<Example> test;
  for (int64_t i = 0; i < o.test_size; ++i) {
    for (int64_t attempt = 0;; ++attempt) {
      GRPO_CHECK(attempt < kMaxAttempts, "task '", o.name, "': found only ", i, " distinct problems for test_size = ",
                 o.test_size, "; lower test_size or widen the task's ranges");
      Example ex = draw(o, Split::test, i, attempt);
      if (test_prompts.insert(ex.prompt).second) {
        test.push_back(std::move(ex));
        break;
      }
    }
  }
  if (split == Split::test) return test;

  std::vector<Example> train;
  train.reserve(static_cast<size_t>(o.train_size));
  for (int64_t i = 0; i < o.train_size; ++i) {
    for (int64_t attempt = 0;; ++attempt) {
      GRPO_CHECK(attempt < kMaxAttempts, "task '", o.name, "': every problem drawn for train example ", i,
                 " is in the test set; lower test_size or widen the task's ranges");
      Example ex = draw(o, Split::train, i, attempt);
      if (!test_prompts.contains(ex.prompt)) {
        train.push_back(std::move(ex));
        break;
      }
    }
  }
  return train;
}

}  // namespace grpo
