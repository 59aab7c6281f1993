#include <gtest/gtest.h>

#include "libgrpo/error.h"
#include "sandbox/protocol.h"

namespace {

using grpo::sandbox::parse_run_request;

std::string error_of(const std::string& body) {
  try {
    parse_run_request(body);
  } catch (const grpo::Error& e) {
    return e.message();
  }
  return "(no error)";
}

TEST(SandboxProtocol, ParsesAFullRequestAndRoundTrips) {
  auto r = parse_run_request(R"json({"language": "python", "code": "print(input())", "stdin": "hi",
    "tests": [{"stdin": "1", "expected_stdout": "1\n"}, {"call": "f(2)", "expected": [1, {"a": 2}]}],
    "limits": {"cpu_ms": 500, "memory_mb": 64}})json");
  EXPECT_EQ(r.language, "python");
  EXPECT_EQ(r.stdin_text, "hi");
  ASSERT_EQ(r.tests.size(), 2u);
  EXPECT_EQ(*r.tests[0].expected_stdout, "1\n");
  EXPECT_EQ(*r.tests[1].call, "f(2)");
  EXPECT_EQ(*r.tests[1].expected, R"([1,{"a":2}])");
  EXPECT_EQ(r.limits.cpu_ms, 500);
  EXPECT_EQ(r.limits.memory_mb, 64);
  EXPECT_EQ(r.limits.wall_ms, grpo::sandbox::Limits{}.wall_ms);

  auto back = parse_run_request(grpo::sandbox::to_json(r));
  EXPECT_EQ(grpo::sandbox::to_json(back), grpo::sandbox::to_json(r));
}

TEST(SandboxProtocol, BadInputIsNamed) {
  EXPECT_EQ(error_of("{"), "the body is not valid JSON");
  EXPECT_EQ(error_of("[1]"), "the body must be a JSON object, got array");
  EXPECT_EQ(error_of(R"({"code": "x"})"), "language: missing (a string is required)");
  EXPECT_EQ(error_of(R"({"language": 3, "code": "x"})"), "language: expected a string, got number");
  EXPECT_EQ(error_of(R"({"language": "python", "code": "x", "limits": {"cpu_ms": -5}})"),
            "limits.cpu_ms: -5 is out of range [1, 120000]");
  EXPECT_EQ(error_of(R"({"language": "python", "code": "x", "limits": {"memory_mb": 1e12}})"),
            "limits.memory_mb: expected an integer, got 1000000000000.0");
  EXPECT_EQ(error_of(R"({"language": "python", "code": "x", "limits": {"disk": 1}})"),
            "limits.disk: unknown field");
  EXPECT_EQ(error_of(R"({"language": "python", "code": "x", "tests": [{"stdin": "1"}]})"),
            "tests[0]. a test has either expected_stdout, or call and expected");
  EXPECT_EQ(error_of(R"({"language": "python", "code": "x", "extra": 1})"), "extra: unknown field");
}

TEST(SandboxProtocol, OversizedCodeIsRejected) {
  std::string big(2 << 20, 'x');
  EXPECT_EQ(error_of(R"({"language": "python", "code": ")" + big + "\"}"),
            "code: 2097152 bytes is over the limit of 1048576");
}

}  // namespace
