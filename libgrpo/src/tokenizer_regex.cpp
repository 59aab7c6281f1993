#include "tokenizer_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "libgrpo/error.h"

namespace grpo::tokenizer_detail {
namespace {

// Oniguruma's \s is Unicode White_Space. PCRE2's UCP \s differs: it also
// matches U+180E (a space before Unicode 6.3), so \s is spelled out.
constexpr std::string_view kSpaceItems =
    "\\t\\n\\x{0B}\\f\\r\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}"
    "\\x{202F}\\x{205F}\\x{3000}";
// Oniguruma's Unicode \w: letters, marks, numbers and connector punctuation.
constexpr std::string_view kWordItems = "\\p{L}\\p{M}\\p{N}\\p{Pc}";
// Oniguruma's \h is a hexadecimal digit (PCRE2's is horizontal space).
constexpr std::string_view kHexItems = "0-9a-fA-F";

std::string pcre2_message(int code) {
  PCRE2_UCHAR buffer[256];
  int n = pcre2_get_error_message(code, buffer, sizeof(buffer));
  return n < 0 ? "error " + std::to_string(code) : std::string(reinterpret_cast<char*>(buffer), size_t(n));
}

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Appends a class shorthand: its items inside a class, a bracketed class outside.
void append_class(std::string& out, std::string_view items, bool negated, bool in_class,
                  std::string_view pattern, char name) {
  if (in_class) {
    GRPO_CHECK(!negated, "tokenizer regex '", pattern, "': \\", name,
               " inside a character class is not supported");
    out += items;
  } else {
    out += negated ? "[^" : "[";
    out += items;
    out += ']';
  }
}

// Per-thread match state: one match block and one JIT stack, reused by every
// pattern, so that matching allocates nothing and threads never share state.
struct MatchState {
  pcre2_match_data* data = pcre2_match_data_create(16, nullptr);
  pcre2_match_context* context = pcre2_match_context_create(nullptr);
  pcre2_jit_stack* jit_stack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, nullptr);
  MatchState() {
    GRPO_CHECK(data && context && jit_stack, "PCRE2: cannot allocate match state");
    pcre2_jit_stack_assign(context, nullptr, jit_stack);
  }
  ~MatchState() {
    pcre2_jit_stack_free(jit_stack);
    pcre2_match_context_free(context);
    pcre2_match_data_free(data);
  }
};

MatchState& match_state() {
  thread_local MatchState state;
  return state;
}

}  // namespace

std::string translate_oniguruma(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size() + 32);
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      char e = pattern[++i];
      switch (e) {
        case 's': case 'S': append_class(out, kSpaceItems, e == 'S', in_class, pattern, e); break;
        case 'w': case 'W': append_class(out, kWordItems, e == 'W', in_class, pattern, e); break;
        case 'h': case 'H': append_class(out, kHexItems, e == 'H', in_class, pattern, e); break;
        case 'u':  // \uHHHH
          GRPO_CHECK(i + 4 < pattern.size() && is_hex(pattern[i + 1]) && is_hex(pattern[i + 2]) &&
                         is_hex(pattern[i + 3]) && is_hex(pattern[i + 4]),
                     "tokenizer regex '", pattern, "': \\u must be followed by four hex digits");
          out += "\\x{";
          out += pattern.substr(i + 1, 4);
          out += '}';
          i += 4;
          break;
        default: out += '\\'; out += e;
      }
      continue;
    }
    if (c == '[' && !in_class) {
      in_class = true;
      out += c;
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];  // literal ']'
    } else if (c == '[') {
      size_t close = pattern.find(":]", i);
      GRPO_CHECK(i + 1 < pattern.size() && pattern[i + 1] == ':' && close != std::string_view::npos,
                 "tokenizer regex '", pattern, "': nested character classes are not supported");
      out += pattern.substr(i, close + 2 - i);  // a POSIX class such as [:alpha:]
      i = close + 1;
    } else {
      if (c == ']') in_class = false;
      GRPO_CHECK(!(in_class && c == '&' && i + 1 < pattern.size() && pattern[i + 1] == '&'),
                 "tokenizer regex '", pattern, "': class intersection (&&) is not supported");
      out += c;
    }
  }
  return out;
}

struct Regex::Code {
  pcre2_code* code = nullptr;
  ~Code() { pcre2_code_free(code); }
};

// Oniguruma's Ruby syntax makes ^ and $ line anchors; MULTILINE does the same here.
Regex::Regex(std::string_view pattern) : pattern_(pattern) {
  compile(translate_oniguruma(pattern), PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE);
}

Regex Regex::literal(std::string_view text) {
  Regex re;
  re.pattern_ = std::string(text);
  re.compile(re.pattern_, PCRE2_LITERAL | PCRE2_UTF);
  return re;
}

Regex::~Regex() = default;
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;

void Regex::compile(const std::string& pcre_pattern, uint32_t options) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  // Only \n ends a line, as in Oniguruma: "." matches \r, and $ matches before \n alone.
  std::unique_ptr<pcre2_compile_context, void (*)(pcre2_compile_context*)> context(
      pcre2_compile_context_create(nullptr), pcre2_compile_context_free);
  GRPO_CHECK(context, "PCRE2: cannot allocate a compile context");
  pcre2_set_newline(context.get(), PCRE2_NEWLINE_LF);
  code_ = std::make_unique<Code>();
  code_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pcre_pattern.data()), pcre_pattern.size(),
                              options, &error, &offset, context.get());
  GRPO_CHECK(code_->code, "tokenizer regex '", pattern_, "' does not compile: ", pcre2_message(error),
             " at offset ", offset);
  // JIT is an optimisation: when it is unavailable PCRE2 interprets instead.
  pcre2_jit_compile(code_->code, PCRE2_JIT_COMPLETE);
}

std::vector<Span> Regex::find_all(std::string_view text) const {
  std::vector<Span> spans;
  MatchState& state = match_state();
  auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t start = 0;
  while (start <= text.size()) {
    int rc = pcre2_match(code_->code, subject, text.size(), start, PCRE2_NO_UTF_CHECK, state.data,
                         state.context);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    GRPO_CHECK(rc >= 0, "tokenizer regex '", pattern_, "' failed on a ", text.size(),
               "-byte text: ", pcre2_message(rc));
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(state.data);
    spans.emplace_back(ovector[0], ovector[1]);
    if (ovector[1] > ovector[0]) {
      start = ovector[1];
      continue;
    }
    // Empty match: step over one whole UTF-8 character.
    if (ovector[1] >= text.size()) break;
    start = ovector[1] + 1;
    while (start < text.size() && (static_cast<uint8_t>(text[start]) & 0xC0) == 0x80) ++start;
  }
  return spans;
}

bool Regex::matches_at_start(std::string_view text) const {
  MatchState& state = match_state();
  int rc = pcre2_match(code_->code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0,
                       PCRE2_NO_UTF_CHECK | PCRE2_ANCHORED, state.data, state.context);
  GRPO_CHECK(rc >= 0 || rc == PCRE2_ERROR_NOMATCH, "tokenizer regex '", pattern_,
             "' failed: ", pcre2_message(rc));
  return rc >= 0;
}

}  // namespace grpo::tokenizer_detail
