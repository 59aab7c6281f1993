// Subcommands of the grpo program that live in their own files.
#pragma once

#include <CLI/CLI.hpp>

#include <iosfwd>
#include <string>

namespace grpo::cli {

// grpo reward math: checks {"gold": ..., "pred": ...} JSONL lines (reward_math.cpp).
struct RewardMathArgs {
  bool pred_is_answer = false;  // pred is the answer itself: skip extraction
  double rel_tol = 1e-6;
  int timeout_ms = 1000;
};

// Adds "reward" with its "math" subcommand to `app`; returns "reward".
CLI::App* add_reward_command(CLI::App& app, RewardMathArgs& args);

// One output line per input line. Exit code 0, or 1 when some line was not
// valid input (that line's output says why, and so does `err`).
int run_reward_math(const RewardMathArgs& args, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace grpo::cli
