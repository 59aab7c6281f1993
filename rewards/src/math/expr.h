// The expression tree a parsed answer becomes: nodes in one vector, children by
// index, so a tree is one allocation-light value that is cheap to build and drop.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace grpo::rewards::math {

enum class Kind : uint8_t {
  number,     // text: the literal, digits only: "7425000", "0.5", "1.5e-3"
  symbol,     // text: "x", "x_1", "alpha", or a word ("monday"; compared case-insensitively)
  constant,   // text: "pi", "e", "i", "inf"
  add,        // kids: terms (a - b is add(a, neg(b)))
  mul,        // kids: factors
  div,        // kids: numerator, denominator
  neg,        // kids: operand
  pow,        // kids: base, exponent
  func,       // text: name (sqrt, root, sin, ln, log, abs, floor, factorial, binom, ...); kids: arguments
  percent,    // kids: operand; value operand / 100
  pm,         // a \pm b; kids: a, b (expanded into a set of two before comparison)
  relation,   // text: "=", "<", "<=", ">", ">=", "!=", "in"; kids: the chain's operands
  list,       // a bare comma list "1, 2" (several answers)
  tuple,      // "(1, 2, 3)", "[1, 2, 3]"
  set,        // "\{1, 2\}"
  interval,   // "(0, 1]"; kids: low, high; left_open / right_open
  set_union,  // kids: intervals or sets
  matrix,     // kids: cells row by row; cols columns
};

struct Node {
  Kind kind;
  bool decimal = false;     // number: written with a decimal point or exponent (an approximation)
  bool left_open = false;   // interval
  bool right_open = false;  // interval
  int32_t cols = 0;         // matrix
  std::string text;
  std::vector<int32_t> kids;
};

struct Expr {
  std::vector<Node> nodes;
  int32_t root = -1;

  const Node& at(int32_t id) const { return nodes[static_cast<size_t>(id)]; }
  int32_t add(Node node) {
    nodes.push_back(std::move(node));
    return static_cast<int32_t>(nodes.size() - 1);
  }
};

// A subtree: which tree, which node.
struct Ref {
  const Expr* expr;
  int32_t id;
  const Node& node() const { return expr->at(id); }
  Ref kid(size_t i) const { return {expr, node().kids[i]}; }
  size_t size() const { return node().kids.size(); }
  Kind kind() const { return node().kind; }
  bool operator==(const Ref&) const = default;
};

// Canonical text of a subtree: "1/2", "2*sqrt(2)", "{1, 2}", "(0, 1]", "x = 3".
std::string to_string(Ref ref);

// Whether any number in the subtree was written as a decimal.
bool has_decimal(Ref ref);

// Number of nodes in the subtree.
int count_nodes(Ref ref);

// Names of the free symbols of a subtree, sorted, without duplicates.
std::vector<std::string> free_symbols(Ref ref);

// "x", "monday" and other single symbols, possibly as a product of letters ("xy").
bool is_symbol_like(Ref ref, std::string* name = nullptr);

}  // namespace grpo::rewards::math
