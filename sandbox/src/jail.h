// The jail: one program run inside fresh namespaces, by the launcher
// grpo-sandbox-exec (sandbox/exec/). The library side (jail.cpp) spawns the
// launcher, feeds stdin, reads stdout/stderr under their caps and enforces
// the wall clock as a backstop; the launcher builds the jail and reports.
//
// Launcher protocol: fd 0/1/2 are the program's stdin/stdout/stderr, fd 3
// carries a JailSpec (CBOR) until EOF, fd 4 receives one JailReport (CBOR).
// SIGTERM to the launcher kills the jail and still yields a report.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <stop_token>
#include <string>
#include <vector>

namespace grpo::sandbox::jail {

struct File {
  std::string path;     // relative to the work dir, no ".." (checked)
  std::string content;  // bytes
  uint32_t mode = 0644;
};

struct Spec {
  std::vector<std::string> argv;  // argv[0] an absolute path inside the jail
  std::vector<std::string> env;   // "KEY=value"
  std::vector<File> files;        // written into the work dir before the run
  // Files read back from the work dir after the run, up to collect_max_bytes
  // each; missing ones are left out of the report.
  std::vector<std::string> collect;
  int64_t collect_max_bytes = 64 << 20;

  int64_t cpu_ms = 10'000;
  int64_t wall_ms = 20'000;
  int64_t memory_mb = 512;
  int64_t processes = 16;
  int64_t file_mb = 16;        // largest file the program may write
  int64_t work_dir_mb = 64;    // size of the work dir's tmpfs
  int64_t open_files = 64;
  bool use_cgroups = true;
  // Host paths bound read-only into the jail's root (symlinks are recreated
  // as symlinks), e.g. /usr, /lib, /lib64, /bin, /etc/ld.so.cache.
  std::vector<std::string> binds;
};

struct Report {
  std::string error;          // non-empty: the jail could not be built or run
  int exit_code = -1;         // -1 when killed by a signal
  int signal = 0;
  bool wall_timeout = false;  // killed at wall_ms
  bool cancelled = false;     // killed on request (SIGTERM to the launcher)
  bool oom = false;           // the cgroup's memory limit was hit
  bool cgroup = false;        // cgroup limits were in force
  int64_t cpu_ms = 0;
  int64_t wall_ms = 0;
  int64_t max_rss_kb = 0;
  std::map<std::string, std::string> files;  // the collected files
};

std::string encode(const Spec& spec);
Spec decode_spec(std::string_view cbor);
std::string encode(const Report& report);
Report decode_report(std::string_view cbor);

// What the library saw of a run.
struct Outcome {
  Report report;
  std::string stdout_text, stderr_text;  // at most output_cap bytes each
  bool output_overflow = false;          // a stream passed output_cap; the run was killed
};

// Runs `spec` through the launcher at `exec_path`, writing stdin_text to the
// program. Blocks until the jail is gone. Never throws for what the program
// does; failures to launch come back in report.error.
Outcome run(const std::string& exec_path, const Spec& spec, const std::string& stdin_text,
            int64_t output_cap, std::stop_token stop);

}  // namespace grpo::sandbox::jail
