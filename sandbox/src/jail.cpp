// Library side of a jailed run: spawn the launcher, pump the pipes, enforce
// the output caps and a wall-clock backstop.
#include "jail.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "libgrpo/error.h"

namespace grpo::sandbox::jail {
namespace {

using Clock = std::chrono::steady_clock;

// An owned file descriptor.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    reset();
    fd = std::exchange(o.fd, -1);
    return *this;
  }
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  explicit operator bool() const { return fd >= 0; }
};

struct Pipe {
  Fd read, write;
};

Pipe make_pipe() {
  int fds[2];
  GRPO_CHECK(::pipe2(fds, O_CLOEXEC) == 0, "pipe2: ", std::strerror(errno));
  return {Fd(fds[0]), Fd(fds[1])};
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// SIGPIPE from writing to a dead launcher's pipes must not kill the caller:
// block it on this thread for the run, and discard any that came.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~SigpipeGuard() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    timespec zero{};
    while (sigtimedwait(&set, nullptr, &zero) == SIGPIPE) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t old_;
};

pid_t spawn_launcher(const std::string& exec_path, const std::array<int, 5>& child_fds) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (int i = 0; i < 5; ++i) posix_spawn_file_actions_adddup2(&actions, child_fds[i], i);
  posix_spawn_file_actions_addclosefrom_np(&actions, 5);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::string arg0 = exec_path;
  char* argv[] = {arg0.data(), nullptr};
  // An empty environment: the jail's init is a copy of the launcher, and its
  // /proc/1/environ must not show the server's variables to the program.
  char* envp[] = {nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, exec_path.c_str(), &actions, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  GRPO_CHECK(rc == 0, "cannot start the jail launcher ", exec_path, ": ", std::strerror(rc));
  return pid;
}

// Appends what `fd` has to `out`, keeping at most `cap` bytes. Returns false
// at end of file.
bool drain(int fd, std::string& out, size_t cap, bool& overflow) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      size_t room = cap > out.size() ? cap - out.size() : 0;
      out.append(buf, std::min(room, static_cast<size_t>(n)));
      if (static_cast<size_t>(n) > room) overflow = true;
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;  // no more for now; any other error ends the stream
  }
}

// Writes as much of data[offset..] as fits; returns false when done or dead.
bool feed(int fd, const std::string& data, size_t& offset) {
  while (offset < data.size()) {
    ssize_t n = ::write(fd, data.data() + offset, std::min<size_t>(data.size() - offset, 1 << 16));
    if (n > 0) {
      offset += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
  return false;
}

}  // namespace

Outcome run(const std::string& exec_path, const Spec& spec, const std::string& stdin_text, int64_t output_cap,
            std::stop_token stop) {
  SigpipeGuard sigpipe_guard;
  Outcome out;
  Pipe in = make_pipe(), sout = make_pipe(), serr = make_pipe(), specp = make_pipe(), rep = make_pipe();
  Fd cancel(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  GRPO_CHECK(bool(cancel), "eventfd: ", std::strerror(errno));

  pid_t pid;
  try {
    pid = spawn_launcher(exec_path, {in.read.fd, sout.write.fd, serr.write.fd, specp.read.fd, rep.write.fd});
  } catch (const grpo::Error& e) {
    out.report.error = e.message();
    return out;
  }
  in.read.reset();
  sout.write.reset();
  serr.write.reset();
  specp.read.reset();
  rep.write.reset();
  for (int fd : {in.write.fd, sout.read.fd, serr.read.fd, specp.write.fd, rep.read.fd}) set_nonblocking(fd);

  std::stop_callback on_stop(stop, [&] {
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(cancel.fd, &one, sizeof one);
  });

  const std::string spec_bytes = encode(spec);
  size_t spec_off = 0, stdin_off = 0;
  std::string report_bytes;
  bool report_overflow = false, signalled = false;
  const size_t cap = static_cast<size_t>(output_cap);
  // The launcher enforces wall_ms itself; this backstop only fires if it hangs.
  const auto backstop = Clock::now() + std::chrono::milliseconds(spec.wall_ms + 5'000);
  auto terminate = [&](int sig) {
    if (sig == SIGKILL || !signalled) ::kill(pid, sig);
    signalled = true;
  };

  while (sout.read || serr.read || rep.read) {
    std::array<pollfd, 6> fds{};
    int n = 0;
    auto add = [&](Fd& f, short events) {
      if (f) fds[n++] = {f.fd, events, 0};
    };
    add(specp.write, POLLOUT);
    add(in.write, specp.write ? 0 : POLLOUT);  // stdin after the spec
    add(sout.read, POLLIN);
    add(serr.read, POLLIN);
    add(rep.read, POLLIN);
    add(cancel, POLLIN);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(backstop - Clock::now()).count();
    if (left <= 0) {
      terminate(SIGKILL);
      out.report.error = "the jail launcher did not finish in time; killed";
      break;
    }
    int rc = ::poll(fds.data(), n, static_cast<int>(std::min<int64_t>(left, 1'000)));
    if (rc < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      int fd = fds[i].fd;
      if (fd == specp.write.fd) {
        if (!feed(fd, spec_bytes, spec_off)) specp.write.reset();
      } else if (fd == in.write.fd) {
        if (!feed(fd, stdin_text, stdin_off)) in.write.reset();
      } else if (fd == sout.read.fd || fd == serr.read.fd) {
        Fd& f = fd == sout.read.fd ? sout.read : serr.read;
        std::string& text = fd == sout.read.fd ? out.stdout_text : out.stderr_text;
        if (!drain(fd, text, cap, out.output_overflow)) f.reset();
        if (out.output_overflow) terminate(SIGTERM);
      } else if (fd == rep.read.fd) {
        if (!drain(fd, report_bytes, 1u << 30, report_overflow)) rep.read.reset();
      } else if (fd == cancel.fd) {
        cancel.reset();
        terminate(SIGTERM);
      }
    }
  }
  if (spec_off < spec_bytes.size() && out.report.error.empty()) terminate(SIGKILL);

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!out.report.error.empty()) return out;
  if (report_bytes.empty()) {
    out.report.error = WIFSIGNALED(status)
        ? "the jail launcher was killed by signal " + std::to_string(WTERMSIG(status)) + " without a report"
        : "the jail launcher exited with status " + std::to_string(WEXITSTATUS(status)) + " without a report";
    return out;
  }
  try {
    out.report = decode_report(report_bytes);
  } catch (const grpo::Error& e) {
    out.report.error = e.message();
  }
  return out;
}

}  // namespace grpo::sandbox::jail
