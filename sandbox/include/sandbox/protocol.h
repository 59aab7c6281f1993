// The code-execution service's wire format: what a client asks
// (POST /v1/run, a JSON body) and what it gets back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grpo::sandbox {

// Resource limits of one run. Every field has a ceiling (Limits::ceiling())
// that a request cannot exceed.
struct Limits {
  int64_t cpu_ms = 10'000;      // CPU time of the program, all its processes
  int64_t wall_ms = 20'000;     // wall clock, from start to kill
  int64_t memory_mb = 512;      // address space / cgroup memory
  int64_t output_kb = 1'024;    // stdout and stderr, each; truncated beyond
  int64_t processes = 16;       // processes and threads at once

  static Limits ceiling();
};

// A test: stdin and the stdout expected from it, or a call whose result
// (serialised to JSON inside the sandbox) must equal `expected` (JSON text).
struct Test {
  std::string stdin_text;
  std::optional<std::string> expected_stdout;
  std::optional<std::string> call;
  std::optional<std::string> expected;  // JSON text, compared structurally
};

// How a test's stdout is compared with expected_stdout.
enum class Compare {
  whitespace,  // the same whitespace-separated tokens (the default)
  exact,       // the same bytes
};

struct RunRequest {
  std::string language;      // "python" or "cpp"
  std::string code;
  std::string stdin_text;
  std::vector<Test> tests;
  Limits limits;
  Compare compare = Compare::whitespace;  // "compare": "whitespace" | "exact"
};

// Parses and validates a request body. Throws grpo::Error with a message fit
// for a 400 response: which field, what was wrong, what is allowed.
RunRequest parse_run_request(std::string_view json);

// Serialises a request; parse_run_request(to_json(r)) == r.
std::string to_json(const RunRequest& request);

// The verdict of a run, or of one test.
enum class RunStatus {
  ok,              // exited 0 (and, for a test, produced the expected output)
  wrong_answer,    // exited 0 with the wrong output or result
  runtime_error,   // non-zero exit or a fatal signal
  timeout,         // over its CPU or wall-clock limit
  memory_limit,    // over its memory limit
  output_limit,    // stdout or stderr over output_kb
  compile_error,   // the compiler rejected the code (or ran over its own limits)
  rejected,        // stopped for a forbidden operation (a denied system call)
  internal_error,  // the service failed, not the program
};
std::string_view to_string(RunStatus status);
// Throws grpo::Error on an unknown name.
RunStatus parse_run_status(std::string_view name);

// What one execution did (the run itself, or one test).
struct Execution {
  RunStatus status = RunStatus::internal_error;
  int exit_code = -1;        // -1 when killed by a signal
  int signal = 0;            // the fatal signal, 0 when none
  std::string stdout_text;   // truncated to limits.output_kb
  std::string stderr_text;   // truncated to limits.output_kb
  int64_t cpu_ms = 0;
  int64_t wall_ms = 0;
  int64_t max_rss_kb = 0;
};

struct TestResult {
  Execution execution;
  bool passed = false;
  std::string message;  // why it failed, for a person ("expected 7, got 8")
};

// Without tests the program runs once, on `stdin`; with tests it runs once per
// test and `execution` repeats the first failing test's (the last test's when
// all pass). A compile error skips the runs: `execution` is the compiler's.
struct RunResult {
  // compile_error; else the first failing test's status; else ok when every
  // test passed; without tests, the run's own status.
  RunStatus status = RunStatus::internal_error;
  Execution execution;
  std::vector<TestResult> tests;
  std::string compile_output;  // compiler diagnostics, truncated
  std::string message;         // internal_error: what failed, for the operator

  int64_t tests_passed() const;
  // A result for a run the service could not do, with the reason.
  static RunResult internal_error(std::string message);
};

// Wire form of a result; parse_run_result(to_json(r)) == r.
std::string to_json(const RunResult& result);
RunResult parse_run_result(std::string_view json);

}  // namespace grpo::sandbox
