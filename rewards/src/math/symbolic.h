// Symbolic equivalence with GiNaC, guarded so that no call can blow up.
// GiNaC cannot be interrupted, so only trees that pass size, exponent and
// expansion-size checks reach it. GiNaC is not thread-safe (its shared
// constants are reference-counted without atomics), so all calls take one
// process-wide lock, waiting for it no longer than the check's deadline.
#pragma once

#include "math/budget.h"
#include "math/expr.h"

namespace grpo::rewards::math {

// True when GiNaC proves a == b (normal(expand(a - b)) is 0). False means "not
// proven": the trees may differ, or be out of GiNaC's reach (floor, max, too large).
bool ginac_proves_equal(Ref a, Ref b, Budget& budget);

// For relations: when GiNaC proves (a_lhs - a_rhs) = c * (b_lhs - b_rhs) for a
// real number c != 0, the sign of c (+1 or -1); otherwise 0.
int ginac_proportional(Ref a_lhs, Ref a_rhs, Ref b_lhs, Ref b_rhs, Budget& budget);

}  // namespace grpo::rewards::math
