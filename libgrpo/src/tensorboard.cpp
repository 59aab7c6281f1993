#include "libgrpo/tensorboard.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>

#include "libgrpo/error.h"
#include "libgrpo/metrics_log.h"

namespace grpo {
namespace fs = std::filesystem;

// ---------------------------------------------------------------- CRC-32C

namespace {

constexpr std::array<uint32_t, 256> make_crc32c_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    table[i] = crc;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kCrc32cTable = make_crc32c_table();

}  // namespace

uint32_t crc32c(std::string_view data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : data) crc = kCrc32cTable[(crc ^ byte) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

uint32_t masked_crc32c(std::string_view data) {
  uint32_t crc = crc32c(data);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

// ---------------------------------------------------------------- protobuf encoding
// The few wire types an Event needs (https://protobuf.dev/programming-guides/encoding/):
// varint (0), fixed64 (1), length-delimited (2), fixed32 (5). Field numbers are
// those of tensorflow/core/util/event.proto and framework/summary.proto.

namespace {

enum Wire : uint32_t { kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5 };

void put_varint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7F) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
}

void put_little_endian(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xFF);
}

void put_key(std::string& out, uint32_t field, Wire wire) { put_varint(out, (field << 3) | wire); }

void put_bytes(std::string& out, uint32_t field, std::string_view bytes) {
  put_key(out, field, kBytes);
  put_varint(out, bytes.size());
  out += bytes;
}

void put_double(std::string& out, uint32_t field, double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  put_key(out, field, kFixed64);
  put_little_endian(out, bits, 8);
}

void put_float(std::string& out, uint32_t field, float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  put_key(out, field, kFixed32);
  put_little_endian(out, bits, 4);
}

// int64 and enum fields: two's complement as a varint (negative = 10 bytes).
void put_int64(std::string& out, uint32_t field, int64_t value) {
  put_key(out, field, kVarint);
  put_varint(out, static_cast<uint64_t>(value));
}

// Event { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5;
//         SessionLog session_log = 7; }
std::string event(double wall_time, int64_t step, std::string_view summary) {
  std::string out;
  put_double(out, 1, wall_time);
  put_int64(out, 2, step);
  put_bytes(out, 5, summary);
  return out;
}

// Summary.Value { string tag = 1; float simple_value = 2; }
std::string scalar_value(std::string_view tag, double value) {
  std::string out;
  put_bytes(out, 1, tag);
  put_float(out, 2, static_cast<float>(value));
  return out;
}

// Summary.Value { string tag = 1; SummaryMetadata metadata = 9; TensorProto tensor = 8; } with
// SummaryMetadata { PluginData plugin_data = 1 { string plugin_name = 1; } } and
// TensorProto { DataType dtype = 1 (DT_STRING = 7); TensorShapeProto tensor_shape = 2
// (empty: a scalar); repeated bytes string_val = 8; }.
std::string text_value(std::string_view tag, std::string_view text) {
  std::string plugin_data, metadata, tensor, out;
  put_bytes(plugin_data, 1, "text");
  put_bytes(metadata, 1, plugin_data);
  put_int64(tensor, 1, 7);
  put_bytes(tensor, 2, "");
  put_bytes(tensor, 8, text);
  put_bytes(out, 1, tag);
  put_bytes(out, 9, metadata);
  put_bytes(out, 8, tensor);
  return out;
}

std::string hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

}  // namespace

// ---------------------------------------------------------------- TensorBoardWriter

TensorBoardWriter::TensorBoardWriter(const fs::path& log_dir) {
  // Two writers in one process within the same second still get distinct names.
  static std::atomic<int> counter{0};
  std::error_code ec;
  fs::create_directories(log_dir, ec);
  GRPO_CHECK(!ec, "cannot create TensorBoard directory ", log_dir, ": ", ec.message());
  path_ = log_dir / ("events.out.tfevents." + std::to_string(static_cast<int64_t>(unix_seconds())) + "." +
                     hostname() + "." + std::to_string(::getpid()) + "." + std::to_string(counter++));
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  GRPO_CHECK(fd_ >= 0, "cannot create ", path_, ": ", std::strerror(errno));

  std::string first;
  put_double(first, 1, unix_seconds());
  put_bytes(first, 3, "brain.Event:2");
  write_record(first);
}

TensorBoardWriter::~TensorBoardWriter() {
  if (fd_ < 0) return;
  ::fsync(fd_);
  ::close(fd_);
}

void TensorBoardWriter::add_scalars(int64_t step, const Metrics& metrics, double wall_time) {
  std::string summary;
  for (const auto& [name, value] : metrics) put_bytes(summary, 1, scalar_value(name, value));
  write_record(event(wall_time, step, summary));
}

void TensorBoardWriter::add_text(int64_t step, const std::string& tag, const std::string& text, double wall_time) {
  std::string summary;
  put_bytes(summary, 1, text_value(tag, text));
  write_record(event(wall_time, step, summary));
}

// Event { SessionLog session_log = 7 { SessionStatus status = 1 (START = 1); } }
void TensorBoardWriter::truncate_after(int64_t step, double wall_time) {
  std::string session_log, out;
  put_int64(session_log, 1, 1);
  put_double(out, 1, wall_time);
  put_int64(out, 2, step + 1);
  put_bytes(out, 7, session_log);
  write_record(out);
}

void TensorBoardWriter::flush() {
  GRPO_CHECK(::fsync(fd_) == 0, "cannot fsync ", path_, ": ", std::strerror(errno));
}

// TFRecord: length, masked CRC of the length's 8 bytes, data, masked CRC of the data.
void TensorBoardWriter::write_record(std::string_view data) {
  std::string length;
  put_little_endian(length, data.size(), 8);
  std::string record = length;
  put_little_endian(record, masked_crc32c(length), 4);
  record += data;
  put_little_endian(record, masked_crc32c(data), 4);

  std::string_view rest = record;
  while (!rest.empty()) {
    ssize_t n = ::write(fd_, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    GRPO_CHECK(n > 0, "cannot write ", path_, ": ", std::strerror(errno));
    rest.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace grpo
