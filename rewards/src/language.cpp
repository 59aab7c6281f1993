#include "rewards/language.h"

#include <array>
#include <cstdint>
#include <utility>

#include "libgrpo/error.h"

namespace grpo::rewards {
namespace {

enum class Script : uint8_t { none, latin, cyrillic, greek, arabic, hebrew, devanagari, thai, hangul, han, kana };

// Scripts whose characters are words of their own.
bool per_character(Script s) { return s == Script::han || s == Script::kana || s == Script::thai; }

Script script_of(char32_t c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return Script::latin;
  if (c < 0x80) return Script::none;
  if ((c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) || (c >= 0x1E00 && c <= 0x1EFF)) return Script::latin;
  if (c >= 0x370 && c <= 0x3FF) return Script::greek;
  if (c >= 0x400 && c <= 0x52F) return Script::cyrillic;
  if (c >= 0x590 && c <= 0x5FF) return Script::hebrew;
  if ((c >= 0x600 && c <= 0x6FF) || (c >= 0x750 && c <= 0x77F)) return Script::arabic;
  if (c >= 0x900 && c <= 0x97F) return Script::devanagari;
  if (c >= 0xE00 && c <= 0xE7F) return Script::thai;
  if ((c >= 0x1100 && c <= 0x11FF) || (c >= 0x3130 && c <= 0x318F) || (c >= 0xAC00 && c <= 0xD7AF)) return Script::hangul;
  if (c >= 0x3040 && c <= 0x30FF) return Script::kana;
  if ((c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF)) return Script::han;
  return Script::none;
}

// The scripts a language is written in (Japanese: kanji and kana).
std::pair<Script, Script> scripts_of(std::string_view lang) {
  static constexpr std::array<std::string_view, 22> latin = {"en", "fr", "de", "es", "it", "pt", "nl", "sv", "da", "no", "fi",
                                                             "pl", "cs", "tr", "id", "ms", "vi", "ro", "hu", "ca", "sk", "hr"};
  for (auto l : latin)
    if (lang == l) return {Script::latin, Script::latin};
  if (lang == "zh") return {Script::han, Script::han};
  if (lang == "ja") return {Script::han, Script::kana};
  if (lang == "ko") return {Script::hangul, Script::hangul};
  if (lang == "ru" || lang == "uk" || lang == "bg" || lang == "sr") return {Script::cyrillic, Script::cyrillic};
  if (lang == "el") return {Script::greek, Script::greek};
  if (lang == "ar" || lang == "fa" || lang == "ur") return {Script::arabic, Script::arabic};
  if (lang == "he") return {Script::hebrew, Script::hebrew};
  if (lang == "hi" || lang == "mr" || lang == "ne") return {Script::devanagari, Script::devanagari};
  if (lang == "th") return {Script::thai, Script::thai};
  GRPO_FAIL("language reward: unknown language '", lang, "'; use an ISO 639-1 code such as en, zh, ja, ko, ru, ar, hi");
}

// Decodes one UTF-8 character at s[i], advancing i; invalid bytes decode to U+FFFD.
char32_t next_char(std::string_view s, size_t& i) {
  auto b = static_cast<unsigned char>(s[i++]);
  if (b < 0x80) return b;
  int extra = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : -1;
  if (extra < 0 || i + static_cast<size_t>(extra) > s.size()) return 0xFFFD;
  char32_t c = b & (0x3F >> extra);
  for (int k = 0; k < extra; ++k) {
    auto cont = static_cast<unsigned char>(s[i]);
    if ((cont & 0xC0) != 0x80) return 0xFFFD;
    c = (c << 6) | (cont & 0x3F);
    ++i;
  }
  return c;
}

}  // namespace

double language_share(std::string_view text, std::string_view language) {
  auto [first, second] = scripts_of(language);
  size_t target = 0, total = 0;
  Script run = Script::none;  // script of the word being read
  size_t run_chars = 0;
  bool command = false, math = false;
  auto end_word = [&] {
    // Single Latin letters are variables, not words.
    if (run != Script::none && !command && !(run == Script::latin && run_chars == 1)) {
      ++total;
      target += run == first || run == second;
    }
    run = Script::none, run_chars = 0, command = false;
  };
  for (size_t i = 0; i < text.size();) {
    char32_t c = next_char(text, i);
    if (c == '$') {
      end_word();
      math = !math;
      continue;
    }
    if (math) continue;
    Script s = script_of(c);
    if (s != run || per_character(s)) {
      bool was_backslash = run == Script::none && i >= 2 && text[i - 2] == '\\';
      end_word();
      command = was_backslash && s == Script::latin;
    }
    run = s;
    ++run_chars;
  }
  end_word();
  return total == 0 ? 0.0 : static_cast<double>(target) / static_cast<double>(total);
}

LanguageConsistencyReward::LanguageConsistencyReward(LanguageOptions options) : options_(std::move(options)) {
  scripts_of(options_.language);  // fails now for an unknown code
}

double LanguageConsistencyReward::score(const Sample& sample) const {
  std::string_view text = sample.completion;
  size_t open = text.find("<think>");
  if (open != std::string_view::npos) {
    size_t close = text.find("</think>", open);
    text = text.substr(open + 7, close == std::string_view::npos ? std::string_view::npos : close - open - 7);
  }
  auto lang = sample.fields.find(options_.language_field);
  return language_share(text, lang != sample.fields.end() ? lang->second : options_.language);
}

}  // namespace grpo::rewards
