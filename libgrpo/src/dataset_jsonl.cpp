// JSONL datasets: one JSON object per line, mapped onto Example by field name.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "dataset_random.h"
#include "libgrpo/dataset.h"
#include "libgrpo/error.h"

namespace grpo {
namespace {

using nlohmann::json;

// A JSON value as a field string: strings as they are, anything else as its JSON text.
std::string field_text(const json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// Example for one parsed row; `where` is "path:line" for error messages.
Example to_example(const json& row, const DatasetOptions& o, const std::string& where, int64_t line,
                   const std::string& task) {
  GRPO_CHECK(row.is_object(), where, ": expected a JSON object, got ", row.type_name());
  Example ex;
  ex.task = task;

  auto prompt = row.find(o.prompt_field);
  GRPO_CHECK(prompt != row.end(), where, ": missing field '", o.prompt_field, "'");
  GRPO_CHECK(prompt->is_string(), where, ": field '", o.prompt_field, "' is a ", prompt->type_name(),
             ", expected a string");
  ex.prompt = prompt->get<std::string>();

  if (!o.answer_field.empty()) {
    auto answer = row.find(o.answer_field);
    GRPO_CHECK(answer != row.end(), where, ": missing field '", o.answer_field,
               "' (set answer_field: \"\" for rows without an answer)");
    GRPO_CHECK(answer->is_string() || answer->is_number(), where, ": field '", o.answer_field, "' is a ",
               answer->type_name(), ", expected a string or a number");
    ex.answer = field_text(*answer);
  }

  if (o.id_field.empty()) {
    ex.id = std::to_string(line);
  } else {
    auto id = row.find(o.id_field);
    GRPO_CHECK(id != row.end(), where, ": missing field '", o.id_field, "'");
    GRPO_CHECK(id->is_string() || id->is_number_integer(), where, ": field '", o.id_field, "' is a ",
               id->type_name(), ", expected a string or an integer");
    ex.id = field_text(*id);
  }

  if (!o.difficulty_field.empty()) {
    auto difficulty = row.find(o.difficulty_field);
    GRPO_CHECK(difficulty != row.end(), where, ": missing field '", o.difficulty_field, "'");
    GRPO_CHECK(difficulty->is_number(), where, ": field '", o.difficulty_field, "' is a ",
               difficulty->type_name(), ", expected a number");
    ex.difficulty = difficulty->get<double>();
  }

  for (const auto& [key, value] : row.items()) {
    if (key == o.prompt_field || key == o.answer_field || key == o.id_field || key == o.difficulty_field)
      continue;
    ex.fields[key] = field_text(value);
  }
  return ex;
}

// True when the row with this id belongs to the test split.
bool in_test_split(const std::string& id, double test_fraction) {
  return static_cast<double>(data::stable_hash(id) >> 11) * 0x1.0p-53 < test_fraction;
}

}  // namespace

std::vector<Example> load_jsonl(const DatasetOptions& o, Split split) {
  GRPO_CHECK(!o.path.empty(), "data.jsonl.path is not set");
  std::ifstream in(o.path, std::ios::binary);
  GRPO_CHECK(in.good(), o.path, ": cannot open file");
  const std::string task = o.task.empty() ? std::filesystem::path(o.path).stem().string() : o.task;

  std::vector<Example> examples;
  std::set<std::string> ids;
  std::string text;
  int64_t line = 0;
  int64_t rows = 0;
  while (std::getline(in, text)) {
    ++line;
    if (line == 1 && text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);  // UTF-8 byte order mark
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c); })) continue;
    const std::string where = o.path + ":" + std::to_string(line);
    json row = json::parse(text, nullptr, /*allow_exceptions=*/false);
    GRPO_CHECK(!row.is_discarded(), where, ": not valid JSON: ", text.substr(0, 80));
    Example ex = to_example(row, o, where, line, task);
    ++rows;
    GRPO_CHECK(ids.insert(ex.id).second, where, ": duplicate id '", ex.id, "' in field '", o.id_field, "'");
    if (in_test_split(ex.id, o.test_fraction) == (split == Split::test)) examples.push_back(std::move(ex));
  }
  GRPO_CHECK(!in.bad(), o.path, ": read error");
  GRPO_CHECK(rows > 0, o.path, ": no examples (the file is empty)");

  if (o.shuffle) {
    data::SplitMix64 rng{data::stable_hash("jsonl shuffle"), static_cast<uint64_t>(o.seed)};
    rng.shuffle(examples);
  }
  if (o.limit > 0 && examples.size() > static_cast<size_t>(o.limit)) examples.resize(static_cast<size_t>(o.limit));
  return examples;
}

}  // namespace grpo
