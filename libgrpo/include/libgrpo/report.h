// Run report: one self-contained HTML page (inline SVG charts and CSS; no
// script, no fonts, nothing fetched) with a training run's curves over steps
// and sample completions, optionally beside other runs (a negative control).
//
//   grpo report runs/countdown --compare runs/countdown_shuffled_rewards
//
// What it reads from a run directory, as the trainer writes them:
//   metrics.jsonl   one {"step": ..., "time": ..., <metric>: value} per step
//                   (libgrpo/metrics_log.h); "eval/..." metrics on some steps only
//   samples.jsonl   optional: {"step": 20, "split": "eval", "prompt": "...",
//                   "completion": "...", "answer": "...", "reward": 1.0, "correct": true}
//   recipe.yaml     optional: the resolved recipe, shown collapsed
#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "libgrpo/metrics.h"

namespace grpo {

// One line of samples.jsonl.
struct ReportSample {
  int64_t step = 0;
  std::string split = "train";  // "eval" or "train"
  std::string prompt;
  std::string completion;
  std::string answer;           // the reference answer
  double reward = std::numeric_limits<double>::quiet_NaN();  // NaN when the line has none (or null)
  std::optional<bool> correct;  // absent when the line does not say
};

// A run directory, read.
struct RunData {
  std::filesystem::path dir;
  std::string label;  // legend and heading name of the run
  std::vector<std::pair<int64_t, Metrics>> metrics;  // metrics.jsonl, in file order
  std::vector<ReportSample> samples;                 // samples.jsonl, empty when absent
  std::string recipe;                                // recipe.yaml text, empty when absent
};

struct ReportOptions {
  std::string title;         // page title; empty: the first run's label
  int samples_per_step = 4;  // completions shown per evaluation step (0: none)
};

// Reads dir/metrics.jsonl and, where present, dir/samples.jsonl and
// dir/recipe.yaml. label empty: the directory's name. A missing directory or
// metrics.jsonl, or a line that is not a valid record, is a grpo::Error
// naming the file (and the line).
RunData read_run_dir(const std::filesystem::path& dir, std::string label = "");

// Reads a samples.jsonl. Each line is a JSON object with an integer "step";
// "split", "prompt", "completion", "answer" are strings (a number answer is
// kept as written), "reward" a number or null, "correct" a boolean. A torn
// last line (no newline, not valid JSON: a write in progress) is skipped;
// any other bad line is a grpo::Error naming the file and line.
std::vector<ReportSample> read_samples_jsonl(const std::filesystem::path& path);

// The report page for runs (the first is the main run; the others are drawn
// beside it on every chart, dashed). runs must not be empty.
//
// Every metric present in any run gets a curve exactly once (except "time",
// the wall clock). First the held-out headline, above the summary table:
// eval/accuracy; eval/completions/mean_length with mean_length_correct and
// mean_length_incorrect on one chart; eval/reflection/rate with precision.
// Then training charts (reward with a ±reward_std band, accuracy, completion
// lengths, reflection, kl, entropy, clip ratios, grad_norm, learning_rate,
// frac_reward_zero_std, clipped completions, step times, throughput,
// pass@k / maj@k), then the rest grouped by their name's prefix. Every chart
// spans the same steps. Each curve is an SVG <path class="series"
// data-metric="NAME" data-run="K"> (NaN values are gaps), with a legend entry
// <li class="key" data-metric="NAME">; all run text is HTML-escaped.
std::string render_report(const std::vector<RunData>& runs, const ReportOptions& options = {});

// Renders the report and writes it to out atomically: to a temporary file
// beside out, then renamed over it, so a reader never sees half a page.
void write_report(const std::vector<RunData>& runs, const std::filesystem::path& out,
                  const ReportOptions& options = {});

}  // namespace grpo
