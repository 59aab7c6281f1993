#include "report_svg.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>

#include "libgrpo/error.h"

namespace grpo::report {
namespace {

constexpr std::array<std::string_view, 10> kPalette = {"#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1",
                                                       "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#7f7f7f"};
constexpr std::array<std::string_view, 4> kDashes = {"", "7 4", "2 3", "9 3 2 3"};

// Space around the plot area, in font sizes: tick labels below, "step" under
// them. The left margin follows the widest tick label (render_chart).
constexpr double kRight = 1.2, kTop = 0.9, kBottom = 3.0;
// A digit's width in font sizes (DejaVu Sans, Helvetica, Segoe UI: 0.55-0.64).
constexpr double kDigitWidth = 0.62;

std::string printf_string(const char* format, double value, int precision) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, precision, value);
  return buffer;
}

// Coordinates with one decimal: enough for a few hundred units, small files.
std::string coord(double v) { return printf_string("%.*f", v, 1); }

struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return lo > hi; }
};

// A flat step range (one step) still needs a width.
Range widened(Range r, double min_span) {
  if (r.hi - r.lo >= min_span) return r;
  double pad = std::max(std::abs(r.lo) * 0.1, min_span);
  return {r.lo - pad / 2, r.hi + pad / 2};
}

// The y range shown for values in r: a margin above and below, so that curves
// do not run along the frame, but a non-negative metric (a ratio, a length)
// keeps 0 as its floor. A constant needs a height: ±5% of its value, and an
// all-zero metric (reflection before any) reads best on [0, 1].
Range y_shown(Range r) {
  double magnitude = std::max(std::abs(r.lo), std::abs(r.hi));
  if (magnitude == 0) return {0, 1};
  double pad = r.hi - r.lo <= 1e-9 * magnitude ? 0.05 * magnitude : 0.04 * (r.hi - r.lo);
  return {r.lo >= 0 ? std::max(0.0, r.lo - pad) : r.lo - pad, r.hi + pad};
}

// Maps data to SVG coordinates inside the plot area.
struct Frame {
  double x0, x1, y0, y1;          // data range shown
  double left, right, top, bottom;  // plot area in SVG units
  double px(double x) const { return left + (x - x0) / (x1 - x0) * (right - left); }
  double py(double y) const { return bottom - (y - y0) / (y1 - y0) * (bottom - top); }
};

// The polyline pieces of a series in SVG units, split at non-finite values.
// Long series are thinned to the lowest and highest point per pixel column,
// which keeps spikes visible and the file small.
std::vector<std::vector<std::pair<double, double>>> pieces(const Frame& f, const std::vector<double>& x,
                                                           const std::vector<double>& y) {
  std::vector<std::vector<std::pair<double, double>>> out(1);
  bool thin = x.size() > 2 * static_cast<size_t>(f.right - f.left);
  long column = std::numeric_limits<long>::min();
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(y[i])) {
      if (!out.back().empty()) out.emplace_back();
      column = std::numeric_limits<long>::min();
      continue;
    }
    std::pair<double, double> p{f.px(x[i]), f.py(y[i])};
    auto& piece = out.back();
    long c = std::lround(std::floor(p.first));
    if (thin && c == column && piece.size() >= 2) {
      // piece ends with this column's (first, extreme) pair: widen the extremes.
      auto& a = piece[piece.size() - 2];
      auto& b = piece.back();
      if (p.second < std::min(a.second, b.second)) (a.second <= b.second ? a : b) = p;
      else if (p.second > std::max(a.second, b.second)) (a.second >= b.second ? a : b) = p;
      continue;
    }
    piece.push_back(p);
    if (thin && c != column) piece.push_back(p);  // the column's second slot
    column = c;
  }
  if (out.back().empty()) out.pop_back();
  return out;
}

std::string path_data(const std::vector<std::pair<double, double>>& piece) {
  std::string d;
  for (size_t i = 0; i < piece.size(); ++i) {
    d += i == 0 ? 'M' : 'L';
    d += coord(piece[i].first) + ' ' + coord(piece[i].second);
  }
  return d;
}

void draw_axes(std::string& svg, const Frame& f, const std::vector<double>& xt, double xs,
               const std::vector<double>& yt, double ys, const std::string& y_label, double font) {
  svg += "<g class=\"axes\">";
  for (double v : yt) {
    std::string y = coord(f.py(v));
    svg += "<line class=\"grid\" x1=\"" + coord(f.left) + "\" x2=\"" + coord(f.right) + "\" y1=\"" + y +
           "\" y2=\"" + y + "\"/>";
    svg += "<text x=\"" + coord(f.left - 0.5 * font) + "\" y=\"" + y + "\" text-anchor=\"end\" dominant-baseline=\"middle\">" +
           format_tick(v, ys) + "</text>";
  }
  for (double v : xt) {
    std::string x = coord(f.px(v));
    svg += "<line class=\"grid\" x1=\"" + x + "\" x2=\"" + x + "\" y1=\"" + coord(f.top) + "\" y2=\"" +
           coord(f.bottom) + "\"/>";
    svg += "<text x=\"" + x + "\" y=\"" + coord(f.bottom + 1.3 * font) + "\" text-anchor=\"middle\">" + format_tick(v, xs) +
           "</text>";
  }
  svg += "<rect class=\"frame\" x=\"" + coord(f.left) + "\" y=\"" + coord(f.top) + "\" width=\"" +
         coord(f.right - f.left) + "\" height=\"" + coord(f.bottom - f.top) + "\"/>";
  svg += "<text class=\"axis-label\" x=\"" + coord((f.left + f.right) / 2) + "\" y=\"" + coord(f.bottom + 2.7 * font) +
         "\" text-anchor=\"middle\">step</text>";
  if (!y_label.empty())
    svg += "<text class=\"axis-label\" transform=\"rotate(-90)\" x=\"" + coord(-(f.top + f.bottom) / 2) + "\" y=\"" +
           coord(1.0 * font) + "\" text-anchor=\"middle\">" + html_escape(y_label) + "</text>";
  svg += "</g>";
}

void draw_band(std::string& svg, const Frame& f, const Series& s) {
  // One closed polygon per run of steps where both edges are finite.
  size_t i = 0;
  while (i < s.x.size()) {
    while (i < s.x.size() && !(std::isfinite(s.band_lo[i]) && std::isfinite(s.band_hi[i]))) ++i;
    size_t end = i;
    while (end < s.x.size() && std::isfinite(s.band_lo[end]) && std::isfinite(s.band_hi[end])) ++end;
    if (end > i) {
      std::string d;
      for (size_t k = i; k < end; ++k) d += (k == i ? "M" : "L") + coord(f.px(s.x[k])) + ' ' + coord(f.py(s.band_hi[k]));
      for (size_t k = end; k-- > i;) d += 'L' + coord(f.px(s.x[k])) + ' ' + coord(f.py(s.band_lo[k]));
      svg += "<path class=\"band\" data-metric=\"" + html_escape(s.band_metric) + "\" data-run=\"" +
             std::to_string(s.run) + "\" fill=\"" + std::string(palette_color(s.color)) + "\" d=\"" + d + "Z\"/>";
    }
    i = end;
  }
}

void draw_series(std::string& svg, const Frame& f, const Series& s) {
  std::string color(palette_color(s.color));
  std::string attrs = "data-metric=\"" + html_escape(s.metric) + "\" data-run=\"" + std::to_string(s.run) + "\"";
  // The main run's markers are filled, a compared run's hollow: told apart
  // even where the dashes between them are too short to see.
  std::string marker = s.run == 0 ? " fill=\"" + color + "\"" : " fill=\"#fff\" stroke=\"" + color + "\"";
  std::string d;
  std::vector<std::pair<double, double>> lone;  // single points between gaps: invisible as a path
  for (const auto& piece : pieces(f, s.x, s.y)) {
    d += path_data(piece);
    if (piece.size() == 1) lone.push_back(piece[0]);
  }
  std::string dash(run_dash(s.run));
  svg += "<path class=\"series\" " + attrs + " stroke=\"" + color + "\"" +
         (dash.empty() ? "" : " stroke-dasharray=\"" + dash + "\"") + " d=\"" + d + "\"><title>" +
         html_escape(s.name) + "</title></path>";
  if (s.sparse) {
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      svg += "<circle class=\"point\" " + attrs + marker + " cx=\"" + coord(f.px(s.x[i])) + "\" cy=\"" +
             coord(f.py(s.y[i])) + "\" r=\"3\"><title>" + html_escape(s.name) + " at step " + format_tick(s.x[i], 1) +
             ": " + format_value(s.y[i]) + "</title></circle>";
    }
  } else {
    for (const auto& [x, y] : lone)
      svg += "<circle class=\"point\" " + attrs + marker + " cx=\"" + coord(x) + "\" cy=\"" + coord(y) +
             "\" r=\"2\"/>";
  }
}

}  // namespace

std::string_view palette_color(int i) { return kPalette[static_cast<size_t>(i) % kPalette.size()]; }
std::string_view run_dash(int run) { return kDashes[static_cast<size_t>(run) % kDashes.size()]; }

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  GRPO_CHECK(std::isfinite(lo) && std::isfinite(hi) && lo < hi && target >= 2, "nice_ticks: bad range [", lo, ", ",
             hi, "] or target ", target);
  // Heckbert, "Nice numbers for graph labels" (Graphics Gems, 1990): the
  // spacing is 1, 2 or 5 times a power of ten nearest the raw spacing.
  double raw = (hi - lo) / (target - 1);
  double power = std::pow(10.0, std::floor(std::log10(raw)));
  double fraction = raw / power;
  double spacing = (fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10) * power;
  std::vector<double> ticks;
  double first = std::floor(lo / spacing), last = std::ceil(hi / spacing);
  for (double k = first; k <= last + 0.5; ++k) {
    double v = k * spacing;
    ticks.push_back(std::abs(v) < spacing * 1e-9 ? 0.0 : v);  // no "-0"
  }
  return ticks;
}

std::string format_tick(double value, double spacing) {
  if (value == 0) return "0";
  double magnitude = std::abs(value);
  if (magnitude >= 1e6 || spacing < 1e-3) {
    // Scientific, with as many mantissa digits as the spacing resolves.
    int digits = static_cast<int>(std::floor(std::log10(magnitude)) - std::floor(std::log10(spacing)));
    return printf_string("%.*e", value, std::clamp(digits, 0, 4));
  }
  int decimals = 0;
  while (decimals < 6 && std::abs(spacing * std::pow(10.0, decimals) - std::round(spacing * std::pow(10.0, decimals))) >
                             1e-6 * spacing * std::pow(10.0, decimals))
    ++decimals;
  return printf_string("%.*f", value, decimals);
}

std::string format_value(double value) {
  if (std::isnan(value)) return "nan";
  return printf_string("%.*g", value, 4);
}

std::string render_chart(const Chart& chart, const ChartStyle& style) {
  Range xr, yr;
  for (const Series& s : chart.series) {
    GRPO_CHECK(s.x.size() == s.y.size(), "chart ", chart.id, ": series ", s.name, " has ", s.x.size(), " steps and ",
               s.y.size(), " values");
    bool band = !s.band_lo.empty();
    GRPO_CHECK(!band || (s.band_lo.size() == s.x.size() && s.band_hi.size() == s.x.size()), "chart ", chart.id,
               ": band of ", s.name, " does not match its steps");
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.y[i]) && !(band && std::isfinite(s.band_lo[i]))) continue;
      xr.add(s.x[i]);
      yr.add(s.y[i]);
      if (band) {
        yr.add(s.band_lo[i]);
        yr.add(s.band_hi[i]);
      }
    }
  }
  const double font = style.font_size;
  std::string svg = "<svg id=\"" + html_escape(chart.id) + "\" class=\"chart\" viewBox=\"0 0 " +
                    std::to_string(style.width) + ' ' + std::to_string(style.height) + "\" font-size=\"" +
                    std::to_string(style.font_size) + "\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">";
  if (yr.empty()) {
    // Still name every series, so that a reader (or a test) sees what is missing.
    for (const Series& s : chart.series)
      svg += "<path class=\"series\" data-metric=\"" + html_escape(s.metric) + "\" data-run=\"" +
             std::to_string(s.run) + "\" d=\"\"/>";
    svg += "<text x=\"" + std::to_string(style.width / 2) + "\" y=\"" + std::to_string(style.height / 2) +
           "\" text-anchor=\"middle\">no finite values</text></svg>";
    return svg;
  }
  xr.add(chart.x_lo);  // NaN adds nothing
  xr.add(chart.x_hi);
  xr = widened(xr, 1.0);
  Range shown = y_shown(yr);
  std::vector<double> yt = nice_ticks(shown.lo, shown.hi, 6);
  std::vector<double> xt = nice_ticks(xr.lo, xr.hi, 7);
  double ys = yt[1] - yt[0], xs = std::max(1.0, xt[1] - xt[0]);
  if (xs != xt[1] - xt[0]) {  // steps are integers: no ticks between them
    xt.clear();
    for (double v = std::floor(xr.lo); v <= std::ceil(xr.hi); ++v) xt.push_back(v);
  }
  size_t widest = 1;
  for (double v : yt) widest = std::max(widest, format_tick(v, ys).size());
  double left = (0.9 + kDigitWidth * static_cast<double>(widest) + (chart.y_label.empty() ? 0 : 1.5)) * font;
  Frame f{xr.lo, xr.hi, yt.front(), yt.back(), left, style.width - kRight * font, kTop * font,
          style.height - kBottom * font};
  std::erase_if(xt, [&](double v) { return v < xr.lo - 1e-9 || v > xr.hi + 1e-9; });
  draw_axes(svg, f, xt, xs, yt, ys, chart.y_label, font);
  // Compared runs first, so that the main run's curves lie on top.
  std::vector<const Series*> order;
  for (const Series& s : chart.series) order.push_back(&s);
  std::stable_sort(order.begin(), order.end(), [](const Series* a, const Series* b) { return a->run > b->run; });
  for (const Series* s : order)
    if (!s->band_lo.empty()) draw_band(svg, f, *s);
  for (const Series* s : order) draw_series(svg, f, *s);
  svg += "</svg>";
  return svg;
}

}  // namespace grpo::report
