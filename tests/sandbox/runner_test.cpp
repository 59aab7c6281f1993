// Runner end to end: real jails, real python3 and g++.
#include <gtest/gtest.h>

#include <thread>

#include "libgrpo/error.h"
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

namespace {

TEST(SandboxRunner, StdoutTestsPassAndFail) {
  auto r = run("python", "a, b = map(int, input().split())\nprint(a + b)",
               {io("1 2\n", "3\n"), io("2 2", "  4  "), io("5 5", "11")});
  ASSERT_EQ(r.tests.size(), 3u);
  EXPECT_TRUE(r.tests[0].passed);
  EXPECT_TRUE(r.tests[1].passed);  // whitespace-tolerant by default
  EXPECT_FALSE(r.tests[2].passed);
  EXPECT_EQ(to_string(r.tests[2].execution.status), "wrong_answer");
  EXPECT_NE(r.tests[2].message.find("expected \"11\", got \"10\""), std::string::npos) << r.tests[2].message;
  EXPECT_EQ(to_string(r.status), "wrong_answer");
  EXPECT_EQ(r.tests_passed(), 2);
}

TEST(SandboxRunner, ExactComparisonSeesWhitespace) {
  static Runner runner;
  RunRequest req{.language = "python", .code = "print(4)", .tests = {io("", "4"), io("", "4\n")},
                 .compare = Compare::exact};
  auto r = runner.run(req, {});
  EXPECT_FALSE(r.tests[0].passed);
  EXPECT_TRUE(r.tests[1].passed);
}

TEST(SandboxRunner, CallTestsCompareJsonOutside) {
  auto r = run("python", "def f(a, b):\n    return {'sum': a + b, 'items': [a, b / 2]}\n",
               {call("f(2, 3)", R"({"items": [2, 1.5], "sum": 5})"), call("f(1, 1)", R"({"sum": 3, "items": [1, 0.5]})"),
                call("f(2, 2)", R"({"sum": 4.0, "items": [2.0, 1]})")});
  ASSERT_EQ(r.tests.size(), 3u);
  EXPECT_TRUE(r.tests[0].passed) << r.tests[0].message << r.tests[0].execution.stderr_text;
  EXPECT_FALSE(r.tests[1].passed);
  EXPECT_NE(r.tests[1].message.find("at .sum: expected 3, got 2"), std::string::npos) << r.tests[1].message;
  EXPECT_TRUE(r.tests[2].passed) << r.tests[2].message;  // 4 == 4.0
}

TEST(SandboxRunner, CppCompilesOnceAndRuns) {
  auto r = run("cpp", "#include <iostream>\nint main(){long a,b;std::cin>>a>>b;std::cout<<a*b<<\"\\n\";}",
               {io("6 7", "42"), io("-3 3", "-9")});
  EXPECT_EQ(to_string(r.status), "ok") << r.compile_output << r.message;
  EXPECT_EQ(r.tests_passed(), 2);
}

TEST(SandboxRunner, CppCompileErrorCarriesDiagnostics) {
  auto r = run("cpp", "int main() { return undefined_name; }", {io("", "")});
  EXPECT_EQ(to_string(r.status), "compile_error");
  EXPECT_NE(r.compile_output.find("undefined_name"), std::string::npos) << r.compile_output;
  EXPECT_TRUE(r.tests.empty());
}

TEST(SandboxRunner, VerdictsForEachLimit) {
  Limits tight{.cpu_ms = 1000, .wall_ms = 2000, .memory_mb = 128, .output_kb = 16, .processes = 8};
  EXPECT_EQ(to_string(run("python", "while True: pass", {}, tight).status), "timeout");
  EXPECT_EQ(to_string(run("python", "import time; time.sleep(30)", {}, tight).status), "timeout");
  EXPECT_EQ(to_string(run("python", "x = bytearray(1 << 30)", {}, tight).status), "memory_limit");
  auto out = run("python", "print('x' * 100000)", {}, tight);
  EXPECT_EQ(to_string(out.status), "output_limit");
  EXPECT_EQ(out.execution.stdout_text.size(), 16u * 1024);
  auto err = run("python", "raise SystemExit(3)", {}, tight);
  EXPECT_EQ(to_string(err.status), "runtime_error");
  EXPECT_EQ(err.execution.exit_code, 3);
  auto crash = run("cpp", "int main() { volatile int* p = nullptr; return *p; }", {}, tight);
  EXPECT_EQ(to_string(crash.status), "runtime_error");
  EXPECT_EQ(crash.execution.signal, 11);
}

TEST(SandboxRunner, UnknownLanguageAndCallTestsInCppAreRefused) {
  Runner runner;
  EXPECT_THROW(runner.check({.language = "cobol", .code = "x"}), grpo::Error);
  EXPECT_THROW(runner.check({.language = "cpp", .code = "x", .tests = {call("f()", "1")}}), grpo::Error);
  auto r = runner.run({.language = "cobol", .code = "x"}, {});
  EXPECT_EQ(to_string(r.status), "internal_error");
  EXPECT_NE(r.message.find("unknown language 'cobol'"), std::string::npos);
}

TEST(SandboxRunner, StopTokenCancels) {
  Runner runner;
  std::stop_source stop;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop.request_stop();
  });
  auto start = std::chrono::steady_clock::now();
  auto r = runner.run({.language = "python", .code = "import time; time.sleep(10)"}, stop.get_token());
  canceller.join();
  EXPECT_EQ(to_string(r.status), "internal_error");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

}  // namespace
