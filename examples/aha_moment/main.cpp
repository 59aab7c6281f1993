// The aha moment on a laptop CPU: R1-Zero-style GRPO from a tiny base model that
// libgrpo pretrained itself (pretrain.yaml), rewarded only for right answers.
//
//   aha_moment --recipe examples/aha_moment/grpo.yaml              the run (runs/aha-moment)
//   aha_moment --recipe examples/aha_moment/grpo.yaml --control    rewards shuffled within each
//                                                                   group (runs/aha-moment-control)
//
// The base model answers "What is 7 + 5 + 9 + 3?" three ways, as its corpus did: a direct
// guess, step-by-step sums, or a slip followed by "Wait, let me recalculate." and a redo.
// Nothing tells the policy which way is better; the reward only checks the answer. On
// held-out problems the run shows:
//   - accuracy rising (the step-by-step and self-correcting ways are right far more often),
//   - responses growing longer, correct ones most of all,
//   - the reflection rate rising, with P(correct | reflects) high,
// and the control, whose advantages carry no information, shows none of it.
//
// Written as one linear file on purpose: it is read, not reused.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>

#include "libgrpo/progress.h"
#include "libgrpo/recipe.h"
#include "libgrpo/report.h"
#include "libgrpo/run.h"

namespace fs = std::filesystem;

namespace {

double metric(const grpo::Metrics& m, const std::string& name) {
  auto it = m.find(name);
  return it == m.end() ? std::nan("") : it->second;
}

// The first `count` evaluation samples logged at `step`.
std::vector<grpo::ReportSample> eval_samples(const grpo::RunData& run, int64_t step, size_t count) {
  std::vector<grpo::ReportSample> out;
  for (const auto& s : run.samples)
    if (s.split == "eval" && s.step == step && out.size() < count) out.push_back(s);
  return out;
}

void print_samples(const std::string& title, const std::vector<grpo::ReportSample>& samples) {
  std::cout << "\n--- " << title << " ---\n";
  for (const auto& s : samples) {
    std::cout << s.prompt << s.completion << "\n";
    std::cout << fmt::format("    [{}; the answer is {}]\n", s.correct.value_or(false) ? "correct" : "wrong", s.answer);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"GRPO teaches a tiny arithmetic model to think step by step and to correct itself"};
  std::string recipe_path = "examples/aha_moment/grpo.yaml";
  std::vector<std::string> overrides;
  bool control = false;
  app.add_option("--recipe", recipe_path, "The GRPO recipe");
  app.add_option("--set", overrides, "Override a recipe key (repeatable)");
  app.add_flag("--control", control, "Negative control: rewards shuffled within each group");
  CLI11_PARSE(app, argc, argv);

  try {
    // ---------------------------------------------------------------- the recipe
    grpo::Recipe recipe = grpo::load_recipe(recipe_path, overrides);
    const fs::path main_dir = recipe.run.output_dir;
    const fs::path control_dir = recipe.run.output_dir + "-control";
    if (control) {
      // The same run, except that each group's rewards are permuted before the
      // advantages: the policy is pushed around exactly as hard, but at random.
      recipe.trainer.shuffle_rewards = true;
      recipe.run.output_dir = control_dir.string();
    }
    const fs::path out = recipe.run.output_dir;
    std::cout << fmt::format("{}: {} steps of {} prompts x {} completions from {}, into {}\n",
                             control ? "negative control" : "aha moment", recipe.run.steps,
                             recipe.trainer.prompts_per_step, recipe.trainer.group_size, recipe.model.path,
                             out.string());

    // ---------------------------------------------------------------- train (resumes a killed run)
    const bool tty = ::isatty(STDERR_FILENO) == 1;
    std::unique_ptr<grpo::ProgressBar> progress;
    grpo::TrainRunOptions options;
    options.resume = true;
    options.on_start = [&](int64_t first, int64_t last) {
      progress = std::make_unique<grpo::ProgressBar>(std::max(last, first + 1), std::cerr, tty, first);
    };
    options.on_step = [&](int64_t step, const grpo::Metrics& m) {
      if (progress) progress->update(step, m);
    };
    options.on_message = [&](const std::string& message) {
      if (progress) progress->finish();
      std::cerr << message << "\n";
    };
    const auto start = std::chrono::steady_clock::now();
    const auto done = grpo::latest_checkpoint(out);
    if (!done || done->step < recipe.run.steps) grpo::train(recipe, options);
    if (progress) progress->finish();
    const double minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60;

    // ---------------------------------------------------------------- before and after
    grpo::RunData run = grpo::read_run_dir(out, control ? "control (shuffled rewards)" : "GRPO");
    int64_t first_eval = -1, last_eval = -1;
    grpo::Metrics before, after;
    for (const auto& [step, m] : run.metrics) {
      if (!m.contains("eval/accuracy")) continue;
      if (first_eval < 0) first_eval = step, before = m;
      last_eval = step, after = m;
    }
    if (first_eval < 0) {
      std::cerr << "no evaluation in " << (out / "metrics.jsonl").string() << "; set eval.every\n";
      return 1;
    }
    print_samples(fmt::format("held-out problems before training (step {})", first_eval),
                  eval_samples(run, first_eval, 3));
    print_samples(fmt::format("the same problems after {} steps", last_eval), eval_samples(run, last_eval, 3));

    std::cout << fmt::format("\n{:<38}{:>10}{:>10}\n", "held-out (eval/...)", "before", "after");
    for (const char* name : {"accuracy", "completions/mean_length", "completions/mean_length_correct",
                             "completions/mean_length_incorrect", "reflection/rate", "reflection/precision"}) {
      const std::string key = std::string("eval/") + name;
      std::cout << fmt::format("{:<38}{:>10.3f}{:>10.3f}\n", name, metric(before, key), metric(after, key));
    }
    std::cout << fmt::format("accuracy {:+.1f} points in {:.1f} minutes of training here\n",
                             100 * (metric(after, "eval/accuracy") - metric(before, "eval/accuracy")), minutes);

    // ---------------------------------------------------------------- the report, beside the other run
    std::vector<grpo::RunData> runs;
    if (fs::exists(main_dir / "metrics.jsonl")) runs.push_back(grpo::read_run_dir(main_dir, "GRPO"));
    if (fs::exists(control_dir / "metrics.jsonl"))
      runs.push_back(grpo::read_run_dir(control_dir, "control (shuffled rewards)"));
    const fs::path report = runs.front().dir / "report.html";
    grpo::write_report(runs, report, {.title = "The aha moment: GRPO on addition chains"});
    std::cout << "report: " << report.string()
              << (runs.size() > 1 ? " (with the negative control)\n"
                                  : " (run with --control to draw the negative control beside it)\n");
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "aha_moment: " << e.what() << "\n";
    return 1;
  }
}
