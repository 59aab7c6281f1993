#include "libgrpo/dataset.h"

#include <numeric>
#include <utility>

#include "dataset_random.h"
#include "libgrpo/error.h"

namespace grpo {

std::map<std::string, std::string> reward_fields(const Example& example) {
  std::map<std::string, std::string> fields = example.fields;
  if (!example.answer.empty()) fields["answer"] = example.answer;
  return fields;
}

void describe(config::Visitor& v, DatasetOptions& o) {
  using config::Range;
  v.field("path", o.path);
  v.field("prompt_field", o.prompt_field);
  v.field("answer_field", o.answer_field);
  v.field("id_field", o.id_field);
  v.field("difficulty_field", o.difficulty_field);
  v.field("task", o.task);
  v.field("test_fraction", o.test_fraction, Range<double>::closed(0.0, 1.0));
  v.field("shuffle", o.shuffle);
  v.field("seed", o.seed, Range<int64_t>::at_least(0));
  v.field("limit", o.limit, Range<int64_t>::at_least(0));
}

void describe(config::Visitor& v, CountdownTaskOptions& o) {
  using config::Range;
  v.field("min_numbers", o.min_numbers, Range<int64_t>::closed(2, 8));
  v.field("max_numbers", o.max_numbers, Range<int64_t>::closed(2, 8));
  v.field("max_number", o.max_number, Range<int64_t>::closed(2, 10000));
  v.field("max_target", o.max_target, Range<int64_t>::closed(1, 1000000));
}

void describe(config::Visitor& v, ArithmeticTaskOptions& o) {
  using config::Range;
  // 9 digits keep a product of two operands inside int64.
  v.field("min_digits", o.min_digits, Range<int64_t>::closed(1, 9));
  v.field("max_digits", o.max_digits, Range<int64_t>::closed(1, 9));
  v.field("min_operands", o.min_operands, Range<int64_t>::closed(2, 64));
  v.field("max_operands", o.max_operands, Range<int64_t>::closed(2, 64));
  v.field("distinct_operands", o.distinct_operands);
  v.field("operators", o.operators);
}

void describe(config::Visitor& v, LinearEquationTaskOptions& o) {
  using config::Range;
  v.field("max_coefficient", o.max_coefficient, Range<int64_t>::closed(1, 1000000));
  v.field("max_solution", o.max_solution, Range<int64_t>::closed(0, 1000000));
}

void describe(config::Visitor& v, TaskOptions& o) {
  using config::Range;
  v.choice("name", o.name, {"countdown", "arithmetic", "linear_equation"});
  v.field("seed", o.seed, Range<int64_t>::at_least(0));
  v.field("train_size", o.train_size, Range<int64_t>::at_least(0));
  v.field("test_size", o.test_size, Range<int64_t>::at_least(0));
  v.section("countdown", o.countdown);
  v.section("arithmetic", o.arithmetic);
  v.section("linear_equation", o.linear_equation);
}

void describe(config::Visitor& v, DataOptions& o) {
  v.choice("source", o.source, {"jsonl", "task"});
  v.section("jsonl", o.jsonl);
  v.section("task", o.task);
}

Dataset::Dataset(std::string name, std::vector<Example> examples)
    : name_(std::move(name)), examples_(std::move(examples)) {}

const Example& Dataset::at(size_t i) const {
  GRPO_CHECK(i < examples_.size(), "dataset '", name_, "': index ", i, " out of range (size ", examples_.size(),
             ")");
  return examples_[i];
}

std::vector<size_t> Dataset::order(int64_t epoch, int64_t seed) const {
  std::vector<size_t> order(examples_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  // A tag keeps the epoch stream apart from the task generators' streams.
  data::SplitMix64 rng{data::stable_hash("epoch order"), static_cast<uint64_t>(seed),
                       static_cast<uint64_t>(epoch)};
  rng.shuffle(order);
  return order;
}

Dataset make_dataset(const DataOptions& options, Split split) {
  const char* split_name = split == Split::train ? "train" : "test";
  if (options.source == "jsonl")
    return Dataset(options.jsonl.path + ":" + split_name, load_jsonl(options.jsonl, split));
  GRPO_CHECK(options.source == "task", "data.source is '", options.source, "', expected 'jsonl' or 'task'");
  return Dataset(options.task.name + ":" + split_name, generate_task(options.task, split));
}

}  // namespace grpo
