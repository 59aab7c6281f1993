// Datasets: the prompts a GRPO run trains and evaluates on, read from a JSONL
// file or generated procedurally (countdown, arithmetic, linear equations).
//
//   grpo::DataOptions data;                      // the `data:` section of a recipe
//   data.source = "task";
//   data.task.name = "countdown";
//   grpo::Dataset train = grpo::make_dataset(data, grpo::Split::train);
//   grpo::Dataset test = grpo::make_dataset(data, grpo::Split::test);
//   for (size_t i : train.order(epoch, seed)) use(train.at(i));
//
// Everything here is deterministic: the same options give the same examples in
// the same order on every machine, and the train and test splits never share
// an example. No torch in this header or its sources.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "libgrpo/config.h"

namespace grpo {

// One training or evaluation row.
struct Example {
  std::string id;      // unique within its dataset: the JSONL id field, the line number, or "countdown/test/17"
  std::string prompt;  // the question alone; render_prompt() (prompt.h) wraps it for the model
  std::string answer;  // a reference answer ("" when the dataset has none)
  // Everything else the rewards read (rewards::Sample::fields): countdown's
  // "nums" ("[3, 5, 7]") and "target" ("24"), a code task's tests, ... Values
  // that were not JSON strings keep their JSON text.
  std::map<std::string, std::string> fields;
  std::string task;         // where it came from: the task name, or the JSONL options' `task`
  double difficulty = 0.0;  // task-specific: operand count, digit count, ...
};

// The fields a reward sees for `example`: its fields plus "answer" (what
// rewards::MathReward reads by default) when the example has an answer.
std::map<std::string, std::string> reward_fields(const Example& example);

enum class Split { train, test };

// ---------------------------------------------------------------------------
// JSONL files: one JSON object per line; blank lines are skipped.
// ---------------------------------------------------------------------------
struct DatasetOptions {
  std::string path;                    // the .jsonl file
  std::string prompt_field = "prompt";  // must be a string
  std::string answer_field = "answer";  // string or number; "" when the rows have no answer
  std::string id_field;                 // "" -> the 1-based line number is the id
  std::string difficulty_field;         // "" -> difficulty 0; otherwise a number
  std::string task;                     // Example::task of every row; "" -> the file's stem
  // Rows whose id hashes below test_fraction form the test split, the rest
  // the train split. The hash (FNV-1a, then splitmix64) is of the id, so a
  // row stays in its split when rows are added, removed or reordered.
  double test_fraction = 0.0;
  bool shuffle = false;  // shuffle the split's rows (with `seed`) before `limit`
  int64_t seed = 0;
  int64_t limit = 0;  // keep the first `limit` rows of the split; 0 keeps all
};

void describe(config::Visitor& v, DatasetOptions& o);

// The rows of `split`. Throws grpo::Error for a missing file (naming the
// path), an empty file, or a bad row ("data.jsonl:17: missing field 'prompt'").
std::vector<Example> load_jsonl(const DatasetOptions& options, Split split);

// ---------------------------------------------------------------------------
// Procedural tasks. Example i of a split is drawn by a counter-based
// generator (splitmix64) seeded by (task, seed, split, i, attempt). The test
// split is made first, of distinct prompts; a train draw whose prompt is in the
// test split is redrawn with the next attempt, so the splits never overlap.
// The test split does not depend on train_size; the train split may hold
// repeats when the task admits few problems.
// ---------------------------------------------------------------------------

// "Using the numbers [19, 36, 55, 7], create an equation that equals 65 ...":
// the target is the value of a random expression over all the numbers, so every
// problem is solvable; answer = that expression. fields: "nums", "target" (the
// keys rewards::CountdownReward reads by default). difficulty = count of numbers.
struct CountdownTaskOptions {
  int64_t min_numbers = 3;
  int64_t max_numbers = 4;
  int64_t max_number = 99;   // numbers are drawn from [1, max_number]
  int64_t max_target = 999;  // targets lie in [1, max_target]
};

// "What is 4821 + 377?" or, with more operands, "What is 7 + 5 - 9 + 3?":
// answer = the exact integer (a chain of + and - is read left to right).
// fields: "expression" ("7 + 5 - 9 + 3"). difficulty = the digits of all
// operands together.
struct ArithmeticTaskOptions {
  int64_t min_digits = 1;  // each operand has between min_digits and max_digits digits
  int64_t max_digits = 4;
  int64_t min_operands = 2;  // operands per problem; more than 2 allows only + and -
  int64_t max_operands = 2;
  // No operand repeats within a problem: a step-by-step solution can then find "the
  // operand after the one just used" in the question without ambiguity.
  bool distinct_operands = false;
  std::vector<std::string> operators = {"+", "-", "*"};
};

// "Solve for x: 3x - 7 = 11": a x + b = c with an integer solution; answer = x.
// difficulty = the digits of the largest of |a|, |b|, |c|.
struct LinearEquationTaskOptions {
  int64_t max_coefficient = 10;  // a in [-max, max] \ {0}, b in [-max, max]
  int64_t max_solution = 20;     // x in [-max, max]
};

struct TaskOptions {
  std::string name = "countdown";  // countdown | arithmetic | linear_equation
  int64_t seed = 0;
  int64_t train_size = 10000;
  int64_t test_size = 500;
  CountdownTaskOptions countdown;
  ArithmeticTaskOptions arithmetic;
  LinearEquationTaskOptions linear_equation;
};

void describe(config::Visitor& v, CountdownTaskOptions& o);
void describe(config::Visitor& v, ArithmeticTaskOptions& o);
void describe(config::Visitor& v, LinearEquationTaskOptions& o);
void describe(config::Visitor& v, TaskOptions& o);

// The examples of `split`. Throws grpo::Error when the task's parameters admit
// too few distinct problems for test_size (or for a train set beside it).
std::vector<Example> generate_task(const TaskOptions& options, Split split);

// ---------------------------------------------------------------------------
// Datasets
// ---------------------------------------------------------------------------
struct DataOptions {
  std::string source = "task";  // "jsonl" reads `jsonl`; "task" generates `task`
  DatasetOptions jsonl;
  TaskOptions task;
};

void describe(config::Visitor& v, DataOptions& o);

class Dataset {
 public:
  Dataset() = default;
  Dataset(std::string name, std::vector<Example> examples);

  const std::string& name() const { return name_; }
  size_t size() const { return examples_.size(); }
  bool empty() const { return examples_.empty(); }
  // Throws grpo::Error when i >= size().
  const Example& at(size_t i) const;
  const std::vector<Example>& examples() const { return examples_; }

  // A permutation of [0, size()) for this epoch: the same (epoch, seed)
  // always gives the same order, and different epochs give different ones.
  std::vector<size_t> order(int64_t epoch, int64_t seed) const;

 private:
  std::string name_;
  std::vector<Example> examples_;
};

// The `split` of the dataset that `options` describes.
Dataset make_dataset(const DataOptions& options, Split split);

}  // namespace grpo
