// Regular expressions for pre-tokenizers, on PCRE2 (private to grpo::core).
//
// tokenizer.json patterns are written for Oniguruma, which Hugging Face
// `tokenizers` uses. PCRE2 reads nearly the same syntax; the differences that
// change what real tokenizer patterns match are translated (see tokenizer_regex.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace grpo::tokenizer_detail {

// One match: [begin, end) byte offsets into the subject.
using Span = std::pair<size_t, size_t>;

class Regex {
 public:
  // pattern: Oniguruma syntax, as found in tokenizer.json. Throws grpo::Error
  // naming the pattern when PCRE2 rejects it or it uses an unsupported construct.
  explicit Regex(std::string_view pattern);
  // Matches `text` literally.
  static Regex literal(std::string_view text);
  ~Regex();
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;

  // Every non-overlapping match in valid UTF-8 `text`, left to right. After an
  // empty match the search resumes one character later, as Oniguruma's
  // iterator does. Safe to call from several threads at once.
  std::vector<Span> find_all(std::string_view text) const;

  // True when the pattern matches at the very start of text (anchored).
  bool matches_at_start(std::string_view text) const;

  const std::string& pattern() const { return pattern_; }

 private:
  Regex() = default;
  void compile(const std::string& pcre_pattern, uint32_t options);

  struct Code;
  std::unique_ptr<Code> code_;
  std::string pattern_;
};

// The PCRE2 spelling of an Oniguruma pattern (exposed for tests).
std::string translate_oniguruma(std::string_view pattern);

}  // namespace grpo::tokenizer_detail
