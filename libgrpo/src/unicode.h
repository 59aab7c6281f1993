// UTF-8 and Unicode helpers for the tokenizer (private to grpo::core).
//
// Strings are UTF-8 in std::string / std::string_view. Functions that say
// "valid UTF-8" assume it; to_valid_utf8() makes any byte string valid first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace grpo::unicode {

constexpr char32_t kReplacementChar = 0xFFFD;

// How the bytes at some position start (or fail to start) a UTF-8 sequence.
struct Utf8Step {
  enum Kind : uint8_t {
    kValid,       // `length` bytes encode code point `code_point`
    kInvalid,     // `length` bytes are one ill-formed subsequence (one U+FFFD)
    kIncomplete,  // the text ends inside a sequence that could still be valid
  };
  Kind kind;
  uint8_t length;
  char32_t code_point;
};

// Reads one step at text[pos] (pos < text.size()). Ill-formed input is cut into
// "maximal subparts" (Unicode 15, section 3.9), the same units Python's
// errors="replace" and Rust's String::from_utf8_lossy replace with one U+FFFD.
Utf8Step utf8_step(std::string_view text, size_t pos);

bool is_valid_utf8(std::string_view text);

// text with every ill-formed subsequence replaced by U+FFFD; a truncated
// sequence at the end is replaced too.
std::string to_valid_utf8(std::string_view text);

// Decodes the code point at text[pos] of valid UTF-8 and advances pos.
char32_t next_code_point(std::string_view text, size_t& pos);

void append_utf8(std::string& out, char32_t cp);

// Unicode Normalization Form C (canonical decomposition, then canonical
// composition) of valid UTF-8, with tables generated from Python's
// unicodedata by scripts/gen_unicode_tables.py.
std::string nfc(std::string_view text);

// True when nfc(text) == text is certain without normalising (no character
// that decomposes, reorders or composes with its neighbour).
bool is_nfc_quick(std::string_view text);

// The Unicode version of the NFC tables.
const char* unicode_tables_version();

// Unicode White_Space (what Oniguruma's \s and Rust's char::is_whitespace match).
bool is_white_space(char32_t cp);

// GPT-2's byte-level alphabet: each byte maps to one printable character
// (printable Latin-1 bytes map to themselves, the rest to U+0100 onwards), so
// that any byte string is a string of visible characters.
char32_t byte_to_char(uint8_t byte);
// The byte a byte-level character stands for, or -1 for other characters.
int char_to_byte(char32_t cp);

}  // namespace grpo::unicode
