// grpo-sandbox-exec: runs one program in a jail and reports how it went.
// Protocol in sandbox/src/jail.h: fd 0-2 are the program's, fd 3 brings the
// spec, fd 4 takes the report. SIGTERM kills the jail and still reports.
//
// Steps: read the spec; make the cgroup; clone init into new user, pid,
// mount, network, ipc, uts and cgroup namespaces; map its ids, join it to
// the cgroup and let it go; wait for its report, the wall clock or SIGTERM;
// kill the whole namespace (killing its pid 1 does that); report.
#include <fcntl.h>
#include <linux/sched.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "launcher.h"
#include "libgrpo/error.h"

namespace grpo::sandbox::launcher {

void fail_errno(const std::string& what) { GRPO_FAIL(what, ": ", std::strerror(errno)); }

std::string encode(const InitReport& r) {
  nlohmann::json files = nlohmann::json::object();
  for (const auto& [k, v] : r.files) files[k] = nlohmann::json::binary(std::vector<uint8_t>(v.begin(), v.end()));
  nlohmann::json j = {{"error", r.error},   {"wait_status", r.wait_status}, {"cpu_ms", r.cpu_ms},
                      {"max_rss_kb", r.max_rss_kb}, {"files", files}};
  auto bytes = nlohmann::json::to_cbor(j);
  return std::string(bytes.begin(), bytes.end());
}

InitReport decode_init_report(std::string_view cbor) {
  auto j = nlohmann::json::from_cbor(cbor.begin(), cbor.end(), true, false);
  GRPO_CHECK(!j.is_discarded() && j.is_object(), "the jail's init sent a malformed report");
  InitReport r;
  r.error = j.at("error").get<std::string>();
  r.wait_status = j.at("wait_status").get<int>();
  r.cpu_ms = j.at("cpu_ms").get<int64_t>();
  r.max_rss_kb = j.at("max_rss_kb").get<int64_t>();
  for (const auto& [k, v] : j.at("files").items()) {
    const auto& b = v.get_binary();
    r.files[k] = std::string(b.begin(), b.end());
  }
  return r;
}

namespace {

using Clock = std::chrono::steady_clock;

std::string read_all(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) out.append(buf, static_cast<size_t>(n));
    else if (n < 0 && errno == EINTR) continue;
    else return out;
  }
}

}  // namespace

void write_all(int fd, const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

namespace {

void write_proc(pid_t pid, const char* file, const std::string& text) {
  std::string path = "/proc/" + std::to_string(pid) + "/" + file;
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  LAUNCHER_SYS(fd, "open ", path);
  ssize_t n = ::write(fd, text.data(), text.size());
  int err = errno;
  ::close(fd);
  errno = err;
  LAUNCHER_SYS(n, "write ", path, " <- ", text);
}

// The jail's uid 1000 is an unprivileged uid outside: nobody when we are
// root, else ourselves (the only id an unprivileged process may map).
void map_ids(pid_t pid) {
  uid_t outside_uid = ::geteuid() == 0 ? 65534 : ::geteuid();
  gid_t outside_gid = ::geteuid() == 0 ? 65534 : ::getegid();
  write_proc(pid, "uid_map", std::to_string(kJailUid) + " " + std::to_string(outside_uid) + " 1\n");
  write_proc(pid, "setgroups", "deny");
  write_proc(pid, "gid_map", std::to_string(kJailGid) + " " + std::to_string(outside_gid) + " 1\n");
}

pid_t clone_init() {
  clone_args args{};
  args.flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS |
               CLONE_NEWCGROUP;
  args.exit_signal = SIGCHLD;
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0 && errno == ENOSYS) {
    pid = ::syscall(SYS_clone, args.flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
  }
  LAUNCHER_SYS(pid, "clone into new namespaces (are unprivileged user namespaces enabled?)");
  return static_cast<pid_t>(pid);
}

struct Pipe {
  int read = -1, write = -1;
};
Pipe make_pipe() {
  int fds[2];
  LAUNCHER_SYS(::pipe2(fds, O_CLOEXEC), "pipe2");
  return {fds[0], fds[1]};
}

int64_t children_cpu_ms() {
  rusage u{};
  ::getrusage(RUSAGE_CHILDREN, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1000;
}

jail::Report supervise(const jail::Spec& spec) {
  jail::Report report;
  // SIGTERM (cancel) and SIGCHLD arrive through a signalfd.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  int sigfd = ::signalfd(-1, &mask, SFD_CLOEXEC);
  LAUNCHER_SYS(sigfd, "signalfd");

  std::optional<Cgroup> cgroup = spec.use_cgroups ? Cgroup::create(spec) : std::nullopt;
  report.cgroup = cgroup.has_value();
  Filter* filter = build_filter();
  if (::geteuid() == 0) LAUNCHER_SYS(::setgroups(0, nullptr), "setgroups");

  Pipe go = make_pipe(), init_report = make_pipe();
  const auto start = Clock::now();
  pid_t init = clone_init();
  if (init == 0) {
    // Die with the launcher, whatever kills it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    sigprocmask(SIG_UNBLOCK, &mask, nullptr);
    ::close(go.write);
    ::close(init_report.read);
    ::_exit(init_main(spec, filter, go.read, init_report.write));
  }
  ::close(go.read);
  ::close(init_report.write);
  try {
    map_ids(init);
    if (cgroup) cgroup->add(init);
    // Under memory pressure the kernel must pick the program, never init
    // (the program raises its own score back up before it starts). Needs
    // CAP_SYS_RESOURCE, which containers often withhold: best effort.
    try {
      write_proc(init, "oom_score_adj", "-1000");
    } catch (const grpo::Error&) {
    }
  } catch (const grpo::Error& e) {
    ::kill(init, SIGKILL);
    ::waitpid(init, nullptr, 0);
    report.error = e.message();
    return report;
  }
  LAUNCHER_SYS(::write(go.write, "g", 1), "start the jail");
  ::close(go.write);
  // The program has its own copies of the standard streams; ours must not
  // keep the pipes open after the jail is gone.
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);

  std::string init_bytes;
  const auto deadline = start + std::chrono::milliseconds(spec.wall_ms);
  bool init_done = false, reading = true;
  int wait_status = 0;
  while (!init_done) {
    pollfd fds[2] = {{sigfd, POLLIN, 0}, {init_report.read, short(reading ? POLLIN : 0), 0}};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0 && !report.wall_timeout && !report.cancelled) {
      report.wall_timeout = true;
      ::kill(init, SIGKILL);
    }
    int rc = ::poll(fds, 2, report.wall_timeout || report.cancelled ? 100 : static_cast<int>(std::max<int64_t>(left, 1)));
    if (rc < 0 && errno != EINTR) break;
    if (fds[1].revents) {
      char buf[65536];
      ssize_t n = ::read(init_report.read, buf, sizeof buf);
      if (n > 0) init_bytes.append(buf, static_cast<size_t>(n));
      else if (n == 0) reading = false;
    }
    if (fds[0].revents) {
      signalfd_siginfo info{};
      if (::read(sigfd, &info, sizeof info) == sizeof info && info.ssi_signo == SIGTERM && !report.cancelled) {
        report.cancelled = true;
        ::kill(init, SIGKILL);
      }
    }
    if (::waitpid(init, &wait_status, WNOHANG) == init) init_done = true;
  }
  if (reading) init_bytes += read_all(init_report.read);
  report.wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();

  if (!report.wall_timeout && !report.cancelled && !init_bytes.empty()) {
    InitReport r = decode_init_report(init_bytes);
    report.error = r.error;
    if (WIFEXITED(r.wait_status)) report.exit_code = WEXITSTATUS(r.wait_status);
    if (WIFSIGNALED(r.wait_status)) report.signal = WTERMSIG(r.wait_status);
    report.cpu_ms = r.cpu_ms;
    report.max_rss_kb = r.max_rss_kb;
    report.files = std::move(r.files);
  } else if (!report.wall_timeout && !report.cancelled && !(cgroup && cgroup->oom())) {
    report.error = "the jail's init ended without a report (status " + std::to_string(wait_status) + ")";
  } else {
    report.signal = SIGKILL;
    report.cpu_ms = children_cpu_ms();
  }
  if (cgroup) {
    report.oom = cgroup->oom();
    report.max_rss_kb = std::max(report.max_rss_kb, cgroup->peak_kb());
  }
  return report;
}

}  // namespace
}  // namespace grpo::sandbox::launcher

int main() {
  using namespace grpo::sandbox;
  jail::Report report;
  try {
    std::string spec_bytes = launcher::read_all(3);
    ::close(3);
    report = launcher::supervise(jail::decode_spec(spec_bytes));
  } catch (const std::exception& e) {
    report.error = e.what();
  }
  launcher::write_all(4, jail::encode(report));
  return 0;
}
