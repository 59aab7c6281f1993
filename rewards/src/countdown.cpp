#include "rewards/countdown.h"

#include <gmpxx.h>

#include <algorithm>
#include <cctype>

#include "libgrpo/error.h"

namespace grpo::rewards {
namespace {

struct Invalid {
  CountdownVerdict verdict;
};

// expr := term (('+' | '-') term)*; term := unary (('*' | '/') unary)*;
// unary := '-' unary | '(' expr ')' | integer
class Equation {
 public:
  explicit Equation(std::string_view s) : s_(s) {}

  mpq_class parse() {
    mpq_class v = expr();
    skip_space();
    if (i_ != s_.size()) throw Invalid{CountdownVerdict::bad_syntax};
    return v;
  }
  std::vector<long long> used;

 private:
  void skip_space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool eat(char c) {
    skip_space();
    if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
    return false;
  }

  mpq_class expr() {
    if (++depth_ > 64) throw Invalid{CountdownVerdict::bad_syntax};
    mpq_class v = term();
    while (true) {
      if (eat('+')) v += term();
      else if (eat('-')) v -= term();
      else break;
    }
    --depth_;
    return v;
  }

  mpq_class term() {
    mpq_class v = unary();
    while (true) {
      if (eat('*')) {
        v *= unary();
      } else if (eat('/')) {
        mpq_class d = unary();
        if (d == 0) throw Invalid{CountdownVerdict::undefined};
        v /= d;
      } else {
        return v;
      }
    }
  }

  mpq_class unary() {
    if (++depth_ > 64) throw Invalid{CountdownVerdict::bad_syntax};
    mpq_class v;
    if (eat('-')) {
      v = -unary();
    } else if (eat('(')) {
      v = expr();
      if (!eat(')')) throw Invalid{CountdownVerdict::bad_syntax};
    } else {
      v = integer();
    }
    --depth_;
    return v;
  }

  mpq_class integer() {
    skip_space();
    size_t start = i_;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    if (i_ == start || i_ - start > 18) throw Invalid{CountdownVerdict::bad_syntax};
    long long n = std::stoll(std::string(s_.substr(start, i_ - start)));
    used.push_back(n);
    return mpq_class(static_cast<long>(n));  // long is 64 bits on LP64
  }

  std::string_view s_;
  size_t i_ = 0;
  int depth_ = 0;
};

// Every integer in a field such as "[3, 5, 7]" or "3 5 7".
std::vector<long long> integers_in(const std::string& text) {
  std::vector<long long> out;
  for (size_t i = 0; i < text.size();) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    GRPO_CHECK(i - start <= 18, "countdown: number too long in '", text, "'");
    bool negative = start > 0 && text[start - 1] == '-';
    long long n = std::stoll(text.substr(start, i - start));
    out.push_back(negative ? -n : n);
  }
  return out;
}

const std::string& field(const Sample& sample, const std::string& key) {
  auto it = sample.fields.find(key);
  GRPO_CHECK(it != sample.fields.end(), "countdown: the sample has no field '", key, "'");
  return it->second;
}

}  // namespace

CountdownVerdict check_countdown(std::string_view equation, const std::vector<long long>& numbers, long long target) {
  if (equation.size() > 512) return CountdownVerdict::bad_syntax;
  Equation eq(equation);
  mpq_class value;
  try {
    value = eq.parse();
  } catch (const Invalid& e) {
    return e.verdict;
  }
  std::vector<long long> given = numbers, used = eq.used;
  std::sort(given.begin(), given.end());
  std::sort(used.begin(), used.end());
  if (given != used) return CountdownVerdict::wrong_numbers;
  return value == mpq_class(static_cast<long>(target)) ? CountdownVerdict::correct : CountdownVerdict::wrong_value;
}

double CountdownReward::score(const Sample& sample) const {
  std::vector<long long> targets = integers_in(field(sample, options_.target_field));
  GRPO_CHECK(targets.size() == 1, "countdown: field '", options_.target_field, "' must hold one integer, got '",
             field(sample, options_.target_field), "'");
  std::vector<long long> numbers = integers_in(field(sample, options_.numbers_field));
  const std::string& text = sample.completion;
  size_t open = text.rfind("<answer>");
  if (open == std::string::npos) return 0.0;
  size_t close = text.find("</answer>", open);
  if (close == std::string::npos) return 0.0;
  std::string_view equation = std::string_view(text).substr(open + 8, close - open - 8);
  CountdownVerdict v = check_countdown(equation, numbers, targets[0]);
  return v == CountdownVerdict::correct ? options_.correct_score : options_.format_score;
}

}  // namespace grpo::rewards
