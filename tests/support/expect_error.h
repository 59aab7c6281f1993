// EXPECT_ERROR(statement, fragment): the statement throws a grpo::Error whose
// message contains `fragment`.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "libgrpo/error.h"

namespace grpo::test {

// The message of the grpo::Error that f throws ("" when it throws none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const grpo::Error& e) {
    return e.message();
  }
  return "";
}

}  // namespace grpo::test

#define EXPECT_ERROR(statement, fragment)                                                        \
  do {                                                                                           \
    std::string message_ = ::grpo::test::error_of([&] { (void)(statement); });                   \
    EXPECT_NE(message_.find(fragment), std::string::npos)                                        \
        << #statement << " should fail with '" << (fragment) << "', got: '" << message_ << "'"; \
  } while (0)
