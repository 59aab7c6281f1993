// Primaries: numbers, symbols, words and units, commands (\frac, \sqrt, \binom,
// functions, Greek letters, \lfloor, matrices).
#include <algorithm>
#include <array>
#include <cctype>

#include "math/parser.h"

namespace grpo::rewards::math {
namespace {

constexpr std::array<std::string_view, 22> kFunctions = {
    "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh",
    "tanh", "ln", "log", "lg", "exp", "sqrt", "max", "min", "gcd", "lcm", "arccot"};

constexpr std::array<std::string_view, 36> kGreek = {
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta",
    "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "varphi",
    "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Phi", "Psi", "Omega",
    "ell", "varrho"};

// Single letters that read as units after a number and a space at the end of
// an answer ("5 m", "3 s"); anywhere else a letter is a variable.
constexpr std::string_view kLetterUnits = "mgshLlKJNWV";

bool is_greek(std::string_view name) {
  return std::find(kGreek.begin(), kGreek.end(), name) != kGreek.end();
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_constant_word(std::string_view w) { return w == "pi" || w == "inf" || w == "infty" || w == "infinity"; }

bool is_joiner(std::string_view w) { return w == "and" || w == "or" || w == "percent" || w == "pct"; }

bool is_ascii_letters(std::string_view w) {
  return std::all_of(w.begin(), w.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
}

}  // namespace

bool is_function_name(std::string_view name) {
  return std::find(kFunctions.begin(), kFunctions.end(), name) != kFunctions.end();
}

bool Parser::starts_factor() const {
  const Token& t = peek();
  switch (t.kind) {
    case Tok::num:
      return true;
    case Tok::word:
      if (is_joiner(t.text)) return false;
      return (t.text.size() == 1 && is_ascii_letters(t.text)) || is_function_name(t.text) ||
             is_constant_word(t.text);
    case Tok::cmd:
      return t.text == "frac" || t.text == "sqrt" || t.text == "binom" || t.text == "pi" || t.text == "lfloor" ||
             t.text == "lceil" || is_greek(t.text) || is_function_name(t.text) || t.text.starts_with("begin:");
    case Tok::op:
      return t.text == "(";
    default:
      return false;
  }
}

bool Parser::at_unit() const {
  const Token& t = peek();
  if (t.kind == Tok::text) return !is_joiner(t.text);
  if (t.kind != Tok::word || is_joiner(t.text)) return false;
  if (t.text.size() == 1 && is_ascii_letters(t.text)) {
    bool last = peek(1).kind == Tok::end || (peek(1).kind == Tok::op && peek(1).text == "^");
    return t.space_before && last && kLetterUnits.find(t.text[0]) != std::string_view::npos;
  }
  return !is_function_name(t.text) && !is_constant_word(t.text);
}

// A unit and its decorations: cm, cm^2, m/s, km \cdot h^{-1}.
void Parser::skip_unit() {
  next();
  while (true) {
    if (at_op("^") && (peek(1).kind == Tok::num || peek(1).text == "{" || peek(1).text == "-")) {
      next();
      if (at_op("{")) {
        while (!at_op("}") && peek().kind != Tok::end) next();
      }
      next();
      if (peek().kind == Tok::num) next();
    } else if ((at_op("/") || at_cmd("times")) && (peek(1).kind == Tok::word || peek(1).kind == Tok::text) &&
               !is_function_name(peek(1).text) && !is_joiner(peek(1).text)) {
      next();
      next();
    } else {
      return;
    }
  }
}

int32_t Parser::whole_text() {
  size_t letters = 0;
  std::string words;
  for (size_t i = 0; i + 1 < toks_.size(); ++i) {
    const Token& t = toks_[i];
    if (t.kind != Tok::word && t.kind != Tok::text) return -1;
    if (is_function_name(t.text) || is_constant_word(t.text)) return -1;
    letters += t.text.size();
    if (!words.empty()) words += ' ';
    words += lower(t.text);
  }
  bool other_script = !is_ascii_letters(words.substr(0, 1));
  if (letters < 3 && !other_script && toks_[0].kind != Tok::text) return -1;
  return leaf(Kind::symbol, std::move(words));
}

int32_t Parser::parse_primary() {
  const Token& t = peek();
  switch (t.kind) {
    case Tok::num: {
      std::string text = next().text;
      bool decimal = text.find_first_of(".e") != std::string::npos;
      return leaf(Kind::number, std::move(text), decimal);
    }
    case Tok::word:
      return parse_word();
    case Tok::text:
      return leaf(Kind::symbol, lower(next().text));
    case Tok::cmd:
      return parse_command();
    case Tok::op: {
      std::string open = next().text;
      if (open == "(" || open == "[" || open == "{" || open == "\\{") return parse_bracket(open);
      if (open == "|") {
        DepthGuard guard(*this);  // ||||x||||
        int32_t inner = parse_sum();
        expect_op("|");
        return node(Kind::func, {inner}, "abs");
      }
      throw ParseError{};
    }
    default:
      throw ParseError{};
  }
}

int32_t Parser::parse_word() {
  std::string w = next().text;
  if (w == "pi") return leaf(Kind::constant, "pi");
  if (w == "inf" || w == "infty" || w == "infinity") return leaf(Kind::constant, "inf");
  if (is_function_name(w)) return parse_function(w);
  if (!is_ascii_letters(w)) return leaf(Kind::symbol, w);
  if (w == "e" || w == "i") return leaf(Kind::constant, w);
  if (w.size() == 1) return leaf(Kind::symbol, w);
  // "xy" is the product x*y (a word answer was taken whole by whole_text()); a
  // longer word inside math is prose ("nine, as shown above"), not an answer.
  if (w.size() > 3) throw ParseError{};
  std::vector<int32_t> letters;
  for (char c : w) letters.push_back(leaf(Kind::symbol, std::string(1, c)));
  return node(Kind::mul, std::move(letters));
}

int32_t Parser::parse_command() {
  std::string name = next().text;
  if (name == "frac") {
    int32_t num = parse_arg();
    return node(Kind::div, {num, parse_arg()});
  }
  if (name == "binom") {
    int32_t n = parse_arg();
    return node(Kind::func, {n, parse_arg()}, "binom");
  }
  if (name == "sqrt") {
    if (!at_op("[")) return node(Kind::func, {parse_arg()}, "sqrt");
    next();
    int32_t index = parse_sum();
    expect_op("]");
    int32_t radicand = parse_arg();
    return node(Kind::func, {radicand, index}, "root");
  }
  if (name == "pi") return leaf(Kind::constant, "pi");
  if (name == "infty") return leaf(Kind::constant, "inf");
  if (name == "emptyset") return node(Kind::set, {});
  if (name == "lfloor" || name == "lceil") {
    int32_t inner = parse_sum();
    if (!at_cmd(name == "lfloor" ? "rfloor" : "rceil")) throw ParseError{};
    next();
    return node(Kind::func, {inner}, name == "lfloor" ? "floor" : "ceil");
  }
  if (name == "mathbb:R") {
    int32_t low = node(Kind::neg, {leaf(Kind::constant, "inf")});
    int32_t id = node(Kind::interval, {low, leaf(Kind::constant, "inf")});
    out_.nodes[static_cast<size_t>(id)].left_open = out_.nodes[static_cast<size_t>(id)].right_open = true;
    return id;
  }
  if (name.starts_with("mathbb:")) return leaf(Kind::symbol, name);
  if (is_greek(name)) return leaf(Kind::symbol, name);
  if (is_function_name(name)) return parse_function(name);
  if (name.starts_with("begin:")) return parse_matrix(name.substr(6));
  throw ParseError{};
}

// \sin x, \sin(x), \sin^2 x, \sin^{-1} x, \log_2 8, \log 100 (base 10), \max(a, b).
int32_t Parser::parse_function(std::string name) {
  DepthGuard guard(*this);
  int32_t power = -1, base = -1;
  while (at_op("^") || at_op("_")) {
    bool sup = next().text == "^";
    (sup ? power : base) = sup ? parse_exponent() : parse_arg();
  }
  std::vector<int32_t> args;
  if (at_op("(")) {
    next();
    int32_t inner = parse_list("");
    expect_op(")");
    if (out_.at(inner).kind == Kind::list) args = out_.at(inner).kids;
    else args = {inner};
  } else {
    int32_t arg = parse_power();
    while (starts_factor() && !is_function_name(peek().text)) arg = node(Kind::mul, {arg, parse_power()});
    args = {arg};
  }
  if (name.starts_with("arc")) name = "a" + name.substr(3);
  if (name == "lg") name = "log";
  if (name == "log") args.push_back(base >= 0 ? base : leaf(Kind::number, "10"));
  if (power >= 0) {
    const Node& p = out_.at(power);
    bool inverse = p.kind == Kind::neg && out_.at(p.kids[0]).kind == Kind::number && out_.at(p.kids[0]).text == "1";
    if (inverse && (name == "sin" || name == "cos" || name == "tan")) return node(Kind::func, args, "a" + name);
  }
  int32_t f = node(Kind::func, std::move(args), name);
  return power >= 0 ? node(Kind::pow, {f, power}) : f;
}

// A command's argument: {group}, or one character as LaTeX reads it (\frac12 = 1/2).
int32_t Parser::parse_arg() {
  DepthGuard guard(*this);
  if (at_op("{")) {
    next();
    int32_t inner = parse_list("}");
    expect_op("}");
    if (out_.at(inner).kind == Kind::list && out_.at(inner).kids.empty()) throw ParseError{};  // \frac{}{}
    return inner;
  }
  Token& t = toks_[std::min(pos_, toks_.size() - 1)];
  bool splittable = (t.kind == Tok::num && std::all_of(t.text.begin(), t.text.end(), ::isdigit)) ||
                    (t.kind == Tok::word && is_ascii_letters(t.text));
  if (splittable && t.text.size() > 1) {
    std::string first = t.text.substr(0, 1);
    t.text.erase(0, 1);
    t.space_before = false;
    if (t.kind == Tok::num) return leaf(Kind::number, first);
    return first == "e" || first == "i" ? leaf(Kind::constant, first) : leaf(Kind::symbol, first);
  }
  return parse_primary();
}

int32_t Parser::parse_matrix(std::string env) {
  DepthGuard guard(*this);
  static constexpr std::array<std::string_view, 6> kinds = {"pmatrix", "bmatrix", "Bmatrix", "matrix",
                                                             "smallmatrix", "array"};
  if (std::find(kinds.begin(), kinds.end(), env) == kinds.end()) throw ParseError{};  // vmatrix: a determinant
  std::vector<int32_t> cells;
  int cols = 0, in_row = 0;
  auto end_row = [&] {
    if (in_row == 0) return;
    if (cols == 0) cols = in_row;
    if (in_row != cols) throw ParseError{};
    in_row = 0;
  };
  while (true) {
    if (peek().kind == Tok::end) throw ParseError{};
    if (at_cmd("end:" + env)) {
      next();
      end_row();
      break;
    }
    if (at_op("\\\\")) {
      next();
      end_row();
      continue;
    }
    cells.push_back(parse_union());
    ++in_row;
    if (at_op("&")) next();
    else if (!at_op("\\\\") && !at_cmd("end:" + env)) throw ParseError{};
  }
  if (cells.empty()) throw ParseError{};
  int32_t m = node(Kind::matrix, std::move(cells));
  out_.nodes[static_cast<size_t>(m)].cols = cols;
  return m;
}

}  // namespace grpo::rewards::math
