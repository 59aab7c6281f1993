// grpo-sandbox-exec's pieces. The launcher (main.cpp) runs outside the jail;
// the jail's init (init.cpp) runs as pid 1 inside the new namespaces.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "jail.h"

struct scmp_filter_ctx_placeholder;

namespace grpo::sandbox::launcher {

// Inside the jail, the program's uid and gid (mapped to an unprivileged uid
// outside: 65534 when the launcher runs as root, the launcher's own otherwise).
constexpr uid_t kJailUid = 1000;
constexpr gid_t kJailGid = 1000;

// Failure of a system call, with errno, as a grpo::Error.
[[noreturn]] void fail_errno(const std::string& what);
#define LAUNCHER_SYS(call, ...)                                                        \
  do {                                                                                 \
    if ((call) < 0) ::grpo::sandbox::launcher::fail_errno(::grpo::detail::concat(__VA_ARGS__)); \
  } while (0)

// Writes all of `bytes` to `fd` (retrying short writes); gives up silently
// when the reader is gone.
void write_all(int fd, const std::string& bytes);

// A cgroup (v1 memory+pids, or v2) for one run, removed on destruction.
class Cgroup {
 public:
  // Creates it with the spec's memory and process limits; nullopt when the
  // host offers no cgroup we may create (then rlimits alone apply).
  static std::optional<Cgroup> create(const jail::Spec& spec);
  Cgroup(Cgroup&&) noexcept;
  ~Cgroup();
  void add(pid_t pid) const;
  bool oom() const;             // the memory limit was hit and a process killed or refused
  int64_t peak_kb() const;      // peak memory use
 private:
  Cgroup() = default;
  std::map<std::string, std::string> dirs_;  // controller ("memory", "pids", "v2") -> directory
};

// The system-call filter, compiled to BPF once in the launcher and loaded by
// the program just before execve.
struct Filter;
Filter* build_filter();
void load_filter(Filter* filter);  // throws on failure

// What init tells the launcher when the program is gone (CBOR over a pipe).
struct InitReport {
  std::string error;        // set-up failed: the program never ran
  int wait_status = 0;      // the program's, as from waitpid
  int64_t cpu_ms = 0;       // the program and every descendant init reaped
  int64_t max_rss_kb = 0;
  std::map<std::string, std::string> files;
};
std::string encode(const InitReport& report);
InitReport decode_init_report(std::string_view cbor);

// Body of the jail's init (pid 1 in the new pid namespace): waits for `go`,
// builds the root file system, starts the program, reaps, reports to
// `report_fd` and returns init's exit code.
int init_main(const jail::Spec& spec, Filter* filter, int go_fd, int report_fd);

}  // namespace grpo::sandbox::launcher
