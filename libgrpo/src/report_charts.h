// The run report's charts (report.h): which metrics share a chart and under
// which heading, their legend labels, and each chart's figure (caption, SVG
// from report_svg.h, legend) with every run's series on it.
#pragma once

#include <cmath>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "libgrpo/report.h"
#include "report_svg.h"

namespace grpo::report {

// One curve of a chart spec: a metric by name, or every metric with a prefix
// where the pattern ends in '*'.
struct CurveSpec {
  std::string_view pattern;
  std::string_view label = {};  // legend text; empty: the metric's name
  int color = -1;               // palette index (report_svg.h); -1: the curve's place in its chart
};

// A chart: its curves in legend order, overlaid on one pair of axes.
struct ChartSpec {
  std::string_view title;
  std::vector<CurveSpec> curves;
  std::string_view y_label = {};  // the y axis' unit
};

// A chart for the metrics at hand: those its spec matched, in spec order.
struct ChartPlan {
  std::string title;
  std::string y_label;
  std::vector<std::string> metrics;
  std::vector<std::string> labels;  // legend text, one per metric
  std::vector<int> colors;          // palette index, one per metric
};

// A heading and its grid of charts.
struct SectionPlan {
  std::string id;     // element id of the section
  std::string title;  // the heading
  std::string note;   // a line under it, plain text; may be empty
  bool headline = false;  // larger charts, three to a row
  std::vector<ChartPlan> charts;
};

// Every metric of names in exactly one chart (except "time", the wall clock,
// and "reward_std", reward's band), in three sections: the held-out headline
// (eval/accuracy; eval/completions/mean_length with its correct and
// incorrect split; eval/reflection/rate with precision), training (reward,
// accuracy, lengths, reflection, kl, entropy, ... in TRL's names), then the
// rest grouped by their name's prefix, six to a chart. Sections and charts
// with no metric present are left out.
std::vector<SectionPlan> plan_sections(const std::set<std::string>& names);

struct FigureOptions {
  ChartStyle style;
  // Steps shown (Chart::x_lo, x_hi): the same on every chart of a page, so
  // that a step sits at the same place in each. NaN: each chart's own.
  double step_lo = std::nan(""), step_hi = std::nan("");
};

// The <figure> of plan: caption, chart and legend, with every run's curve
// of each metric (a run that never logged a metric has none). The dash
// pattern marks the run; colour marks the metric where a chart has several,
// else the run. The legend names each metric (<li class="key"
// data-metric=...>, one swatch per run that has it) or, in a one-metric
// chart, each run; with several of both, a key of the runs' line styles
// follows (<li class="run-key" data-run=...>). ids: the element ids taken so
// far; the chart's is added.
std::string render_figure(const ChartPlan& plan, const std::vector<RunData>& runs, const FigureOptions& options,
                          std::set<std::string>& ids);

// A short line in run's dash pattern and palette colour color, for legends.
std::string legend_swatch(int color, int run);

}  // namespace grpo::report
