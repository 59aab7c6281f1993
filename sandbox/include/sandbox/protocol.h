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

struct RunRequest {
  std::string language;      // "python" or "cpp"
  std::string code;
  std::string stdin_text;
  std::vector<Test> tests;
  Limits limits;
};

// Parses and validates a request body. Throws grpo::Error with a message fit
// for a 400 response: which field, what was wrong, what is allowed.
RunRequest parse_run_request(std::string_view json);

// Serialises a request; parse_run_request(to_json(r)) == r.
std::string to_json(const RunRequest& request);

}  // namespace grpo::sandbox
