// Running a request: compile once, run once per test inside a jail
// (jail.h), judge the results here, outside the untrusted process.
#pragma once

#include <map>
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
  std::string artifact;                   // what the compiler writes, carried into each run
  std::vector<std::string> run;           // argv of a run
  // Source of the call-test driver; empty: no call tests. A call test runs
  // `run` with its last argument (the source file) replaced by the driver.
  std::string call_harness;
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
  int64_t work_dir_mb = 64;   // tmpfs of each run's work dir (and /tmp)
  int64_t file_mb = 16;       // largest file a program may write
  int64_t open_files = 64;
};

class Runner : public Executor {
 public:
  explicit Runner(RunnerOptions options = {});
  void check(const RunRequest& request) const override;
  RunResult run(const RunRequest& request, std::stop_token stop) override;
  const std::string& exec_path() const { return exec_path_; }

 private:
  struct Program;
  Execution execute(const Program& program, const std::vector<std::string>& argv, const std::string& stdin_text,
                    const Limits& limits, const std::vector<std::string>& collect,
                    std::map<std::string, std::string>* collected, std::stop_token stop) const;

  RunnerOptions options_;
  std::string exec_path_;
};

}  // namespace grpo::sandbox
