// The grammar, loosest binding first:
//   list     := union ((',' | ';' | "and" | "or") union)*
//   union    := relation ('\cup' relation)*
//   relation := sum (relop sum)*                 = < > \le \ge \ne \approx \in
//   sum      := ['+'|'-'|'\pm'] term (('+'|'-'|'\pm') term)*
//   term     := unary (('*'|'\times'|'/'|'\div'|':') unary | factor)*   (juxtaposition multiplies)
//   unary    := '-' unary | '+' unary | power
//   power    := postfix ['^' exponent]                                  (right-associative)
//   postfix  := primary ('!' | '%' | "'" | '_' sub | '^\circ')*
// Brackets decide the container: (a, b) tuple, [a, b] closed interval, (a, b]
// half-open interval, \{a, b\} set, a bare "a, b" a list of answers.
#include <utility>

#include "math/parser.h"

namespace grpo::rewards::math {

Parser::Parser(std::vector<Token> tokens, Expr& out, Budget& budget)
    : toks_(std::move(tokens)), out_(out), budget_(budget) {}

const Token& Parser::peek(size_t k) const {
  size_t at = pos_ + k;
  return at < toks_.size() ? toks_[at] : toks_.back();
}

bool Parser::at(Tok kind, std::string_view text) const { return peek().kind == kind && peek().text == text; }

const Token& Parser::next() {
  budget_.tick();
  const Token& t = peek();
  if (pos_ < toks_.size() - 1) ++pos_;
  return t;
}

void Parser::expect_op(std::string_view text) {
  if (!at_op(text)) throw ParseError{};
  next();
}

int32_t Parser::leaf(Kind kind, std::string text, bool decimal) {
  int32_t id = node(kind, {}, std::move(text));
  out_.nodes[static_cast<size_t>(id)].decimal = decimal;
  return id;
}

int32_t Parser::node(Kind kind, std::vector<int32_t> kids, std::string text) {
  budget_.tick();
  if (static_cast<int>(out_.nodes.size()) >= budget_.limits().max_nodes) too_large();
  Node n{kind};
  n.kids = std::move(kids);
  n.text = std::move(text);
  return out_.add(std::move(n));
}

int32_t Parser::parse_top() {
  // Trailing punctuation and a leading "=" or ":" are not part of the answer.
  while (toks_.size() > 2) {
    const Token& last = toks_[toks_.size() - 2];
    if (last.kind != Tok::op || (last.text != "." && last.text != "," && last.text != ";" && last.text != ":")) break;
    toks_.erase(toks_.end() - 2);
  }
  while (at_op("=") || at_op(":")) next();
  if (peek().kind == Tok::end) throw ParseError{};
  if (int32_t text = whole_text(); text >= 0) return text;
  int32_t root = parse_list("");
  if (peek().kind != Tok::end) throw ParseError{};
  return root;
}

namespace {
bool is_separator(const Token& t) {
  if (t.kind == Tok::op) return t.text == "," || t.text == ";";
  if (t.kind == Tok::word || t.kind == Tok::text) return t.text == "and" || t.text == "or";
  return false;
}
}  // namespace

int32_t Parser::parse_list(std::string_view closer) {
  DepthGuard guard(*this);
  std::vector<int32_t> items;
  if (!closer.empty() && at_op(closer)) return node(Kind::list, {});
  items.push_back(parse_union());
  while (is_separator(peek())) {
    next();
    while (is_separator(peek())) next();  // ", and"
    if (peek().kind == Tok::end || (!closer.empty() && at_op(closer))) break;
    items.push_back(parse_union());
  }
  if (items.size() == 1) return items[0];
  // "1, 2, 3" where an element is itself a list (x = 1, 2 or 3) stays flat.
  return node(Kind::list, std::move(items));
}

int32_t Parser::parse_union() {
  int32_t first = parse_relation();
  if (!at_cmd("cup")) return first;
  std::vector<int32_t> parts{first};
  while (at_cmd("cup")) {
    next();
    parts.push_back(parse_relation());
  }
  return node(Kind::set_union, std::move(parts));
}

namespace {
// The relation a token stands for, or "".
std::string_view relation_of(const Token& t) {
  if (t.kind == Tok::op) {
    if (t.text == "=" || t.text == "<" || t.text == ">") return t.text;
    if (t.text == "<=" || t.text == ">=" || t.text == "!=") return t.text;
  }
  if (t.kind == Tok::cmd) {
    if (t.text == "le") return "<=";
    if (t.text == "ge") return ">=";
    if (t.text == "ne") return "!=";
    if (t.text == "approx" || t.text == "equiv" || t.text == "sim") return "=";
    if (t.text == "in") return "in";
  }
  return "";
}
}  // namespace

int32_t Parser::parse_relation() {
  int32_t first = parse_sum();
  if (relation_of(peek()).empty()) return first;
  std::vector<int32_t> operands{first};
  std::string ops;
  while (!relation_of(peek()).empty()) {
    if (!ops.empty()) ops += ' ';
    ops += relation_of(next());
    operands.push_back(parse_sum());
  }
  return node(Kind::relation, std::move(operands), std::move(ops));
}

int32_t Parser::parse_sum() {
  std::vector<int32_t> terms;
  auto finish = [&] { return terms.size() == 1 ? terms[0] : node(Kind::add, terms); };
  bool leading_pm = at_cmd("pm") || at_cmd("mp");
  if (leading_pm) {
    next();
    return node(Kind::pm, {leaf(Kind::number, "0"), parse_term()});
  }
  if (at_op("+")) next();
  terms.push_back(parse_term());
  while (true) {
    if (at_op("+")) {
      next();
      terms.push_back(parse_term());
    } else if (at_op("-")) {
      next();
      terms.push_back(node(Kind::neg, {parse_term()}));
    } else if (at_cmd("pm") || at_cmd("mp")) {
      next();
      int32_t left = finish();
      int32_t right = parse_term();
      terms = {node(Kind::pm, {left, right})};
    } else {
      return finish();
    }
  }
}

int32_t Parser::parse_term() {
  int32_t left = parse_unary();
  while (true) {
    if (at_op("*") || at_cmd("times")) {
      next();
      left = node(Kind::mul, {left, parse_unary()});
    } else if (at_op("/") || at_cmd("div") || at_op(":")) {
      next();
      left = node(Kind::div, {left, parse_unary()});
    } else if (at_unit()) {
      skip_unit();
    } else if (starts_factor()) {
      left = implicit_factor(left);
    } else {
      return left;
    }
  }
}

// Juxtaposition: 2x, 2\pi, x(x+1); and mixed numbers, 2\frac{1}{2} = 5/2.
int32_t Parser::implicit_factor(int32_t left) {
  bool frac_next = at_cmd("frac");
  int32_t right = parse_power();
  // 33\frac{1}{3}\% is (33 + 1/3)%.
  bool percent = out_.at(right).kind == Kind::percent;
  if (percent) right = out_.at(right).kids[0];
  auto wrap = [&](int32_t id) { return percent ? node(Kind::percent, {id}) : id; };
  if (frac_next) {
    const Node& l = out_.at(left);
    bool negative = l.kind == Kind::neg;
    const Node& whole = negative ? out_.at(l.kids[0]) : l;
    const Node& r = out_.at(right);
    auto integer = [&](int32_t id) { return out_.at(id).kind == Kind::number && !out_.at(id).decimal; };
    if (whole.kind == Kind::number && !whole.decimal && r.kind == Kind::div && integer(r.kids[0]) &&
        integer(r.kids[1])) {
      const std::string& a = out_.at(r.kids[0]).text;
      const std::string& b = out_.at(r.kids[1]).text;
      bool proper = a.size() < b.size() || (a.size() == b.size() && a < b);
      if (proper) {
        int32_t sum = node(Kind::add, {negative ? l.kids[0] : left, right});
        return wrap(negative ? node(Kind::neg, {sum}) : sum);
      }
    }
  }
  right = wrap(right);
  if (out_.at(left).kind == Kind::mul) {
    out_.nodes[static_cast<size_t>(left)].kids.push_back(right);
    return left;
  }
  return node(Kind::mul, {left, right});
}

int32_t Parser::parse_unary() {
  if (at_op("-") || at_op("+")) {
    DepthGuard guard(*this);  // - - - - 1
    bool minus = next().text == "-";
    int32_t operand = parse_unary();
    return minus ? node(Kind::neg, {operand}) : operand;
  }
  return parse_power();
}

int32_t Parser::parse_power() {
  int32_t base = parse_postfix(parse_primary());
  if (!at_op("^")) return base;
  next();
  return parse_postfix(node(Kind::pow, {base, parse_exponent()}));
}

int32_t Parser::parse_exponent() {
  DepthGuard guard(*this);  // 2^{2^{2^...}}
  if (at_op("{")) {
    next();
    int32_t e = parse_list("}");
    expect_op("}");
    if (out_.at(e).kind == Kind::list && out_.at(e).kids.empty()) throw ParseError{};
    return e;
  }
  return parse_unary();
}

namespace {
bool is_degree_sign(const Token& t) { return t.kind == Tok::cmd && t.text == "circ"; }
}  // namespace

int32_t Parser::parse_postfix(int32_t base) {
  while (true) {
    if (at_op("!")) {
      next();
      base = node(Kind::func, {base}, "factorial");
    } else if (at_op("%") || at(Tok::word, "percent") || at(Tok::text, "percent") || at(Tok::word, "pct")) {
      next();
      base = node(Kind::percent, {base});
    } else if (at_op("'") && out_.at(base).kind == Kind::symbol) {
      next();
      out_.nodes[static_cast<size_t>(base)].text += '\'';
    } else if (is_degree_sign(peek()) ||
               (at_op("^") && (is_degree_sign(peek(1)) || (peek(1).text == "{" && is_degree_sign(peek(2)))))) {
      // Degrees are dropped: 30^\circ reads 30, as graders and references do.
      if (at_op("^")) next();
      bool braced = at_op("{");
      if (braced) next();
      next();
      if (braced) expect_op("}");
      if ((peek().kind == Tok::word || peek().kind == Tok::text) && (peek().text == "C" || peek().text == "F")) next();
    } else if (at_op("_") && out_.at(base).kind == Kind::symbol) {
      next();
      std::string sub;
      if (at_op("{")) {
        next();
        for (int guard = 0; !at_op("}"); ++guard) {
          if (peek().kind == Tok::end || guard > 32) throw ParseError{};
          sub += next().text;
        }
        next();
      } else {
        sub = next().text;
      }
      out_.nodes[static_cast<size_t>(base)].text += "_" + sub;
    } else {
      return base;
    }
  }
}

// After an opening bracket: the container its contents and closer make.
int32_t Parser::parse_bracket(std::string_view open) {
  std::string_view closer = open == "(" ? ")" : open == "[" ? "]" : open == "{" ? "}" : "\\}";
  bool interval_ok = open == "(" || open == "[";
  int32_t inner = parse_list(interval_ok ? "" : closer);
  std::string close = peek().text;
  bool closes = peek().kind == Tok::op && (close == closer || (interval_ok && (close == ")" || close == "]")));
  if (!closes) throw ParseError{};
  next();
  const Node& n = out_.at(inner);
  bool is_list = n.kind == Kind::list;
  if (open == "\\{") return is_list ? (out_.nodes[static_cast<size_t>(inner)].kind = Kind::set, inner) : node(Kind::set, {inner});
  if (!is_list) {
    if (close != closer) throw ParseError{};
    return inner;
  }
  if (open == "{") {
    out_.nodes[static_cast<size_t>(inner)].kind = Kind::set;
    return inner;
  }
  bool two = n.kids.size() == 2;
  if (open == "(" && close == ")") {
    out_.nodes[static_cast<size_t>(inner)].kind = Kind::tuple;
  } else if (two) {
    Node& iv = out_.nodes[static_cast<size_t>(inner)];
    iv.kind = Kind::interval;
    iv.left_open = open == "(";
    iv.right_open = close == ")";
  } else if (open == "[" && close == "]") {
    out_.nodes[static_cast<size_t>(inner)].kind = Kind::tuple;
  } else {
    throw ParseError{};
  }
  return inner;
}

namespace {

// Copies a subtree into `dst`, choosing + or - at each \pm in turn by `choice`'s bits.
int32_t expand_pm(const Expr& src, int32_t id, Expr& dst, unsigned choice, int& seen) {
  const Node& n = src.at(id);
  std::vector<int32_t> kids;
  for (int32_t k : n.kids) kids.push_back(expand_pm(src, k, dst, choice, seen));
  Node copy = n;
  copy.kids = std::move(kids);
  if (n.kind == Kind::pm) {
    bool minus = (choice >> seen++) & 1u;
    copy.kind = Kind::add;
    if (minus) copy.kids[1] = dst.add(Node{Kind::neg, false, false, false, 0, "", {copy.kids[1]}});
  }
  return dst.add(std::move(copy));
}

int count_pm(const Expr& e) {
  int n = 0;
  for (const Node& node : e.nodes) n += node.kind == Kind::pm;
  return n;
}

}  // namespace

bool parse_answer(std::string_view answer, Expr& out, Budget& budget) {
  if (answer.size() > budget.limits().max_answer_bytes) too_large();
  Expr tree;
  try {
    Parser parser(lex(answer, budget), tree, budget);
    tree.root = parser.parse_top();
  } catch (const ParseError&) {
    return false;
  }
  int pms = count_pm(tree);
  if (pms == 0) {
    out = std::move(tree);
    return true;
  }
  // a \pm b is the two answers a + b and a - b: a list of 2^k variants.
  if (pms > 3) too_large();
  out = Expr{};
  std::vector<int32_t> variants;
  for (unsigned choice = 0; choice < (1u << pms); ++choice) {
    int seen = 0;
    int32_t v = expand_pm(tree, tree.root, out, choice, seen);
    const Node& vn = out.at(v);
    if (vn.kind == Kind::list) {
      for (int32_t k : std::vector<int32_t>(vn.kids)) variants.push_back(k);
    } else {
      variants.push_back(v);
    }
  }
  out.root = out.add(Node{Kind::list, false, false, false, 0, "", std::move(variants)});
  return true;
}

}  // namespace grpo::rewards::math
