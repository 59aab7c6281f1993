// The lexer: LaTeX and plain-text answers to tokens, normalising on the way.
// Thousands separators are resolved here because only the raw text shows
// them ("7,425,000", "1\,000", "1 000", "7{,}425"): a comma groups thousands only
// outside brackets and before exactly three digits, so "\{100,200\}" stays a set.
#include <array>
#include <cctype>
#include <utility>

#include "math/parse.h"
#include "math/parser.h"

namespace grpo::rewards::math {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Commands that carry no value: dropped.
constexpr std::array<std::string_view, 36> kSkipped = {
    "left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr",
    "Biggl", "Biggr", "displaystyle", "textstyle", "scriptstyle", "limits", "nolimits", "quad", "qquad",
    "enspace", "thinspace", "medspace", "thickspace", "hfill", "boxed", "fbox", "dots", "ldots", "cdots",
    "vdots", "hline", "middle", "mathstrut", "strut"};

// Commands whose braced argument is text, not math.
constexpr std::array<std::string_view, 19> kTextLike = {
    "text", "textbf", "textit", "textrm", "textnormal", "textsf", "texttt", "textup", "mbox", "hbox",
    "mathrm", "mathbf", "mathit", "mathsf", "mathtt", "operatorname", "emph", "mathcal", "mathscr"};

// Spellings of one command.
constexpr std::array<std::pair<std::string_view, std::string_view>, 32> kAliases = {{
    {"dfrac", "frac"},   {"tfrac", "frac"},     {"cfrac", "frac"},    {"dbinom", "binom"},
    {"tbinom", "binom"}, {"leq", "le"},         {"leqslant", "le"},   {"geq", "ge"},
    {"geqslant", "ge"},  {"neq", "ne"},         {"cdot", "times"},    {"ast", "times"},
    {"lbrace", "\\{"},   {"rbrace", "\\}"},     {"infin", "infty"},   {"varnothing", "emptyset"},
    {"degree", "circ"},  {"lvert", "|"},        {"rvert", "|"},       {"vert", "|"},
    {"mid", "|"},        {"langle", "("},       {"rangle", ")"},      {"lt", "<"},
    {"gt", ">"},         {"colon", ":"},        {"bullet", "times"},  {"thickapprox", "approx"},
    {"simeq", "approx"}, {"dotsc", ""},         {"dotsb", ""},        {"varpi", "pi"},
}};

// Non-ASCII characters answers use, and what they stand for.
constexpr std::array<std::pair<std::string_view, std::string_view>, 24> kUnicode = {{
    {"\u2212", "-"},       {"\u2013", "-"},      {"\u2014", "-"},     {"\u00d7", "\\times"},
    {"\u00f7", "\\div"},   {"\u00b7", "\\times"}, {"\u22c5", "\\times"}, {"\u2264", "\\le"},
    {"\u2265", "\\ge"},    {"\u2260", "\\ne"},   {"\u03c0", "\\pi"},  {"\u221e", "\\infty"},
    {"\u221a", "\\sqrt"},  {"\u00b0", "\\circ"}, {"\u222a", "\\cup"}, {"\u2208", "\\in"},
    {"\u00b1", "\\pm"},    {"\u2248", "\\approx"}, {"\uff0c", ","},   {"\u00a0", " "},
    {"\u2009", " "},       {"\u202f", " "},      {"\u2032", "'"},     {"\uff1a", ":"},
}};

class Lexer {
 public:
  Lexer(std::string_view s, Budget& budget, std::vector<Token>& out) : s_(s), budget_(budget), out_(out) {}

  void run() {
    while (i_ < s_.size()) {
      budget_.tick();
      char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '~') {
        space_ = true;
        ++i_;
      } else if (is_digit(c) || (c == '.' && i_ + 1 < s_.size() && is_digit(s_[i_ + 1]))) {
        number();
      } else if (is_alpha(c)) {
        size_t start = i_;
        while (i_ < s_.size() && is_alpha(s_[i_])) ++i_;
        emit(Tok::word, std::string(s_.substr(start, i_ - start)));
      } else if (c == '\\') {
        command();
      } else if (static_cast<unsigned char>(c) >= 0x80) {
        unicode();
      } else if (c == '$' || c == '"') {
        ++i_;
      } else {
        punctuation(c);
      }
    }
    out_.push_back({Tok::end, "", space_});
  }

 private:
  void emit(Tok kind, std::string text) {
    out_.push_back({kind, std::move(text), space_});
    space_ = false;
  }

  bool digits_at(size_t at, size_t count) const {
    for (size_t k = 0; k < count; ++k)
      if (at + k >= s_.size() || !is_digit(s_[at + k])) return false;
    return at + count >= s_.size() || !is_digit(s_[at + count]);
  }

  // Length of a thousands separator at `at` followed by three digits, or 0.
  size_t group_separator(size_t at) const {
    static constexpr std::array<std::string_view, 8> seps = {"{,}", "\\,", "\\ ", "\\;", " ", "~", "\u00a0", "\u202f"};
    if (at < s_.size() && s_[at] == ',' && depth_ == 0 && digits_at(at + 1, 3)) return 1;
    for (auto sep : seps)
      if (s_.substr(at, sep.size()) == sep && digits_at(at + sep.size(), 3)) return sep.size();
    return 0;
  }

  void number() {
    std::string text;
    size_t start = i_;
    while (i_ < s_.size() && is_digit(s_[i_])) text += s_[i_++];
    if (!text.empty() && text.size() <= 3) {
      while (size_t sep = group_separator(i_)) {
        text += s_.substr(i_ + sep, 3);
        i_ += sep + 3;
      }
    }
    bool decimal = false;
    if (i_ + 1 < s_.size() && s_[i_] == '.' && is_digit(s_[i_ + 1])) {
      decimal = true;
      ++i_;
    } else if (s_.substr(i_, 3) == "{,}" && i_ + 3 < s_.size() && is_digit(s_[i_ + 3])) {
      decimal = true;  // a decimal comma, "3{,}5"
      i_ += 3;
    }
    if (decimal) {
      text += '.';
      while (i_ < s_.size() && is_digit(s_[i_])) text += s_[i_++];
    }
    exponent(text, start);
    if (text.front() == '.') text.insert(0, "0");
    emit(Tok::num, std::move(text));
  }

  // Scientific notation: 1.5e-3, 2E5 (not 2e^x, where e is Euler's number).
  void exponent(std::string& text, size_t start) {
    if (i_ >= s_.size() || (s_[i_] != 'e' && s_[i_] != 'E')) return;
    size_t j = i_ + 1;
    if (j < s_.size() && (s_[j] == '+' || s_[j] == '-')) ++j;
    if (j >= s_.size() || !is_digit(s_[j])) return;
    size_t k = j;
    while (k < s_.size() && is_digit(s_[k])) ++k;
    if (k < s_.size() && is_alpha(s_[k])) return;
    text += 'e';
    if (s_[i_ + 1] == '-') text += '-';
    text += s_.substr(j, k - j);
    i_ = k;
  }

  void command() {
    ++i_;
    if (i_ >= s_.size()) return;
    char c = s_[i_];
    if (!is_alpha(c)) {
      ++i_;
      switch (c) {
        case '\\': emit(Tok::op, "\\\\"); return;
        case '{': ++depth_; emit(Tok::op, "\\{"); return;
        case '}': --depth_; emit(Tok::op, "\\}"); return;
        case '%': emit(Tok::op, "%"); return;
        case '|': emit(Tok::op, "|"); return;
        case ',': case ';': case ':': case '!': case ' ': case '>': space_ = true; return;
        default: return;  // \$ \( \) \[ \] and others: delimiters only
      }
    }
    size_t start = i_;
    while (i_ < s_.size() && is_alpha(s_[i_])) ++i_;
    std::string_view name = s_.substr(start, i_ - start);
    for (auto skip : kSkipped)
      if (name == skip) {
        if ((name == "left" || name == "right") && i_ < s_.size() && s_[i_] == '.') ++i_;
        space_ = true;
        return;
      }
    for (auto text_like : kTextLike)
      if (name == text_like) return text_group(name);
    if (name == "begin" || name == "end") return environment(name);
    if (name == "mathbb") {
      std::string arg = raw_group();
      return emit(Tok::cmd, "mathbb:" + arg);
    }
    for (auto [from, to] : kAliases)
      if (name == from) {
        if (to.empty()) return;
        if (to.size() <= 2 && !is_alpha(to[0])) {
          if (to == "\\{") ++depth_;
          if (to == "\\}") --depth_;
          return emit(Tok::op, std::string(to));
        }
        return emit(Tok::cmd, std::string(to));
      }
    emit(Tok::cmd, std::string(name));
  }

  // The argument of \text-like commands: braced, or the next character.
  std::string raw_group() {
    while (i_ < s_.size() && s_[i_] == ' ') ++i_;
    if (i_ >= s_.size()) return "";
    if (s_[i_] != '{') return std::string(1, s_[i_++]);
    int level = 0;
    size_t start = i_ + 1;
    for (; i_ < s_.size(); ++i_) {
      budget_.tick();
      if (s_[i_] == '\\' && i_ + 1 < s_.size()) {
        ++i_;
        continue;
      }
      if (s_[i_] == '{') ++level;
      if (s_[i_] == '}' && --level == 0) return std::string(s_.substr(start, i_++ - start));
    }
    return std::string(s_.substr(start));
  }

  // \text{cm} is a unit or a word; \text{5} or \mathrm{e} is math, lexed in place.
  void text_group(std::string_view command) {
    std::string arg = raw_group();
    if ((command == "operatorname" || command == "mathrm") && is_function_name(arg)) {
      return emit(Tok::cmd, arg);  // \operatorname{lcm}
    }
    bool words = arg.size() > 1;
    for (char c : arg)
      if (!(is_alpha(c) || c == ' ' || c == '.' || c == '-' || c == '\'' || static_cast<unsigned char>(c) >= 0x80))
        words = false;
    if (!words) {
      if (nesting_ > 4) too_large();
      Lexer inner(arg, budget_, out_);
      inner.nesting_ = nesting_ + 1;
      inner.space_ = space_;
      inner.run();
      out_.pop_back();  // its end token
      space_ = false;
      return;
    }
    size_t a = arg.find_first_not_of(" ."), b = arg.find_last_not_of(" .");
    if (a == std::string::npos) return;
    emit(Tok::text, arg.substr(a, b - a + 1));
  }

  void environment(std::string_view which) {
    std::string env = raw_group();
    if (which == "begin" && env == "array" && i_ < s_.size() && s_[i_] == '{') raw_group();  // column spec
    emit(Tok::cmd, std::string(which) + ":" + env);
  }

  void unicode() {
    for (auto [from, to] : kUnicode)
      if (s_.substr(i_, from.size()) == from) {
        i_ += from.size();
        if (to == " ") {
          space_ = true;
        } else if (to[0] == '\\') {
          Lexer inner(to, budget_, out_);
          inner.space_ = space_;
          inner.run();
          out_.pop_back();
          space_ = false;
        } else {
          emit(Tok::op, std::string(to));
        }
        return;
      }
    // Other scripts: a run of non-ASCII characters is one word (a unit like 厘米, or text).
    size_t start = i_;
    while (i_ < s_.size() && static_cast<unsigned char>(s_[i_]) >= 0x80) {
      bool mapped = false;
      for (auto [from, to] : kUnicode) mapped = mapped || s_.substr(i_, from.size()) == from;
      if (mapped) break;
      ++i_;
    }
    emit(Tok::word, std::string(s_.substr(start, i_ - start)));
  }

  void punctuation(char c) {
    char next = i_ + 1 < s_.size() ? s_[i_ + 1] : '\0';
    if ((c == '!' || c == '<' || c == '>') && next == '=') {
      i_ += 2;
      return emit(Tok::op, std::string{c, '='});
    }
    if (c == '=' && next == '=') ++i_;
    // Braces group in LaTeX ("\frac{1,000}{3}"), so only brackets make a list context.
    if (c == '(' || c == '[') ++depth_;
    if (c == ')' || c == ']') --depth_;
    ++i_;
    emit(Tok::op, std::string(1, c));
  }

  std::string_view s_;
  Budget& budget_;
  std::vector<Token>& out_;
  size_t i_ = 0;
  int depth_ = 0;
  int nesting_ = 0;
  bool space_ = false;
};

}  // namespace

std::vector<Token> lex(std::string_view answer, Budget& budget) {
  std::vector<Token> out;
  out.reserve(answer.size() / 2 + 4);
  Lexer(answer, budget, out).run();
  return out;
}

}  // namespace grpo::rewards::math
