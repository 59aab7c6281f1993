// Inside the jail: pid 1 of a new pid namespace, in new user, mount, network,
// ipc, uts and cgroup namespaces. Builds a minimal read-only root, forks the
// program with every privilege dropped, reaps, and reports.
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <vector>

#include "launcher.h"
#include "libgrpo/error.h"

namespace grpo::sandbox::launcher {
namespace {

// The new root is built on a tmpfs mounted over /tmp, in our private copy
// of the mount table (the host's /tmp is untouched).
constexpr const char* kRoot = "/tmp";
constexpr const char* kWorkDir = "/sandbox";

std::string at_root(const std::string& path) { return std::string(kRoot) + path; }

void write_file(const std::string& path, const std::string& content, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
  LAUNCHER_SYS(fd, "create ", path);
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      fail_errno("write " + path);
    }
    off += static_cast<size_t>(n);
  }
  LAUNCHER_SYS(::fchmod(fd, mode), "chmod ", path);
  ::close(fd);
}

void make_dirs(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      std::string prefix = path.substr(0, i);
      if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) fail_errno("mkdir " + prefix);
    }
  }
}

void mount_or_fail(const char* source, const std::string& target, const char* type, unsigned long flags,
                   const char* data) {
  LAUNCHER_SYS(::mount(source, target.c_str(), type, flags, data), "mount ", target);
}

// Remounts a bind read-only, keeping the flags the host locked on it (a user
// namespace may add restrictions, never drop them).
void make_read_only(const std::string& target) {
  struct statvfs st {};
  LAUNCHER_SYS(::statvfs(target.c_str(), &st), "statvfs ", target);
  unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV;
  if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (st.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  mount_or_fail(nullptr, target, nullptr, flags, nullptr);
}

// A host path, read-only at the same place in the jail; symlinks (/bin ->
// usr/bin) are recreated as symlinks.
void bind_host_path(const std::string& host) {
  struct stat st {};
  if (::lstat(host.c_str(), &st) != 0) return;  // absent on this host: nothing to bind
  std::string target = at_root(host);
  make_dirs(target.substr(0, target.rfind('/')));
  if (S_ISLNK(st.st_mode)) {
    char link[4096];
    ssize_t n = ::readlink(host.c_str(), link, sizeof link - 1);
    LAUNCHER_SYS(n, "readlink ", host);
    link[n] = 0;
    LAUNCHER_SYS(::symlink(link, target.c_str()), "symlink ", target);
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    make_dirs(target);
  } else {
    write_file(target, "", 0644);
  }
  mount_or_fail(host.c_str(), target, nullptr, MS_BIND | MS_REC, nullptr);
  make_read_only(target);
}

void build_dev() {
  std::string dev = at_root("/dev");
  make_dirs(dev);
  mount_or_fail("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=1m,mode=0755");
  for (const char* node : {"null", "zero", "full", "random", "urandom"}) {
    std::string host = std::string("/dev/") + node, target = dev + "/" + node;
    write_file(target, "", 0666);
    mount_or_fail(host.c_str(), target, nullptr, MS_BIND, nullptr);
  }
  LAUNCHER_SYS(::symlink("/proc/self/fd", (dev + "/fd").c_str()), "symlink /dev/fd");
  LAUNCHER_SYS(::symlink("/proc/self/fd/0", (dev + "/stdin").c_str()), "symlink /dev/stdin");
  LAUNCHER_SYS(::symlink("/proc/self/fd/1", (dev + "/stdout").c_str()), "symlink /dev/stdout");
  LAUNCHER_SYS(::symlink("/proc/self/fd/2", (dev + "/stderr").c_str()), "symlink /dev/stderr");
  LAUNCHER_SYS(::mkdir((dev + "/shm").c_str(), 0755), "mkdir /dev/shm");
  mount_or_fail(nullptr, dev, nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, nullptr);
  // POSIX shared memory and semaphores (Python's multiprocessing) need a
  // writable /dev/shm: a small tmpfs of its own.
  mount_or_fail("tmpfs", dev + "/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=16m,nr_inodes=256,mode=1777");
}

void build_work_dir(const jail::Spec& spec) {
  std::string work = at_root(kWorkDir);
  make_dirs(work);
  std::string opts = "size=" + std::to_string(spec.work_dir_mb) + "m,nr_inodes=4096,mode=0755,uid=" +
                     std::to_string(kJailUid) + ",gid=" + std::to_string(kJailGid);
  mount_or_fail("tmpfs", work, "tmpfs", MS_NOSUID | MS_NODEV, opts.c_str());
  for (const jail::File& f : spec.files) write_file(work + "/" + f.path, f.content, f.mode);
  // /tmp is a directory of the work dir: one size limit covers both.
  std::string tmp = work + "/.tmp";
  LAUNCHER_SYS(::mkdir(tmp.c_str(), 01777), "mkdir ", tmp);
  LAUNCHER_SYS(::chmod(tmp.c_str(), 01777), "chmod ", tmp);
  make_dirs(at_root("/tmp"));
  mount_or_fail(tmp.c_str(), at_root("/tmp"), nullptr, MS_BIND, nullptr);
}

void build_root(const jail::Spec& spec) {
  // Nothing we mount may propagate back to the host.
  mount_or_fail(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
  mount_or_fail("tmpfs", kRoot, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,nr_inodes=1024,mode=0755");
  for (const std::string& host : spec.binds) bind_host_path(host);
  build_dev();
  make_dirs(at_root("/proc"));
  mount_or_fail("proc", at_root("/proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
  make_dirs(at_root("/etc"));
  write_file(at_root("/etc/passwd"), "sandbox:x:1000:1000:sandbox:/sandbox:/bin/sh\n", 0644);
  write_file(at_root("/etc/group"), "sandbox:x:1000:\n", 0644);
  write_file(at_root("/etc/hostname"), "sandbox\n", 0644);
  build_work_dir(spec);

  // Swap roots: the old root is stacked under the new one, then detached.
  LAUNCHER_SYS(::chdir(kRoot), "chdir ", kRoot);
  LAUNCHER_SYS(::syscall(SYS_pivot_root, ".", "."), "pivot_root");
  LAUNCHER_SYS(::umount2(".", MNT_DETACH), "detach the old root");
  LAUNCHER_SYS(::chdir("/"), "chdir /");
  mount_or_fail(nullptr, "/", nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr);
  LAUNCHER_SYS(::sethostname("sandbox", 7), "sethostname");
}

void set_limit(int resource, rlim_t soft, rlim_t hard, const char* name) {
  rlimit r{soft, hard};
  LAUNCHER_SYS(::setrlimit(resource, &r), "setrlimit ", name);
}

void drop_capabilities() {
  for (int cap = 0; cap <= 63; ++cap) {
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno == EINVAL) break;
  }
  LAUNCHER_SYS(::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clear ambient capabilities");
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  LAUNCHER_SYS(::syscall(SYS_capset, &header, data), "capset");
}

// In the forked program process: limits, identity, filter, exec. Returns only
// by throwing.
[[noreturn]] void exec_program(const jail::Spec& spec, Filter* filter) {
  ::setsid();
  const rlim_t cpu_s = static_cast<rlim_t>((spec.cpu_ms + 999) / 1000);
  set_limit(RLIMIT_CPU, cpu_s, cpu_s + 1, "RLIMIT_CPU");
  set_limit(RLIMIT_AS, rlim_t(spec.memory_mb) << 20, rlim_t(spec.memory_mb) << 20, "RLIMIT_AS");
  // Counted per user of this user namespace: init is the one extra.
  set_limit(RLIMIT_NPROC, spec.processes + 1, spec.processes + 1, "RLIMIT_NPROC");
  set_limit(RLIMIT_FSIZE, rlim_t(spec.file_mb) << 20, rlim_t(spec.file_mb) << 20, "RLIMIT_FSIZE");
  set_limit(RLIMIT_NOFILE, spec.open_files, spec.open_files, "RLIMIT_NOFILE");
  set_limit(RLIMIT_CORE, 0, 0, "RLIMIT_CORE");
  set_limit(RLIMIT_MEMLOCK, 0, 0, "RLIMIT_MEMLOCK");
  set_limit(RLIMIT_MSGQUEUE, 0, 0, "RLIMIT_MSGQUEUE");
  // The preferred victim of an out-of-memory kill (init runs at -1000).
  if (int fd = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC); fd >= 0) {
    [[maybe_unused]] auto n = ::write(fd, "1000", 4);
    ::close(fd);
  }
  drop_capabilities();
  LAUNCHER_SYS(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs");
  LAUNCHER_SYS(::chdir(kWorkDir), "chdir ", kWorkDir);

  std::vector<char*> argv, envp;
  for (const std::string& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  for (const std::string& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  argv.push_back(nullptr);
  envp.push_back(nullptr);
  load_filter(filter);  // last: from here on only what the program may do
  ::execve(argv[0], argv.data(), envp.data());
  fail_errno("execute " + spec.argv[0]);
}

// Reads a collected file without following links or blocking on fifos.
bool read_collected(int dir, const std::string& name, int64_t max_bytes, std::string& out) {
  int fd = ::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= max_bytes;
  if (ok) {
    out.resize(static_cast<size_t>(st.st_size));
    ok = ::pread(fd, out.data(), out.size(), 0) == st.st_size;
  }
  ::close(fd);
  return ok;
}

void send(int fd, const InitReport& report) { write_all(fd, encode(report)); }

}  // namespace

int init_main(const jail::Spec& spec, Filter* filter, int go_fd, int report_fd) {
  InitReport report;
  try {
    char go = 0;
    // The launcher maps our ids and joins us to the cgroup, then says go; if
    // it dies first we read end of file and quit.
    if (::read(go_fd, &go, 1) != 1) return 1;
    ::close(go_fd);
    LAUNCHER_SYS(::setresgid(kJailGid, kJailGid, kJailGid), "setresgid");
    LAUNCHER_SYS(::setresuid(kJailUid, kJailUid, kJailUid), "setresuid");
    build_root(spec);
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  } catch (const grpo::Error& e) {
    report.error = "jail set-up: " + e.message();
    send(report_fd, report);
    return 1;
  }

  // A pipe that closes on a successful exec and otherwise carries the error.
  int exec_pipe[2];
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0) return 1;
  pid_t program = ::fork();
  if (program == 0) {
    ::close(exec_pipe[0]);
    ::close(report_fd);
    try {
      exec_program(spec, filter);
    } catch (const grpo::Error& e) {
      std::string msg = e.message();
      [[maybe_unused]] auto n = ::write(exec_pipe[1], msg.data(), msg.size());
    }
    ::_exit(127);
  }
  ::close(exec_pipe[1]);
  if (program < 0) {
    report.error = std::string("fork the program: ") + std::strerror(errno);
    send(report_fd, report);
    return 1;
  }
  char buf[1024];
  ssize_t n;
  while ((n = ::read(exec_pipe[0], buf, sizeof buf)) < 0 && errno == EINTR) {
  }
  ::close(exec_pipe[0]);
  if (n > 0) report.error = "cannot start the program: " + std::string(buf, static_cast<size_t>(n));

  // Reap everything (orphans are re-parented to us) until the program ends.
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0 && errno == EINTR) continue;
    if (pid < 0) break;
    if (pid == program) {
      report.wait_status = status;
      break;
    }
  }
  // Stop what the program left behind, then read its files undisturbed.
  ::kill(-1, SIGKILL);
  while (::waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
  }
  rusage usage{};
  ::getrusage(RUSAGE_CHILDREN, &usage);
  report.cpu_ms = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000 +
                  (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000;
  report.max_rss_kb = usage.ru_maxrss;
  int dir = ::open(kWorkDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  for (const std::string& name : spec.collect) {
    std::string content;
    if (dir >= 0 && read_collected(dir, name, spec.collect_max_bytes, content)) report.files[name] = std::move(content);
  }
  send(report_fd, report);
  return 0;
}

}  // namespace grpo::sandbox::launcher
