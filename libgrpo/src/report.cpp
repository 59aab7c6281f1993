// The run report page (report.h): a summary table, the charts (report_svg.h),
// sample completions per evaluation step, and the recipe.
#include "libgrpo/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string_view>

#include "libgrpo/error.h"
#include "report_svg.h"

namespace grpo {
namespace {

using report::html_escape;

// ---------------------------------------------------------------- which curves go together

// A headline chart: its metrics by name, or by prefix where a pattern ends in '*'.
struct Panel {
  const char* title;
  std::vector<std::string_view> patterns;
};

// In TRL's GRPO trainer names, most telling first.
const std::vector<Panel>& headline_panels() {
  static const std::vector<Panel> panels = {
      {"Reward (band: ± reward_std)", {"reward"}},
      {"Accuracy", {"accuracy", "eval/accuracy"}},
      {"Completion length (tokens)",
       {"completions/mean_length", "completions/mean_length_correct", "completions/mean_length_incorrect",
        "eval/completions/mean_length"}},
      {"Reflection", {"reflection/rate", "reflection/precision", "reflection/recall"}},
      {"KL to the reference", {"kl"}},
      {"Entropy", {"entropy"}},
      {"Clip ratio", {"clip_ratio/*"}},
      {"Gradient norm", {"grad_norm"}},
      {"Learning rate", {"learning_rate"}},
      {"Groups with zero reward std", {"frac_reward_zero_std"}},
      {"Completions cut at max length", {"completions/clipped_ratio"}},
      {"Time per step (s)", {"time/*"}},
      {"Throughput (tokens/s)", {"tokens_per_second"}},
      {"Evaluation: pass@k, maj@k", {"eval/pass@*", "eval/maj@*"}},
  };
  return panels;
}

bool matches(std::string_view pattern, std::string_view name) {
  if (pattern.ends_with('*')) return name.starts_with(pattern.substr(0, pattern.size() - 1));
  return name == pattern;
}

struct ChartPlan {
  std::string title;
  std::vector<std::string> metrics;
};

// Every metric of names in exactly one chart: the headline panels, then the
// rest grouped by the part of their name before the last '/', six at most.
std::vector<ChartPlan> plan_charts(const std::set<std::string>& names) {
  std::set<std::string> left = names;
  left.erase("time");                                        // the wall clock, not a curve
  if (names.contains("reward")) left.erase("reward_std");    // drawn as reward's band
  std::vector<ChartPlan> plans;
  for (const Panel& panel : headline_panels()) {
    ChartPlan plan{panel.title, {}};
    for (std::string_view pattern : panel.patterns) {
      for (auto it = left.begin(); it != left.end();) {
        if (matches(pattern, *it)) {
          plan.metrics.push_back(*it);
          it = left.erase(it);
        } else {
          ++it;
        }
      }
    }
    if (!plan.metrics.empty()) plans.push_back(std::move(plan));
  }
  std::map<std::string, std::vector<std::string>> groups;  // prefix -> names, in name order
  for (const std::string& name : left) {
    size_t slash = name.rfind('/');
    groups[slash == std::string::npos ? name : name.substr(0, slash) + "/"].push_back(name);
  }
  for (auto& [prefix, members] : groups) {
    constexpr size_t kMaxPerChart = 6;
    for (size_t i = 0; i < members.size(); i += kMaxPerChart) {
      ChartPlan plan{members.size() == 1 ? members[0] : prefix + "*", {}};
      plan.metrics.assign(members.begin() + i, members.begin() + std::min(members.size(), i + kMaxPerChart));
      plans.push_back(std::move(plan));
    }
  }
  return plans;
}

// ---------------------------------------------------------------- charts

// The steps at which run logged metric, and the values there. sparse: some
// step between its first and last one lacks it (evaluation metrics).
report::Series series_of(const RunData& run, const std::string& metric) {
  report::Series s;
  s.metric = metric;
  bool missing_since_first = false;
  for (const auto& [step, metrics] : run.metrics) {
    auto it = metrics.find(metric);
    if (it == metrics.end()) {
      missing_since_first = missing_since_first || !s.x.empty();
      continue;
    }
    if (missing_since_first) s.sparse = true;
    s.x.push_back(static_cast<double>(step));
    s.y.push_back(it->second);
  }
  if (s.x.size() == 1) s.sparse = true;  // one point: a marker, not an invisible line
  return s;
}

// reward ± reward_std at reward's steps (NaN where reward_std is missing).
void add_std_band(report::Series& s, const RunData& run) {
  size_t k = 0;
  for (const auto& [step, metrics] : run.metrics) {
    if (k == s.x.size() || static_cast<double>(step) != s.x[k]) continue;
    auto std_it = metrics.find("reward_std");
    double sd = std_it == metrics.end() ? std::nan("") : std_it->second;
    s.band_lo.push_back(s.y[k] - sd);
    s.band_hi.push_back(s.y[k] + sd);
    ++k;
  }
  s.band_metric = "reward_std";
}

std::string slug(std::string_view text) {
  std::string out;
  for (char c : text) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (keep) out += static_cast<char>(c | 0x20);
    else if (!out.empty() && out.back() != '-') out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "chart" : out;
}

std::string legend_swatch(int color, int run) {
  std::string dash(report::run_dash(run));
  return "<svg class=\"swatch\" viewBox=\"0 0 28 10\"><line x1=\"1\" y1=\"5\" x2=\"27\" y2=\"5\" stroke=\"" +
         std::string(report::palette_color(color)) + "\"" +
         (dash.empty() ? "" : " stroke-dasharray=\"" + dash + "\"") + "/></svg>";
}

std::string render_figure(const ChartPlan& plan, const std::vector<RunData>& runs, std::set<std::string>& ids) {
  report::Chart chart;
  chart.id = "chart-" + slug(plan.metrics.front());
  for (int n = 2; !ids.insert(chart.id).second; ++n) chart.id = "chart-" + slug(plan.metrics.front()) + "-" + std::to_string(n);
  std::string legend;
  int color = 0;
  for (const std::string& metric : plan.metrics) {
    for (size_t r = 0; r < runs.size(); ++r, ++color) {
      report::Series s = series_of(runs[r], metric);
      bool has_band = metric == "reward" && std::any_of(runs[r].metrics.begin(), runs[r].metrics.end(),
                                                        [](const auto& m) { return m.second.contains("reward_std"); });
      if (s.x.empty() && !has_band) continue;
      if (has_band) add_std_band(s, runs[r]);
      s.run = static_cast<int>(r);
      s.color = color;
      s.name = runs.size() == 1 ? metric : metric + " · " + runs[r].label;
      legend += "<li>" + legend_swatch(s.color, s.run) + html_escape(s.name) + (s.sparse ? " (points: logged steps)" : "") +
                "</li>";
      chart.series.push_back(std::move(s));
    }
  }
  return "<figure class=\"panel\"><figcaption>" + html_escape(plan.title) + "</figcaption>" +
         report::render_chart(chart) + "<ul class=\"legend\">" + legend + "</ul></figure>\n";
}

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
  if (runs.size() > 1) {
    html += "<p class=\"note\">Line style marks the run:";
    for (size_t r = 0; r < runs.size(); ++r)
      html += " " + legend_swatch(0, static_cast<int>(r)) + html_escape(runs[r].label);
    html += ".</p>\n";
  }
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

constexpr std::string_view kStyle = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;margin:24px auto;max-width:1240px;padding:0 16px}
h1{font-size:22px;margin:0 0 12px}h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid #ddd}
table.summary{border-collapse:collapse}table.summary td,table.summary th{border:1px solid #ddd;padding:4px 8px;text-align:right;vertical-align:top}
table.summary td:first-child{text-align:left}small{color:#777}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:14px}
figure.panel{margin:0;border:1px solid #e3e3e3;border-radius:6px;padding:8px 10px}
figcaption{font-weight:600;margin-bottom:2px}svg.chart{width:100%;height:auto;display:block}
svg.chart text{font-size:11px;fill:#555}svg.chart .grid{stroke:#ececec}svg.chart .frame{fill:none;stroke:#bbb}
svg.chart .series{fill:none;stroke-width:1.6;stroke-linejoin:round}svg.chart .band{opacity:.18;stroke:none}
ul.legend{list-style:none;margin:2px 0 0;padding:0;font-size:12px;display:flex;flex-wrap:wrap;gap:2px 14px}
svg.swatch{width:28px;height:10px;margin-right:4px;vertical-align:middle}svg.swatch line{stroke-width:2.2}
details.step{margin:6px 0;border:1px solid #e3e3e3;border-radius:6px;padding:4px 10px}details.step>summary{cursor:pointer;font-weight:600}
.sample{border-top:1px solid #eee;padding:6px 0}.meta{font-size:13px}.mark{font-weight:600}.ok{color:#2a7d2a}.bad{color:#b22}
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
  html += render_summary(runs);
  html += "<h2>Curves</h2>\n<div class=\"grid\">\n";
  std::set<std::string> ids;
  for (const ChartPlan& plan : plan_charts(names)) html += render_figure(plan, runs, ids);
  html += "</div>\n";
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
