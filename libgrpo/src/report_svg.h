// Line charts as inline SVG for the run report (report.cpp): axes with nice
// ticks, one path per series, NaN values as gaps, markers for series logged
// on some steps only (hollow for compared runs), and an optional shaded band
// (reward ± reward_std).
// Written by hand: a few hundred lines, where a plotting library would bring
// JavaScript or a graphics stack into a torch-free library.
#pragma once

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

namespace grpo::report {

struct Series {
  std::string name;       // tooltip text: the metric, and the run where there are several
  std::string metric;     // the metric it draws (data-metric attribute)
  int run = 0;            // which run (data-run attribute; picks the dash pattern; 0 is drawn on top)
  int color = 0;          // index into the palette
  std::vector<double> x;  // steps, increasing
  std::vector<double> y;  // same length as x; NaN or infinite = a gap
  // Logged on some steps only (evaluation): x holds just those steps, each is
  // drawn as a marker with its value as a tooltip, and a line joins them.
  bool sparse = false;
  // Optional shaded band around y: empty, or both the length of x.
  std::vector<double> band_lo, band_hi;
  std::string band_metric;  // what the band shows (data-metric of the band)
};

struct Chart {
  std::string id;       // element id of the <svg>, unique in the page
  std::string y_label;  // the y axis' unit ("tokens"); empty: none
  // Steps shown; NaN: the series' own. One range for every chart of a page
  // lines their steps up.
  double x_lo = std::nan(""), x_hi = std::nan("");
  std::vector<Series> series;
};

struct ChartStyle {
  int width = 560;   // SVG user units; the page scales it to its column
  int height = 260;
  int font_size = 12;  // tick and axis labels, in SVG units
};

// The chart as an <svg> element (no legend, no title: the page puts those in
// HTML around it). A chart with no finite value says so instead of axes; a
// constant series gets a range around its value ([0, 1] for zero).
std::string render_chart(const Chart& chart, const ChartStyle& style = {});

// About `target` round tick values (1, 2 or 5 times a power of ten apart)
// covering [lo, hi]: the first <= lo, the last >= hi. lo < hi, target >= 2.
std::vector<double> nice_ticks(double lo, double hi, int target);

// A tick label: as few digits as the tick spacing needs ("0.25", "1.5e-05", "1200").
std::string format_tick(double value, double spacing);

// A value for people: 4 significant digits, "nan" for NaN.
std::string format_value(double value);

// The palette entry for index i (cycles) and the dash pattern for run r
// ("" = solid), shared by the charts and their HTML legends.
std::string_view palette_color(int i);
std::string_view run_dash(int run);

// text with & < > " ' replaced by entities: safe in HTML text and attribute values.
std::string html_escape(std::string_view text);

}  // namespace grpo::report
