#include <gtest/gtest.h>

#include "libgrpo/error.h"

namespace {

int checked_divide(int a, int b) {
  GRPO_CHECK(b != 0, "cannot divide ", a, " by ", b);
  return a / b;
}

TEST(Error, CheckCarriesValuesFileAndLine) {
  EXPECT_EQ(checked_divide(6, 3), 2);
  try {
    checked_divide(7, 0);
    FAIL() << "expected grpo::Error";
  } catch (const grpo::Error& e) {
    EXPECT_EQ(e.message(), "cannot divide 7 by 0");
    EXPECT_STREQ(e.file(), "tests/core/error_test.cpp");
    EXPECT_GT(e.line(), 0);
    EXPECT_NE(std::string(e.what()).find("cannot divide 7 by 0 [tests/core/error_test.cpp:"),
              std::string::npos)
        << e.what();
  }
}

TEST(Error, EmptyMessageFallsBackToTheCondition) {
  try {
    int answer = 41;
    GRPO_CHECK(answer == 42);
    FAIL();
  } catch (const grpo::Error& e) {
    EXPECT_EQ(e.message(), "check failed: answer == 42");
  }
}

TEST(Error, FailAlwaysThrowsAndIsAStdException) {
  EXPECT_THROW(GRPO_FAIL("no"), std::runtime_error);
}

}  // namespace
