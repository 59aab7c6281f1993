#include "report_charts.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace grpo::report {
namespace {

// ---------------------------------------------------------------- which curves go together

// Palette entries (report_svg.cpp) for curves that mean something by
// colour: right is green, wrong is red.
constexpr int kBlue = 0, kRed = 2, kGreen = 3, kGrey = 9;

struct SectionSpec {
  std::string_view id, title, note;
  bool headline = false;
  std::vector<ChartSpec> charts;
};

// The held-out curves first: they say whether the policy learned the task
// rather than the training batches, and whether it learned to check its work
// (an "aha moment": longer completions that reflect, and are right when they
// do). Then training in TRL's GRPO trainer names, most telling first.
const std::vector<SectionSpec>& section_specs() {
  static const std::vector<SectionSpec> sections = {
      {"held-out",
       "Held-out evaluation",
       "eval/* metrics on the held-out split, one marker per evaluation step.",
       true,
       {
           {"Accuracy", {{"eval/accuracy", "accuracy"}}, "share correct"},
           {"Completion length",
            {{"eval/completions/mean_length", "all", kBlue},
             {"eval/completions/mean_length_correct", "correct", kGreen},
             {"eval/completions/mean_length_incorrect", "incorrect", kRed}},
            "tokens"},
           {"Reflection (\"wait\", \"let me recalculate\", ...)",
            {{"eval/reflection/rate", "rate: share that reflects", kBlue},
             {"eval/reflection/precision", "precision: P(correct | reflects)", kGreen}},
            "share"},
       }},
      {"training",
       "Training",
       "",
       false,
       {
           {"Reward (band: ± reward_std)", {{"reward"}}},
           {"Accuracy", {{"accuracy"}}, "share correct"},
           {"Completion length (tokens)",
            {{"completions/mean_length", {}, kBlue},
             {"completions/mean_length_correct", {}, kGreen},
             {"completions/mean_length_incorrect", {}, kRed}},
            "tokens"},
           {"Reflection", {{"reflection/rate"}, {"reflection/precision"}, {"reflection/recall"}}, "share"},
           {"KL to the reference", {{"kl"}}},
           {"Entropy", {{"entropy"}}, "nats"},
           {"Clip ratio", {{"clip_ratio/*"}}},
           {"Gradient norm", {{"grad_norm"}}},
           {"Learning rate", {{"learning_rate"}}},
           {"Groups with zero reward std", {{"frac_reward_zero_std"}}, "share"},
           {"Completions cut at max length", {{"completions/clipped_ratio"}}, "share"},
           {"Time per step (s)", {{"time/*"}}, "seconds"},
           {"Throughput (tokens/s)", {{"tokens_per_second"}}, "tokens/s"},
           {"Evaluation: pass@k, maj@k", {{"eval/pass@*"}, {"eval/maj@*"}}},
       }},
  };
  return sections;
}

bool matches(std::string_view pattern, std::string_view name) {
  if (pattern.ends_with('*')) return name.starts_with(pattern.substr(0, pattern.size() - 1));
  return name == pattern;
}

// The metrics in left that spec matches, taken out of left.
ChartPlan take(const ChartSpec& spec, std::set<std::string>& left) {
  ChartPlan plan{std::string(spec.title), std::string(spec.y_label), {}, {}, {}};
  for (const CurveSpec& curve : spec.curves) {
    for (auto it = left.begin(); it != left.end();) {
      if (!matches(curve.pattern, *it)) {
        ++it;
        continue;
      }
      plan.colors.push_back(curve.color >= 0 ? curve.color : static_cast<int>(plan.metrics.size()));
      plan.metrics.push_back(*it);
      plan.labels.push_back(curve.label.empty() ? *it : std::string(curve.label));
      it = left.erase(it);
    }
  }
  return plan;
}

// The rest, grouped by the part of their name before the last '/', six at most a chart.
std::vector<ChartPlan> group_by_prefix(const std::set<std::string>& left) {
  std::map<std::string, std::vector<std::string>> groups;  // prefix -> names, in name order
  for (const std::string& name : left) {
    size_t slash = name.rfind('/');
    groups[slash == std::string::npos ? name : name.substr(0, slash) + "/"].push_back(name);
  }
  std::vector<ChartPlan> plans;
  for (auto& [prefix, members] : groups) {
    constexpr size_t kMaxPerChart = 6;
    for (size_t i = 0; i < members.size(); i += kMaxPerChart) {
      ChartPlan plan{members.size() == 1 ? members[0] : prefix + "*", "", {}, {}, {}};
      plan.metrics.assign(members.begin() + i, members.begin() + std::min(members.size(), i + kMaxPerChart));
      plan.labels = plan.metrics;
      for (size_t m = 0; m < plan.metrics.size(); ++m) plan.colors.push_back(static_cast<int>(m));
      plans.push_back(std::move(plan));
    }
  }
  return plans;
}

// ---------------------------------------------------------------- series

// The steps at which run logged metric, and the values there. sparse: some
// step between its first and last one lacks it (evaluation metrics).
Series series_of(const RunData& run, const std::string& metric) {
  Series s;
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
void add_std_band(Series& s, const RunData& run) {
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

}  // namespace

std::vector<SectionPlan> plan_sections(const std::set<std::string>& names) {
  std::set<std::string> left = names;
  left.erase("time");                                        // the wall clock, not a curve
  if (names.contains("reward")) left.erase("reward_std");    // drawn as reward's band
  std::vector<SectionPlan> sections;
  for (const SectionSpec& spec : section_specs()) {
    SectionPlan section{std::string(spec.id), std::string(spec.title), std::string(spec.note), spec.headline, {}};
    for (const ChartSpec& chart : spec.charts) {
      ChartPlan plan = take(chart, left);
      if (!plan.metrics.empty()) section.charts.push_back(std::move(plan));
    }
    if (!section.charts.empty()) sections.push_back(std::move(section));
  }
  std::vector<ChartPlan> rest = group_by_prefix(left);
  if (!rest.empty()) sections.push_back({"more", "More metrics", "", false, std::move(rest)});
  return sections;
}

std::string legend_swatch(int color, int run) {
  std::string dash(run_dash(run));
  return "<svg class=\"swatch\" viewBox=\"0 0 28 10\"><line x1=\"1\" y1=\"5\" x2=\"27\" y2=\"5\" stroke=\"" +
         std::string(palette_color(color)) + "\"" + (dash.empty() ? "" : " stroke-dasharray=\"" + dash + "\"") +
         "/></svg>";
}

std::string render_figure(const ChartPlan& plan, const std::vector<RunData>& runs, const FigureOptions& options,
                          std::set<std::string>& ids) {
  Chart chart;
  chart.id = "chart-" + slug(plan.metrics.front());
  for (int n = 2; !ids.insert(chart.id).second; ++n) chart.id = "chart-" + slug(plan.metrics.front()) + "-" + std::to_string(n);
  chart.y_label = plan.y_label;
  chart.x_lo = options.step_lo;
  chart.x_hi = options.step_hi;
  // One metric: an entry per run, coloured by run. Several: an entry per
  // metric, coloured by metric, with a swatch per run in its dash pattern.
  const bool by_metric = plan.metrics.size() > 1;
  std::string legend;
  for (size_t m = 0; m < plan.metrics.size(); ++m) {
    const std::string& metric = plan.metrics[m];
    std::string swatches, empty_runs;
    for (size_t r = 0; r < runs.size(); ++r) {
      Series s = series_of(runs[r], metric);
      bool has_band = metric == "reward" && std::any_of(runs[r].metrics.begin(), runs[r].metrics.end(),
                                                        [](const auto& line) { return line.second.contains("reward_std"); });
      if (s.x.empty() && !has_band) continue;
      if (has_band) add_std_band(s, runs[r]);
      s.run = static_cast<int>(r);
      s.color = by_metric ? plan.colors[m] : s.run;
      s.name = runs.size() == 1 ? metric : metric + " · " + runs[r].label;
      bool drawn = std::any_of(s.y.begin(), s.y.end(), [](double v) { return std::isfinite(v); });
      std::string note = drawn ? "" : " <small>(no values)</small>";
      if (!drawn) empty_runs += (empty_runs.empty() ? "" : ", ") + html_escape(runs[r].label);
      std::string swatch = legend_swatch(s.color, s.run);
      if (!by_metric)
        legend += "<li class=\"key\" data-metric=\"" + html_escape(metric) + "\" data-run=\"" + std::to_string(r) +
                  "\" title=\"" + html_escape(s.name) + "\">" + swatch +
                  html_escape(runs.size() == 1 ? plan.labels[m] : runs[r].label) + note + "</li>";
      swatches += swatch;
      chart.series.push_back(std::move(s));
    }
    if (!by_metric || swatches.empty()) continue;
    // A metric without values in some run (NaN throughout: nothing correct,
    // nothing reflecting) says so, rather than leaving a reader to look for it.
    if (!empty_runs.empty()) empty_runs = " <small>(no values" + (runs.size() == 1 ? "" : ": " + empty_runs) + ")</small>";
    legend += "<li class=\"key\" data-metric=\"" + html_escape(metric) + "\" title=\"" + html_escape(metric) + "\">" +
              swatches + html_escape(plan.labels[m]) + empty_runs + "</li>";
  }
  if (by_metric && runs.size() > 1) {
    legend += "<li class=\"runs\">";
    for (size_t r = 0; r < runs.size(); ++r)
      legend += "<span class=\"run-key\" data-run=\"" + std::to_string(r) + "\">" +
                legend_swatch(kGrey, static_cast<int>(r)) + html_escape(runs[r].label) + "</span>";
    legend += "</li>";
  }
  return "<figure class=\"panel\"><figcaption>" + html_escape(plan.title) + "</figcaption>" +
         render_chart(chart, options.style) + "<ul class=\"legend\">" + legend + "</ul></figure>\n";
}

}  // namespace grpo::report
