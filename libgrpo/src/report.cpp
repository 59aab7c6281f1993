// The run report page (report.h): the held-out headline charts, a summary
// table, the other charts (report_charts.h), sample completions per
// evaluation step, and the recipe.
#include "libgrpo/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>

#include "libgrpo/error.h"
#include "report_charts.h"
#include "report_svg.h"

namespace grpo {
namespace {

using report::html_escape;
using report::legend_swatch;

// ---------------------------------------------------------------- summary

// The last finite value of metric in run, and the first, if any.
struct FirstLast {
  double first = std::nan(""), last = std::nan("");
};
FirstLast first_last(const RunData& run, const std::string& metric) {
  FirstLast out;
  for (const auto& [step, metrics] : run.metrics) {
    auto it = metrics.find(metric);
    if (it == metrics.end() || !std::isfinite(it->second)) continue;
    if (std::isnan(out.first)) out.first = it->second;
    out.last = it->second;
  }
  return out;
}

std::string duration_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "";
  long s = std::lround(seconds);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  return buffer;
}

// "Line style marks the run: ― real, - - control; ..." (empty for one run).
std::string run_key(const std::vector<RunData>& runs) {
  if (runs.size() < 2) return "";
  std::string html = "Line style marks the run:";
  for (size_t r = 0; r < runs.size(); ++r)
    html += std::string(r ? ", " : " ") + legend_swatch(0, static_cast<int>(r)) + "<b>" + html_escape(runs[r].label) + "</b>";
  return html + "; a compared run's markers are hollow.";
}

std::string render_summary(const std::vector<RunData>& runs) {
  const std::vector<std::string> headline = {"reward", "accuracy", "completions/mean_length", "kl", "entropy"};
  std::string html = "<table class=\"summary\"><tr><th>run</th><th>steps</th><th>wall time</th>";
  for (const auto& name : headline) html += "<th>" + html_escape(name) + "<br><small>last</small></th>";
  html += "<th>eval/accuracy<br><small>first → last</small></th></tr>\n";
  for (size_t r = 0; r < runs.size(); ++r) {
    const RunData& run = runs[r];
    html += "<tr><td>" + legend_swatch(static_cast<int>(r), static_cast<int>(r)) + "<b>" + html_escape(run.label) +
            "</b><br><small>" + html_escape(run.dir.string()) + "</small></td>";
    if (run.metrics.empty()) {
      html += "<td colspan=\"" + std::to_string(headline.size() + 3) + "\">no steps logged yet</td></tr>\n";
      continue;
    }
    FirstLast time = first_last(run, "time");
    html += "<td>" + std::to_string(run.metrics.front().first) + " – " + std::to_string(run.metrics.back().first) +
            "<br><small>" + std::to_string(run.metrics.size()) + " records</small></td><td>" +
            duration_text(time.last - time.first) + "</td>";
    for (const auto& name : headline) {
      double last = first_last(run, name).last;
      html += "<td>" + (std::isnan(last) ? std::string("–") : report::format_value(last)) + "</td>";
    }
    FirstLast eval = first_last(run, "eval/accuracy");
    html += "<td>" + (std::isnan(eval.first) ? std::string("–")
                                             : report::format_value(eval.first) + " → " + report::format_value(eval.last)) +
            "</td></tr>\n";
  }
  html += "</table>\n";
  if (runs.size() > 1) html += "<p class=\"note\">" + run_key(runs) + "</p>\n";
  return html;
}

// ---------------------------------------------------------------- samples

std::string render_sample(const ReportSample& s) {
  std::string mark = !s.correct ? "<span class=\"mark\">?</span>"
                     : *s.correct ? "<span class=\"mark ok\">✓ correct</span>"
                                  : "<span class=\"mark bad\">✗ wrong</span>";
  return "<div class=\"sample\"><div class=\"meta\">" + mark + " reward " + report::format_value(s.reward) +
         " · answer <code>" + html_escape(s.answer) + "</code></div><details><summary>prompt</summary><pre>" +
         html_escape(s.prompt) + "</pre></details><pre class=\"completion\">" + html_escape(s.completion) +
         "</pre></div>\n";
}

// Evaluation samples by step (training samples when a run has none), the
// first samples_per_step of each step in file order; the latest step open.
std::string render_samples(const RunData& run, int samples_per_step) {
  if (run.samples.empty() || samples_per_step <= 0) return "";
  bool has_eval = std::any_of(run.samples.begin(), run.samples.end(), [](const auto& s) { return s.split == "eval"; });
  std::string split = has_eval ? "eval" : run.samples.front().split;
  std::map<int64_t, std::vector<const ReportSample*>> by_step;
  for (const ReportSample& s : run.samples)
    if (s.split == split) by_step[s.step].push_back(&s);
  std::string html = "<h2>Samples (" + html_escape(split) + "): " + html_escape(run.label) + "</h2>\n";
  for (auto it = by_step.begin(); it != by_step.end(); ++it) {
    const auto& samples = it->second;
    int correct = 0, judged = 0;
    double reward_sum = 0;
    int rewarded = 0;
    for (const ReportSample* s : samples) {
      if (s->correct) judged++, correct += *s->correct;
      if (std::isfinite(s->reward)) reward_sum += s->reward, rewarded++;
    }
    html += std::string("<details class=\"step\"") + (std::next(it) == by_step.end() ? " open" : "") +
            "><summary>step " + std::to_string(it->first) + " · " + std::to_string(samples.size()) + " samples";
    if (judged) html += " · " + std::to_string(correct) + "/" + std::to_string(judged) + " correct";
    if (rewarded) html += " · mean reward " + report::format_value(reward_sum / rewarded);
    html += "</summary>\n";
    for (size_t i = 0; i < samples.size() && i < static_cast<size_t>(samples_per_step); ++i)
      html += render_sample(*samples[i]);
    html += "</details>\n";
  }
  return html;
}

// ---------------------------------------------------------------- charts

// The steps any run logged, first to last: every chart shows these.
std::pair<double, double> step_range(const std::vector<RunData>& runs) {
  double lo = std::nan(""), hi = std::nan("");
  for (const RunData& run : runs) {
    for (const auto& [step, metrics] : run.metrics) {
      lo = std::isnan(lo) ? static_cast<double>(step) : std::min(lo, static_cast<double>(step));
      hi = std::isnan(hi) ? static_cast<double>(step) : std::max(hi, static_cast<double>(step));
    }
  }
  return {lo, hi};
}

// A heading, its note and its grid of charts. Headline charts are larger
// and drawn with larger type: three to a row, they lead the page.
std::string render_section(const report::SectionPlan& section, const std::vector<RunData>& runs,
                           std::set<std::string>& ids) {
  report::FigureOptions options;
  std::tie(options.step_lo, options.step_hi) = step_range(runs);
  if (section.headline) options.style = {.width = 440, .height = 300, .font_size = 13};
  std::string html = "<section id=\"" + html_escape(section.id) + "\"" + (section.headline ? " class=\"headline\"" : "") +
                     "><h2>" + html_escape(section.title) + "</h2>\n";
  std::string note = html_escape(section.note);
  if (section.headline && runs.size() > 1) {
    if (!note.empty()) note += ' ';
    note += run_key(runs);
  }
  if (!note.empty()) html += "<p class=\"note\">" + note + "</p>\n";
  html += std::string("<div class=\"grid") + (section.headline ? " headline" : "") + "\">\n";
  for (const report::ChartPlan& plan : section.charts) html += report::render_figure(plan, runs, options, ids);
  return html + "</div></section>\n";
}

constexpr std::string_view kStyle = R"(
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;margin:24px auto;max-width:1320px;padding:0 16px}
h1{font-size:24px;margin:0 0 12px}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid #ddd}
section.headline{background:#f4f7fb;border:1px solid #d8e1ec;border-radius:8px;padding:2px 14px 14px;margin-bottom:20px}
section.headline h2{margin-top:12px;border:none}section.headline figure.panel{background:#fff}
table.summary{border-collapse:collapse}table.summary td,table.summary th{border:1px solid #ddd;padding:4px 8px;text-align:right;vertical-align:top}
table.summary td:first-child{text-align:left}small{color:#777}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:14px}
.grid.headline{grid-template-columns:repeat(auto-fill,minmax(390px,1fr))}
figure.panel{margin:0;border:1px solid #e3e3e3;border-radius:6px;padding:8px 10px}
figcaption{font-weight:600;font-size:16px;margin-bottom:2px}svg.chart{width:100%;height:auto;display:block}
svg.chart text{fill:#444}svg.chart .axis-label{fill:#666}svg.chart .grid{stroke:#ececec}svg.chart .frame{fill:none;stroke:#bbb}
svg.chart .series{fill:none;stroke-width:2;stroke-linejoin:round}svg.chart .point{stroke-width:1.5}svg.chart .band{opacity:.18;stroke:none}
ul.legend{list-style:none;margin:4px 0 0;padding:0;font-size:14px;display:flex;flex-wrap:wrap;gap:2px 16px}
ul.legend li.runs{flex-basis:100%;color:#555;font-size:13px}span.run-key{margin-right:14px}
svg.swatch{width:30px;height:10px;margin-right:5px;vertical-align:middle}svg.swatch line{stroke-width:2.5}
details.step{margin:6px 0;border:1px solid #e3e3e3;border-radius:6px;padding:4px 10px}details.step>summary{cursor:pointer;font-weight:600}
.sample{border-top:1px solid #eee;padding:6px 0}.meta{font-size:14px}.mark{font-weight:600}.ok{color:#2a7d2a}.bad{color:#b22}
pre{white-space:pre-wrap;word-break:break-word;background:#f7f7f7;padding:6px 8px;border-radius:4px;margin:4px 0;max-height:420px;overflow:auto}
.note{color:#555}
)";

}  // namespace

std::string render_report(const std::vector<RunData>& runs, const ReportOptions& options) {
  GRPO_CHECK(!runs.empty(), "render_report: no runs");
  std::string title = options.title.empty() ? runs[0].label : options.title;
  std::set<std::string> names;
  for (const RunData& run : runs)
    for (const auto& [step, metrics] : run.metrics)
      for (const auto& [name, value] : metrics) names.insert(name);

  std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>" +
                     html_escape(title) + " · GRPO run report</title><style>" + std::string(kStyle) +
                     "</style></head>\n<body>\n<h1>" + html_escape(title) + "</h1>\n";
  std::vector<report::SectionPlan> sections = report::plan_sections(names);
  std::set<std::string> ids;
  auto section = sections.begin();
  if (section != sections.end() && section->headline) html += render_section(*section++, runs, ids);
  html += render_summary(runs);
  for (; section != sections.end(); ++section) html += render_section(*section, runs, ids);
  for (const RunData& run : runs) html += render_samples(run, options.samples_per_step);
  for (const RunData& run : runs) {
    if (run.recipe.empty()) continue;
    html += "<details class=\"step\"><summary>recipe.yaml · " + html_escape(run.label) + "</summary><pre>" +
            html_escape(run.recipe) + "</pre></details>\n";
  }
  html += "</body></html>\n";
  return html;
}

}  // namespace grpo
