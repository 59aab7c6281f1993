#include "libgrpo/metrics_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "libgrpo/error.h"

namespace grpo {
namespace fs = std::filesystem;

namespace {

// One line of metrics.jsonl, without its newline.
struct Line {
  int64_t step;
  Metrics metrics;
  std::string text;
};

std::optional<std::pair<int64_t, Metrics>> parse_line(std::string_view text) {
  nlohmann::json object = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!object.is_object()) return std::nullopt;
  auto step = object.find("step");
  if (step == object.end() || !step->is_number_integer()) return std::nullopt;
  Metrics metrics;
  for (const auto& [name, value] : object.items()) {
    if (name == "step") continue;
    if (value.is_null()) {
      metrics[name] = std::nan("");
    } else if (value.is_number()) {
      metrics[name] = value.get<double>();
    } else {
      return std::nullopt;
    }
  }
  return std::pair{step->get<int64_t>(), std::move(metrics)};
}

// The whole lines of a metrics.jsonl and whether a torn last line followed them.
struct Contents {
  std::vector<Line> lines;
  bool torn = false;
};

Contents read_contents(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  GRPO_CHECK(in, "cannot open ", path, ": ", std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string data = buffer.str();

  Contents contents;
  size_t begin = 0, number = 0;
  while (begin < data.size()) {
    size_t end = data.find('\n', begin);
    ++number;
    if (end == std::string::npos) {  // no newline: a write cut short
      contents.torn = true;
      break;
    }
    std::string_view text(data.data() + begin, end - begin);
    begin = end + 1;
    if (text.empty()) continue;
    auto parsed = parse_line(text);
    if (!parsed) {
      // The last line may be garbage after a crash (a filesystem can keep the
      // length and lose the bytes); anywhere else, the file is not ours.
      bool last = data.find_first_not_of('\n', begin) == std::string::npos;
      GRPO_CHECK(last, path, " line ", number, " is not a metrics record: ", text.substr(0, 200));
      contents.torn = true;
      break;
    }
    contents.lines.push_back({parsed->first, std::move(parsed->second), std::string(text)});
  }
  return contents;
}

void write_all(int fd, std::string_view data, const fs::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    GRPO_CHECK(n > 0, "cannot write ", path, ": ", std::strerror(errno));
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void sync(int fd, const fs::path& path) {
  GRPO_CHECK(::fsync(fd) == 0, "cannot fsync ", path, ": ", std::strerror(errno));
}

// The rename into a directory is durable once the directory itself is synced.
void sync_directory(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  GRPO_CHECK(fd >= 0, "cannot open directory ", dir, ": ", std::strerror(errno));
  int rc = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  GRPO_CHECK(rc == 0, "cannot fsync directory ", dir, ": ", std::strerror(saved));
}

}  // namespace

double unix_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

MetricsLog::MetricsLog(const fs::path& run_dir) : path_(run_dir / "metrics.jsonl") {
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  GRPO_CHECK(!ec, "cannot create run directory ", run_dir, ": ", ec.message());
  if (fs::exists(path_)) {
    Contents contents = read_contents(path_);
    for (const Line& line : contents.lines) {
      if (!last_step_ || line.step > *last_step_) last_step_ = line.step;
    }
    if (contents.torn) rewrite(std::numeric_limits<int64_t>::max());
  }
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  GRPO_CHECK(fd_ >= 0, "cannot open ", path_, ": ", std::strerror(errno));
}

MetricsLog::~MetricsLog() {
  if (fd_ >= 0) ::close(fd_);
}

void MetricsLog::truncate_after(int64_t step) {
  if (last_step_ && *last_step_ <= step) return;  // nothing to drop
  rewrite(step);
}

// Keeps the whole lines with step <= keep_up_to: written to metrics.jsonl.tmp,
// synced, renamed over metrics.jsonl, and the append descriptor reopened.
void MetricsLog::rewrite(int64_t keep_up_to) {
  Contents contents = read_contents(path_);
  std::string kept;
  last_step_.reset();
  for (const Line& line : contents.lines) {
    if (line.step > keep_up_to) continue;
    kept += line.text;
    kept += '\n';
    if (!last_step_ || line.step > *last_step_) last_step_ = line.step;
  }

  fs::path temp = path_;
  temp += ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  GRPO_CHECK(fd >= 0, "cannot create ", temp, ": ", std::strerror(errno));
  try {
    write_all(fd, kept, temp);
    sync(fd, temp);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  GRPO_CHECK(::rename(temp.c_str(), path_.c_str()) == 0, "cannot rename ", temp, " to ", path_, ": ",
             std::strerror(errno));
  sync_directory(path_.parent_path());

  // The old descriptor still points at the replaced file.
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    GRPO_CHECK(fd_ >= 0, "cannot reopen ", path_, ": ", std::strerror(errno));
  }
}

void MetricsLog::log(int64_t step, const Metrics& metrics, double time) {
  GRPO_CHECK(!last_step_ || step > *last_step_, path_, " already has step ", *last_step_, ", cannot log step ",
             step, " (resuming? call truncate_after(checkpoint step) first)");
  nlohmann::ordered_json line;
  line["step"] = step;
  line["time"] = time;
  for (const auto& [name, value] : metrics) {
    GRPO_CHECK(name != "step" && name != "time", "metric name \"", name, "\" is reserved in metrics.jsonl");
    if (std::isfinite(value)) {
      line[name] = value;
    } else {
      line[name] = nullptr;
    }
  }
  // One write() per line: a kill leaves a prefix of it at most, never a mix.
  write_all(fd_, line.dump() + '\n', path_);
  sync(fd_, path_);
  last_step_ = step;
}

std::vector<std::pair<int64_t, Metrics>> read_metrics_jsonl(const fs::path& path) {
  std::vector<std::pair<int64_t, Metrics>> records;
  for (Line& line : read_contents(path).lines) records.emplace_back(line.step, std::move(line.metrics));
  return records;
}

}  // namespace grpo
