// TensorBoardWriter: the run's metrics as a TensorBoard event file, written
// directly (no TensorFlow, no protobuf library).
//
// The file, events.out.tfevents.<unix_time>.<hostname>.<pid>.<counter> in the
// log directory, is a sequence of TFRecords:
//
//   uint64 length (little-endian) | uint32 masked_crc32c(length bytes)
//   | data[length]                | uint32 masked_crc32c(data)
//
// each holding one serialized tensorflow.Event protobuf: first
// {file_version: "brain.Event:2"}, then per call {wall_time, step, summary}.
// NaN and infinite values are written as they are: TensorBoard shows them,
// and a NaN loss is worth seeing.
//
// Resuming from a checkpoint taken after step S: a new writer (a new file in
// the same directory), then truncate_after(S), so that TensorBoard drops the
// steps after S that the killed run logged before it is given them again.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "libgrpo/metrics.h"

namespace grpo {

class TensorBoardWriter {
 public:
  // Creates log_dir as needed and a new event file in it.
  explicit TensorBoardWriter(const std::filesystem::path& log_dir);
  // Flushes and closes the file (errors are not reported here: call flush()).
  ~TensorBoardWriter();
  TensorBoardWriter(const TensorBoardWriter&) = delete;
  TensorBoardWriter& operator=(const TensorBoardWriter&) = delete;

  // One Event at step holding every metric as a scalar (tag = metric name,
  // value rounded to float32, as TensorBoard stores scalars).
  // wall_time: Unix seconds (unix_seconds() in libgrpo/metrics_log.h).
  void add_scalars(int64_t step, const Metrics& metrics, double wall_time);

  // One Event at step holding text under tag, for TensorBoard's Text tab
  // (a string tensor with plugin "text"; markdown is rendered).
  void add_text(int64_t step, const std::string& tag, const std::string& text, double wall_time);

  // Marks a restart after step: a SessionLog START event at step + 1, on
  // which TensorBoard's loader (purge_orphaned_data, on by default) discards
  // every event it has read with a step greater than step.
  void truncate_after(int64_t step, double wall_time);

  // Forces what was written to disk (fsync). Each add_* call already hands
  // its whole record to the kernel in one write(), so readers see it at once.
  void flush();

  const std::filesystem::path& path() const { return path_; }

 private:
  void write_record(std::string_view data);

  std::filesystem::path path_;
  int fd_ = -1;
};

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as TFRecord uses.
uint32_t crc32c(std::string_view data);
// TFRecord's masked form: ((crc >> 15) | (crc << 17)) + 0xa282ead8.
uint32_t masked_crc32c(std::string_view data);

}  // namespace grpo
