// The jail's system-call filter (seccomp-bpf through libseccomp). Default
// allow, with two deny lists:
//  - killed (the run's status becomes `rejected`): calls no judged program
//    needs and that attack the kernel or other processes: ptrace and
//    cross-process memory access, bpf, perf_event_open, kexec, module
//    loading, keyrings, clock and swap administration, userfaultfd.
//  - refused with EPERM (a runtime can recover): mount and namespace
//    manipulation, socket families other than AF_UNIX, io_uring (its
//    operations bypass this filter), device nodes.
// Foreign ABIs (x32, i386 through int 0x80) kill the process.
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "launcher.h"
#include "libgrpo/error.h"

namespace grpo::sandbox::launcher {

struct Filter {
  scmp_filter_ctx ctx = nullptr;
};

namespace {

constexpr const char* kKilled[] = {
    "ptrace",         "process_vm_readv", "process_vm_writev", "pidfd_getfd",   "kcmp",
    "bpf",            "perf_event_open",  "kexec_load",        "kexec_file_load", "init_module",
    "finit_module",   "delete_module",    "keyctl",            "add_key",       "request_key",
    "reboot",         "swapon",           "swapoff",           "iopl",          "ioperm",
    "acct",           "quotactl",         "lookup_dcookie",    "syslog",        "settimeofday",
    "clock_settime",  "clock_adjtime",    "adjtimex",          "userfaultfd",   "uselib",
    "open_by_handle_at", "vhangup",
};

constexpr const char* kRefused[] = {
    "mount",     "umount2",      "pivot_root",   "chroot",        "unshare",   "setns",
    "move_mount", "open_tree",   "fsopen",       "fsconfig",      "fsmount",   "fspick",
    "mount_setattr", "fanotify_init", "name_to_handle_at", "io_uring_setup", "io_uring_enter",
    "io_uring_register",
};

void add(scmp_filter_ctx ctx, uint32_t action, const char* name, unsigned count = 0,
         const scmp_arg_cmp* args = nullptr) {
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) return;  // not on this architecture or too new for libseccomp
  int rc = seccomp_rule_add_array(ctx, action, nr, count, args);
  GRPO_CHECK(rc == 0, "seccomp rule for ", name, ": ", std::strerror(-rc));
}

}  // namespace

Filter* build_filter() {
  auto* f = new Filter;
  f->ctx = seccomp_init(SCMP_ACT_ALLOW);
  GRPO_CHECK(f->ctx, "seccomp_init failed");
  scmp_filter_ctx ctx = f->ctx;
  GRPO_CHECK(seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) == 0, "seccomp bad-arch action");
  for (const char* name : kKilled) add(ctx, SCMP_ACT_KILL_PROCESS, name);
  const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
  for (const char* name : kRefused) add(ctx, eperm, name);

  // Sockets: AF_UNIX only. The jail's network namespace has no route out in
  // any case; this closes raw sockets and netlink too.
  scmp_arg_cmp not_unix = SCMP_A0(SCMP_CMP_NE, AF_UNIX);
  add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), "socket", 1, &not_unix);
  add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), "socketpair", 1, &not_unix);

  // New namespaces through clone; clone3 hides its flags in memory the filter
  // cannot read, so it reports ENOSYS and the C library falls back to clone.
  constexpr uint64_t ns_flags = CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC |
                                CLONE_NEWUTS | CLONE_NEWCGROUP;
  // A rule cannot say "any of these bits": refuse each flag on its own.
  for (uint64_t bit = 1; bit != 0; bit <<= 1) {
    if (!(ns_flags & bit)) continue;
    scmp_arg_cmp has_bit = SCMP_A0(SCMP_CMP_MASKED_EQ, bit, bit);
    add(ctx, eperm, "clone", 1, &has_bit);
  }
  add(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3");

  // Device nodes (fifos and regular files stay allowed).
  for (uint64_t type : {uint64_t(S_IFCHR), uint64_t(S_IFBLK)}) {
    scmp_arg_cmp mknod_mode = SCMP_A1(SCMP_CMP_MASKED_EQ, S_IFMT, type);
    scmp_arg_cmp mknodat_mode = SCMP_A2(SCMP_CMP_MASKED_EQ, S_IFMT, type);
    add(ctx, eperm, "mknod", 1, &mknod_mode);
    add(ctx, eperm, "mknodat", 1, &mknodat_mode);
  }
  return f;
}

void load_filter(Filter* f) {
  int rc = seccomp_load(f->ctx);
  GRPO_CHECK(rc == 0, "seccomp_load: ", std::strerror(-rc));
}

}  // namespace grpo::sandbox::launcher
