// ProgressBar: training progress on a terminal or in a log.
//
// On a terminal, one line redrawn in place ("\r", then clear to end of line):
//
//   [#######-------------]  35/100 01:10<02:10 2.0s/step reward=0.412 acc=0.380 kl=0.0031
//
// Elsewhere (a log file, a pipe), one plain line per update:
//
//   step 35/100 reward=0.412 accuracy=0.380 kl=0.0031 elapsed=01:10 eta=02:10
//
// The ETA is the mean time per step since the bar was made, times the steps
// left; a run resumed at step S passes first_step = S, so the steps done
// before the restart do not count as done in no time.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <string>

namespace grpo {

// Seconds on a monotonic clock (std::chrono::steady_clock by default).
using ProgressClock = std::function<double()>;

class ProgressBar {
 public:
  // total_steps: the step the run ends at (> first_step). out: where to draw.
  // tty: redraw one line (a terminal) or write a line per update.
  // first_step: the step the run starts from (0, or the resumed checkpoint's).
  // clock: empty = steady_clock. columns: terminal width, 0 = terminal_columns().
  ProgressBar(int64_t total_steps, std::ostream& out, bool tty, int64_t first_step = 0, ProgressClock clock = {},
              int columns = 0);

  // Shows that step is done, with whichever of the headline metrics
  // (reward, accuracy, eval/accuracy, completions/mean_length, kl) metrics has.
  void update(int64_t step, const std::map<std::string, double>& metrics);

  // Ends the line on a terminal (so later output starts on its own line).
  // Safe to call more than once; update() after finish() starts a new line.
  void finish();

  // The text of the last update, without "\r" and escape codes (for tests).
  const std::string& last_line() const { return last_line_; }

 private:
  std::string tty_line(int64_t step, const std::map<std::string, double>& metrics, double elapsed, double eta,
                       double per_step) const;
  std::string plain_line(int64_t step, const std::map<std::string, double>& metrics, double elapsed,
                         double eta) const;

  int64_t total_steps_;
  std::ostream& out_;
  bool tty_;
  int64_t first_step_;
  ProgressClock clock_;
  int columns_;
  double start_;
  bool open_line_ = false;  // a redrawn line is on screen, not yet ended
  std::string last_line_;
};

// Whether standard output is a terminal (isatty).
bool stdout_is_tty();

// The terminal's width: $COLUMNS when set to a positive number, else the
// width of standard output's terminal, else 80.
int terminal_columns();

// A value in few characters: "0.412", "312", "0.0031", "1.2e-05", "nan".
std::string format_compact(double value);

// Seconds as "MM:SS", or "H:MM:SS" from an hour on; "?" when not finite.
std::string format_clock(double seconds);

}  // namespace grpo
