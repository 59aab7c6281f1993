// The recursive-descent parser behind parse_answer() (parse.h). Split over
// parse.cpp (the grammar of operators and brackets) and parse_terms.cpp
// (commands, functions, words, units, matrices).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "math/parse.h"

namespace grpo::rewards::math {

struct ParseError {};

class Parser {
 public:
  Parser(std::vector<Token> tokens, Expr& out, Budget& budget);
  int32_t parse_top();

 private:
  friend struct DepthGuard;

  // parse.cpp: from lists down to powers.
  int32_t parse_list(std::string_view closer);
  int32_t parse_union();
  int32_t parse_relation();
  int32_t parse_sum();
  int32_t parse_term();
  int32_t parse_unary();
  int32_t parse_power();
  int32_t parse_postfix(int32_t base);
  int32_t parse_exponent();
  int32_t parse_bracket(std::string_view open);
  int32_t implicit_factor(int32_t left);

  // parse_terms.cpp: what a primary can be.
  int32_t parse_primary();
  int32_t parse_command();
  int32_t parse_word();
  int32_t parse_function(std::string name);
  int32_t parse_arg();
  int32_t parse_matrix(std::string env);
  bool starts_factor() const;
  bool at_unit() const;
  void skip_unit();
  int32_t whole_text();

  // Tokens.
  const Token& peek(size_t k = 0) const;
  bool at(Tok kind, std::string_view text) const;
  bool at_op(std::string_view text) const { return at(Tok::op, text); }
  bool at_cmd(std::string_view text) const { return at(Tok::cmd, text); }
  const Token& next();
  void expect_op(std::string_view text);

  // Nodes.
  int32_t leaf(Kind kind, std::string text, bool decimal = false);
  int32_t node(Kind kind, std::vector<int32_t> kids, std::string text = "");

  std::vector<Token> toks_;
  size_t pos_ = 0;
  Expr& out_;
  Budget& budget_;
  int depth_ = 0;
};

// Counts nesting where the grammar recurses (lists in brackets and groups,
// signs, exponents, arguments, functions, matrices, |..|); past
// MathLimits::max_depth the answer is too large.
struct DepthGuard {
  explicit DepthGuard(Parser& p) : p_(p) {
    if (++p_.depth_ > p_.budget_.limits().max_depth) too_large();
  }
  ~DepthGuard() { --p_.depth_; }
  Parser& p_;
};

bool is_function_name(std::string_view name);

}  // namespace grpo::rewards::math
