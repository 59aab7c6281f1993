// Equivalence of a reference answer and a prediction, both parsed.
#pragma once

#include <gmpxx.h>

#include "math/budget.h"
#include "math/expr.h"

namespace grpo::rewards::math {

class Comparer {
 public:
  Comparer(Budget& budget, double rel_tol);

  // Whether pred answers gold. Not symmetric in every rule: an assignment in
  // gold ("x = 3") accepts its value ("3"), a relation in pred is read by its
  // right-hand side ("5 = 5" is "5").
  bool equal(Ref gold, Ref pred);

  // Whether some comparison was refused for size (then "not equal" means "unknown").
  bool saw_too_large() const { return too_large_; }

 private:
  bool relations(Ref g, Ref p);
  bool relation_pair(Ref g, Ref p);
  bool collections(Ref g, Ref p);
  bool ordered(Ref g, Ref p);
  bool unordered(Ref g, Ref p);
  bool covers(Ref a, Ref b, bool a_is_gold);
  bool scalars(Ref g, Ref p);
  bool values(Ref g, Ref p);
  bool exact_close(const mpq_class& a, const mpq_class& b) const;
  bool numeric_close(Ref g, Ref p, long double rel_tol);
  int proportional(Ref a0, Ref a1, Ref b0, Ref b1);

  Budget& budget_;
  mpq_class rel_tol_;
  long double rel_tol_float_;
  bool too_large_ = false;
};

}  // namespace grpo::rewards::math
