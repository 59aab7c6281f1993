// Arithmetic chains and their worked solutions: every answer and every step is
// recomputed here from the prompt's text, and every solution's final answer is
// read back by the math reward's own extractor.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>

#include "libgrpo/corpus.h"
#include "libgrpo/error.h"
#include "rewards/math.h"

namespace {

using grpo::SolutionStyle;

grpo::TaskOptions chains(int64_t train_size = 400) {
  grpo::TaskOptions o;
  o.name = "arithmetic";
  o.train_size = train_size;
  o.test_size = 50;
  o.arithmetic.min_digits = 1;
  o.arithmetic.max_digits = 2;
  o.arithmetic.min_operands = 3;
  o.arithmetic.max_operands = 6;
  o.arithmetic.operators = {"+", "-"};
  return o;
}

// Left-to-right value of "7 + 5 - 9", parsed independently of parse_chain.
long long value_of(const std::string& expression) {
  static const std::regex term("([-+]) (\\d+)");
  const size_t first_space = expression.find(' ');
  long long value = std::stoll(expression.substr(0, first_space));
  for (std::sregex_iterator it(expression.begin(), expression.end(), term), end; it != end; ++it)
    value += (*it)[1] == "+" ? std::stoll((*it)[2]) : -std::stoll((*it)[2]);
  return value;
}

// Every "a+b=c." / "a-b=c." step of a text, with whether its arithmetic holds.
std::vector<bool> step_truths(const std::string& text) {
  static const std::regex step("(-?\\d+)([-+])(\\d+)=(-?\\d+)\\.");
  std::vector<bool> out;
  for (std::sregex_iterator it(text.begin(), text.end(), step), end; it != end; ++it) {
    const long long a = std::stoll((*it)[1]), b = std::stoll((*it)[3]), c = std::stoll((*it)[4]);
    out.push_back(((*it)[2] == "+" ? a + b : a - b) == c);
  }
  return out;
}

std::string extracted_answer(const std::string& completion) {
  grpo::rewards::ExtractOptions o;
  o.priority = {grpo::rewards::AnswerSource::answer_tag};
  auto answers = grpo::rewards::extract_answers(completion, o);
  return answers.empty() ? "" : answers.front().text;
}

TEST(Chains, ManyOperandsReadLeftToRight) {
  std::set<size_t> counts;
  for (const grpo::Example& e : grpo::generate_task(chains(), grpo::Split::train)) {
    const std::string& expression = e.fields.at("expression");
    EXPECT_EQ(e.prompt, "What is " + expression + "?");
    EXPECT_EQ(e.answer, std::to_string(value_of(expression))) << expression;
    counts.insert(grpo::parse_chain(expression).operands.size());
  }
  EXPECT_EQ(counts, (std::set<size_t>{3, 4, 5, 6}));
}

TEST(Chains, DistinctOperandsNeverRepeat) {
  grpo::TaskOptions o = chains();
  o.arithmetic.max_digits = 1;
  o.arithmetic.min_operands = o.arithmetic.max_operands = 8;
  o.arithmetic.distinct_operands = true;
  for (const grpo::Example& e : grpo::generate_task(o, grpo::Split::train)) {
    const auto operands = grpo::parse_chain(e.fields.at("expression")).operands;
    EXPECT_EQ(std::set<int64_t>(operands.begin(), operands.end()).size(), 8u) << e.prompt;
  }
  o.arithmetic.min_operands = o.arithmetic.max_operands = 11;  // only 10 one-digit numbers
  EXPECT_THROW(grpo::generate_task(o, grpo::Split::train), grpo::Error);
}

TEST(Chains, TwoOperandProblemsDoNotDependOnTheNewOptions) {
  grpo::TaskOptions two = chains();
  two.arithmetic.min_operands = two.arithmetic.max_operands = 2;
  grpo::TaskOptions old = two;
  old.arithmetic = grpo::ArithmeticTaskOptions{};
  old.arithmetic.min_digits = 1;
  old.arithmetic.max_digits = 2;
  old.arithmetic.operators = {"+", "-"};
  auto a = grpo::generate_task(two, grpo::Split::test);
  auto b = grpo::generate_task(old, grpo::Split::test);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].prompt, b[i].prompt);
}

TEST(Chains, BadOptionsAreErrors) {
  grpo::TaskOptions o = chains();
  o.arithmetic.operators = {"+", "*"};
  EXPECT_THROW(grpo::generate_task(o, grpo::Split::train), grpo::Error);  // * in a chain
  o = chains();
  o.arithmetic.min_operands = 5;
  o.arithmetic.max_operands = 4;
  EXPECT_THROW(grpo::generate_task(o, grpo::Split::train), grpo::Error);
  EXPECT_THROW(grpo::parse_chain("3 * 4"), grpo::Error);
  EXPECT_THROW(grpo::parse_chain("3 +"), grpo::Error);
  EXPECT_THROW(grpo::parse_chain(""), grpo::Error);
}

TEST(Solutions, EachStyleReadsAsDocumented) {
  EXPECT_EQ(grpo::write_solution("7 + 5 + 9 + 3", SolutionStyle::direct, 0),
            " The answer is 24. </think> <answer>24</answer>");
  EXPECT_EQ(grpo::write_solution("7 + 5 + 9 + 3", SolutionStyle::steps, 0),
            " 7+5=12. 12+9=21. 21+3=24. The answer is 24. </think> <answer>24</answer>");
  const std::string guess =
      grpo::write_solution("7 + 5 + 9 + 3", SolutionStyle::reflect, grpo::SlipKind::guess, 3);
  EXPECT_TRUE(guess.ends_with(" Wait, let me recalculate. 7+5=12. 12+9=21. 21+3=24. The answer is 24. "
                              "</think> <answer>24</answer>"))
      << guess;
  EXPECT_TRUE(guess.starts_with(" The answer is ")) << guess;
  EXPECT_FALSE(guess.starts_with(" The answer is 24.")) << guess;
}

// Whatever the seed: direct and steps solutions are right in every step; a reflect
// solution makes exactly one slip before "Wait", carries it on consistently, then
// redoes every step right; the math extractor reads the true answer from each.
TEST(Solutions, SlipsAreWrongOnceAndTheRedoIsRight) {
  std::map<std::string, int> offsets;
  for (const grpo::Example& e : grpo::generate_task(chains(), grpo::Split::train)) {
    const std::string& expression = e.fields.at("expression");
    const size_t steps = grpo::parse_chain(expression).operators.size();
    for (uint64_t seed = 0; seed < 4; ++seed) {
      for (auto kind : {grpo::SlipKind::step, grpo::SlipKind::guess}) {
        for (auto style : {SolutionStyle::direct, SolutionStyle::steps, SolutionStyle::reflect}) {
          const std::string text = grpo::write_solution(expression, style, kind, seed);
          const std::vector<bool> truths = step_truths(text);
          if (style == SolutionStyle::direct) {
            EXPECT_TRUE(truths.empty()) << text;
            // A direct guess is wrong, consistently in the text and the answer tag.
            if (kind == grpo::SlipKind::guess) {
              EXPECT_NE(extracted_answer(text), e.answer) << text;
              EXPECT_TRUE(text.starts_with(" The answer is " + extracted_answer(text) + ".")) << text;
            } else {
              EXPECT_EQ(extracted_answer(text), e.answer) << text;
            }
            continue;
          }
          ASSERT_EQ(extracted_answer(text), e.answer) << text;
          if (style == SolutionStyle::steps) {
            EXPECT_EQ(truths, std::vector<bool>(steps, true)) << text;
            continue;
          }
          const size_t wait = text.find("Wait, let me recalculate.");
          ASSERT_NE(wait, std::string::npos) << text;
          const std::vector<bool> before = step_truths(text.substr(0, wait));
          const std::vector<bool> after = step_truths(text.substr(wait));
          EXPECT_EQ(after, std::vector<bool>(steps, true)) << text;
          static const std::regex said("The answer is (-?\\d+)\\.");
          std::smatch first;
          const std::string head = text.substr(0, wait);
          ASSERT_TRUE(std::regex_search(head, first, said)) << text;
          EXPECT_NE(first[1].str(), e.answer) << "the first attempt must be wrong: " << text;
          if (kind == grpo::SlipKind::guess) {
            EXPECT_TRUE(before.empty()) << text;
          } else {
            EXPECT_EQ(std::count(before.begin(), before.end(), false), 1) << text;
            ++offsets[std::to_string(std::stoll(first[1]) - std::stoll(e.answer))];
          }
        }
      }
    }
  }
  EXPECT_GE(offsets.size(), 4u);  // slips land at several distances
}

TEST(Corpus, FollowsTheStyleMixAndIsReproducible) {
  grpo::CorpusOptions o;
  o.task = chains(2000);
  o.prompt.style = "plain";
  o.prompt.template_text = "User: {prompt} Assistant: <think>";
  o.documents = 3000;
  o.styles = {.direct = 0.5, .steps = 0.3, .reflect = 0.2, .guess_share = 0.5, .direct_accuracy = 0.6};
  const auto corpus = grpo::generate_corpus(o);
  ASSERT_EQ(corpus.size(), 3000u);
  std::map<SolutionStyle, int> count;
  int reflective = 0, right_direct = 0;
  for (const auto& d : corpus) {
    ++count[d.style];
    EXPECT_TRUE(d.prompt.starts_with("User: What is ") && d.prompt.ends_with("? Assistant: <think>")) << d.prompt;
    reflective += d.completion.find("Wait") != std::string::npos;
    if (d.style == SolutionStyle::direct) {
      const std::string expression = d.prompt.substr(14, d.prompt.find('?') - 14);
      right_direct += extracted_answer(d.completion) == std::to_string(value_of(expression));
    }
  }
  EXPECT_NEAR(right_direct / static_cast<double>(count[SolutionStyle::direct]), 0.6, 0.05);
  EXPECT_NEAR(count[SolutionStyle::direct] / 3000.0, 0.5, 0.04);
  EXPECT_NEAR(count[SolutionStyle::steps] / 3000.0, 0.3, 0.04);
  EXPECT_NEAR(count[SolutionStyle::reflect] / 3000.0, 0.2, 0.04);
  EXPECT_EQ(reflective, count[SolutionStyle::reflect]);

  const auto again = grpo::generate_corpus(o);
  for (size_t i = 0; i < corpus.size(); ++i) ASSERT_EQ(corpus[i].completion, again[i].completion);

  // Held-out problems never appear in the corpus.
  std::set<std::string> test_prompts;
  for (const auto& e : grpo::generate_task(o.task, grpo::Split::test)) test_prompts.insert(e.prompt);
  for (const auto& d : corpus) {
    const std::string question = d.prompt.substr(6, d.prompt.find('?') - 5);
    EXPECT_FALSE(test_prompts.contains(question)) << question;
  }

  o.task.name = "countdown";
  EXPECT_THROW(grpo::generate_corpus(o), grpo::Error);
  o = grpo::CorpusOptions{};
  o.task = chains();
  o.styles = {.direct = 0, .steps = 0, .reflect = 0};
  EXPECT_THROW(grpo::generate_corpus(o), grpo::Error);
}

}  // namespace
