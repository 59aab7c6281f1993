#include "math/evaluate.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace grpo::rewards::math {
namespace {

int64_t bits(const mpz_class& z) { return static_cast<int64_t>(mpz_sizeinbase(z.get_mpz_t(), 2)); }
int64_t bits(const mpq_class& q) { return bits(q.get_num()) + bits(q.get_den()); }

ExactStatus worst(ExactStatus a, ExactStatus b) { return static_cast<int>(a) > static_cast<int>(b) ? a : b; }

bool is_integer(const mpq_class& q) { return q.get_den() == 1; }

// Exact evaluation, refusing (too_large) before any intermediate outgrows the limit.
class ExactEval {
 public:
  explicit ExactEval(Budget& budget) : budget_(budget), max_bits_(budget.limits().max_exact_bits) {}

  Exact eval(Ref r) {
    budget_.tick();
    const Node& n = r.node();
    switch (n.kind) {
      case Kind::number: {
        auto q = parse_number(n.text, max_bits_);
        return q ? Exact{ExactStatus::ok, *q} : fail(ExactStatus::too_large);
      }
      case Kind::add:
      case Kind::mul: {
        Exact acc{ExactStatus::ok, n.kind == Kind::add ? 0 : 1};
        for (size_t i = 0; i < r.size(); ++i) {
          Exact k = eval(r.kid(i));
          if (k.status != ExactStatus::ok) return fail(k.status);
          if (n.kind == Kind::add) acc.value += k.value;
          else acc.value *= k.value;
          if (bits(acc.value) > max_bits_) return fail(ExactStatus::too_large);
        }
        return acc;
      }
      case Kind::neg: {
        Exact k = eval(r.kid(0));
        k.value = -k.value;
        return k;
      }
      case Kind::div: {
        Exact a = eval(r.kid(0)), b = eval(r.kid(1));
        if (a.status != ExactStatus::ok || b.status != ExactStatus::ok) return fail(worst(a.status, b.status));
        if (b.value == 0) return fail(ExactStatus::undefined);
        a.value /= b.value;
        return bits(a.value) > max_bits_ ? fail(ExactStatus::too_large) : a;
      }
      case Kind::pow:
        return power(r.kid(0), r.kid(1));
      case Kind::percent: {
        Exact k = eval(r.kid(0));
        k.value /= 100;
        return k;
      }
      case Kind::func:
        return function(r);
      default:
        return fail(ExactStatus::inexact);
    }
  }

 private:
  static Exact fail(ExactStatus s) { return {s, 0}; }

  Exact integer_power(mpq_class base, const mpz_class& n) {
    if (base == 0) return n > 0 ? Exact{ExactStatus::ok, 0} : n == 0 ? Exact{ExactStatus::ok, 1} : fail(ExactStatus::undefined);
    if (base == 1 || n == 0) return {ExactStatus::ok, 1};
    if (base == -1) return {ExactStatus::ok, mpz_odd_p(n.get_mpz_t()) ? -1 : 1};
    mpz_class m = abs(n);
    if (bits(m) > 32 || bits(base) * m.get_si() > max_bits_) return fail(ExactStatus::too_large);
    unsigned long e = m.get_ui();
    mpz_class num, den;
    mpz_pow_ui(num.get_mpz_t(), base.get_num_mpz_t(), e);
    mpz_pow_ui(den.get_mpz_t(), base.get_den_mpz_t(), e);
    mpq_class out(num, den);
    out.canonicalize();
    if (n < 0) out = 1 / out;
    return {ExactStatus::ok, out};
  }

  // base^(p/q): exact only when base is a perfect q-th power.
  Exact power_of(const mpq_class& base, const mpq_class& e) {
    if (is_integer(e)) return integer_power(base, e.get_num());
    if (e.get_den() > 64) return fail(ExactStatus::inexact);
    unsigned long q = e.get_den().get_ui();
    bool negative = base < 0;
    if (negative && q % 2 == 0) return fail(ExactStatus::inexact);
    mpz_class num = abs(base.get_num()), den = base.get_den(), rn, rd;
    if (!mpz_root(rn.get_mpz_t(), num.get_mpz_t(), q) || !mpz_root(rd.get_mpz_t(), den.get_mpz_t(), q))
      return fail(ExactStatus::inexact);
    mpq_class root(negative ? mpz_class(-rn) : rn, rd);
    root.canonicalize();
    return integer_power(root, e.get_num());
  }

  Exact power(Ref base, Ref exponent) {
    Exact e = eval(exponent);
    if (e.status != ExactStatus::ok) return fail(e.status);
    Exact b = eval(base);
    if (b.status != ExactStatus::ok) return fail(b.status);
    return power_of(b.value, e.value);
  }

  Exact function(Ref r) {
    const std::string& f = r.node().text;
    std::vector<Exact> args;
    for (size_t i = 0; i < r.size(); ++i) {
      args.push_back(eval(r.kid(i)));
      if (args.back().status != ExactStatus::ok) return fail(args.back().status);
    }
    const mpq_class& x = args[0].value;
    if (f == "sqrt") return power_of(x, mpq_class(1, 2));
    if (f == "root") {
      const mpq_class& n = args[1].value;
      if (!is_integer(n) || n <= 0 || n > 64) return fail(ExactStatus::inexact);
      return power_of(x, 1 / n);
    }
    if (f == "abs") return {ExactStatus::ok, abs(x)};
    if (f == "floor" || f == "ceil") {
      mpz_class z;
      if (f == "floor") mpz_fdiv_q(z.get_mpz_t(), x.get_num_mpz_t(), x.get_den_mpz_t());
      else mpz_cdiv_q(z.get_mpz_t(), x.get_num_mpz_t(), x.get_den_mpz_t());
      return {ExactStatus::ok, mpq_class(z)};
    }
    if (f == "factorial") return factorial(x);
    if (f == "binom") return binomial(x, args[1].value);
    if (f == "max" || f == "min") {
      mpq_class best = x;
      for (const Exact& a : args) best = (f == "max") == (a.value > best) ? a.value : best;
      return {ExactStatus::ok, best};
    }
    if ((f == "gcd" || f == "lcm") && args.size() >= 2) {
      mpz_class acc = x.get_num();
      for (const Exact& a : args) {
        if (!is_integer(a.value)) return fail(ExactStatus::inexact);
        if (f == "gcd") mpz_gcd(acc.get_mpz_t(), acc.get_mpz_t(), a.value.get_num_mpz_t());
        else mpz_lcm(acc.get_mpz_t(), acc.get_mpz_t(), a.value.get_num_mpz_t());
        if (bits(acc) > max_bits_) return fail(ExactStatus::too_large);
      }
      return {ExactStatus::ok, mpq_class(acc)};
    }
    if (f == "log" && args.size() == 2) return logarithm(x, args[1].value);
    return fail(ExactStatus::inexact);
  }

  Exact factorial(const mpq_class& x) {
    if (!is_integer(x) || x < 0) return fail(ExactStatus::inexact);
    if (x > 5000) return fail(ExactStatus::too_large);  // 5000! has ~54,000 bits
    mpz_class out;
    mpz_fac_ui(out.get_mpz_t(), x.get_num().get_ui());
    return bits(out) > max_bits_ ? fail(ExactStatus::too_large) : Exact{ExactStatus::ok, mpq_class(out)};
  }

  Exact binomial(const mpq_class& n, const mpq_class& k) {
    if (!is_integer(n) || !is_integer(k) || n < 0) return fail(ExactStatus::inexact);
    if (k < 0 || k > n) return {ExactStatus::ok, 0};
    if (n > max_bits_) return fail(ExactStatus::too_large);  // C(n, k) < 2^n
    mpz_class out;
    mpz_bin_uiui(out.get_mpz_t(), n.get_num().get_ui(), k.get_num().get_ui());
    return {ExactStatus::ok, mpq_class(out)};
  }

  // log_b(x) when x is an integer power of b (log_2 8 = 3, log 100 = 2).
  Exact logarithm(const mpq_class& x, const mpq_class& b) {
    if (x <= 0 || b <= 0 || b == 1) return fail(ExactStatus::inexact);
    if (x == 1) return {ExactStatus::ok, 0};
    bool up = (x > 1) == (b > 1);
    mpq_class target = up ? x : 1 / x, cur = 1;
    for (int k = 1; k <= 64; ++k) {
      cur *= b;
      if (cur == target) return {ExactStatus::ok, up ? k : -k};
      if (bits(cur) > bits(target) + 2) break;
    }
    return fail(ExactStatus::inexact);
  }

  Budget& budget_;
  int64_t max_bits_;
};

}  // namespace

std::optional<mpq_class> parse_number(const std::string& literal, int64_t max_bits) {
  std::string digits;
  int64_t scale = 0;
  size_t e = literal.find('e');
  std::string mantissa = literal.substr(0, e);
  for (char c : mantissa)
    if (c >= '0' && c <= '9') digits += c;
  size_t dot = mantissa.find('.');
  scale = dot == std::string::npos ? 0 : -static_cast<int64_t>(mantissa.size() - dot - 1);
  if (e != std::string::npos) {
    std::string exp = literal.substr(e + 1);
    if (exp.size() > 9) return std::nullopt;
    scale += std::stoll(exp);
  }
  if (digits.empty()) return std::nullopt;
  if (std::abs(scale) * 10 > max_bits * 3 || static_cast<int64_t>(digits.size()) * 10 > max_bits * 3) return std::nullopt;
  mpq_class q(mpz_class(digits, 10));
  mpz_class ten;
  mpz_ui_pow_ui(ten.get_mpz_t(), 10, static_cast<unsigned long>(std::abs(scale)));
  if (scale >= 0) q *= ten;
  else q /= ten;
  q.canonicalize();
  return q;
}

bool is_terminating(const mpq_class& q) {
  mpz_class den = q.get_den();
  mpz_class two(2), five(5);
  mpz_remove(den.get_mpz_t(), den.get_mpz_t(), two.get_mpz_t());
  mpz_remove(den.get_mpz_t(), den.get_mpz_t(), five.get_mpz_t());
  return den == 1;
}

Exact exact_value(Ref ref, Budget& budget) { return ExactEval(budget).eval(ref); }

}  // namespace grpo::rewards::math
