// Procedural tasks: every answer is checked independently of the generator
// (countdown by rewards' checker, the others by solving the prompt here).
#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>
#include <set>

#include "libgrpo/dataset.h"
#include "libgrpo/error.h"
#include "rewards/countdown.h"

namespace {

using grpo::Example;
using grpo::Split;
using grpo::TaskOptions;

TaskOptions task(const std::string& name, int64_t train_size = 300, int64_t test_size = 100) {
  TaskOptions o;
  o.name = name;
  o.train_size = train_size;
  o.test_size = test_size;
  return o;
}

std::vector<std::string> prompts(const std::vector<Example>& examples) {
  std::vector<std::string> out;
  for (const Example& e : examples) out.push_back(e.prompt);
  return out;
}

// Parses "[3, 5, 7]".
std::vector<long long> parse_list(const std::string& text) {
  std::vector<long long> out;
  static const std::regex number("\\d+");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), number); it != std::sregex_iterator(); ++it)
    out.push_back(std::stoll(it->str()));
  return out;
}

TEST(Tasks, CountdownAnswersSolveThePuzzle) {
  TaskOptions o = task("countdown");
  grpo::rewards::CountdownReward reward;  // reads fields "nums" and "target"
  std::set<double> difficulties;
  for (Split split : {Split::train, Split::test}) {
    for (const Example& e : grpo::generate_task(o, split)) {
      const std::vector<long long> nums = parse_list(e.fields.at("nums"));
      const long long target = std::stoll(e.fields.at("target"));
      ASSERT_GE(nums.size(), 3u) << e.prompt;
      ASSERT_LE(nums.size(), 4u) << e.prompt;
      for (long long n : nums) EXPECT_TRUE(n >= 1 && n <= 99) << e.prompt;
      EXPECT_TRUE(target >= 1 && target <= 999) << e.prompt;
      EXPECT_EQ(grpo::rewards::check_countdown(e.answer, nums, target), grpo::rewards::CountdownVerdict::correct)
          << e.prompt << " answer " << e.answer;
      grpo::rewards::Sample sample{e.prompt, "<answer>" + e.answer + "</answer>", grpo::reward_fields(e)};
      EXPECT_EQ(reward.score(sample), 1.0) << e.answer;
      EXPECT_EQ(e.difficulty, static_cast<double>(nums.size()));
      EXPECT_NE(e.prompt.find(e.fields.at("nums")), std::string::npos);
      EXPECT_EQ(e.task, "countdown");
      difficulties.insert(e.difficulty);
    }
  }
  EXPECT_EQ(difficulties, (std::set<double>{3.0, 4.0}));
}

TEST(Tasks, ArithmeticAnswersAreExact) {
  TaskOptions o = task("arithmetic");
  o.arithmetic.min_digits = 2;
  o.arithmetic.max_digits = 5;
  static const std::regex form("What is (\\d+) ([-+*]) (\\d+)\\?");
  std::set<std::string> ops;
  for (const Example& e : grpo::generate_task(o, Split::train)) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(e.prompt, m, form)) << e.prompt;
    const long long a = std::stoll(m[1]), b = std::stoll(m[3]);
    const std::string op = m[2];
    const long long expected = op == "+" ? a + b : op == "-" ? a - b : a * b;
    EXPECT_EQ(e.answer, std::to_string(expected)) << e.prompt;
    const size_t da = m[1].length(), db = m[3].length();
    EXPECT_TRUE(da >= 2 && da <= 5 && db >= 2 && db <= 5) << e.prompt;
    EXPECT_EQ(e.difficulty, static_cast<double>(da + db));
    ops.insert(op);
  }
  EXPECT_EQ(ops, (std::set<std::string>{"+", "-", "*"}));

  o.arithmetic.operators = {"/"};
  EXPECT_THROW(grpo::generate_task(o, Split::train), grpo::Error);
}

TEST(Tasks, LinearEquationsHaveTheIntegerSolution) {
  TaskOptions o = task("linear_equation");
  o.linear_equation.max_coefficient = 12;
  o.linear_equation.max_solution = 30;
  static const std::regex form("Solve for x: (-?\\d*)x(?: ([-+]) (\\d+))? = (-?\\d+)");
  for (const Example& e : grpo::generate_task(o, Split::train)) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(e.prompt, m, form)) << e.prompt;
    const std::string as = m[1];
    const long long a = as.empty() ? 1 : as == "-" ? -1 : std::stoll(as);
    const long long b = m[2].matched ? (m[2] == "-" ? -1 : 1) * std::stoll(m[3]) : 0;
    const long long c = std::stoll(m[4]);
    ASSERT_NE(a, 0) << e.prompt;
    EXPECT_TRUE(std::llabs(a) <= 12 && std::llabs(b) <= 12) << e.prompt;
    ASSERT_EQ((c - b) % a, 0) << e.prompt;
    const long long x = (c - b) / a;
    EXPECT_EQ(e.answer, std::to_string(x)) << e.prompt;
    EXPECT_LE(std::llabs(x), 30) << e.prompt;
  }
}

TEST(Tasks, TrainAndTestNeverShareAProblem) {
  for (std::string name : {"countdown", "arithmetic", "linear_equation"}) {
    TaskOptions o = task(name, 2000, 300);
    // Small problem spaces so that collisions would be common by chance.
    o.arithmetic.max_digits = 1;
    o.arithmetic.operators = {"+"};  // 100 problems
    o.arithmetic.min_digits = 1;
    o.linear_equation.max_coefficient = 3;
    o.linear_equation.max_solution = 3;  // 6 * 7 * 7 = 294 problems
    o.countdown.max_number = 6;
    o.countdown.max_numbers = 3;
    if (name == "arithmetic") o.test_size = 50;
    if (name == "linear_equation") o.test_size = 200;
    const auto train = prompts(grpo::generate_task(o, Split::train));
    const auto test = prompts(grpo::generate_task(o, Split::test));
    const std::set<std::string> test_set(test.begin(), test.end());
    EXPECT_EQ(test_set.size(), test.size()) << name << ": repeated test problems";
    ASSERT_EQ(train.size(), static_cast<size_t>(o.train_size)) << name;
    for (const std::string& p : train) EXPECT_FALSE(test_set.contains(p)) << name << ": " << p;
  }
}

TEST(Tasks, TooFewDistinctProblemsIsAnError) {
  TaskOptions o = task("arithmetic", 10, 101);
  o.arithmetic.max_digits = 1;
  o.arithmetic.operators = {"+"};
  try {
    grpo::generate_task(o, Split::test);
    FAIL() << "101 distinct one-digit sums do not exist";
  } catch (const grpo::Error& e) {
    EXPECT_NE(e.message().find("found only 100 distinct problems for test_size = 101"), std::string::npos)
        << e.message();
  }
}

TEST(Tasks, SeedDeterminesTheData) {
  for (std::string name : {"countdown", "arithmetic", "linear_equation"}) {
    TaskOptions o = task(name, 200, 50);
    const auto train = grpo::generate_task(o, Split::train);
    const auto again = grpo::generate_task(o, Split::train);
    EXPECT_EQ(prompts(again), prompts(train)) << name;
    for (size_t i = 0; i < train.size(); ++i) {
      EXPECT_EQ(again[i].answer, train[i].answer);
      EXPECT_EQ(again[i].fields, train[i].fields);
      EXPECT_EQ(again[i].id, train[i].id);
    }
    EXPECT_EQ(train[3].id, name + "/train/3");

    TaskOptions other = o;
    other.seed = 1;
    EXPECT_NE(prompts(grpo::generate_task(other, Split::train)), prompts(train)) << name;
    EXPECT_NE(prompts(grpo::generate_task(other, Split::test)), prompts(grpo::generate_task(o, Split::test)))
        << name;

    // A longer train set extends the shorter one; the test set ignores train_size.
    TaskOptions longer = o;
    longer.train_size = 400;
    auto longer_train = prompts(grpo::generate_task(longer, Split::train));
    longer_train.resize(train.size());
    EXPECT_EQ(longer_train, prompts(train)) << name;
    EXPECT_EQ(prompts(grpo::generate_task(longer, Split::test)), prompts(grpo::generate_task(o, Split::test)))
        << name;
  }
}

}  // namespace
