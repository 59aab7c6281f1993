// Errors: every failure libgrpo reports is a grpo::Error that says what went
// wrong, with the values that made it go wrong, and where libgrpo noticed.
//
//   GRPO_CHECK(rewards.size(1) == group_size,
//              "rewards has ", rewards.size(1), " columns, expected group_size = ", group_size);
//
// Library code never exits the process; only a program's main() decides that.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace grpo {

class Error : public std::runtime_error {
 public:
  // message: what went wrong, for a person; file, line: where it was detected.
  Error(std::string message, const char* file, int line);

  // The message alone, without the "[file:line]" suffix that what() carries.
  const std::string& message() const noexcept { return message_; }
  const char* file() const noexcept { return file_; }
  int line() const noexcept { return line_; }

 private:
  std::string message_;
  const char* file_;
  int line_;
};

namespace detail {

template <class... Parts>
std::string concat(const Parts&... parts) {
  std::ostringstream out;
  if constexpr (sizeof...(Parts) > 0) (out << ... << parts);
  return out.str();
}

// condition may be null (GRPO_FAIL).
[[noreturn]] void throw_error(const char* file, int line, const char* condition, std::string message);

}  // namespace detail
}  // namespace grpo

// Throws grpo::Error when cond is false. The remaining arguments are streamed
// together into the message, so pass the offending values themselves.
#define GRPO_CHECK(cond, ...)                                                               \
  do {                                                                                      \
    if (!(cond)) [[unlikely]]                                                               \
      ::grpo::detail::throw_error(__FILE__, __LINE__, #cond, ::grpo::detail::concat(__VA_ARGS__)); \
  } while (0)

// Throws grpo::Error unconditionally.
#define GRPO_FAIL(...) \
  ::grpo::detail::throw_error(__FILE__, __LINE__, nullptr, ::grpo::detail::concat(__VA_ARGS__))
