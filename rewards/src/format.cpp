#include "rewards/format.h"

namespace grpo::rewards {
namespace {

size_t count(std::string_view text, std::string_view needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string_view::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Consumes `prefix` from the front of s.
bool eat(std::string_view& s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) != prefix) return false;
  s.remove_prefix(prefix.size());
  return true;
}

}  // namespace

bool has_r1_format(std::string_view text, const FormatOptions& options) {
  for (std::string_view tag : {"<think>", "</think>", "<answer>", "</answer>"})
    if (count(text, tag) != 1) return false;
  if (!options.strict) text = trim(text);
  const std::string_view open_think = options.strict ? "<think>\n" : "<think>";
  const std::string_view close_answer = options.strict ? "\n</answer>" : "</answer>";
  if (!eat(text, open_think)) return false;
  if (text.size() < close_answer.size() || text.substr(text.size() - close_answer.size()) != close_answer)
    return false;
  text.remove_suffix(close_answer.size());

  // text is now "reasoning</think>[sep]<answer>answer".
  size_t close_think = text.find("</think>");
  size_t open_answer = text.find("<answer>");
  if (close_think == std::string_view::npos || open_answer == std::string_view::npos) return false;
  if (open_answer < close_think) return false;
  std::string_view between = text.substr(close_think + 8, open_answer - close_think - 8);
  if (options.strict) {
    // "\n</think>\n<answer>\n": newline before, between and after.
    return close_think > 0 && text[close_think - 1] == '\n' && between == "\n" &&
           text.substr(open_answer + 8, 1) == "\n";
  }
  return trim(between).empty();
}

double count_r1_tags(std::string_view text) {
  double score = 0.0;
  for (std::string_view tag : {"<think>\n", "\n</think>\n", "\n<answer>\n", "\n</answer>"})
    if (count(text, tag) == 1) score += 0.25;
  return score;
}

double FormatReward::score(const Sample& sample) const {
  if (!options_.prefix.empty()) return has_r1_format(options_.prefix + sample.completion, options_) ? 1.0 : 0.0;
  return has_r1_format(sample.completion, options_) ? 1.0 : 0.0;
}

}  // namespace grpo::rewards
