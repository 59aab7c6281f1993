// Subcommands of the grpo program that live in their own files.
#pragma once

#include <CLI/CLI.hpp>

#include <iosfwd>
#include <string>
#include <vector>

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

// grpo report RUN_DIR [--compare DIR ...]: the run's curves and samples as one
// HTML page (report.cpp; the page itself is libgrpo/report.h).
struct ReportArgs {
  std::string run_dir;
  std::vector<std::string> compare;  // runs drawn beside it
  std::vector<std::string> labels;   // names of the runs, in order; default: directory names
  std::string out;                   // default: RUN_DIR/report.html
  std::string title;
  int samples = 4;                   // completions shown per evaluation step
};

// Adds "report" to `app`; returns it.
CLI::App* add_report_command(CLI::App& app, ReportArgs& args);

// Reads the runs, writes the page, and prints its path to `out`. Exit code 0;
// unreadable runs are a grpo::Error.
int run_report(const ReportArgs& args, std::ostream& out);

}  // namespace grpo::cli
