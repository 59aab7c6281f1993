// Runner: compile once, run per test, judge outside the jail.
#include "sandbox/runner.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "jail.h"
#include "judge.h"
#include "libgrpo/error.h"

namespace grpo::sandbox {
namespace {

namespace fs = std::filesystem;

// Host paths every language's runtime needs, bound read-only.
const std::vector<std::string> kBinds = {"/usr", "/bin", "/lib", "/lib64", "/lib32", "/libx32", "/sbin",
                                         "/etc/ld.so.cache", "/etc/alternatives"};
const std::vector<std::string> kEnv = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/sandbox", "TMPDIR=/tmp",
                                       "LANG=C.UTF-8", "PYTHONIOENCODING=utf-8"};
constexpr const char* kCallFile = ".call";
constexpr const char* kHarnessFile = ".harness.py";
constexpr const char* kResultFile = ".result.json";

bool executable(const std::string& path) { return !path.empty() && ::access(path.c_str(), X_OK) == 0; }

std::string find_exec(const std::string& configured) {
  if (!configured.empty()) {
    GRPO_CHECK(executable(configured), "the jail launcher ", configured, " is not an executable file");
    return configured;
  }
  if (const char* env = std::getenv("GRPO_SANDBOX_EXEC"); env && *env) {
    GRPO_CHECK(executable(env), "GRPO_SANDBOX_EXEC=", env, " is not an executable file");
    return env;
  }
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  std::vector<std::string> candidates;
  if (!ec) candidates.push_back(self.parent_path() / "grpo-sandbox-exec");
#ifdef GRPO_SANDBOX_EXEC_INSTALLED
  candidates.push_back(GRPO_SANDBOX_EXEC_INSTALLED);
#endif
#ifdef GRPO_SANDBOX_EXEC_BUILT
  candidates.push_back(GRPO_SANDBOX_EXEC_BUILT);
#endif
  for (const std::string& c : candidates)
    if (executable(c)) return c;
  GRPO_FAIL("cannot find the jail launcher grpo-sandbox-exec (looked next to this program and in the install ",
            "and build trees); set RunnerOptions::exec_path or GRPO_SANDBOX_EXEC");
}

const Language* find_language(const std::string& name) {
  for (const Language& l : languages())
    if (l.name == name) return &l;
  return nullptr;
}

bool contains(const std::string& s, std::string_view what) { return s.find(what) != std::string::npos; }

// The verdict of one execution from what the jail reported. Order matters:
// the limit that stopped a program explains the crash it caused.
RunStatus classify(const jail::Outcome& o, const Limits& limits) {
  const jail::Report& r = o.report;
  if (!r.error.empty()) return RunStatus::internal_error;
  if (o.output_overflow) return RunStatus::output_limit;  // we stopped it (as a cancel)
  if (r.cancelled) return RunStatus::internal_error;
  if (r.wall_timeout || r.signal == SIGXCPU || r.cpu_ms > limits.cpu_ms) return RunStatus::timeout;
  bool failed = r.signal != 0 || r.exit_code != 0;
  // Allocation failures under RLIMIT_AS surface as the runtime's own errors
  // (Python, the C++ runtime, GCC itself).
  auto out_of_memory = [&] {
    for (const char* marker : {"MemoryError", "std::bad_alloc", "virtual memory exhausted"})
      if (contains(o.stderr_text, marker)) return true;
    return false;
  };
  if (r.oom || (failed && out_of_memory())) return RunStatus::memory_limit;
  if (r.signal == SIGSYS) return RunStatus::rejected;
  return failed ? RunStatus::runtime_error : RunStatus::ok;
}

std::string describe_failure(const Execution& e) {
  switch (e.status) {
    case RunStatus::runtime_error:
      return e.signal ? "killed by signal " + std::to_string(e.signal) : "exit code " + std::to_string(e.exit_code);
    case RunStatus::timeout: return "over the time limit";
    case RunStatus::memory_limit: return "over the memory limit";
    case RunStatus::output_limit: return "over the output limit";
    case RunStatus::rejected: return "stopped for a forbidden system call";
    default: return std::string(to_string(e.status));
  }
}

}  // namespace

struct Runner::Program {
  std::vector<jail::File> files;
};

Runner::Runner(RunnerOptions options) : options_(std::move(options)), exec_path_(find_exec(options_.exec_path)) {}

void Runner::check(const RunRequest& request) const {
  const Language* lang = find_language(request.language);
  if (!lang) {
    std::string known;
    for (const Language& l : languages()) known += (known.empty() ? "" : ", ") + l.name;
    GRPO_FAIL("language: unknown language '", request.language, "' (known: ", known, ")");
  }
  for (size_t i = 0; i < request.tests.size(); ++i)
    GRPO_CHECK(!request.tests[i].call || !lang->call_harness.empty(), "tests[", i, "].call: ", lang->name,
               " has no call tests; give stdin and expected_stdout");
}

Execution Runner::execute(const Program& program, const std::vector<std::string>& argv,
                          const std::string& stdin_text, const Limits& limits,
                          const std::vector<std::string>& collect, std::map<std::string, std::string>* collected,
                          std::stop_token stop) const {
  jail::Spec spec{.argv = argv,
                  .env = kEnv,
                  .files = program.files,
                  .collect = collect,
                  .cpu_ms = limits.cpu_ms,
                  .wall_ms = limits.wall_ms,
                  .memory_mb = limits.memory_mb,
                  .processes = limits.processes,
                  .file_mb = options_.file_mb,
                  .work_dir_mb = options_.work_dir_mb,
                  .open_files = options_.open_files,
                  .use_cgroups = options_.use_cgroups,
                  .binds = kBinds};
  jail::Outcome o = jail::run(exec_path_, spec, stdin_text, limits.output_kb * 1024, stop);
  Execution e;
  e.status = classify(o, limits);
  e.exit_code = o.report.exit_code;
  e.signal = o.report.signal;
  e.stdout_text = std::move(o.stdout_text);
  e.stderr_text = std::move(o.stderr_text);
  if (!o.report.error.empty()) e.stderr_text = "sandbox: " + o.report.error;
  if (o.report.cancelled && !o.output_overflow) e.stderr_text = "sandbox: the run was cancelled";
  e.cpu_ms = o.report.cpu_ms;
  e.wall_ms = o.report.wall_ms;
  e.max_rss_kb = o.report.max_rss_kb;
  if (collected) *collected = std::move(o.report.files);
  return e;
}

RunResult Runner::run(const RunRequest& request, std::stop_token stop) {
  RunResult result;
  try {
    check(request);
    const Language& lang = *find_language(request.language);
    Program program{{{lang.source_file, request.code, 0644}}};

    // ---------------------------------------------------------- compile
    if (!lang.compile.empty()) {
      std::map<std::string, std::string> built;
      Execution e = execute(program, lang.compile, "", options_.compile_limits, {lang.artifact}, &built, stop);
      if (e.status != RunStatus::ok || !built.count(lang.artifact)) {
        result.status = e.status == RunStatus::internal_error ? RunStatus::internal_error : RunStatus::compile_error;
        result.compile_output = e.stderr_text + e.stdout_text;
        if (e.status != RunStatus::ok && e.status != RunStatus::runtime_error)
          result.compile_output += "\n(the compiler was stopped: " + describe_failure(e) + ")";
        result.execution = std::move(e);
        result.execution.status = result.status;
        return result;
      }
      result.compile_output = e.stderr_text;
      program.files = {{lang.artifact, built.at(lang.artifact), 0755}};
    }

    // ---------------------------------------------------------- run
    if (request.tests.empty()) {
      result.execution = execute(program, lang.run, request.stdin_text, request.limits, {}, nullptr, stop);
      result.status = result.execution.status;
      return result;
    }
    for (const Test& test : request.tests) {
      TestResult t;
      if (test.call) {
        Program with_call = program;
        with_call.files.push_back({kCallFile, *test.call, 0644});
        with_call.files.push_back({kHarnessFile, lang.call_harness, 0644});
        std::vector<std::string> argv = lang.run;
        argv.back() = kHarnessFile;
        std::map<std::string, std::string> files;
        t.execution = execute(with_call, argv, test.stdin_text, request.limits, {kResultFile}, &files, stop);
        if (t.execution.status == RunStatus::ok) {
          auto it = files.find(kResultFile);
          t.passed = it != files.end() && result_matches(it->second, *test.expected, t.message);
          if (it == files.end()) t.message = "no result: the program ended before the call returned";
        }
      } else {
        t.execution = execute(program, lang.run, test.stdin_text, request.limits, {}, nullptr, stop);
        if (t.execution.status == RunStatus::ok)
          t.passed = stdout_matches(t.execution.stdout_text, *test.expected_stdout, request.compare, t.message);
      }
      if (t.execution.status == RunStatus::ok && !t.passed) t.execution.status = RunStatus::wrong_answer;
      if (t.execution.status != RunStatus::ok && t.message.empty()) t.message = describe_failure(t.execution);
      result.tests.push_back(std::move(t));
      if (stop.stop_requested()) break;
    }
    const TestResult* shown = &result.tests.back();
    for (const TestResult& t : result.tests)
      if (!t.passed) {
        shown = &t;
        break;
      }
    result.execution = shown->execution;
    result.status = shown->execution.status;
  } catch (const std::exception& e) {
    result.status = RunStatus::internal_error;
    result.message = e.what();
  }
  if (stop.stop_requested() && result.status != RunStatus::internal_error) {
    result.status = RunStatus::internal_error;
    result.message = "the run was cancelled";
  }
  return result;
}

}  // namespace grpo::sandbox
