// Hostile programs against a real service: each has its expected verdict,
// and after each the host is checked unharmed and the service still serving.
//
// Programs that would hurt the machine if isolation failed (kill(-1), fork
// and memory bombs, disk fill) run only after probes in the same test have
// shown the pid namespace, the process limit and the memory limit in force.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "sandbox/protocol.h"
#include "sandbox_fakes.h"
#include "support/sandbox_service.h"

namespace {

namespace fs = std::filesystem;
using namespace grpo::sandbox;
using grpo::test::SandboxService;
using SandboxTest = grpo::sandbox::Test;

constexpr Limits kLimits{.cpu_ms = 2'000, .wall_ms = 4'000, .memory_mb = 256, .output_kb = 64, .processes = 16};

class SandboxSecurity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // A secret the service's environment holds: no program may read it.
    ::setenv("GRPO_TEST_SECRET", "hunter2-host-secret", 1);
    service_ = new SandboxService();
  }
  static void TearDownTestSuite() {
    delete service_;
    service_ = nullptr;
  }
  void TearDown() override {
    EXPECT_TRUE(service_->healthy()) << "the service stopped serving";
    auto r = python("print('still here')");
    EXPECT_EQ(r.execution.stdout_text, "still here\n") << to_json(r);
  }

  static RunResult run(const std::string& language, const std::string& code, Limits limits = kLimits,
                       std::vector<SandboxTest> tests = {}) {
    return service_->run({.language = language, .code = code, .tests = std::move(tests), .limits = limits});
  }
  static RunResult python(const std::string& code, Limits limits = kLimits) { return run("python", code, limits); }

  // Probes: the program is pid 2 and sees only the jail's processes; it
  // cannot have more than `processes` at once; it cannot hold more than
  // memory_mb. Returns false (with a failure recorded) when any does not hold.
  static bool isolation_proven() {
    auto pid = python(R"py(
import os
pids = [p for p in os.listdir('/proc') if p.isdigit()]
print(os.getpid(), len(pids))
)py");
    EXPECT_EQ(pid.execution.stdout_text, "2 2\n") << "pid namespace not in force: " << to_json(pid);
    auto procs = python(R"py(
import os, time
n = 0
try:
    for _ in range(64):
        if os.fork() == 0:
            time.sleep(3)
            os._exit(0)
        n += 1
except OSError:
    pass
print(n, flush=True)
os._exit(0)
)py");
    int forked = std::atoi(procs.execution.stdout_text.c_str());
    EXPECT_TRUE(forked > 0 && forked < kLimits.processes) << "process limit not in force: " << to_json(procs);
    auto memory = python(R"py(
chunks = []
try:
    while len(chunks) < 64:
        chunks.append(bytearray(16 << 20))
except MemoryError:
    pass
print(len(chunks) * 16)
)py");
    int held_mb = std::atoi(memory.execution.stdout_text.c_str());
    EXPECT_TRUE(held_mb > 0 && held_mb < kLimits.memory_mb) << "memory limit not in force: " << to_json(memory);
    return pid.execution.stdout_text == "2 2\n" && forked > 0 && forked < kLimits.processes && held_mb > 0 &&
           held_mb < kLimits.memory_mb;
  }

  static SandboxService* service_;
};
SandboxService* SandboxSecurity::service_ = nullptr;

std::string status(const RunResult& r) { return std::string(to_string(r.status)); }

// ---------------------------------------------------------------- resources

TEST_F(SandboxSecurity, ForkBomb) {
  ASSERT_TRUE(isolation_proven());
  auto r = python("import os\nwhile True:\n    os.fork()\n");
  EXPECT_EQ(status(r), "runtime_error") << to_json(r);
  EXPECT_NE(r.execution.stderr_text.find("BlockingIOError"), std::string::npos);
}

TEST_F(SandboxSecurity, ForkBombInCpp) {
  ASSERT_TRUE(isolation_proven());
  auto r = run("cpp", "#include <unistd.h>\nint main() { for (;;) fork(); }");
  EXPECT_EQ(status(r), "timeout") << to_json(r);
}

TEST_F(SandboxSecurity, ThreadBomb) {
  // The process limit stops the spawning; the threads already running keep
  // the interpreter from exiting until the wall clock ends it.
  auto r = python("import threading, time\nwhile True:\n    threading.Thread(target=time.sleep, args=(60,)).start()\n");
  EXPECT_EQ(status(r), "timeout") << to_json(r);
  EXPECT_NE(r.execution.stderr_text.find("can't start new thread"), std::string::npos) << to_json(r);
}

TEST_F(SandboxSecurity, MemoryBomb) {
  ASSERT_TRUE(isolation_proven());
  auto r = python("x = []\nwhile True:\n    x.append(bytearray(8 << 20))\n");
  EXPECT_EQ(status(r), "memory_limit") << to_json(r);
  EXPECT_LT(r.execution.max_rss_kb, (kLimits.memory_mb + 16) * 1024);
}

TEST_F(SandboxSecurity, MemoryBombInCpp) {
  ASSERT_TRUE(isolation_proven());
  auto r = run("cpp", R"cpp(#include <cstring>
#include <vector>
int main() { std::vector<char*> v; for (;;) { char* p = new char[8 << 20]; std::memset(p, 1, 8 << 20); v.push_back(p); } })cpp");
  EXPECT_EQ(status(r), "memory_limit") << to_json(r);
}

TEST_F(SandboxSecurity, InfiniteLoop) {
  auto r = python("while True:\n    pass\n");
  EXPECT_EQ(status(r), "timeout") << to_json(r);
  EXPECT_GE(r.execution.cpu_ms, kLimits.cpu_ms - 100);
}

TEST_F(SandboxSecurity, SleepPastTheWallLimit) {
  auto start = std::chrono::steady_clock::now();
  auto r = python("import time\ntime.sleep(600)\n");
  EXPECT_EQ(status(r), "timeout") << to_json(r);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(kLimits.wall_ms + 2000));
}

TEST_F(SandboxSecurity, HugeStdoutAndStderr) {
  auto out = python("import sys\nwhile True:\n    sys.stdout.write('y' * 65536)\n");
  EXPECT_EQ(status(out), "output_limit") << to_json(out);
  EXPECT_EQ(out.execution.stdout_text.size(), size_t(kLimits.output_kb) * 1024);
  auto err = python("import sys\nwhile True:\n    sys.stderr.write('e' * 65536)\n");
  EXPECT_EQ(status(err), "output_limit") << to_json(err);
}

TEST_F(SandboxSecurity, DiskFill) {
  ASSERT_TRUE(isolation_proven());
  struct statvfs before {};
  ::statvfs("/", &before);
  auto r = python(R"py(
import os
written = 0
for i in range(10000):
    try:
        with open(f'/sandbox/fill{i}', 'wb') as f:
            while True:
                f.write(b'\0' * (1 << 20))
                written += 1 << 20
    except OSError:
        pass
    try:
        with open(f'/tmp/fill{i}', 'wb') as f:
            f.write(b'\0' * (1 << 20))
            written += 1 << 20
    except OSError:
        break
print(written >> 20)
)py");
  EXPECT_EQ(status(r), "ok") << to_json(r);
  int written_mb = std::atoi(r.execution.stdout_text.c_str());
  EXPECT_GT(written_mb, 0);
  EXPECT_LE(written_mb, 64);  // the work dir's tmpfs, /tmp included
  struct statvfs after {};
  ::statvfs("/", &after);
  EXPECT_GT(double(after.f_bavail) * after.f_frsize, double(before.f_bavail) * before.f_frsize - 32e6);
}

TEST_F(SandboxSecurity, FileDescriptorExhaustion) {
  auto r = python(R"py(
fds = []
try:
    while True:
        fds.append(open('/dev/null'))
except OSError as e:
    print(len(fds), e.errno)
)py");
  EXPECT_EQ(status(r), "ok") << to_json(r);
  EXPECT_LE(std::atoi(r.execution.stdout_text.c_str()), 64);
  EXPECT_NE(r.execution.stdout_text.find(" 24"), std::string::npos);  // EMFILE
}

// ---------------------------------------------------------------- the host file system

TEST_F(SandboxSecurity, WritesToHostPaths) {
  std::string project = LIBGRPO_SOURCE_DIR;
  auto r = python(fmt::format(R"py(
paths = ['/etc/passwd', '/etc/evil', '/usr/bin/evil', '/usr/lib/evil', '/root/evil', '/evil',
         '{0}/evil', '{0}/README.md', '/proc/sys/kernel/hostname', '/proc/sysrq-trigger', '/dev/evil']
for p in paths:
    try:
        with open(p, 'a') as f:
            f.write('owned')
        print('WROTE', p)
    except OSError as e:
        print('refused', p, e.errno)
)py", project));
  EXPECT_EQ(status(r), "ok") << to_json(r);
  EXPECT_EQ(r.execution.stdout_text.find("WROTE"), std::string::npos) << r.execution.stdout_text;
  EXPECT_FALSE(fs::exists(project + "/evil"));
  EXPECT_FALSE(fs::exists("/etc/evil"));
  EXPECT_FALSE(fs::exists("/usr/bin/evil"));
}

TEST_F(SandboxSecurity, ReadsOfHostSecrets) {
  std::string project = LIBGRPO_SOURCE_DIR;
  auto r = python(fmt::format(R"py(
import os
for p in ['/etc/shadow', '/etc/hostname', '{0}/README.md', '{0}/CMakeLists.txt', '/root/.bash_history',
          '/proc/1/environ', '/proc/self/environ', '/proc/1/root/etc/shadow', '/proc/1/cwd']:
    try:
        with open(p, 'rb') as f:
            print('READ', p, f.read(200))
    except OSError as e:
        print('refused', p, e.errno)
print('ENV', dict(os.environ))
print('LS', sorted(os.listdir('/')), sorted(os.listdir('/etc')))
)py", project));
  EXPECT_EQ(status(r), "ok") << to_json(r);
  const std::string& out = r.execution.stdout_text;
  EXPECT_EQ(out.find("hunter2"), std::string::npos) << out;
  EXPECT_EQ(out.find("READ /etc/shadow"), std::string::npos) << out;
  EXPECT_EQ(out.find("READ " + project), std::string::npos) << out;
  EXPECT_EQ(out.find("libgrpo"), std::string::npos) << out;
  // The jail's root holds the runtime and nothing else of the host's.
  for (const char* absent : {"'root'", "'home'", "'var'", "'work'", "'opt'", "'shadow'"})
    EXPECT_EQ(out.find(absent), std::string::npos) << absent << " visible: " << out;
}

TEST_F(SandboxSecurity, SymlinkEscapesFromTheWorkDir) {
  auto r = python(R"py(
import os
os.symlink('/etc/shadow', 'shadow')
os.symlink('/proc/1/root', 'root1')
os.symlink('../../..', 'up')
for p in ['shadow', 'root1/etc/shadow', 'up/etc/shadow', 'up/work', '/proc/self/root/etc/shadow']:
    try:
        with open(p, 'rb') as f:
            print('READ', p, f.read(100))
    except OSError as e:
        print('refused', p, e.errno)
print(sorted(os.listdir('up')))
)py");
  EXPECT_EQ(status(r), "ok") << to_json(r);
  EXPECT_EQ(r.execution.stdout_text.find("READ"), std::string::npos) << r.execution.stdout_text;
  EXPECT_EQ(r.execution.stdout_text.find("'work'"), std::string::npos) << r.execution.stdout_text;
}

TEST_F(SandboxSecurity, ResultFileTricksAreNotFollowed) {
  // The collected result must not be a link the trusted side follows.
  auto r = run("python",
               "import os\nos.symlink('/etc/passwd', '/sandbox/.result.json')\nos._exit(0)\n"
               "def f():\n    return 1\n",
               kLimits, {SandboxTest{.call = "f()", .expected = "1"}});
  EXPECT_FALSE(r.tests.at(0).passed);
  EXPECT_EQ(status(r), "wrong_answer") << to_json(r);
}

TEST_F(SandboxSecurity, AnotherRunsFilesAreInvisible) {
  auto writer = std::async(std::launch::async, [] {
    return python("open('/sandbox/secret-a', 'w').write('A'); open('/tmp/secret-b', 'w').write('B')\n"
                  "import time; time.sleep(1.5); print('done')\n");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto reader = python(R"py(
import os
print(sorted(os.listdir('/sandbox')), sorted(os.listdir('/tmp')))
print(sorted(p for p in os.listdir('/proc') if p.isdigit()))
)py");
  EXPECT_EQ(writer.get().execution.stdout_text, "done\n");
  EXPECT_EQ(status(reader), "ok") << to_json(reader);
  EXPECT_EQ(reader.execution.stdout_text.find("secret"), std::string::npos) << reader.execution.stdout_text;
}

// ---------------------------------------------------------------- network

// A listener the test itself opens on 127.0.0.1; nothing must reach it.
class Listener {
 public:
  explicit Listener(int type) : fd_(::socket(AF_INET, type, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    if (type == SOCK_STREAM) ::listen(fd_, 16);
  }
  ~Listener() { ::close(fd_); }
  int port() const { return port_; }
  bool touched(int wait_ms) const {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, wait_ms) > 0;
  }

 private:
  int fd_;
  int port_ = 0;
};

TEST_F(SandboxSecurity, TcpAndUdpToTheHostListener) {
  Listener tcp(SOCK_STREAM), udp(SOCK_DGRAM);
  auto r = python(fmt::format(R"py(
import socket
for family, kind, port in [(socket.AF_INET, socket.SOCK_STREAM, {0}), (socket.AF_INET, socket.SOCK_DGRAM, {1}),
                           (socket.AF_INET6, socket.SOCK_STREAM, {0})]:
    try:
        s = socket.socket(family, kind)
        host = '127.0.0.1' if family == socket.AF_INET else '::1'
        if kind == socket.SOCK_STREAM:
            s.settimeout(1)
            s.connect((host, port))
            s.sendall(b'escaped')
        else:
            s.sendto(b'escaped', (host, port))
        print('SENT', family, kind)
    except OSError as e:
        print('refused', family, kind, e.errno)
)py", tcp.port(), udp.port()));
  EXPECT_EQ(status(r), "ok") << to_json(r);
  EXPECT_EQ(r.execution.stdout_text.find("SENT"), std::string::npos) << r.execution.stdout_text;
  EXPECT_FALSE(tcp.touched(200));
  EXPECT_FALSE(udp.touched(200));
}

TEST_F(SandboxSecurity, RawPacketAndNetlinkSockets) {
  auto r = python(R"py(
import socket
for args in [(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP), (socket.AF_PACKET, socket.SOCK_RAW, 0),
             (socket.AF_NETLINK, socket.SOCK_RAW, 0), (socket.AF_INET, socket.SOCK_DGRAM, 0)]:
    try:
        socket.socket(*args)
        print('OPENED', args)
    except OSError as e:
        print('refused', args[0], e.errno)
a, b = socket.socketpair()
a.send(b'unix ok')
print(b.recv(16).decode())
)py");
  EXPECT_EQ(status(r), "ok") << to_json(r);
  EXPECT_EQ(r.execution.stdout_text.find("OPENED"), std::string::npos) << r.execution.stdout_text;
  EXPECT_NE(r.execution.stdout_text.find("unix ok"), std::string::npos);  // AF_UNIX stays usable
}

// ---------------------------------------------------------------- processes and privileges

TEST_F(SandboxSecurity, PtraceOfAnotherProcess) {
  auto r = python(R"py(
import ctypes, os, time
libc = ctypes.CDLL(None, use_errno=True)
child = os.fork()
if child == 0:
    time.sleep(5)
    os._exit(0)
print('attach', libc.ptrace(16, child, 0, 0), flush=True)  # PTRACE_ATTACH
)py");
  EXPECT_EQ(status(r), "rejected") << to_json(r);
  EXPECT_EQ(r.execution.signal, SIGSYS);
}

TEST_F(SandboxSecurity, KillEverything) {
  ASSERT_TRUE(isolation_proven());
  pid_t canary = ::fork();
  if (canary == 0) {
    ::pause();
    ::_exit(0);
  }
  auto r = python(R"py(
import os, signal, time
children = [os.fork() for _ in range(3)]
if 0 in children:
    time.sleep(10)
    os._exit(0)
os.kill(-1, signal.SIGKILL)
print('killed', sum(os.waitpid(c, 0)[1] == signal.SIGKILL for c in children))
)py");
  EXPECT_EQ(status(r), "ok") << to_json(r);
  EXPECT_EQ(r.execution.stdout_text, "killed 3\n");  // its own children, and nothing else
  EXPECT_EQ(::waitpid(canary, nullptr, WNOHANG), 0) << "a host process was killed";
  ::kill(canary, SIGKILL);
  ::waitpid(canary, nullptr, 0);
}

TEST_F(SandboxSecurity, SignalsToTheServer) {
  auto r = python(fmt::format(R"py(
import os, signal
hits = 0
for pid in list(range(1, 4096)) + [{0}, {1}]:
    if pid == os.getpid():
        continue
    try:
        os.kill(pid, signal.SIGKILL if pid > 2 else signal.SIGTERM)
        hits += 1
    except OSError:
        pass
print('signalled', hits)
)py", service_->pid(), ::getpid()));
  EXPECT_EQ(status(r), "ok") << to_json(r);
  EXPECT_EQ(::kill(service_->pid(), 0), 0) << "the service is gone";
}

TEST_F(SandboxSecurity, SetuidMountMknodAndNamespaces) {
  auto r = python(R"py(
import ctypes, os, stat
libc = ctypes.CDLL(None, use_errno=True)
def attempt(name, fn):
    try:
        rc = fn()
        err = ctypes.get_errno() if rc == -1 else 0
        print(name, 'refused' if rc == -1 else 'DONE', err)
    except OSError as e:
        print(name, 'refused', e.errno)
attempt('setuid', lambda: os.setuid(0) or 0)
attempt('setgid', lambda: os.setgid(0) or 0)
attempt('mount', lambda: libc.mount(b'none', b'/sandbox', b'tmpfs', 0, None))
attempt('mknod', lambda: os.mknod('/sandbox/mem', stat.S_IFCHR | 0o666, os.makedev(1, 1)) or 0)
attempt('unshare', lambda: libc.unshare(0x10000000))  # CLONE_NEWUSER
attempt('setns', lambda: libc.setns(os.open('/proc/self/ns/user', os.O_RDONLY), 0))
attempt('chroot', lambda: os.chroot('/tmp') or 0)
attempt('sethostname', lambda: libc.sethostname(b'owned', 5))
print(os.getuid(), os.geteuid(), open('/proc/self/status').read().split('CapEff:')[1].split()[0])
)py");
  EXPECT_EQ(status(r), "ok") << to_json(r);
  const std::string& out = r.execution.stdout_text;
  EXPECT_EQ(out.find("DONE"), std::string::npos) << out;
  EXPECT_NE(out.find("1000 1000 0000000000000000"), std::string::npos) << out;  // no capabilities
}

// ---------------------------------------------------------------- the compiler

TEST_F(SandboxSecurity, IncludeDevZero) {
  auto r = run("cpp", "#include \"/dev/zero\"\nint main() {}\n");
  EXPECT_EQ(status(r), "compile_error") << to_json(r);
}

TEST_F(SandboxSecurity, IncludeHostSecrets) {
  auto r = run("cpp", "#include \"/etc/shadow\"\nint main() {}\n");
  EXPECT_EQ(status(r), "compile_error") << to_json(r);
  EXPECT_NE(r.compile_output.find("No such file"), std::string::npos) << r.compile_output;
}

TEST_F(SandboxSecurity, RunawayTemplates) {
  auto start = std::chrono::steady_clock::now();
  auto r = run("cpp", R"cpp(
template <class T> struct P { T a, b; };
template <int N, class T> struct Grow { using type = typename Grow<N - 1, P<T>>::type; };
template <class T> struct Grow<0, T> { using type = T; };
#pragma GCC diagnostic ignored "-Wall"
template <int N> struct Fib { static constexpr long v = Fib<N - 1>::v + Fib<N - 2>::v + sizeof(typename Grow<N % 24, int>::type); };
int main() { return Fib<100000>::v; }
)cpp");
  EXPECT_EQ(status(r), "compile_error") << to_json(r);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(40));
}

TEST_F(SandboxSecurity, ExponentialTemplates) {
  // Quadratically many instantiations, each cheap: the compiler's own memory
  // and time limits end it.
  auto r = run("cpp", R"cpp(
template <int N, int M> struct A { static constexpr long v = (A<N - 1, M>::v + A<N - 1, M + 1>::v) % 1000003; };
template <int M> struct A<0, M> { static constexpr long v = M; };
int main() { return A<890, 0>::v != 0; }
)cpp");
  EXPECT_EQ(status(r), "compile_error") << to_json(r);
  EXPECT_NE(r.compile_output.find("the compiler was stopped"), std::string::npos) << r.compile_output;
}

// ---------------------------------------------------------------- bad input

TEST_F(SandboxSecurity, BadInputGets4xxAndTheDaemonKeepsServing) {
  struct Case {
    std::string body;
    int status;
    const char* error;
  };
  const Case cases[] = {
      {"{\"language\": \"python\", \"code\": ", 400, "not valid JSON"},
      {R"({"language": "brainfuck", "code": "+"})", 400, "unknown language 'brainfuck' (known: python, cpp)"},
      {R"j({"language": "cpp", "code": "x", "tests": [{"call": "f()", "expected": 1}]})j", 400, "cpp has no call tests"},
      {R"({"language": "python", "code": "x", "limits": {"memory_mb": -1}})", 400, "limits.memory_mb: -1 is out of range"},
      {R"({"language": "python", "code": "x", "limits": {"cpu_ms": 1e12}})", 400, "limits.cpu_ms: expected an integer"},
      {R"({"language": "python", "code": "x", "limits": {"processes": 100000}})", 400, "limits.processes: 100000"},
      {std::string(33 << 20, ' '), 413, ""},
  };
  for (const Case& c : cases) {
    sandbox_test::Reply r = sandbox_test::http(service_->endpoint(), "POST", "/v1/run", c.body);
    EXPECT_EQ(r.status, c.status) << c.body.substr(0, 100) << " -> " << r.body;
    EXPECT_NE(r.error().find(c.error), std::string::npos) << r.body;
    EXPECT_TRUE(service_->healthy());
  }
}

// ---------------------------------------------------------------- gaming the judge

TEST_F(SandboxSecurity, ObjectEqualToEverything) {
  auto r = run("python",
               "class Any:\n    def __eq__(self, other):\n        return True\n"
               "def solve(x):\n    return Any()\n",
               kLimits, {SandboxTest{.call = "solve(3)", .expected = "9"}});
  EXPECT_FALSE(r.tests.at(0).passed);
  EXPECT_NE(status(r), "ok") << to_json(r);
}

TEST_F(SandboxSecurity, PatchedComparatorAndSerialiser) {
  auto r = run("python", R"py(
import builtins, json, operator
operator.eq = lambda a, b: True
builtins.__eq__ = lambda a, b: True
json.dumps = lambda value, **kw: '"pass"'
json.loads = lambda *a, **kw: True
def solve(x):
    return x + 1
)py",
               kLimits, {SandboxTest{.call = "solve(3)", .expected = "9"}});
  EXPECT_FALSE(r.tests.at(0).passed);
  EXPECT_EQ(status(r), "wrong_answer") << to_json(r);
}

TEST_F(SandboxSecurity, EarlyExitZero) {
  auto call = run("python", "import sys\nsys.exit(0)\ndef solve(x):\n    return x\n", kLimits,
                  {SandboxTest{.call = "solve(3)", .expected = "3"}});
  EXPECT_EQ(status(call), "wrong_answer") << to_json(call);
  auto io = run("python", "import os\nprint('3', flush=True)\nos._exit(0)\n", kLimits,
                {SandboxTest{.stdin_text = "", .expected_stdout = "4"}});
  EXPECT_EQ(status(io), "wrong_answer") << to_json(io);
}

}  // namespace
