// Numeric values in complex long double: the fallback for values that are not
// rational (pi, sqrt(2), sin(1)) and the identity test of symbolic answers.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <numbers>
#include <utility>

#include "math/evaluate.h"

namespace grpo::rewards::math {
namespace {

using Real = long double;
using Maybe = std::optional<Complex>;

bool real_valued(Complex z) { return std::abs(z.imag()) <= 1e-15L * (1 + std::abs(z.real())); }

std::optional<long long> small_integer(Complex z) {
  if (!real_valued(z)) return std::nullopt;
  Real r = std::round(z.real());
  if (std::abs(z.real() - r) > 1e-12L * (1 + std::abs(r)) || std::abs(r) > 1e15L) return std::nullopt;
  return static_cast<long long>(r);
}

Complex integer_power(Complex base, long long n) {
  bool invert = n < 0;
  unsigned long long e = static_cast<unsigned long long>(invert ? -n : n);
  Complex out = 1, sq = base;
  for (; e; e >>= 1, sq *= sq)
    if (e & 1) out *= sq;
  return invert ? Complex(1) / out : out;
}

// Refused (NaN) for huge exponents: x^(10^10) underflows or overflows at every
// test point, and agreement between zeros and infinities proves nothing.
constexpr long double kMaxExponent = 1e4L;

Complex power(Complex base, Complex e) {
  if (std::abs(e) > kMaxExponent) return Complex(std::numeric_limits<Real>::quiet_NaN());
  if (auto n = small_integer(e); n && std::abs(*n) <= 1024) return integer_power(base, *n);
  if (real_valued(base) && real_valued(e) && base.real() >= 0) return std::pow(base.real(), e.real());
  return std::pow(base, e);
}

long long gcd(long long a, long long b) {
  a = std::llabs(a), b = std::llabs(b);
  while (b) a = std::exchange(b, a % b);
  return a;
}

class NumericEval {
 public:
  NumericEval(const Point& point, Budget& budget) : point_(point), budget_(budget) {}

  Maybe eval(Ref r) {
    budget_.tick();
    const Node& n = r.node();
    switch (n.kind) {
      case Kind::number: {
        Real x = 0;  // from_chars: the C locale whatever the process's (strtold would read "0,5")
        auto [end, err] = std::from_chars(n.text.data(), n.text.data() + n.text.size(), x);
        if (err != std::errc()) return std::nullopt;
        return Complex(x);
      }
      case Kind::symbol:
        return lookup(n.text);
      case Kind::constant:
        if (n.text == "pi") return Complex(std::numbers::pi_v<Real>);
        if (n.text == "e") return Complex(std::numbers::e_v<Real>);
        if (n.text == "i") return Complex(0, 1);
        return std::nullopt;
      case Kind::add:
      case Kind::mul: {
        Complex acc = n.kind == Kind::add ? 0 : 1;
        for (size_t i = 0; i < r.size(); ++i) {
          Maybe k = eval(r.kid(i));
          if (!k) return std::nullopt;
          acc = n.kind == Kind::add ? acc + *k : acc * *k;
        }
        return acc;
      }
      case Kind::neg: {
        Maybe k = eval(r.kid(0));
        return k ? Maybe(-*k) : std::nullopt;
      }
      case Kind::div: {
        Maybe a = eval(r.kid(0)), b = eval(r.kid(1));
        if (!a || !b || *b == Complex(0)) return std::nullopt;
        return *a / *b;
      }
      case Kind::pow: {
        Maybe a = eval(r.kid(0)), b = eval(r.kid(1));
        if (!a || !b) return std::nullopt;
        return power(*a, *b);
      }
      case Kind::percent: {
        Maybe k = eval(r.kid(0));
        return k ? Maybe(*k / Real(100)) : std::nullopt;
      }
      case Kind::func:
        return function(r);
      default:
        return std::nullopt;
    }
  }

 private:
  Maybe lookup(const std::string& name) const {
    if (!point_.names) return std::nullopt;
    for (size_t i = 0; i < point_.names->size(); ++i)
      if ((*point_.names)[i] == name) return Complex((*point_.values)[i]);
    return std::nullopt;
  }

  Maybe function(Ref r) {
    const std::string& f = r.node().text;
    std::vector<Complex> a;
    for (size_t i = 0; i < r.size(); ++i) {
      Maybe k = eval(r.kid(i));
      if (!k) return std::nullopt;
      a.push_back(*k);
    }
    Complex x = a[0];
    if (f == "sqrt") return std::sqrt(x);
    if (f == "root") {
      auto n = small_integer(a[1]);
      if (n && *n % 2 != 0 && real_valued(x) && x.real() < 0) return -std::pow(-x.real(), 1.0L / *n);
      return power(x, Complex(1) / a[1]);
    }
    if (f == "sin") return std::sin(x);
    if (f == "cos") return std::cos(x);
    if (f == "tan") return std::tan(x);
    if (f == "cot") return Complex(1) / std::tan(x);
    if (f == "sec") return Complex(1) / std::cos(x);
    if (f == "csc") return Complex(1) / std::sin(x);
    if (f == "asin") return std::asin(x);
    if (f == "acos") return std::acos(x);
    if (f == "atan") return std::atan(x);
    if (f == "acot") return std::atan(Complex(1) / x);
    if (f == "sinh") return std::sinh(x);
    if (f == "cosh") return std::cosh(x);
    if (f == "tanh") return std::tanh(x);
    if (f == "ln") return std::log(x);
    if (f == "log") return std::log(x) / std::log(a[1]);
    if (f == "exp") return std::exp(x);
    if (f == "abs") return Complex(std::abs(x));
    return real_function(f, a);
  }

  // Functions defined on reals only.
  Maybe real_function(const std::string& f, const std::vector<Complex>& a) {
    for (Complex z : a)
      if (!real_valued(z)) return std::nullopt;
    Real x = a[0].real();
    if (f == "floor") return Complex(std::floor(x));
    if (f == "ceil") return Complex(std::ceil(x));
    if (f == "factorial") return x < 0 ? std::nullopt : Maybe(Complex(std::tgamma(x + 1)));
    if (f == "binom") {
      // A product, not lgamma (which writes the global signgam: a data race across threads).
      auto k = small_integer(a[1]);
      if (!k || *k < 0 || *k > 1000) return std::nullopt;
      Real out = 1;
      for (long long j = 1; j <= *k; ++j) out = out * (x - static_cast<Real>(*k - j)) / static_cast<Real>(j);
      return Complex(out);
    }
    if (f == "max" || f == "min") {
      Real best = x;
      for (Complex z : a) best = (f == "max") ? std::max(best, z.real()) : std::min(best, z.real());
      return Complex(best);
    }
    if (f == "gcd" || f == "lcm") {
      long long acc = f == "gcd" ? 0 : 1;
      for (Complex z : a) {
        auto n = small_integer(z);
        if (!n || std::llabs(*n) > (1LL << 20)) return std::nullopt;
        acc = f == "gcd" ? gcd(acc, *n) : acc / std::max(1LL, gcd(acc, *n)) * *n;
      }
      return Complex(static_cast<Real>(acc));
    }
    return std::nullopt;
  }

  const Point& point_;
  Budget& budget_;
};

}  // namespace

std::optional<Complex> numeric_value(Ref ref, const Point& point, Budget& budget) {
  Maybe v = NumericEval(point, budget).eval(ref);
  if (!v || !std::isfinite(v->real()) || !std::isfinite(v->imag())) return std::nullopt;
  return v;
}

}  // namespace grpo::rewards::math
