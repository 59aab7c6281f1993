// Values of expression trees: exact rationals (GMP) where the value is rational
// and its size is bounded, complex long doubles for everything else.
#pragma once

#include <gmpxx.h>

#include <complex>
#include <optional>
#include <string>
#include <vector>

#include "math/budget.h"
#include "math/expr.h"

namespace grpo::rewards::math {

enum class ExactStatus {
  ok,
  inexact,    // not a rational number (pi, sqrt(2), x), or not a number at all
  undefined,  // 1/0, 0^-1
  too_large,  // would exceed MathLimits::max_exact_bits (10^10^10, 100000!)
};

struct Exact {
  ExactStatus status = ExactStatus::ok;
  mpq_class value;
};

// The exact rational value of a scalar subtree.
Exact exact_value(Ref ref, Budget& budget);

// Parses a number literal ("7425000", "0.5", "1.5e-3") exactly; nullopt when its
// exponent is out of bounds.
std::optional<mpq_class> parse_number(const std::string& literal, int64_t max_bits);

// Whether q has a finite decimal expansion (its denominator is 2^a 5^b).
bool is_terminating(const mpq_class& q);

using Complex = std::complex<long double>;

// Values for the free symbols of an expression, by name.
struct Point {
  const std::vector<std::string>* names = nullptr;
  const std::vector<long double>* values = nullptr;
};

// The numeric value at `point`; nullopt where undefined, infinite or not a scalar.
std::optional<Complex> numeric_value(Ref ref, const Point& point, Budget& budget);

}  // namespace grpo::rewards::math
