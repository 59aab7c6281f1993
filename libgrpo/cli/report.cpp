// grpo report: a run directory's curves and samples as one HTML page.
//
//   grpo report runs/countdown --compare runs/countdown_random_reward
//   wrote runs/countdown/report.html
#include <filesystem>
#include <ostream>

#include "commands.h"
#include "libgrpo/error.h"
#include "libgrpo/report.h"

namespace grpo::cli {

CLI::App* add_report_command(CLI::App& app, ReportArgs& args) {
  auto* report = app.add_subcommand("report", "Write a run's curves and sample completions as one HTML file");
  report->add_option("run_dir", args.run_dir, "Run directory (holds metrics.jsonl)")->required();
  report->add_option("--compare", args.compare, "Another run directory to draw beside it (repeatable)");
  report->add_option("--label", args.labels, "Name of a run in the legend: the first names RUN_DIR, then each --compare (repeatable)");
  report->add_option("--out", args.out, "Output file (default: RUN_DIR/report.html)");
  report->add_option("--title", args.title, "Page title (default: the run's name)");
  report->add_option("--samples", args.samples, "Completions shown per evaluation step")
      ->capture_default_str()->check(CLI::Range(0, 1000));
  return report;
}

int run_report(const ReportArgs& args, std::ostream& out) {
  std::vector<std::string> dirs = {args.run_dir};
  dirs.insert(dirs.end(), args.compare.begin(), args.compare.end());
  GRPO_CHECK(args.labels.size() <= dirs.size(), args.labels.size(), " --label given for ", dirs.size(), " runs");
  std::vector<RunData> runs;
  for (size_t i = 0; i < dirs.size(); ++i) runs.push_back(read_run_dir(dirs[i], i < args.labels.size() ? args.labels[i] : ""));

  ReportOptions options;
  options.title = args.title;
  options.samples_per_step = args.samples;
  std::filesystem::path path = args.out.empty() ? std::filesystem::path(args.run_dir) / "report.html"
                                                      : std::filesystem::path(args.out);
  write_report(runs, path, options);
  out << "wrote " << path.string() << "\n";
  return 0;
}

}  // namespace grpo::cli
