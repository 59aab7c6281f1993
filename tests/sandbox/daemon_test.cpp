// grpo-sandboxd as an operator runs it: it prints where it listens, answers
// health checks, and drains and exits 0 on SIGTERM.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sandbox_fakes.h"

extern char** environ;

namespace {

using namespace sandbox_test;

// Reads from `fd` until `marker` has been seen and the line it starts is
// complete, or `timeout` passes; returns all that was read.
std::string read_until(int fd, const std::string& marker, std::chrono::milliseconds timeout) {
  std::string text;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    size_t at = text.find(marker);
    if (at != std::string::npos && text.find('\n', at) != std::string::npos) return text;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return text;
    char chunk[4096];
    ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n <= 0) return text;
    text.append(chunk, static_cast<size_t>(n));
  }
}

TEST(SandboxDaemon, ListensOnAnyPortAndStopsOnSigterm) {
  int err[2];
  ASSERT_EQ(::pipe2(err, O_CLOEXEC), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  std::string exe = GRPO_SANDBOXD;
  std::vector<std::string> args = {exe, "--listen", "127.0.0.1:0", "--concurrency", "1", "--drain-seconds", "1"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  ASSERT_EQ(::posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  ::close(err[1]);

  std::string out = read_until(err[0], "listening on ", 5s);
  size_t at = out.find("grpo-sandboxd: listening on ");
  ASSERT_NE(at, std::string::npos) << out;
  std::string endpoint = out.substr(at + 28, out.find('\n', at) - at - 28);
  Reply health = http(endpoint, "GET", "/v1/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(nlohmann::json::parse(health.body)["concurrency"], 1);

  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  out += read_until(err[0], "grpo-sandboxd: stopped", 5s);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ::close(err[0]);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n" << out;
  EXPECT_NE(out.find(R"("target":"/v1/health")"), std::string::npos) << out;  // its log line
  EXPECT_NE(out.find("grpo-sandboxd: stopped"), std::string::npos) << out;
}

}  // namespace
