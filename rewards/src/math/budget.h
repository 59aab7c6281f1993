// The budget of one math check: a deadline, a step count and the caller's stop
// token, polled cooperatively by every loop and recursion of the checker.
// Running out throws Exhausted, which check_math() turns into a reason.
#pragma once

#include <chrono>
#include <cstdint>

#include "rewards/math.h"

namespace grpo::rewards::math {

struct Exhausted {
  MathReason reason;  // timeout, cancelled or too_large
};

[[noreturn]] inline void too_large() { throw Exhausted{MathReason::too_large}; }

class Budget {
 public:
  Budget(const ScoreBudget& outer, std::chrono::nanoseconds timeout, const MathLimits& limits)
      : outer_(outer), limits_(limits) {
    auto own = std::chrono::steady_clock::now() + timeout;
    deadline_ = own < outer.deadline ? own : outer.deadline;
  }

  // One unit of work. Reading the clock costs ~20 ns, so it is read every 64 units.
  void tick(int64_t cost = 1) {
    steps_ += cost;
    if (steps_ > limits_.max_steps) throw Exhausted{MathReason::timeout};
    if ((since_poll_ += cost) >= 64) poll();
  }

  void poll() {
    since_poll_ = 0;
    if (outer_.cancelled()) throw Exhausted{MathReason::cancelled};
    if (std::chrono::steady_clock::now() >= deadline_) throw Exhausted{MathReason::timeout};
  }

  std::chrono::steady_clock::time_point deadline() const { return deadline_; }
  const ScoreBudget& outer() const { return outer_; }
  const MathLimits& limits() const { return limits_; }

 private:
  const ScoreBudget& outer_;
  const MathLimits& limits_;
  std::chrono::steady_clock::time_point deadline_;
  int64_t steps_ = 0;
  int64_t since_poll_ = 0;
};

}  // namespace grpo::rewards::math
