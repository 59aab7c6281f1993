// Worked solutions and the pretraining corpus (corpus.h).
#include "libgrpo/corpus.h"

#include <cctype>
#include <string_view>

#include "dataset_random.h"
#include "libgrpo/error.h"

namespace grpo {

using data::SplitMix64;

namespace {

std::string replace_all(std::string text, std::string_view key, const std::string& value) {
  for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size()))
    text.replace(at, key.size(), value);
  return text;
}

std::string conclude(const SolutionOptions& o, int64_t answer) {
  return replace_all(o.conclusion, "{answer}", std::to_string(answer));
}

// " 7+5=12. 12+9=21." with the running value of step `slip_at` moved by `offset`
// (no slip when slip_at < 0). Returns the text and sets `result` to the value the
// steps end on.
std::string write_steps(const Chain& chain, int64_t slip_at, int64_t offset, int64_t& result) {
  std::string text;
  int64_t value = chain.operands[0];
  for (size_t i = 0; i + 1 < chain.operands.size(); ++i) {
    const int64_t x = chain.operands[i + 1];
    int64_t next = chain.operators[i] == '+' ? value + x : value - x;
    // A slip that would cross zero goes the other way: "1+1=-8" is no slip anyone makes.
    if (static_cast<int64_t>(i) == slip_at) next += (next >= 0) == (next + offset >= 0) ? offset : -offset;
    text += " " + std::to_string(value) + chain.operators[i] + std::to_string(x) + "=" + std::to_string(next) + ".";
    value = next;
  }
  result = value;
  return text;
}

int64_t evaluate(const Chain& chain) {
  int64_t value = chain.operands[0];
  for (size_t i = 0; i < chain.operators.size(); ++i)
    value += chain.operators[i] == '+' ? chain.operands[i + 1] : -chain.operands[i + 1];
  return value;
}

// How far a slip lands from the truth: the near misses people make.
int64_t slip_offset(SplitMix64& rng) {
  static constexpr int64_t kOffsets[] = {1, 1, 2, 3, 10};
  const int64_t magnitude = kOffsets[rng.uniform(0, 4)];
  return rng.uniform(0, 1) ? magnitude : -magnitude;
}

}  // namespace

void describe(config::Visitor& v, SolutionOptions& o) {
  v.field("reflection", o.reflection);
  v.field("conclusion", o.conclusion);
  v.field("closing", o.closing);
}

void describe(config::Visitor& v, StyleMix& o) {
  using config::Range;
  v.field("direct", o.direct, Range<double>::at_least(0));
  v.field("steps", o.steps, Range<double>::at_least(0));
  v.field("reflect", o.reflect, Range<double>::at_least(0));
  v.field("guess_share", o.guess_share, Range<double>::closed(0, 1));
  v.field("direct_accuracy", o.direct_accuracy, Range<double>::closed(0, 1));
}

void describe(config::Visitor& v, CorpusOptions& o) {
  v.section("task", o.task);
  v.section("prompt", o.prompt);
  v.field("documents", o.documents, config::Range<int64_t>::at_least(1));
  v.section("styles", o.styles);
  v.section("solution", o.solution);
}

const char* style_name(SolutionStyle style) {
  switch (style) {
    case SolutionStyle::direct: return "direct";
    case SolutionStyle::steps: return "steps";
    case SolutionStyle::reflect: return "reflect";
  }
  return "?";
}

Chain parse_chain(const std::string& expression) {
  Chain chain;
  size_t i = 0;
  auto skip_spaces = [&] {
    while (i < expression.size() && expression[i] == ' ') ++i;
  };
  auto read_number = [&] {
    skip_spaces();
    GRPO_CHECK(i < expression.size() && std::isdigit(static_cast<unsigned char>(expression[i])),
               "expression '", expression, "': expected a number at position ", i);
    int64_t value = 0;
    for (; i < expression.size() && std::isdigit(static_cast<unsigned char>(expression[i])); ++i) {
      GRPO_CHECK(value < 100'000'000'000'000LL, "expression '", expression, "': number too large");
      value = value * 10 + (expression[i] - '0');
    }
    chain.operands.push_back(value);
  };
  read_number();
  for (skip_spaces(); i < expression.size(); skip_spaces()) {
    const char op = expression[i++];
    GRPO_CHECK(op == '+' || op == '-', "expression '", expression, "': '", std::string(1, op),
               "' is not + or - (worked solutions cover chains of + and -)");
    chain.operators.push_back(op);
    read_number();
  }
  return chain;
}

std::string write_solution(const std::string& expression, SolutionStyle style, SlipKind slip, uint64_t seed,
                           const SolutionOptions& o) {
  const Chain chain = parse_chain(expression);
  const int64_t answer = evaluate(chain);
  const std::string closing = replace_all(o.closing, "{answer}", std::to_string(answer));
  int64_t result = 0;
  const std::string steps = write_steps(chain, -1, 0, result);
  SplitMix64 rng{seed, 0x51e9};
  // A wrong answer near the right one, on the same side of zero.
  auto near_miss = [&] {
    const int64_t offset = slip_offset(rng);
    return (answer >= 0) == (answer + offset >= 0) ? answer + offset : answer - offset;
  };
  if (style == SolutionStyle::direct) {
    if (slip != SlipKind::guess) return " " + conclude(o, answer) + closing;
    const int64_t guess = near_miss();
    return " " + conclude(o, guess) + replace_all(o.closing, "{answer}", std::to_string(guess));
  }
  if (style == SolutionStyle::steps) return steps + " " + conclude(o, answer) + closing;

  std::string first;
  if (slip == SlipKind::guess || chain.operators.empty()) {
    first = " " + conclude(o, near_miss());
  } else {
    const auto at = rng.uniform(0, static_cast<int64_t>(chain.operators.size()) - 1);
    int64_t wrong = 0;
    first = write_steps(chain, at, slip_offset(rng), wrong);
    first += " " + conclude(o, wrong);
  }
  return first + " " + o.reflection + steps + " " + conclude(o, answer) + closing;
}

std::string write_solution(const std::string& expression, SolutionStyle style, uint64_t seed,
                           const SolutionOptions& o) {
  return write_solution(expression, style, SlipKind::step, seed, o);
}

std::vector<CorpusDocument> generate_corpus(const CorpusOptions& o) {
  const StyleMix& mix = o.styles;
  const double total = mix.direct + mix.steps + mix.reflect;
  GRPO_CHECK(total > 0, "corpus.styles: the direct, steps and reflect weights are all zero");
  GRPO_CHECK(o.task.name == "arithmetic", "corpus.task.name is '", o.task.name,
             "'; worked solutions exist for the arithmetic task only");
  TaskOptions task = o.task;
  task.train_size = std::min<int64_t>(task.train_size, o.documents);
  const std::vector<Example> problems = generate_task(task, Split::train);
  GRPO_CHECK(!problems.empty(), "corpus.task.train_size is 0: no problems to write solutions for");

  std::vector<CorpusDocument> corpus;
  corpus.reserve(static_cast<size_t>(o.documents));
  for (int64_t i = 0; i < o.documents; ++i) {
    const Example& e = problems[static_cast<size_t>(i) % problems.size()];
    SplitMix64 rng{data::stable_hash("corpus"), static_cast<uint64_t>(o.task.seed), static_cast<uint64_t>(i)};
    const double u = rng.unit() * total;
    const SolutionStyle style = u < mix.direct              ? SolutionStyle::direct
                                : u < mix.direct + mix.steps ? SolutionStyle::steps
                                                             : SolutionStyle::reflect;
    const double v = rng.unit();
    const SlipKind slip = style == SolutionStyle::direct ? (v < mix.direct_accuracy ? SlipKind::step : SlipKind::guess)
                          : v < mix.guess_share         ? SlipKind::guess
                                                        : SlipKind::step;
    auto field = e.fields.find("expression");
    GRPO_CHECK(field != e.fields.end(), "example '", e.id, "' has no 'expression' field");
    corpus.push_back({render_prompt(o.prompt, e, nullptr), write_solution(field->second, style, slip, rng.next(), o.solution),
                      style});
  }
  return corpus;
}

}  // namespace grpo
