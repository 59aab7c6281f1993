// Running a request: compile once, run once per test inside a jail
// (jail.h), judge the results here, outside the untrusted process.
#pragma once

#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "sandbox/protocol.h"

namespace grpo::sandbox {

// Anything that turns a request into a result: the real Runner below, or a
// stand-in in tests of the server. Implementations are thread-safe.
class Executor {
 public:
  virtual ~Executor() = default;
  // Throws grpo::Error (a 400 for the server) for a request this executor
  // cannot run: an unknown language, a call test in a language without calls.
  virtual void check(const RunRequest& request) const = 0;
  // Runs a checked request. `stop` cancels it: its processes are killed and
  // the result is internal_error. Never throws for anything the program does.
  virtual RunResult run(const RunRequest& request, std::stop_token stop) = 0;
};

// A language is one table entry: how its source is named, compiled and run.
struct Language {
  std::string name;                       // "python", "cpp"
  std::string source_file;                // "main.py"
  std::vector<std::string> compile;       // argv of the compiler; empty: interpreted
  std::vector<std::string> run;           // argv of a run
  std::string call_harness;               // source of the call-test driver; empty: no call tests
};
const std::vector<Language>& languages();

struct RunnerOptions {
  // The jail launcher, grpo-sandbox-exec. Empty: $GRPO_SANDBOX_EXEC, else
  // next to the running program, else the installed libexec copy.
  std::string exec_path;
  // Limits of the compiler, whatever the request asks for its program.
  Limits compile_limits{.cpu_ms = 20'000, .wall_ms = 30'000, .memory_mb = 1'024, .output_kb = 64,
                        .processes = 32};
  // Use cgroup memory/pids limits where the host lets us create cgroups.
  bool use_cgroups = true;
};

class Runner : public Executor {
 public:
  explicit Runner(RunnerOptions options = {});
  void check(const RunRequest& request) const override;
  RunResult run(const RunRequest& request, std::stop_token stop) override;

 private:
  RunnerOptions options_;
};

}  // namespace grpo::sandbox
