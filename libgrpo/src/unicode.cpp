#include "unicode.h"

#include <algorithm>
#include <array>
#include <vector>

namespace grpo::unicode {
namespace {

#include "unicode_tables.inc"

constexpr uint16_t kClassMask = 0xFF;
constexpr uint16_t kHasDecomposition = 1 << 8;
constexpr uint16_t kComposesWithPrevious = 1 << 9;

// Hangul syllables are composed arithmetically (Unicode section 3.12).
constexpr char32_t kHangulBase = 0xAC00, kLeadBase = 0x1100, kVowelBase = 0x1161,
                   kTrailBase = 0x11A7;
constexpr char32_t kLeadCount = 19, kVowelCount = 21, kTrailCount = 28;
constexpr char32_t kSyllableCount = kLeadCount * kVowelCount * kTrailCount;

bool is_hangul_syllable(char32_t cp) { return cp >= kHangulBase && cp < kHangulBase + kSyllableCount; }

// Hangul syllables read 0 here although they decompose: they are stable under
// NFC unless a trailing consonant follows, and trailing consonants are flagged.
uint16_t properties(char32_t cp) {
  if (cp > kPropLastCodePoint) return 0;
  uint32_t block = kPropStage1[cp >> kPropBlockShift];
  return kPropStage2[(block << kPropBlockShift) | (cp & ((1u << kPropBlockShift) - 1))];
}

uint8_t combining_class(char32_t cp) { return properties(cp) & kClassMask; }

void decompose(char32_t cp, std::u32string& out) {
  if (is_hangul_syllable(cp)) {
    char32_t index = cp - kHangulBase;
    out.push_back(kLeadBase + index / (kVowelCount * kTrailCount));
    out.push_back(kVowelBase + (index % (kVowelCount * kTrailCount)) / kTrailCount);
    if (char32_t trail = index % kTrailCount) out.push_back(kTrailBase + trail);
    return;
  }
  if (!(properties(cp) & kHasDecomposition)) {  // checked after Hangul, which reads 0
    out.push_back(cp);
    return;
  }
  auto it = std::lower_bound(std::begin(kDecompositions), std::end(kDecompositions), cp,
                             [](const DecompositionEntry& e, char32_t c) { return e.code_point < c; });
  out.append(kDecompositionData + it->offset, it->length);
}

// The primary composite of (first, second), or 0 when there is none.
char32_t compose_pair(char32_t first, char32_t second) {
  if (first >= kLeadBase && first < kLeadBase + kLeadCount && second >= kVowelBase &&
      second < kVowelBase + kVowelCount)
    return kHangulBase + ((first - kLeadBase) * kVowelCount + (second - kVowelBase)) * kTrailCount;
  if (is_hangul_syllable(first) && (first - kHangulBase) % kTrailCount == 0 && second > kTrailBase &&
      second < kTrailBase + kTrailCount)
    return first + (second - kTrailBase);
  uint64_t key = (uint64_t(first) << 32) | second;
  auto it = std::lower_bound(std::begin(kCompositions), std::end(kCompositions), key,
                             [](const CompositionEntry& e, uint64_t k) { return e.pair < k; });
  return it != std::end(kCompositions) && it->pair == key ? it->composite : 0;
}

// Canonical ordering: stable-sort every run of non-starters by combining class.
void reorder(std::u32string& s) {
  for (size_t i = 1; i < s.size(); ++i) {
    uint8_t cc = combining_class(s[i]);
    if (cc == 0) continue;
    for (size_t j = i; j > 0; --j) {
      uint8_t before = combining_class(s[j - 1]);
      if (before == 0 || before <= cc) break;
      std::swap(s[j - 1], s[j]);
    }
  }
}

// Canonical composition (UAX #15): a character joins the last starter unless a
// character between them is a starter or has a class >= its own ("blocked").
void compose(std::u32string& s) {
  if (s.empty()) return;
  size_t starter = 0, out = 1;
  int last_class = combining_class(s[0]) == 0 ? 0 : 256;
  for (size_t i = 1; i < s.size(); ++i) {
    char32_t cp = s[i];
    int cc = combining_class(cp);
    if (last_class < cc || last_class == 0) {
      if (char32_t composite = compose_pair(s[starter], cp)) {
        s[starter] = composite;
        continue;
      }
    }
    if (cc == 0) starter = out;
    last_class = cc;
    s[out++] = cp;
  }
  s.resize(out);
}

}  // namespace

Utf8Step utf8_step(std::string_view text, size_t pos) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  uint8_t lead = byte(pos);
  if (lead < 0x80) return {Utf8Step::kValid, 1, lead};
  int length;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte (Table 3-7)
  char32_t cp;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, cp = lead & 0x0F;
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, cp = lead & 0x07;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return {Utf8Step::kInvalid, 1, 0};
  }
  for (int i = 1; i < length; ++i) {
    if (pos + i >= text.size()) return {Utf8Step::kIncomplete, uint8_t(i), 0};
    uint8_t b = byte(pos + i);
    if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF)) return {Utf8Step::kInvalid, uint8_t(i), 0};
    cp = (cp << 6) | (b & 0x3F);
  }
  return {Utf8Step::kValid, uint8_t(length), cp};
}

bool is_valid_utf8(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    if (static_cast<uint8_t>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    Utf8Step step = utf8_step(text, pos);
    if (step.kind != Utf8Step::kValid) return false;
    pos += step.length;
  }
  return true;
}

std::string to_valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    Utf8Step step = utf8_step(text, pos);
    if (step.kind == Utf8Step::kValid)
      out.append(text.substr(pos, step.length));
    else
      append_utf8(out, kReplacementChar);
    pos += step.length;
  }
  return out;
}

char32_t next_code_point(std::string_view text, size_t& pos) {
  auto byte = [&](size_t i) { return char32_t(static_cast<uint8_t>(text[i])); };
  char32_t lead = byte(pos);
  if (lead < 0x80) return ++pos, lead;
  if (lead < 0xE0) return pos += 2, ((lead & 0x1F) << 6) | (byte(pos - 1) & 0x3F);
  if (lead < 0xF0)
    return pos += 3, ((lead & 0x0F) << 12) | ((byte(pos - 2) & 0x3F) << 6) | (byte(pos - 1) & 0x3F);
  pos += 4;
  return ((lead & 0x07) << 18) | ((byte(pos - 3) & 0x3F) << 12) | ((byte(pos - 2) & 0x3F) << 6) |
         (byte(pos - 1) & 0x3F);
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(char(cp));
  } else if (cp < 0x800) {
    out.push_back(char(0xC0 | (cp >> 6)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(char(0xE0 | (cp >> 12)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(char(0xF0 | (cp >> 18)));
    out.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  }
}

bool is_nfc_quick(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    if (static_cast<uint8_t>(text[pos]) < 0x80) {
      ++pos;  // ASCII never decomposes, and nothing composes with a following ASCII byte
      continue;
    }
    if (properties(next_code_point(text, pos)) != 0) return false;
  }
  return true;
}

std::string nfc(std::string_view text) {
  if (is_nfc_quick(text)) return std::string(text);
  std::u32string chars;
  chars.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) decompose(next_code_point(text, pos), chars);
  reorder(chars);
  compose(chars);
  std::string out;
  out.reserve(text.size());
  for (char32_t cp : chars) append_utf8(out, cp);
  return out;
}

const char* unicode_tables_version() { return kUnicodeTablesVersion; }

bool is_white_space(char32_t cp) {
  if (cp < 0x80) return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20;
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

namespace {

// GPT-2's bytes_to_unicode(): bytes that are printable Latin-1 keep their
// code point; the other 68 take U+0100, U+0101, ... in byte order.
struct ByteLevelAlphabet {
  std::array<char32_t, 256> to_char{};
  std::array<int16_t, 0x144> to_byte{};
  ByteLevelAlphabet() {
    to_byte.fill(-1);
    char32_t next = 0x100;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      to_char[b] = printable ? char32_t(b) : next++;
      to_byte[to_char[b]] = int16_t(b);
    }
  }
};

const ByteLevelAlphabet& alphabet() {
  static const ByteLevelAlphabet table;
  return table;
}

}  // namespace

char32_t byte_to_char(uint8_t byte) { return alphabet().to_char[byte]; }

int char_to_byte(char32_t cp) { return cp < 0x144 ? alphabet().to_byte[cp] : -1; }

}  // namespace grpo::unicode
