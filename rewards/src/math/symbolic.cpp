#include "math/symbolic.h"

#include <ginac/ginac.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>

#include "math/evaluate.h"

namespace grpo::rewards::math {
namespace {

std::timed_mutex ginac_mutex;

// Number of terms (a + b)^k expands to, at most `cap`.
double expanded_terms(Ref r, double cap) {
  const Node& n = r.node();
  switch (n.kind) {
    case Kind::add: {
      double t = 0;
      for (size_t i = 0; i < r.size(); ++i) t += expanded_terms(r.kid(i), cap);
      return std::min(t, cap);
    }
    case Kind::mul: {
      double t = 1;
      for (size_t i = 0; i < r.size(); ++i) t *= expanded_terms(r.kid(i), cap);
      return std::min(t, cap);
    }
    case Kind::div:
      return std::min(expanded_terms(r.kid(0), cap) * expanded_terms(r.kid(1), cap), cap);
    case Kind::pow: {
      double base = expanded_terms(r.kid(0), cap);
      const Node& e = r.kid(1).node();
      if (e.kind != Kind::number || e.decimal || base <= 1) return base;
      double k = std::min(std::strtod(e.text.c_str(), nullptr), 1e6), t = 1;
      for (double j = 1; j <= k && t < cap; ++j) t = t * (base + j - 1) / j;  // C(base + k - 1, k)
      return std::min(t, cap);
    }
    default:
      return 1;
  }
}

struct Refused {};

// Our tree to a GiNaC expression, refusing anything whose evaluation could run long.
class ToGinac {
 public:
  ToGinac(Budget& budget) : budget_(budget), limits_(budget.limits()) {}

  GiNaC::ex convert(Ref r) {
    budget_.tick();
    const Node& n = r.node();
    switch (n.kind) {
      case Kind::number:
        return number(n.text);
      case Kind::symbol: {
        auto it = symbols_.find(n.text);
        if (it == symbols_.end()) it = symbols_.emplace(n.text, GiNaC::symbol(n.text)).first;
        return it->second;
      }
      case Kind::constant:
        if (n.text == "pi") return GiNaC::Pi;
        if (n.text == "e") return GiNaC::exp(GiNaC::ex(1));
        if (n.text == "i") return GiNaC::I;
        throw Refused{};
      case Kind::add:
      case Kind::mul: {
        GiNaC::ex acc = n.kind == Kind::add ? 0 : 1;
        for (size_t i = 0; i < r.size(); ++i) acc = n.kind == Kind::add ? acc + convert(r.kid(i)) : acc * convert(r.kid(i));
        return acc;
      }
      case Kind::neg:
        return -convert(r.kid(0));
      case Kind::div:
        return divide(convert(r.kid(0)), convert(r.kid(1)));
      case Kind::percent:
        return convert(r.kid(0)) / 100;
      case Kind::pow:
        return power(r);
      case Kind::func:
        return function(r);
      default:
        throw Refused{};
    }
  }

 private:
  // GiNaC signals 1/0, 0^-1 and log(0) by throwing from inside its allocator,
  // which leaks the half-built node; refuse them before it sees them.
  static GiNaC::ex divide(const GiNaC::ex& a, const GiNaC::ex& b) {
    if (b.is_zero()) throw Refused{};
    return a / b;
  }

  GiNaC::ex number(const std::string& literal) {
    auto q = parse_number(literal, 2048);
    if (!q) throw Refused{};
    return GiNaC::numeric(q->get_num().get_str().c_str()) / GiNaC::numeric(q->get_den().get_str().c_str());
  }

  // Exponents must be small rationals: GiNaC evaluates 10^(10^10) eagerly.
  GiNaC::ex power(Ref r) {
    GiNaC::ex base = convert(r.kid(0)), e = convert(r.kid(1));
    if (base.is_zero() && !(GiNaC::is_a<GiNaC::numeric>(e) && GiNaC::ex_to<GiNaC::numeric>(e).is_positive()))
      throw Refused{};
    if (GiNaC::is_a<GiNaC::numeric>(e)) {
      auto q = GiNaC::ex_to<GiNaC::numeric>(e);
      if (!q.is_rational()) throw Refused{};
      GiNaC::numeric num = GiNaC::abs(q.numer()), den = q.denom();
      if (num > limits_.max_symbolic_exponent || den > 64) throw Refused{};
      if (GiNaC::is_a<GiNaC::numeric>(base)) {
        auto b = GiNaC::ex_to<GiNaC::numeric>(base);
        if (b.is_rational() && (b.numer().int_length() + b.denom().int_length()) * num.to_int() > 4096)
          throw Refused{};
      }
    }
    return GiNaC::pow(base, e);
  }

  GiNaC::ex function(Ref r) {
    const std::string& f = r.node().text;
    std::vector<GiNaC::ex> a;
    for (size_t i = 0; i < r.size(); ++i) a.push_back(convert(r.kid(i)));
    const GiNaC::ex& x = a[0];
    if (f == "sqrt") return GiNaC::sqrt(x);
    if (f == "root") {
      if (!GiNaC::is_a<GiNaC::numeric>(a[1]) || !GiNaC::ex_to<GiNaC::numeric>(a[1]).is_pos_integer() ||
          GiNaC::ex_to<GiNaC::numeric>(a[1]) > 64)
        throw Refused{};
      return GiNaC::pow(x, divide(1, a[1]));
    }
    if (f == "sin") return GiNaC::sin(x);
    if (f == "cos") return GiNaC::cos(x);
    if (f == "tan") return GiNaC::tan(x);
    if (f == "cot") return divide(1, GiNaC::tan(x));
    if (f == "sec") return divide(1, GiNaC::cos(x));
    if (f == "csc") return divide(1, GiNaC::sin(x));
    if (f == "asin") return GiNaC::asin(x);
    if (f == "acos") return GiNaC::acos(x);
    if (f == "atan") return GiNaC::atan(x);
    if (f == "sinh") return GiNaC::sinh(x);
    if (f == "cosh") return GiNaC::cosh(x);
    if (f == "tanh") return GiNaC::tanh(x);
    if ((f == "ln" || f == "log") && x.is_zero()) throw Refused{};
    if (f == "ln") return GiNaC::log(x);
    if (f == "log") return divide(GiNaC::log(x), GiNaC::log(a[1]));
    if (f == "exp") return GiNaC::exp(x);
    if (f == "abs") return GiNaC::abs(x);
    if (f == "factorial" && !GiNaC::is_a<GiNaC::numeric>(x)) return GiNaC::factorial(x);
    throw Refused{};  // floor, max, gcd, ... and numeric factorials (the exact path has those)
  }

  Budget& budget_;
  const MathLimits& limits_;
  std::map<std::string, GiNaC::symbol> symbols_;
};

bool small_enough(Ref r, const MathLimits& limits) {
  return count_nodes(r) <= limits.max_symbolic_nodes && expanded_terms(r, 1e9) <= 2000;
}

bool is_zero(const GiNaC::ex& e, Budget& budget) {
  budget.poll();
  GiNaC::ex expanded = GiNaC::expand(e);
  budget.poll();
  return GiNaC::normal(expanded).is_zero();
}

// Runs `body` holding the GiNaC lock; gives up when the budget runs out first.
template <class Body>
auto with_ginac(Budget& budget, Body body) -> decltype(body()) {
  std::unique_lock lock(ginac_mutex, std::defer_lock);
  while (!lock.try_lock_for(std::chrono::milliseconds(5))) budget.poll();
  try {
    return body();
  } catch (const Refused&) {
  } catch (const std::exception&) {  // GiNaC's pole_error, overflow, ...
  }
  return {};
}

}  // namespace

bool ginac_proves_equal(Ref a, Ref b, Budget& budget) {
  const MathLimits& limits = budget.limits();
  if (!small_enough(a, limits) || !small_enough(b, limits)) return false;
  return with_ginac(budget, [&] {
    ToGinac convert(budget);
    return is_zero(convert.convert(a) - convert.convert(b), budget);
  });
}

int ginac_proportional(Ref a_lhs, Ref a_rhs, Ref b_lhs, Ref b_rhs, Budget& budget) {
  const MathLimits& limits = budget.limits();
  for (Ref r : {a_lhs, a_rhs, b_lhs, b_rhs})
    if (!small_enough(r, limits)) return 0;
  return with_ginac(budget, [&]() -> int {
    ToGinac convert(budget);
    GiNaC::ex da = convert.convert(a_lhs) - convert.convert(a_rhs);
    GiNaC::ex db = convert.convert(b_lhs) - convert.convert(b_rhs);
    if (is_zero(da - db, budget)) return 1;
    if (is_zero(da + db, budget)) return -1;
    budget.poll();
    GiNaC::ex denominator = GiNaC::expand(db);
    if (denominator.is_zero()) return 0;
    GiNaC::ex ratio = GiNaC::normal(GiNaC::expand(da) / denominator);
    if (!GiNaC::is_a<GiNaC::numeric>(ratio)) return 0;
    auto c = GiNaC::ex_to<GiNaC::numeric>(ratio);
    if (!c.is_real() || c.is_zero()) return 0;
    return c.is_positive() ? 1 : -1;
  });
}

}  // namespace grpo::rewards::math
