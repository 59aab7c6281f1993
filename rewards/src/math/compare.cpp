// Equivalence rules, in the order equal() applies them:
//   identical canonical text                      -> equal
//   relations   x = 3 vs 3, x = 3 vs x = 3, y = 2x vs 2x - y = 0, x > 1 vs (1, \infty)
//   containers  sets and lists unordered, tuples and matrices ordered, intervals
//               by ends and openness, (a, b) also as an open interval
//   scalars     exact rationals; a decimal within rel_tol of a value with no finite
//               decimal form; else GiNaC, then a numeric identity test
#include "math/compare.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <charconv>
#include <optional>
#include <sstream>

#include "math/evaluate.h"
#include "math/symbolic.h"

namespace grpo::rewards::math {
namespace {

// Tolerance of the numeric identity test between two exact expressions:
// long double carries ~19 digits, so agreement to 1e-10 at several points is
// not a coincidence.
constexpr long double kIdentityTol = 1e-10L;

// Where the identity test evaluates free symbols: irregular, positive, distinct.
constexpr long double kPoints[4] = {0.7236068L, 1.3819660L, 2.2360680L, 0.4142136L};

bool is_container(Kind k) {
  return k == Kind::list || k == Kind::tuple || k == Kind::set || k == Kind::interval || k == Kind::set_union ||
         k == Kind::matrix;
}

std::vector<std::string> split_ops(const std::string& ops) {
  std::vector<std::string> out;
  std::istringstream in(ops);
  for (std::string op; in >> op;) out.push_back(op);
  return out;
}

bool all_ops(const std::vector<std::string>& ops, std::initializer_list<std::string_view> allowed) {
  return std::all_of(ops.begin(), ops.end(), [&](const std::string& op) {
    return std::find(allowed.begin(), allowed.end(), op) != allowed.end();
  });
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_inf(Ref r) { return r.kind() == Kind::constant && r.node().text == "inf"; }
bool is_minus_inf(Ref r) { return r.kind() == Kind::neg && is_inf(r.kid(0)); }

// An interval, from an interval node or a one-variable inequality (x > 1, 0 < x <= 2).
struct IntervalView {
  std::optional<Ref> low, high;  // empty: -inf, +inf
  bool left_open = true, right_open = true;
};

std::optional<IntervalView> as_interval(Ref r) {
  bool pair = r.kind() == Kind::tuple && r.size() == 2;  // (a, b) as an open interval
  if (r.kind() == Kind::interval || pair) {
    IntervalView v{std::nullopt, std::nullopt, pair || r.node().left_open, pair || r.node().right_open};
    if (!is_minus_inf(r.kid(0))) v.low = r.kid(0);
    if (!is_inf(r.kid(1))) v.high = r.kid(1);
    return v;
  }
  if (r.kind() != Kind::relation) return std::nullopt;
  auto ops = split_ops(r.node().text);
  bool up = all_ops(ops, {"<", "<="}), down = all_ops(ops, {">", ">="});
  if (!up && !down) return std::nullopt;
  auto bound = [](Ref x) { return free_symbols(x).empty(); };
  auto var = [](Ref x) { return x.kind() == Kind::symbol; };
  IntervalView v;
  auto set_bound = [&](Ref c, bool c_below_x, bool strict) {
    if (c_below_x) v.low = c, v.left_open = strict;
    else v.high = c, v.right_open = strict;
  };
  if (ops.size() == 1 && var(r.kid(0)) && bound(r.kid(1))) {
    set_bound(r.kid(1), down, ops[0].size() == 1);  // x > c: c is below x
  } else if (ops.size() == 1 && var(r.kid(1)) && bound(r.kid(0))) {
    set_bound(r.kid(0), up, ops[0].size() == 1);    // c < x
  } else if (ops.size() == 2 && var(r.kid(1)) && bound(r.kid(0)) && bound(r.kid(2))) {
    set_bound(r.kid(0), up, ops[0].size() == 1);
    set_bound(r.kid(2), !up, ops[1].size() == 1);
  } else {
    return std::nullopt;
  }
  return v;
}

// The shortest decimal that reads back as x: 1e-6 becomes 1/10^6 exactly, not
// the nearest double. to_chars ignores the locale, as a library must.
mpq_class decimal_rational(double x) {
  char buf[64];
  auto [end, err] = std::to_chars(buf, buf + sizeof buf, std::abs(x));
  if (err != std::errc()) return 0;
  auto q = parse_number(std::string(buf, end), 4096);
  return q ? *q : mpq_class(0);
}

}  // namespace

Comparer::Comparer(Budget& budget, double rel_tol)
    : budget_(budget), rel_tol_(decimal_rational(rel_tol)), rel_tol_float_(rel_tol) {}

bool Comparer::equal(Ref g, Ref p) {
  budget_.tick(4);
  if (to_string(g) == to_string(p)) return true;
  if (g.kind() == Kind::relation || p.kind() == Kind::relation) return relations(g, p);
  if (is_container(g.kind()) || is_container(p.kind())) return collections(g, p);
  return scalars(g, p);
}

bool Comparer::relations(Ref g, Ref p) {
  if (g.kind() == Kind::relation && p.kind() == Kind::relation) return relation_pair(g, p);
  Ref rel = g.kind() == Kind::relation ? g : p;
  Ref other = g.kind() == Kind::relation ? p : g;
  auto ops = split_ops(rel.node().text);
  auto view = as_interval(rel), o = as_interval(other);
  if (view && o) {
    auto same_end = [&](const std::optional<Ref>& a, const std::optional<Ref>& b) {
      return a.has_value() == b.has_value() && (!a || equal(rel == g ? *a : *b, rel == g ? *b : *a));
    };
    return view->left_open == o->left_open && view->right_open == o->right_open && same_end(view->low, o->low) &&
           same_end(view->high, o->high);
  }
  if (!all_ops(ops, {"=", "in"})) return false;
  Ref last = rel.kid(rel.size() - 1);
  if (rel == g) {
    // Only an assignment ("x = 3", "y = 2x + 1") stands for its value.
    return is_symbol_like(g.kid(0)) && equal(last, p);
  }
  // A relation in the prediction stands for its value: "x = 5", "2 + 3 = 5", "5 = x".
  if (is_symbol_like(last) && !is_symbol_like(p.kid(0))) return equal(g, p.kid(0));
  return equal(g, last);
}

bool Comparer::relation_pair(Ref g, Ref p) {
  auto gops = split_ops(g.node().text), pops = split_ops(p.node().text);
  Ref g0 = g.kid(0), g1 = g.kid(g.size() - 1), p0 = p.kid(0), p1 = p.kid(p.size() - 1);
  if (all_ops(gops, {"=", "in"}) && all_ops(pops, {"=", "in"})) {
    std::string gn, pn;
    if (is_symbol_like(g0, &gn) && is_symbol_like(p0, &pn)) return lower(gn) == lower(pn) && equal(g1, p1);
    return gops.size() == 1 && pops.size() == 1 && proportional(g0, g1, p0, p1) != 0;
  }
  if (gops.size() == 1 && pops.size() == 1 && all_ops(gops, {"<", "<=", ">", ">="}) &&
      all_ops(pops, {"<", "<=", ">", ">="})) {
    // Both as "lhs < rhs" (or <=): a > b is b < a.
    bool gflip = gops[0][0] == '>', pflip = pops[0][0] == '>';
    if (gops[0].size() != pops[0].size()) return false;
    if (gflip) std::swap(g0, g1);
    if (pflip) std::swap(p0, p1);
    return proportional(g0, g1, p0, p1) > 0;
  }
  if (gops.size() == 1 && pops.size() == 1 && gops[0] == "!=" && pops[0] == "!=") return proportional(g0, g1, p0, p1) != 0;
  auto gv = as_interval(g), pv = as_interval(p);
  if (!gv || !pv) return false;
  auto same_end = [&](const std::optional<Ref>& a, const std::optional<Ref>& b) {
    return a.has_value() == b.has_value() && (!a || equal(*a, *b));
  };
  return gv->left_open == pv->left_open && gv->right_open == pv->right_open && same_end(gv->low, pv->low) &&
         same_end(gv->high, pv->high);
}

bool Comparer::collections(Ref g, Ref p) {
  Kind G = g.kind(), P = p.kind();
  auto pair_like = [](Ref r) { return (r.kind() == Kind::tuple || r.kind() == Kind::list) && r.size() == 2; };
  if (G == Kind::interval || P == Kind::interval) {
    if (G == Kind::interval && P == Kind::interval) {
      const Node &a = g.node(), &b = p.node();
      return a.left_open == b.left_open && a.right_open == b.right_open && ordered(g, p);
    }
    // "(1, 2)" is an open interval or a point: the other side decides.
    Ref iv = G == Kind::interval ? g : p, other = G == Kind::interval ? p : g;
    return iv.node().left_open && iv.node().right_open && pair_like(other) && ordered(g, p);
  }
  if (G == Kind::set_union || P == Kind::set_union) return G == P && unordered(g, p);
  if (G == Kind::matrix || P == Kind::matrix) {
    if (G == P) return g.node().cols == p.node().cols && ordered(g, p);
    Ref m = G == Kind::matrix ? g : p, other = G == Kind::matrix ? p : g;
    bool vector = m.node().cols == 1 || static_cast<size_t>(m.node().cols) == m.size();
    return vector && (other.kind() == Kind::tuple || other.kind() == Kind::list) && ordered(g, p);
  }
  bool g_bag = G == Kind::list || G == Kind::set, p_bag = P == Kind::list || P == Kind::set;
  if (g_bag && p_bag) return unordered(g, p);
  if ((G == Kind::tuple && (P == Kind::tuple || P == Kind::list)) || (G == Kind::list && P == Kind::tuple))
    return ordered(g, p);
  // A single answer and a one-element set.
  if (G == Kind::set && g.size() == 1 && !is_container(P)) return equal(g.kid(0), p);
  if (P == Kind::set && p.size() == 1 && !is_container(G)) return equal(g, p.kid(0));
  return false;
}

bool Comparer::ordered(Ref g, Ref p) {
  if (g.size() != p.size()) return false;
  for (size_t i = 0; i < g.size(); ++i)
    if (!equal(g.kid(i), p.kid(i))) return false;
  return true;
}

// Each gold element matched to its own pred element. Greedy is enough: the
// rules are (close to) an equivalence relation.
bool Comparer::unordered(Ref g, Ref p) {
  if (g.size() > 64 || p.size() > 64) {
    too_large_ = true;
    return false;
  }
  // Two sets: each element of one is in the other ({1, 2, 2} is {1, 2}).
  if (g.kind() == Kind::set && p.kind() == Kind::set) return covers(g, p, true) && covers(p, g, false);
  if (g.size() != p.size()) return false;
  std::vector<bool> used(p.size(), false);
  for (size_t i = 0; i < g.size(); ++i) {
    bool found = false;
    for (size_t j = 0; j < p.size() && !found; ++j)
      if (!used[j] && equal(g.kid(i), p.kid(j))) used[j] = found = true;
    if (!found) return false;
  }
  return true;
}

// Whether every element of `a` equals some element of `b` (gold first either way).
bool Comparer::covers(Ref a, Ref b, bool a_is_gold) {
  for (size_t i = 0; i < a.size(); ++i) {
    bool found = false;
    for (size_t j = 0; j < b.size() && !found; ++j)
      found = a_is_gold ? equal(a.kid(i), b.kid(j)) : equal(b.kid(j), a.kid(i));
    if (!found) return false;
  }
  return true;
}

bool Comparer::scalars(Ref g, Ref p) {
  // 50% answers both "50" and "0.5".
  if (p.kind() == Kind::percent) return values(g, p) || values(g, p.kid(0));
  if (g.kind() == Kind::percent) return values(g, p) || values(g.kid(0), p);
  // Words and names ("Monday", "\text{even}", "A" vs "(A)"); a product of
  // letters (xy) is only read as a word against a word.
  std::string gn, pn;
  auto is_word = [](Ref r) { return r.kind() == Kind::symbol && r.node().text.size() > 1; };
  if ((is_word(g) || is_word(p)) && is_symbol_like(g, &gn) && is_symbol_like(p, &pn)) return lower(gn) == lower(pn);
  return values(g, p);
}

bool Comparer::values(Ref g, Ref p) {
  Exact eg = exact_value(g, budget_), ep = exact_value(p, budget_);
  if (eg.status == ExactStatus::ok && ep.status == ExactStatus::ok) {
    if (eg.value == ep.value) return true;
    // A decimal approximates only what has no finite decimal form: 0.333333 is 1/3,
    // but 1000000.5 is not 1000000.
    bool approx = (has_decimal(p) && !is_terminating(eg.value)) || (has_decimal(g) && !is_terminating(ep.value));
    return approx && exact_close(eg.value, ep.value);
  }
  if (eg.status == ExactStatus::too_large || ep.status == ExactStatus::too_large) {
    too_large_ = true;
    return false;
  }
  if (eg.status == ExactStatus::undefined || ep.status == ExactStatus::undefined) return false;
  if (has_decimal(g) || has_decimal(p)) return numeric_close(g, p, rel_tol_float_);
  if (ginac_proves_equal(g, p, budget_)) return true;
  return numeric_close(g, p, kIdentityTol);
}

bool Comparer::exact_close(const mpq_class& a, const mpq_class& b) const {
  mpq_class diff = abs(a - b), scale = std::max(abs(a), abs(b));
  return diff <= rel_tol_ * scale;
}

// Equal at every test point (one point when there are no free symbols).
bool Comparer::numeric_close(Ref g, Ref p, long double rel_tol) {
  std::vector<std::string> names = free_symbols(g), more = free_symbols(p);
  names.insert(names.end(), more.begin(), more.end());
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  if (names.size() > 16) return false;
  int agreed = 0;
  int rounds = names.empty() ? 1 : 4;
  for (int k = 0; k < rounds; ++k) {
    std::vector<long double> values;
    for (size_t j = 0; j < names.size(); ++j) values.push_back(kPoints[(k + j) % 4] + 0.3137L * static_cast<long double>(j));
    Point point{&names, &values};
    auto a = numeric_value(g, point, budget_), b = numeric_value(p, point, budget_);
    if (!a && !b) continue;  // both undefined here (a pole): no evidence either way
    if (!a || !b) return false;
    long double scale = std::max(std::abs(*a), std::abs(*b));
    if (std::abs(*a - *b) > rel_tol * scale + 1e-15L) return false;
    ++agreed;
  }
  if (agreed == 0) too_large_ = true;  // undefined everywhere we looked: unknown, not "different"
  return agreed > 0;
}

// The sign of c when (a0 - a1) = c * (b0 - b1) for a real c != 0, else 0.
int Comparer::proportional(Ref a0, Ref a1, Ref b0, Ref b1) {
  if (int sign = ginac_proportional(a0, a1, b0, b1, budget_)) return sign;
  std::vector<std::string> names;
  for (Ref r : {a0, a1, b0, b1}) {
    auto s = free_symbols(r);
    names.insert(names.end(), s.begin(), s.end());
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  if (names.empty() || names.size() > 16) return 0;
  std::optional<Complex> ratio;
  for (int k = 0; k < 4; ++k) {
    std::vector<long double> values;
    for (size_t j = 0; j < names.size(); ++j) values.push_back(kPoints[(k + j) % 4] + 0.3137L * static_cast<long double>(j));
    Point point{&names, &values};
    auto x0 = numeric_value(a0, point, budget_), x1 = numeric_value(a1, point, budget_);
    auto y0 = numeric_value(b0, point, budget_), y1 = numeric_value(b1, point, budget_);
    if (!x0 || !x1 || !y0 || !y1) return 0;
    Complex da = *x0 - *x1, db = *y0 - *y1;
    if (std::abs(db) < 1e-12L || std::abs(da) < 1e-12L) return 0;
    Complex c = da / db;
    if (ratio && std::abs(c - *ratio) > kIdentityTol * std::abs(*ratio)) return 0;
    ratio = c;
  }
  if (std::abs(ratio->imag()) > kIdentityTol * std::abs(*ratio)) return 0;
  return ratio->real() > 0 ? 1 : -1;
}

}  // namespace grpo::rewards::math
