#include "libgrpo/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <utility>
#include <vector>

#include "libgrpo/error.h"

namespace grpo {
namespace {

// The metrics the bar shows, in order, with their short names for the terminal.
const std::vector<std::pair<std::string, std::string>>& headline_metrics() {
  static const std::vector<std::pair<std::string, std::string>> names = {
      {"reward", "reward"}, {"accuracy", "acc"}, {"eval/accuracy", "eval_acc"},
      {"completions/mean_length", "len"}, {"kl", "kl"}};
  return names;
}

double steady_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

std::string printf_string(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

}  // namespace

std::string format_compact(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  double a = std::abs(value);
  if (a == 0) return "0";
  if (a >= 1e6) return printf_string("%.2e", value);
  if (a >= 100) return printf_string("%.0f", value);
  if (a >= 0.01) return printf_string("%.3f", value);
  return printf_string("%.2g", value);
}

std::string format_clock(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  long s = std::lround(seconds);
  char buffer[32];
  if (s >= 3600) std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else std::snprintf(buffer, sizeof buffer, "%02ld:%02ld", s / 60, s % 60);
  return buffer;
}

bool stdout_is_tty() { return ::isatty(STDOUT_FILENO) == 1; }

int terminal_columns() {
  if (const char* env = std::getenv("COLUMNS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  struct winsize size {};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

ProgressBar::ProgressBar(int64_t total_steps, std::ostream& out, bool tty, int64_t first_step, ProgressClock clock,
                         int columns)
    : total_steps_(total_steps),
      out_(out),
      tty_(tty),
      first_step_(first_step),
      clock_(clock ? std::move(clock) : ProgressClock(steady_seconds)),
      columns_(columns > 0 ? columns : terminal_columns()),
      start_(clock_()) {
  GRPO_CHECK(total_steps > first_step && first_step >= 0, "ProgressBar: total_steps ", total_steps,
             " must be greater than first_step ", first_step, " (and first_step >= 0)");
}

void ProgressBar::update(int64_t step, const std::map<std::string, double>& metrics) {
  double elapsed = clock_() - start_;
  // Mean time per step over the steps this process did (not those before a resume).
  int64_t done = step - first_step_;
  double per_step = done > 0 ? elapsed / static_cast<double>(done) : std::nan("");
  double eta = per_step * static_cast<double>(std::max<int64_t>(total_steps_ - step, 0));
  if (tty_) {
    last_line_ = tty_line(step, metrics, elapsed, eta, per_step);
    out_ << '\r' << last_line_ << "\x1b[K" << std::flush;
    open_line_ = true;
  } else {
    last_line_ = plain_line(step, metrics, elapsed, eta);
    out_ << last_line_ << '\n' << std::flush;
  }
}

void ProgressBar::finish() {
  if (!open_line_) return;
  out_ << '\n' << std::flush;
  open_line_ = false;
}

std::string ProgressBar::plain_line(int64_t step, const std::map<std::string, double>& metrics, double elapsed,
                                    double eta) const {
  std::string line = "step " + std::to_string(step) + "/" + std::to_string(total_steps_);
  for (const auto& [name, short_name] : headline_metrics()) {
    if (auto it = metrics.find(name); it != metrics.end()) line += " " + name + "=" + format_compact(it->second);
  }
  return line + " elapsed=" + format_clock(elapsed) + " eta=" + format_clock(eta);
}

// "[####----] 35/100 01:10<02:10 2.0s/step reward=0.412 ...": the metrics
// that fit, then the bar takes what is left of the width (10 to 30 columns).
std::string ProgressBar::tty_line(int64_t step, const std::map<std::string, double>& metrics, double elapsed,
                                  double eta, double per_step) const {
  std::string total = std::to_string(total_steps_);
  std::string counter = std::string(total.size() - std::min(total.size(), std::to_string(step).size()), ' ') +
                        std::to_string(step) + "/" + total;
  std::string rate = !std::isfinite(per_step) || per_step <= 0 ? "?s/step"
                     : per_step < 1                            ? printf_string("%.1fstep/s", 1 / per_step)
                                                               : printf_string("%.1fs/step", per_step);
  std::string info = " " + counter + " " + format_clock(elapsed) + "<" + format_clock(eta) + " " + rate;

  const int width = std::max(columns_ - 1, 10);  // the last column would wrap on some terminals
  constexpr int kMinBar = 10, kMaxBar = 30;
  for (const auto& [name, short_name] : headline_metrics()) {
    auto it = metrics.find(name);
    if (it == metrics.end()) continue;
    std::string item = " " + short_name + "=" + format_compact(it->second);
    if (static_cast<int>(info.size() + item.size()) + kMinBar + 2 > width) break;
    info += item;
  }
  int bar = std::clamp(width - static_cast<int>(info.size()) - 2, 0, kMaxBar);
  std::string line;
  if (bar >= kMinBar) {
    double fraction = std::clamp(static_cast<double>(step) / static_cast<double>(total_steps_), 0.0, 1.0);
    int filled = static_cast<int>(std::floor(fraction * bar));
    line = "[" + std::string(filled, '#') + std::string(bar - filled, '-') + "]";
  }
  line += info;
  if (static_cast<int>(line.size()) > width) line.resize(width);
  return line;
}

}  // namespace grpo
