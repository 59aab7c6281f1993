#include "libgrpo/completion_stats.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

namespace grpo {
namespace {

bool word_char(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// Case-insensitive search for `phrase` at word boundaries.
bool contains_word(std::string_view text, std::string_view phrase) {
  if (phrase.empty() || phrase.size() > text.size()) return false;
  for (size_t i = 0; i + phrase.size() <= text.size(); ++i) {
    size_t k = 0;
    while (k < phrase.size() && lower(text[i + k]) == lower(phrase[k])) ++k;
    if (k != phrase.size()) continue;
    bool starts = i == 0 || !word_char(static_cast<unsigned char>(text[i - 1]));
    size_t end = i + phrase.size();
    bool ends = end == text.size() || !word_char(static_cast<unsigned char>(text[end]));
    if (starts && ends) return true;
  }
  return false;
}

double ratio(double num, double den) { return den > 0 ? num / den : std::numeric_limits<double>::quiet_NaN(); }

}  // namespace

bool reflects(std::string_view text, const ReflectionOptions& options) {
  return std::any_of(options.phrases.begin(), options.phrases.end(),
                     [&](const std::string& p) { return contains_word(text, p); });
}

Metrics completion_stats(const std::vector<CompletionRecord>& completions, const ReflectionOptions& options) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  double n = 0, correct = 0, truncated = 0, reflecting = 0, reflecting_correct = 0;
  double length_sum = 0, terminated_sum = 0, correct_sum = 0, incorrect_sum = 0;
  double min_length = nan, max_length = nan;
  for (const CompletionRecord& c : completions) {
    const double len = static_cast<double>(c.length);
    const bool r = reflects(c.text, options);
    n += 1;
    length_sum += len;
    min_length = std::isnan(min_length) ? len : std::min(min_length, len);
    max_length = std::isnan(max_length) ? len : std::max(max_length, len);
    if (c.truncated) {
      truncated += 1;
    } else {
      terminated_sum += len;
    }
    (c.correct ? correct_sum : incorrect_sum) += len;
    correct += c.correct;
    reflecting += r;
    reflecting_correct += r && c.correct;
  }
  return {
      {"accuracy", ratio(correct, n)},
      {"completions/mean_length", ratio(length_sum, n)},
      {"completions/min_length", min_length},
      {"completions/max_length", max_length},
      {"completions/clipped_ratio", ratio(truncated, n)},
      {"completions/mean_terminated_length", ratio(terminated_sum, n - truncated)},
      {"completions/mean_length_correct", ratio(correct_sum, correct)},
      {"completions/mean_length_incorrect", ratio(incorrect_sum, n - correct)},
      {"reflection/rate", ratio(reflecting, n)},
      {"reflection/precision", ratio(reflecting_correct, reflecting)},
      {"reflection/recall", ratio(reflecting_correct, correct)},
  };
}

}  // namespace grpo
