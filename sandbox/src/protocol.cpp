#include "sandbox/protocol.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "libgrpo/error.h"

namespace grpo::sandbox {

using nlohmann::json;

Limits Limits::ceiling() {
  return Limits{.cpu_ms = 120'000, .wall_ms = 300'000, .memory_mb = 8'192, .output_kb = 65'536,
                .processes = 256};
}

namespace {

constexpr size_t kMaxCodeBytes = 1 << 20;   // 1 MiB of source
constexpr size_t kMaxStdinBytes = 16 << 20; // 16 MiB per stdin
constexpr size_t kMaxTests = 1'000;

std::string get_string(const json& obj, const char* key, std::string_view where, size_t max_bytes,
                       bool required) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    GRPO_CHECK(!required, where, key, ": missing (a string is required)");
    return {};
  }
  GRPO_CHECK(it->is_string(), where, key, ": expected a string, got ", it->type_name());
  const auto& s = it->get_ref<const std::string&>();
  GRPO_CHECK(s.size() <= max_bytes, where, key, ": ", s.size(), " bytes is over the limit of ", max_bytes);
  return s;
}

void read_limit(const json& limits, const char* key, int64_t& value, int64_t ceiling) {
  auto it = limits.find(key);
  if (it == limits.end()) return;
  GRPO_CHECK(it->is_number_integer(), "limits.", key, ": expected an integer, got ", it->dump());
  int64_t v = it->get<int64_t>();
  GRPO_CHECK(v >= 1 && v <= ceiling, "limits.", key, ": ", v, " is out of range [1, ", ceiling, "]");
  value = v;
}

void check_known_keys(const json& obj, std::string_view where, std::initializer_list<const char*> known) {
  for (const auto& [key, _] : obj.items()) {
    bool ok = false;
    for (const char* k : known) ok = ok || key == k;
    GRPO_CHECK(ok, where, key, ": unknown field");
  }
}

Test parse_test(const json& t, size_t index) {
  std::string where = fmt::format("tests[{}].", index);
  GRPO_CHECK(t.is_object(), "tests[", index, "]: expected an object");
  check_known_keys(t, where, {"stdin", "expected_stdout", "call", "expected"});
  Test test;
  test.stdin_text = get_string(t, "stdin", where, kMaxStdinBytes, false);
  if (t.contains("expected_stdout"))
    test.expected_stdout = get_string(t, "expected_stdout", where, kMaxStdinBytes, true);
  if (t.contains("call")) test.call = get_string(t, "call", where, kMaxCodeBytes, true);
  if (t.contains("expected")) test.expected = t.at("expected").dump();
  GRPO_CHECK(test.expected_stdout.has_value() != test.call.has_value(), where,
             " a test has either expected_stdout, or call and expected");
  GRPO_CHECK(test.call.has_value() == test.expected.has_value(), where,
             " call and expected go together");
  return test;
}

}  // namespace

RunRequest parse_run_request(std::string_view text) {
  json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  GRPO_CHECK(!body.is_discarded(), "the body is not valid JSON");
  GRPO_CHECK(body.is_object(), "the body must be a JSON object, got ", body.type_name());
  check_known_keys(body, "", {"language", "code", "stdin", "tests", "limits", "compare"});

  RunRequest request;
  request.language = get_string(body, "language", "", 64, true);
  request.code = get_string(body, "code", "", kMaxCodeBytes, true);
  request.stdin_text = get_string(body, "stdin", "", kMaxStdinBytes, false);
  if (auto it = body.find("tests"); it != body.end()) {
    GRPO_CHECK(it->is_array(), "tests: expected a list, got ", it->type_name());
    GRPO_CHECK(it->size() <= kMaxTests, "tests: ", it->size(), " tests is over the limit of ", kMaxTests);
    for (size_t i = 0; i < it->size(); ++i) request.tests.push_back(parse_test((*it)[i], i));
  }
  if (auto it = body.find("compare"); it != body.end()) {
    GRPO_CHECK(it->is_string() && (*it == "whitespace" || *it == "exact"), "compare: expected \"whitespace\" or ",
               "\"exact\", got ", it->dump());
    request.compare = *it == "exact" ? Compare::exact : Compare::whitespace;
  }
  if (auto it = body.find("limits"); it != body.end()) {
    GRPO_CHECK(it->is_object(), "limits: expected an object, got ", it->type_name());
    check_known_keys(*it, "limits.", {"cpu_ms", "wall_ms", "memory_mb", "output_kb", "processes"});
    Limits ceiling = Limits::ceiling();
    read_limit(*it, "cpu_ms", request.limits.cpu_ms, ceiling.cpu_ms);
    read_limit(*it, "wall_ms", request.limits.wall_ms, ceiling.wall_ms);
    read_limit(*it, "memory_mb", request.limits.memory_mb, ceiling.memory_mb);
    read_limit(*it, "output_kb", request.limits.output_kb, ceiling.output_kb);
    read_limit(*it, "processes", request.limits.processes, ceiling.processes);
  }
  return request;
}

std::string to_json(const RunRequest& r) {
  json tests = json::array();
  for (const Test& t : r.tests) {
    json j = {{"stdin", t.stdin_text}};
    if (t.expected_stdout) j["expected_stdout"] = *t.expected_stdout;
    if (t.call) j["call"] = *t.call;
    if (t.expected) j["expected"] = json::parse(*t.expected);
    tests.push_back(std::move(j));
  }
  json limits = {{"cpu_ms", r.limits.cpu_ms},       {"wall_ms", r.limits.wall_ms},
                 {"memory_mb", r.limits.memory_mb}, {"output_kb", r.limits.output_kb},
                 {"processes", r.limits.processes}};
  return json{{"language", r.language}, {"code", r.code}, {"stdin", r.stdin_text},
              {"tests", tests},         {"limits", limits},
              {"compare", r.compare == Compare::exact ? "exact" : "whitespace"}}
      .dump();
}

namespace {

constexpr std::string_view kStatusNames[] = {"ok",           "wrong_answer",  "runtime_error",
                                             "timeout",      "memory_limit",  "output_limit",
                                             "compile_error", "rejected",     "internal_error"};

json execution_json(const Execution& e) {
  return {{"status", to_string(e.status)}, {"exit_code", e.exit_code}, {"signal", e.signal},
          {"stdout", e.stdout_text},       {"stderr", e.stderr_text},  {"cpu_ms", e.cpu_ms},
          {"wall_ms", e.wall_ms},          {"max_rss_kb", e.max_rss_kb}};
}

Execution parse_execution(const json& j) {
  Execution e;
  e.status = parse_run_status(j.at("status").get<std::string>());
  e.exit_code = j.at("exit_code").get<int>();
  e.signal = j.at("signal").get<int>();
  e.stdout_text = j.at("stdout").get<std::string>();
  e.stderr_text = j.at("stderr").get<std::string>();
  e.cpu_ms = j.at("cpu_ms").get<int64_t>();
  e.wall_ms = j.at("wall_ms").get<int64_t>();
  e.max_rss_kb = j.at("max_rss_kb").get<int64_t>();
  return e;
}

}  // namespace

std::string_view to_string(RunStatus status) {
  auto i = static_cast<size_t>(status);
  GRPO_CHECK(i < std::size(kStatusNames), "invalid RunStatus ", i);
  return kStatusNames[i];
}

RunStatus parse_run_status(std::string_view name) {
  for (size_t i = 0; i < std::size(kStatusNames); ++i)
    if (kStatusNames[i] == name) return static_cast<RunStatus>(i);
  GRPO_FAIL("unknown run status '", name, "'");
}

RunResult RunResult::internal_error(std::string message) {
  RunResult r;
  r.status = RunStatus::internal_error;
  r.execution.status = RunStatus::internal_error;
  r.message = std::move(message);
  return r;
}

int64_t RunResult::tests_passed() const {
  int64_t n = 0;
  for (const TestResult& t : tests) n += t.passed ? 1 : 0;
  return n;
}

// The top level is the run's execution with the overall status over it, as
// the service's users expect: {status, exit_code, ..., tests: [...]}.
std::string to_json(const RunResult& r) {
  json body = execution_json(r.execution);
  body["status"] = to_string(r.status);
  json tests = json::array();
  for (const TestResult& t : r.tests) {
    json j = execution_json(t.execution);
    j["passed"] = t.passed;
    j["message"] = t.message;
    tests.push_back(std::move(j));
  }
  body["tests"] = std::move(tests);
  body["tests_passed"] = r.tests_passed();
  body["compile_output"] = r.compile_output;
  if (!r.message.empty()) body["message"] = r.message;
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

RunResult parse_run_result(std::string_view text) {
  json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  GRPO_CHECK(!body.is_discarded() && body.is_object(), "a run result must be a JSON object");
  try {
    RunResult r;
    r.status = parse_run_status(body.at("status").get<std::string>());
    r.execution = parse_execution(body);
    r.compile_output = body.value("compile_output", "");
    r.message = body.value("message", "");
    for (const json& t : body.at("tests")) {
      TestResult test;
      test.execution = parse_execution(t);
      test.passed = t.at("passed").get<bool>();
      test.message = t.value("message", "");
      r.tests.push_back(std::move(test));
    }
    return r;
  } catch (const json::exception& e) {
    GRPO_FAIL("malformed run result: ", e.what());
  }
}

}  // namespace grpo::sandbox
