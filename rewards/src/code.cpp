#include "rewards/code.h"

#include <cctype>
#include <cmath>
#include <future>

#include <nlohmann/json.hpp>

#include "libgrpo/error.h"

namespace grpo::rewards {
namespace {

bool language_matches(std::string_view tag, std::string_view language) {
  if (tag.empty()) return true;
  if (language == "python") return tag == "python" || tag == "py" || tag == "python3";
  if (language == "cpp") return tag == "cpp" || tag == "c++" || tag == "cc" || tag == "cxx";
  return tag == language;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<std::string> extract_code(std::string_view text, std::string_view language) {
  std::optional<std::string> found;
  size_t pos = 0;
  // Fences open at the start of a line with ``` and an optional tag, and
  // close at the next line that is ``` alone.
  while ((pos = text.find("```", pos)) != std::string_view::npos) {
    if (pos > 0 && text[pos - 1] != '\n') {
      pos += 3;
      continue;
    }
    size_t line_end = text.find('\n', pos);
    if (line_end == std::string_view::npos) break;
    std::string tag = lower(trim(text.substr(pos + 3, line_end - pos - 3)));
    size_t body = line_end + 1, close = body;
    for (;;) {
      close = text.find("```", close);
      if (close == std::string_view::npos || close == body || text[close - 1] == '\n') break;
      close += 3;
    }
    if (close == std::string_view::npos) break;  // an unclosed fence is an unfinished answer
    if (language_matches(tag, language)) found = std::string(text.substr(body, close - body));
    size_t after = text.find('\n', close);
    pos = after == std::string_view::npos ? text.size() : after + 1;
  }
  return found;
}

CodeReward::CodeReward(CodeRewardOptions options)
    : options_(std::move(options)), client_(std::make_shared<sandbox::Client>(options_.client)) {}

double CodeReward::score(const Sample& sample) const { return score_batch({&sample}, ScoreBudget{})[0]; }

double CodeReward::score_within(const Sample& sample, const ScoreBudget& budget) const {
  return score_batch({&sample}, budget)[0];
}

std::vector<double> CodeReward::score_batch(const std::vector<const Sample*>& samples,
                                            const ScoreBudget& budget) const {
  std::vector<double> scores(samples.size(), 0.0);
  std::vector<std::pair<size_t, std::future<sandbox::RunResult>>> pending;
  for (size_t i = 0; i < samples.size(); ++i) {
    const Sample& s = *samples[i];
    auto tests = s.fields.find("tests");
    GRPO_CHECK(tests != s.fields.end(), "code reward: the sample has no 'tests' field");
    auto lang = s.fields.find("language");
    std::string language = lang != s.fields.end() ? lang->second : options_.default_language;
    std::optional<std::string> code = extract_code(s.completion, language);
    if (!code) continue;  // no program: 0
    nlohmann::json body = {{"language", language}, {"code", *code},
                           {"tests", nlohmann::json::parse(tests->second, nullptr, false)}};
    GRPO_CHECK(!body["tests"].is_discarded(), "code reward: the 'tests' field is not valid JSON");
    sandbox::RunRequest request = sandbox::parse_run_request(body.dump());
    GRPO_CHECK(!request.tests.empty(), "code reward: the 'tests' field lists no tests");
    request.limits = options_.limits;
    request.compare = options_.compare;
    pending.emplace_back(i, client_->submit(std::move(request)));
  }
  for (auto& [i, future] : pending) {
    if (future.wait_until(budget.deadline) != std::future_status::ready || budget.cancelled())
      throw ScoreTimeout("code reward: the sandbox did not answer within the budget");
    sandbox::RunResult r = future.get();
    if (r.status == sandbox::RunStatus::internal_error) {
      scores[i] = std::nan("");
      continue;
    }
    double total = static_cast<double>(r.tests.size());
    double passed = static_cast<double>(r.tests_passed());
    scores[i] = options_.scoring == CodeScoring::fraction ? (total > 0 ? passed / total : 0.0)
                                                          : (total > 0 && passed == total ? 1.0 : 0.0);
  }
  return scores;
}

}  // namespace grpo::rewards
