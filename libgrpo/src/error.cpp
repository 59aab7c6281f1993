#include "libgrpo/error.h"

#include <cstring>

namespace grpo {
namespace {

// "libgrpo/src/loss.cpp" rather than the absolute build path.
const char* short_path(const char* file) {
  for (const char* root : {"/libgrpo/", "/rewards/", "/sandbox/", "/tests/", "/examples/"}) {
    if (const char* at = std::strstr(file, root)) return at + 1;
  }
  return file;
}

}  // namespace

Error::Error(std::string message, const char* file, int line)
    : std::runtime_error(message + " [" + short_path(file) + ":" + std::to_string(line) + "]"),
      message_(std::move(message)),
      file_(short_path(file)),
      line_(line) {}

namespace detail {

void throw_error(const char* file, int line, const char* condition, std::string message) {
  if (message.empty() && condition) message = std::string("check failed: ") + condition;
  throw Error(std::move(message), file, line);
}

}  // namespace detail
}  // namespace grpo
