// MetricsLog: the run's metrics as JSON Lines, one object per trainer step,
//
//   {"step": 12, "time": 1732380000.52, "reward": 0.41, "kl": 0.003, ...}
//
// in <run_dir>/metrics.jsonl. "time" is Unix seconds; a NaN or infinite value
// is written as null, so every line is valid JSON. Each line is written with a
// single write() and fsync'd before log() returns: a killed run loses at most
// the line in progress, and the torn line it leaves is dropped on the next open.
//
// Resuming from a checkpoint taken after step S: open the log, then
// truncate_after(S), so that steps S+1... (logged before the kill, about to be
// logged again) appear once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

#include "libgrpo/metrics.h"

namespace grpo {

class MetricsLog {
 public:
  // Opens <run_dir>/metrics.jsonl for appending, creating run_dir and the file
  // as needed. An existing file keeps its lines, except a torn last line (no
  // newline, or not a JSON object with a "step"), which is dropped.
  explicit MetricsLog(const std::filesystem::path& run_dir);
  ~MetricsLog();
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;

  // Drops every line whose step is greater than step. The file is rewritten
  // to a temporary beside it and renamed over the original, so a kill leaves
  // either the old log or the new one.
  void truncate_after(int64_t step);

  // Appends {"step": step, "time": time, <name>: value, ...} and fsyncs it.
  // step must be greater than every step already in the log (no duplicates);
  // no metric may be named "step" or "time".
  void log(int64_t step, const Metrics& metrics, double time);

  // The largest step in the log; nullopt while it is empty.
  std::optional<int64_t> last_step() const { return last_step_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  void rewrite(int64_t keep_up_to);

  std::filesystem::path path_;
  int fd_ = -1;
  std::optional<int64_t> last_step_;
};

// Reads a metrics.jsonl: (step, metrics) per line, in file order. The metrics
// hold "time" and every other value of the line; null reads back as NaN. A
// torn last line is skipped; any other line that is not a JSON object with an
// integer "step" and numeric (or null) values is an error naming its line.
std::vector<std::pair<int64_t, Metrics>> read_metrics_jsonl(const std::filesystem::path& path);

// Seconds since the Unix epoch, with sub-second precision: the time stamp the
// metric sinks (MetricsLog, TensorBoardWriter) write.
double unix_seconds();

}  // namespace grpo
