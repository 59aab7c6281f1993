// Runner end to end: real jails, real python3 and g++.
#include <gtest/gtest.h>

#include "sandbox/runner.h"

namespace {

using namespace grpo::sandbox;

RunResult run(const std::string& language, const std::string& code, std::vector<Test> tests = {},
              Limits limits = {}, std::string stdin_text = "") {
  static Runner runner;
  RunRequest r{.language = language, .code = code, .stdin_text = stdin_text, .tests = std::move(tests),
               .limits = limits};
  return runner.run(r, {});
}

Test io(std::string in, std::string out) { return Test{.stdin_text = in, .expected_stdout = out}; }
Test call(std::string c, std::string expected) { return Test{.call = c, .expected = expected}; }

TEST(SandboxRunner, PythonRunsOnStdin) {
  auto r = run("python", "import sys\nprint(sys.stdin.read().upper(), end='')", {}, {}, "hello");
  EXPECT_EQ(to_string(r.status), "ok") << r.execution.stderr_text << r.message;
  EXPECT_EQ(r.execution.stdout_text, "HELLO");
  EXPECT_EQ(r.execution.exit_code, 0);
  EXPECT_GT(r.execution.max_rss_kb, 1000);
}

}  // namespace
