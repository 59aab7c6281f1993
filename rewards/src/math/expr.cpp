#include "math/expr.h"

#include <algorithm>

namespace grpo::rewards::math {
namespace {

// Binding strength, for parentheses when printing.
int precedence(const Node& n) {
  switch (n.kind) {
    case Kind::add:
    case Kind::pm:
      return 1;
    case Kind::mul:
    case Kind::div:
      return 2;
    case Kind::neg:
      return 3;
    case Kind::pow:
      return 4;
    case Kind::number:
      return n.text.find_first_of("e") == std::string::npos ? 5 : 2;
    case Kind::percent:
      return 5;
    default:
      return 6;
  }
}

void print(Ref ref, std::string& out);

void print_wrapped(Ref ref, bool wrap, std::string& out) {
  if (wrap) out += '(';
  print(ref, out);
  if (wrap) out += ')';
}

void print_joined(Ref ref, std::string_view sep, std::string& out) {
  for (size_t i = 0; i < ref.size(); ++i) {
    if (i) out += sep;
    print(ref.kid(i), out);
  }
}

void print_arith(Ref ref, std::string& out) {
  const Node& n = ref.node();
  int p = precedence(n);
  switch (n.kind) {
    case Kind::add:
      for (size_t i = 0; i < ref.size(); ++i) {
        Ref k = ref.kid(i);
        if (i && k.kind() == Kind::neg) {
          out += " - ";
          print_wrapped(k.kid(0), precedence(k.kid(0).node()) <= 1, out);
          continue;
        }
        if (i) out += " + ";
        print(k, out);
      }
      return;
    case Kind::mul:
      for (size_t i = 0; i < ref.size(); ++i) {
        if (i) out += '*';
        print_wrapped(ref.kid(i), precedence(ref.kid(i).node()) < p || (i && ref.kid(i).kind() == Kind::neg), out);
      }
      return;
    case Kind::div:
      print_wrapped(ref.kid(0), precedence(ref.kid(0).node()) < p, out);
      out += '/';
      print_wrapped(ref.kid(1), precedence(ref.kid(1).node()) <= p, out);
      return;
    case Kind::neg:
      out += '-';
      print_wrapped(ref.kid(0), precedence(ref.kid(0).node()) <= 2, out);
      return;
    case Kind::pow:
      print_wrapped(ref.kid(0), precedence(ref.kid(0).node()) <= p, out);
      out += '^';
      print_wrapped(ref.kid(1), precedence(ref.kid(1).node()) <= p, out);
      return;
    case Kind::pm:
      print(ref.kid(0), out);
      out += " +- ";
      print_wrapped(ref.kid(1), precedence(ref.kid(1).node()) <= 1, out);
      return;
    default:
      return;
  }
}

void print(Ref ref, std::string& out) {
  const Node& n = ref.node();
  switch (n.kind) {
    case Kind::number:
    case Kind::symbol:
    case Kind::constant:
      out += n.text;
      return;
    case Kind::func:
      out += n.text;
      out += '(';
      print_joined(ref, ", ", out);
      out += ')';
      return;
    case Kind::percent:
      print_wrapped(ref.kid(0), precedence(ref.kid(0).node()) < 5, out);
      out += '%';
      return;
    case Kind::relation:
      print_joined(ref, " " + n.text + " ", out);
      return;
    case Kind::list:
      print_joined(ref, ", ", out);
      return;
    case Kind::tuple:
      out += '(';
      print_joined(ref, ", ", out);
      out += ')';
      return;
    case Kind::set:
      out += '{';
      print_joined(ref, ", ", out);
      out += '}';
      return;
    case Kind::interval:
      out += n.left_open ? '(' : '[';
      print_joined(ref, ", ", out);
      out += n.right_open ? ')' : ']';
      return;
    case Kind::set_union:
      print_joined(ref, " U ", out);
      return;
    case Kind::matrix:
      out += '[';
      for (size_t i = 0; i < ref.size(); ++i) {
        if (i % static_cast<size_t>(n.cols) == 0) out += i ? "], [" : "[";
        else out += ", ";
        print(ref.kid(i), out);
      }
      out += "]]";
      return;
    default:
      print_arith(ref, out);
  }
}

void collect_symbols(Ref ref, std::vector<std::string>& out) {
  if (ref.kind() == Kind::symbol) out.push_back(ref.node().text);
  for (size_t i = 0; i < ref.size(); ++i) collect_symbols(ref.kid(i), out);
}

}  // namespace

std::string to_string(Ref ref) {
  std::string out;
  print(ref, out);
  return out;
}

bool has_decimal(Ref ref) {
  if (ref.kind() == Kind::number) return ref.node().decimal;
  for (size_t i = 0; i < ref.size(); ++i)
    if (has_decimal(ref.kid(i))) return true;
  return false;
}

int count_nodes(Ref ref) {
  int n = 1;
  for (size_t i = 0; i < ref.size(); ++i) n += count_nodes(ref.kid(i));
  return n;
}

std::vector<std::string> free_symbols(Ref ref) {
  std::vector<std::string> out;
  collect_symbols(ref, out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool is_symbol_like(Ref ref, std::string* name) {
  std::string concat;
  if (ref.kind() == Kind::symbol) {
    concat = ref.node().text;
  } else if (ref.kind() == Kind::mul) {
    for (size_t i = 0; i < ref.size(); ++i) {
      const Node& k = ref.kid(i).node();
      bool letter = (k.kind == Kind::symbol || (k.kind == Kind::constant && (k.text == "e" || k.text == "i")));
      if (!letter) return false;
      concat += k.text;
    }
  } else {
    return false;
  }
  if (name) *name = concat;
  return true;
}

}  // namespace grpo::rewards::math
