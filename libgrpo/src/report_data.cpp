// The run report's inputs: a run directory's metrics.jsonl, samples.jsonl and
// recipe.yaml (report.h).
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

#include <nlohmann/json.hpp>

#include "libgrpo/error.h"
#include "libgrpo/metrics_log.h"
#include "libgrpo/report.h"

namespace grpo {
namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  GRPO_CHECK(in, "cannot open ", path, ": ", std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  GRPO_CHECK(!in.bad(), "cannot read ", path);
  return buffer.str();
}

// A text field of a sample line: absent or null reads as "", a number as written.
std::string text_field(const nlohmann::json& line, const char* key, const fs::path& path, size_t number) {
  auto it = line.find(key);
  if (it == line.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  GRPO_CHECK(it->is_number(), path, " line ", number, ": \"", key, "\" must be a string, not ", it->type_name());
  return it->dump();
}

ReportSample parse_sample(const nlohmann::json& line, const fs::path& path, size_t number) {
  ReportSample sample;
  auto step = line.find("step");
  GRPO_CHECK(step != line.end() && step->is_number_integer(), path, " line ", number,
             ": expected an integer \"step\"");
  sample.step = step->get<int64_t>();
  if (auto split = text_field(line, "split", path, number); !split.empty()) sample.split = split;
  sample.prompt = text_field(line, "prompt", path, number);
  sample.completion = text_field(line, "completion", path, number);
  sample.answer = text_field(line, "answer", path, number);
  sample.reward = std::nan("");
  if (auto reward = line.find("reward"); reward != line.end() && !reward->is_null()) {
    GRPO_CHECK(reward->is_number(), path, " line ", number, ": \"reward\" must be a number or null, not ",
               reward->type_name());
    sample.reward = reward->get<double>();
  }
  if (auto correct = line.find("correct"); correct != line.end() && !correct->is_null()) {
    GRPO_CHECK(correct->is_boolean(), path, " line ", number, ": \"correct\" must be true or false, not ",
               correct->type_name());
    sample.correct = correct->get<bool>();
  }
  return sample;
}

}  // namespace

std::vector<ReportSample> read_samples_jsonl(const fs::path& path) {
  const std::string data = read_text(path);
  std::vector<ReportSample> samples;
  size_t begin = 0, number = 0;
  while (begin < data.size()) {
    ++number;
    size_t end = data.find('\n', begin);
    bool torn = end == std::string::npos;  // a line still being written
    std::string_view text(data.data() + begin, (torn ? data.size() : end) - begin);
    begin = torn ? data.size() : end + 1;
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    nlohmann::json line = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (torn && !line.is_object()) break;
    GRPO_CHECK(line.is_object(), path, " line ", number, " is not a JSON object: ", text.substr(0, 200));
    samples.push_back(parse_sample(line, path, number));
  }
  return samples;
}

RunData read_run_dir(const fs::path& dir, std::string label) {
  GRPO_CHECK(fs::is_directory(dir), dir, ": no such run directory");
  fs::path metrics = dir / "metrics.jsonl";
  GRPO_CHECK(fs::exists(metrics), metrics, ": no such file (a run directory holds the trainer's metrics.jsonl)");
  RunData run;
  run.dir = dir;
  run.label = std::move(label);
  if (run.label.empty()) {
    // "runs/a/" names its last non-empty component, "." the current directory's.
    fs::path name = fs::weakly_canonical(dir).filename();
    run.label = name.empty() ? dir.string() : name.string();
  }
  run.metrics = read_metrics_jsonl(metrics);
  if (fs::exists(dir / "samples.jsonl")) run.samples = read_samples_jsonl(dir / "samples.jsonl");
  if (fs::exists(dir / "recipe.yaml")) run.recipe = read_text(dir / "recipe.yaml");
  return run;
}

void write_report(const std::vector<RunData>& runs, const fs::path& out, const ReportOptions& options) {
  const std::string html = render_report(runs, options);
  fs::path temp = out;
  temp += ".tmp";
  {
    std::ofstream file(temp, std::ios::binary | std::ios::trunc);
    GRPO_CHECK(file, "cannot create ", temp, ": ", std::strerror(errno));
    file.write(html.data(), static_cast<std::streamsize>(html.size()));
    file.close();
    if (!file) {
      std::error_code ignored;
      fs::remove(temp, ignored);
      GRPO_FAIL("cannot write ", temp, ": ", std::strerror(errno));
    }
  }
  std::error_code ec;
  fs::rename(temp, out, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    GRPO_FAIL("cannot rename ", temp, " to ", out, ": ", ec.message());
  }
}

}  // namespace grpo
