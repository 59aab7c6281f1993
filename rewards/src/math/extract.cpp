// Answer extraction: where in a completion the final answer is. Every scan is
// linear in the completion and bounded in what it returns.
#include <algorithm>
#include <array>
#include <cctype>

#include "rewards/math.h"

namespace grpo::rewards {
namespace {

constexpr size_t kMaxAnswer = 4096;  // longer extractions are cut (the parser refuses them anyway)
constexpr int kMaxBoxes = 16;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string cut(std::string_view s) { return std::string(trim(s.substr(0, kMaxAnswer))); }

// Start of the last \boxed or \fbox that begins before `end`.
size_t last_box(std::string_view text, size_t end) {
  if (end == 0) return std::string_view::npos;
  size_t b = text.rfind("\\boxed", end - 1), f = text.rfind("\\fbox", end - 1);
  if (b == std::string_view::npos) return f;
  if (f == std::string_view::npos) return b;
  return std::max(b, f);
}

// The argument of the box at `at`; `close` gets the index just past it.
std::string_view box_content(std::string_view text, size_t at, size_t& close) {
  size_t i = at + (text.compare(at, 6, "\\boxed") == 0 ? 6 : 5);
  while (i < text.size() && text[i] == ' ') ++i;
  if (i >= text.size() || text[i] != '{') {  // \boxed 5
    size_t end = i;
    while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])) && text[end] != '$') ++end;
    close = end;
    return text.substr(i, end - i);
  }
  int level = 0;
  for (size_t j = i; j < text.size(); ++j) {
    if (text[j] == '\\') {
      ++j;
      continue;
    }
    if (text[j] == '{') ++level;
    if (text[j] == '}' && --level == 0) {
      close = j + 1;
      return text.substr(i + 1, j - i - 1);
    }
  }
  close = text.size();
  return text.substr(i + 1);  // unclosed: the rest
}

// Whether the text between two boxes joins them into one answer ("\boxed{1} and \boxed{2}").
bool joins_boxes(std::string_view gap) {
  std::string rest;
  for (char c : gap)
    if (!std::isspace(static_cast<unsigned char>(c)) && c != '$' && c != '.') rest += c;
  for (std::string_view strip : {"\\quad", "\\text{", "}", "\\(", "\\)"})
    for (size_t at; (at = rest.find(strip)) != std::string::npos;) rest.erase(at, strip.size());
  return rest.empty() || rest == "," || rest == ";" || rest == "and" || rest == ",and" || rest == "or" ||
         rest == ",or" || rest == "&";
}

std::optional<std::string> boxed(std::string_view text) {
  size_t at = last_box(text, text.size());
  if (at == std::string_view::npos) return std::nullopt;
  size_t close = 0;
  std::vector<std::string_view> parts{box_content(text, at, close)};
  for (int n = 1; n < kMaxBoxes; ++n) {
    size_t prev = last_box(text, at);
    if (prev == std::string_view::npos) break;
    size_t prev_close = 0;
    std::string_view content = box_content(text, prev, prev_close);
    if (prev_close > at || !joins_boxes(text.substr(prev_close, at - prev_close)) || content == parts.back()) break;
    parts.insert(parts.begin(), content);
    at = prev;
  }
  std::string out;
  for (auto p : parts) out += (out.empty() ? "" : ", ") + cut(p);
  return out;
}

std::optional<std::string> answer_tag(std::string_view text) {
  size_t open = text.rfind("<answer>");
  if (open == std::string_view::npos) return std::nullopt;
  std::string_view rest = text.substr(open + 8);
  size_t close = rest.find("</answer>");
  std::string out = cut(rest.substr(0, close));
  return out.empty() ? std::nullopt : std::optional(out);
}

// The first math span ($...$, \(...\)) of a phrase, or the phrase itself.
std::string_view first_math(std::string_view s) {
  size_t a = s.find('$');
  if (a != std::string_view::npos) {
    size_t start = a + (s.substr(a, 2) == "$$" ? 2 : 1);
    size_t b = s.find('$', start);
    if (b != std::string_view::npos) return s.substr(start, b - start);
  }
  size_t p = s.find("\\(");
  if (p != std::string_view::npos) {
    size_t q = s.find("\\)", p);
    if (q != std::string_view::npos) return s.substr(p + 2, q - p - 2);
  }
  return s;
}

std::optional<std::string> answer_phrase(std::string_view text) {
  static constexpr std::array<std::string_view, 9> phrases = {
      "final answer is", "the answer is", "answer is", "final answer:", "answer:",
      "\xe7\xad\x94\xe6\xa1\x88\xe6\x98\xaf",           // 答案是
      "\xe7\xad\x94\xe6\xa1\x88\xe4\xb8\xba",           // 答案为
      "\xe7\xad\x94\xe6\xa1\x88\xef\xbc\x9a",           // 答案：
      "\xe7\xad\x94\xe6\xa1\x88:"};                      // 答案:
  std::string low(text);
  for (char& c : low) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t best = std::string::npos, best_len = 0;
  for (auto p : phrases) {
    size_t at = low.rfind(p);
    if (at != std::string::npos && (best == std::string::npos || at > best)) best = at, best_len = p.size();
  }
  if (best == std::string::npos) return std::nullopt;
  std::string_view rest = text.substr(best + best_len);
  while (!rest.empty() && (rest.front() == ':' || rest.front() == '*' || std::isspace(static_cast<unsigned char>(rest.front()))))
    rest.remove_prefix(1);
  rest = rest.substr(0, std::min(rest.find('\n'), kMaxAnswer));
  // The sentence ends at ". " or a final "."; "3.5" is a number, not an end.
  for (size_t i = 0; i < rest.size(); ++i)
    if (rest[i] == '.' && (i + 1 == rest.size() || rest[i + 1] == ' ') && rest.find('$') > i) {
      rest = rest.substr(0, i);
      break;
    }
  std::string out = cut(first_math(rest));
  for (size_t at; (at = out.find("**")) != std::string::npos;) out.erase(at, 2);
  out = cut(out);
  return out.empty() ? std::nullopt : std::optional(out);
}

std::optional<std::string> last_math(std::string_view text) {
  size_t best_end = 0;
  std::string_view best;
  auto consider = [&](std::string_view open, std::string_view close) {
    size_t c = text.rfind(close);
    if (c == std::string_view::npos || c == 0) return;
    size_t o = text.rfind(open, c - 1);
    if (o == std::string_view::npos || c + close.size() <= best_end) return;
    best_end = c + close.size();
    best = text.substr(o + open.size(), c - o - open.size());
  };
  consider("\\(", "\\)");
  consider("\\[", "\\]");
  consider("$$", "$$");
  size_t c = text.rfind('$');
  if (c != std::string_view::npos && c > 0 && c + 1 > best_end && text[c - 1] != '$') {
    size_t o = text.rfind('$', c - 1);
    if (o != std::string_view::npos) best = text.substr(o + 1, c - o - 1), best_end = c + 1;
  }
  std::string out = cut(best);
  return out.empty() ? std::nullopt : std::optional(out);
}

bool digit(char c) { return c >= '0' && c <= '9'; }

// Length of a plain number at i: -1,234.5, 3/4, 12%.
size_t number_at(std::string_view t, size_t i) {
  size_t j = i;
  while (j < t.size() && digit(t[j])) ++j;
  while (j + 3 < t.size() && t[j] == ',' && digit(t[j + 1]) && digit(t[j + 2]) && digit(t[j + 3]) &&
         (j + 4 == t.size() || !digit(t[j + 4])))
    j += 4;
  if (j + 1 < t.size() && t[j] == '.' && digit(t[j + 1]))
    for (++j; j < t.size() && digit(t[j]);) ++j;
  if (j + 1 < t.size() && t[j] == '/' && digit(t[j + 1]))
    for (++j; j < t.size() && digit(t[j]);) ++j;
  if (j < t.size() && t[j] == '%') ++j;
  else if (t.substr(j, 2) == "\\%") j += 2;
  return j - i;
}

// Length of \frac{12}{34} (or \dfrac, \tfrac) at i, or 0.
size_t frac_at(std::string_view t, size_t i) {
  size_t j = i + 1;
  while (j < t.size() && std::isalpha(static_cast<unsigned char>(t[j]))) ++j;
  std::string_view name = t.substr(i + 1, j - i - 1);
  if (name != "frac" && name != "dfrac" && name != "tfrac") return 0;
  for (int arg = 0; arg < 2; ++arg) {
    if (j >= t.size() || t[j] != '{') return 0;
    size_t k = j + 1;
    if (k < t.size() && t[k] == '-') ++k;
    size_t digits = k;
    while (k < t.size() && digit(t[k])) ++k;
    if (k == digits || k >= t.size() || t[k] != '}') return 0;
    j = k + 1;
  }
  return j - i;
}

std::optional<std::string> last_number(std::string_view t) {
  size_t best = std::string_view::npos, best_len = 0;
  for (size_t i = 0; i < t.size();) {
    size_t len = 0;
    if (t[i] == '\\') len = frac_at(t, i);
    else if (digit(t[i]) && (i == 0 || (!digit(t[i - 1]) && t[i - 1] != '.'))) len = number_at(t, i);
    if (len == 0) {
      ++i;
      continue;
    }
    best = i, best_len = len;
    // A minus sign right before, not after a letter or digit, is the number's.
    if (i >= 1 && t[i - 1] == '-' && (i == 1 || !std::isalnum(static_cast<unsigned char>(t[i - 2])))) --best, ++best_len;
    i += len;
  }
  if (best == std::string_view::npos) return std::nullopt;
  return cut(t.substr(best, best_len));
}

}  // namespace

std::string_view to_string(AnswerSource source) {
  switch (source) {
    case AnswerSource::boxed: return "boxed";
    case AnswerSource::answer_tag: return "answer_tag";
    case AnswerSource::answer_phrase: return "answer_phrase";
    case AnswerSource::last_math: return "last_math";
    case AnswerSource::last_number: return "last_number";
  }
  return "?";
}

std::vector<ExtractedAnswer> extract_answers(std::string_view completion, const ExtractOptions& options) {
  std::vector<ExtractedAnswer> out;
  for (AnswerSource source : options.priority) {
    std::optional<std::string> found;
    switch (source) {
      case AnswerSource::boxed: found = boxed(completion); break;
      case AnswerSource::answer_tag: found = answer_tag(completion); break;
      case AnswerSource::answer_phrase: found = answer_phrase(completion); break;
      case AnswerSource::last_math: found = last_math(completion); break;
      case AnswerSource::last_number: found = last_number(completion); break;
    }
    if (found) out.push_back({std::move(*found), source});
  }
  return out;
}

}  // namespace grpo::rewards
