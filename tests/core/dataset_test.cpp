// JSONL datasets, the Dataset type and prompt templates.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>

#include "libgrpo/dataset.h"
#include "libgrpo/error.h"
#include "support/expect_error.h"
#include "libgrpo/prompt.h"
#include "libgrpo/tokenizer.h"

namespace {

using grpo::DatasetOptions;
using grpo::Example;
using grpo::Split;


// Writes `text` to a fresh file named `name` in the test's scratch directory.
std::string write_file(const std::string& name, const std::string& text) {
  const std::filesystem::path dir = std::filesystem::path(testing::TempDir()) / "dataset_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

DatasetOptions jsonl(const std::string& path) {
  DatasetOptions o;
  o.path = path;
  return o;
}

std::vector<std::string> ids_of(const std::vector<Example>& examples) {
  std::vector<std::string> ids;
  for (const Example& e : examples) ids.push_back(e.id);
  return ids;
}

// ---------------------------------------------------------------- JSONL

TEST(Jsonl, MapsFieldsAndKeepsOtherValuesAsJsonText) {
  const std::string path = write_file("rows.jsonl",
                                      "{\"prompt\": \"2+2?\", \"answer\": \"4\", \"source\": \"gsm8k\"}\r\n"
                                      "\n"
                                      "{\"prompt\": \"Reach 24\", \"answer\": 24, \"nums\": [3, 5, 7], "
                                      "\"meta\": {\"a\": true}, \"n\": null}\n");
  auto rows = grpo::load_jsonl(jsonl(path), Split::train);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, "1");
  EXPECT_EQ(rows[0].prompt, "2+2?");
  EXPECT_EQ(rows[0].answer, "4");
  EXPECT_EQ(rows[0].task, "rows");
  EXPECT_EQ(rows[0].fields, (std::map<std::string, std::string>{{"source", "gsm8k"}}));
  EXPECT_EQ(rows[1].id, "3");  // the line number, blank line counted
  EXPECT_EQ(rows[1].answer, "24");
  EXPECT_EQ(rows[1].fields,
            (std::map<std::string, std::string>{{"nums", "[3,5,7]"}, {"meta", "{\"a\":true}"}, {"n", "null"}}));
  EXPECT_EQ(grpo::reward_fields(rows[1]).at("answer"), "24");
}

TEST(Jsonl, ConfiguredFieldNames) {
  const std::string path = write_file("named.jsonl",
                                      "{\"question\": \"q1\", \"solution\": \"s1\", \"uid\": \"a\", \"level\": 3}\n"
                                      "{\"question\": \"q2\", \"uid\": 7, \"level\": 1.5}\n");
  DatasetOptions o = jsonl(path);
  o.prompt_field = "question";
  o.answer_field = "";  // no answers; "solution" stays a field
  o.id_field = "uid";
  o.difficulty_field = "level";
  o.task = "mine";
  auto rows = grpo::load_jsonl(o, Split::train);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(ids_of(rows), (std::vector<std::string>{"a", "7"}));
  EXPECT_EQ(rows[0].answer, "");
  EXPECT_EQ(rows[0].fields, (std::map<std::string, std::string>{{"solution", "s1"}}));
  EXPECT_TRUE(rows[1].fields.empty());
  EXPECT_DOUBLE_EQ(rows[0].difficulty, 3.0);
  EXPECT_DOUBLE_EQ(rows[1].difficulty, 1.5);
  EXPECT_EQ(rows[1].task, "mine");
}

TEST(Jsonl, ErrorsNameFileAndLine) {
  const std::string good = "{\"prompt\": \"p\", \"answer\": \"a\"}\n";
  auto load = [](const std::string& path) { return grpo::load_jsonl(jsonl(path), Split::train); };
  EXPECT_ERROR(load(write_file("data.jsonl", good + good + "{\"answer\": \"a\"}\n")),
               "data.jsonl:3: missing field 'prompt'");
  EXPECT_ERROR(load(write_file("data.jsonl", good + "{\"prompt\": \"p\"}\n")),
               "data.jsonl:2: missing field 'answer'");
  EXPECT_ERROR(load(write_file("data.jsonl", good + "{\"prompt\": \"p\", \n")), "data.jsonl:2: not valid JSON");
  EXPECT_ERROR(load(write_file("data.jsonl", "[1, 2]\n")), "data.jsonl:1: expected a JSON object, got array");
  EXPECT_ERROR(load(write_file("data.jsonl", "{\"prompt\": 5, \"answer\": \"a\"}\n")),
               "data.jsonl:1: field 'prompt' is a number, expected a string");
  EXPECT_ERROR(load(write_file("data.jsonl", "{\"prompt\": \"p\", \"answer\": [1]}\n")),
               "data.jsonl:1: field 'answer' is a array");
  EXPECT_ERROR(load(write_file("empty.jsonl", "")), "empty.jsonl: no examples (the file is empty)");
  EXPECT_ERROR(load(write_file("blank.jsonl", "\n  \n")), "blank.jsonl: no examples");
  EXPECT_ERROR(load("/nonexistent/dir/data.jsonl"), "/nonexistent/dir/data.jsonl: cannot open file");

  DatasetOptions dup = jsonl(write_file("dup.jsonl", "{\"id\": 1, \"prompt\": \"p\", \"answer\": \"a\"}\n"
                                                     "{\"id\": 1, \"prompt\": \"q\", \"answer\": \"b\"}\n"));
  dup.id_field = "id";
  EXPECT_ERROR(grpo::load_jsonl(dup, Split::train), "dup.jsonl:2: duplicate id '1'");
}

std::string numbered_rows(const std::vector<int>& ids) {
  std::string text;
  for (int i : ids)
    text += "{\"id\": \"row" + std::to_string(i) + "\", \"prompt\": \"p" + std::to_string(i) +
            "\", \"answer\": \"" + std::to_string(i) + "\"}\n";
  return text;
}

TEST(Jsonl, TestSplitIsDeterministicDisjointAndFollowsTheId) {
  std::vector<int> order(1000);
  std::iota(order.begin(), order.end(), 0);
  DatasetOptions o = jsonl(write_file("split.jsonl", numbered_rows(order)));
  o.id_field = "id";
  o.test_fraction = 0.2;
  auto train = grpo::load_jsonl(o, Split::train);
  auto test = grpo::load_jsonl(o, Split::test);
  EXPECT_EQ(train.size() + test.size(), 1000u);
  EXPECT_GT(test.size(), 150u);
  EXPECT_LT(test.size(), 250u);
  const auto train_list = ids_of(train);
  const std::set<std::string> train_ids(train_list.begin(), train_list.end());
  for (const Example& e : test) EXPECT_FALSE(train_ids.contains(e.id)) << e.id;
  EXPECT_EQ(ids_of(grpo::load_jsonl(o, Split::test)), ids_of(test));

  // The same rows in another order: each row keeps its split.
  std::reverse(order.begin(), order.end());
  DatasetOptions reversed = o;
  reversed.path = write_file("split_reversed.jsonl", numbered_rows(order));
  auto test_ids = ids_of(test);
  auto reversed_ids = ids_of(grpo::load_jsonl(reversed, Split::test));
  std::sort(test_ids.begin(), test_ids.end());
  std::sort(reversed_ids.begin(), reversed_ids.end());
  EXPECT_EQ(reversed_ids, test_ids);

  o.test_fraction = 0.0;
  EXPECT_TRUE(grpo::load_jsonl(o, Split::test).empty());
  EXPECT_EQ(grpo::load_jsonl(o, Split::train).size(), 1000u);
}

TEST(Jsonl, ShuffleAndLimit) {
  std::vector<int> order(100);
  std::iota(order.begin(), order.end(), 0);
  DatasetOptions o = jsonl(write_file("shuffle.jsonl", numbered_rows(order)));
  o.limit = 5;
  EXPECT_EQ(ids_of(grpo::load_jsonl(o, Split::train)), (std::vector<std::string>{"1", "2", "3", "4", "5"}));
  o.shuffle = true;
  auto a = ids_of(grpo::load_jsonl(o, Split::train));
  EXPECT_EQ(a.size(), 5u);
  EXPECT_EQ(ids_of(grpo::load_jsonl(o, Split::train)), a);
  EXPECT_NE(a, (std::vector<std::string>{"1", "2", "3", "4", "5"}));
  o.seed = 1;
  EXPECT_NE(ids_of(grpo::load_jsonl(o, Split::train)), a);
}

// ---------------------------------------------------------------- Dataset

TEST(Dataset, OrderIsASeededPermutationPerEpoch) {
  std::vector<Example> examples(50);
  for (size_t i = 0; i < examples.size(); ++i) examples[i].id = std::to_string(i);
  grpo::Dataset data("toy", examples);
  ASSERT_EQ(data.size(), 50u);
  EXPECT_EQ(data.at(7).id, "7");
  EXPECT_ERROR(data.at(50), "index 50 out of range (size 50)");

  auto order = data.order(0, 1);
  auto sorted = order;
  std::sort(sorted.begin(), sorted.end());
  std::vector<size_t> identity(50);
  std::iota(identity.begin(), identity.end(), size_t{0});
  EXPECT_EQ(sorted, identity);
  EXPECT_NE(order, identity);
  EXPECT_EQ(data.order(0, 1), order);
  EXPECT_NE(data.order(1, 1), order);
  EXPECT_NE(data.order(0, 2), order);
  EXPECT_TRUE(grpo::Dataset().order(3, 1).empty());
}

TEST(Dataset, MakeDatasetFromYaml) {
  const std::string path = write_file("make.jsonl", numbered_rows({0, 1, 2, 3}));
  auto options = grpo::config::parse_yaml<grpo::DataOptions>(
      "source: jsonl\njsonl:\n  path: " + path + "\n  limit: 3\n", "data.yaml");
  grpo::Dataset data = grpo::make_dataset(options, Split::train);
  EXPECT_EQ(data.size(), 3u);
  EXPECT_EQ(data.at(0).prompt, "p0");

  options = grpo::config::parse_yaml<grpo::DataOptions>(
      "task:\n  name: arithmetic\n  train_size: 20\n  test_size: 5\n  arithmetic: {max_digits: 2}\n", "data.yaml");
  EXPECT_EQ(grpo::make_dataset(options, Split::train).size(), 20u);
  EXPECT_EQ(grpo::make_dataset(options, Split::test).size(), 5u);
  EXPECT_EQ(grpo::make_dataset(options, Split::test).at(0).task, "arithmetic");

  EXPECT_ERROR(grpo::config::parse_yaml<grpo::DataOptions>("task: {name: sudoku}\n", "data.yaml"), "task.name");
  EXPECT_ERROR(grpo::config::parse_yaml<grpo::DataOptions>("jsonl: {prompt: x}\n", "data.yaml"), "jsonl.prompt");
  EXPECT_ERROR(grpo::config::parse_yaml<grpo::DataOptions>("jsonl: {test_fraction: 1.5}\n", "data.yaml"),
               "jsonl.test_fraction");
}

// ---------------------------------------------------------------- prompts

Example question() {
  Example e;
  e.id = "q1";
  e.prompt = "What is 2 + 3?";
  e.answer = "5";
  e.task = "arithmetic";
  e.fields = {{"nums", "[2, 3]"}, {"target", "5"}};
  return e;
}

TEST(Prompt, R1TemplateWordForWord) {
  grpo::PromptTemplate t;  // style r1 by default
  EXPECT_EQ(grpo::render_prompt(t, question(), nullptr),
            "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. "
            "The assistant first thinks about the reasoning process in the mind and then provides the user with "
            "the answer. The reasoning process and answer are enclosed within <think> </think> and <answer> "
            "</answer> tags, respectively, i.e., <think> reasoning process here </think> <answer> answer here "
            "</answer>. User: What is 2 + 3?. Assistant:");
}

TEST(Prompt, PlainTemplateSubstitutesFields) {
  grpo::PromptTemplate t;
  t.style = "plain";
  t.template_text = "Using the numbers {nums}, make {target}. {{braces}} [{id}/{task}]";
  EXPECT_EQ(grpo::render_prompt(t, question(), nullptr), "Using the numbers [2, 3], make 5. {braces} [q1/arithmetic]");
  t.template_text = "{prompt}";
  EXPECT_EQ(grpo::render_prompt(t, question(), nullptr), "What is 2 + 3?");
  t.template_text = "{missing}";
  EXPECT_ERROR(grpo::render_prompt(t, question(), nullptr), "has no field 'missing'");
  t.template_text = "{prompt";
  EXPECT_ERROR(grpo::render_prompt(t, question(), nullptr), "is not closed");
  t.template_text = "a } b";
  EXPECT_ERROR(grpo::render_prompt(t, question(), nullptr), "unmatched '}'");
}

TEST(Prompt, ChatStylesUseTheTokenizersTemplate) {
  grpo::PromptTemplate t;
  t.style = "chat";
  EXPECT_ERROR(grpo::render_prompt(t, question(), nullptr), "needs a tokenizer");

  auto tok = grpo::Tokenizer::load(std::string(LIBGRPO_TEST_DATA) + "/tokenizers/qwen3");
  EXPECT_EQ(grpo::render_prompt(t, question(), tok),
            "<|im_start|>user\nWhat is 2 + 3?<|im_end|>\n<|im_start|>assistant\n");
  t.system_prompt = "Be brief.";
  EXPECT_EQ(grpo::render_prompt(t, question(), tok),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is 2 + 3?<|im_end|>\n"
            "<|im_start|>assistant\n");
  t.style = "r1_chat";
  EXPECT_EQ(grpo::render_prompt(t, question(), tok),
            "<|im_start|>system\n" + std::string(grpo::kR1Instructions) +
                "<|im_end|>\n<|im_start|>user\nWhat is 2 + 3?<|im_end|>\n<|im_start|>assistant\n");
}

}  // namespace
