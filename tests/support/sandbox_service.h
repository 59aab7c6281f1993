// A real sandbox service for tests: grpo-sandboxd started as its own
// process on a Unix socket in a fresh directory, and a client for it.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "sandbox/client.h"

extern char** environ;

namespace grpo::test {

class SandboxService {
 public:
  // extra: more grpo-sandboxd arguments, e.g. {"--concurrency", "8"}.
  explicit SandboxService(std::vector<std::string> extra = {}) {
    char tmpl[] = "/tmp/grpo-sandboxd-test-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    endpoint_ = "unix:" + dir_ + "/sandboxd.sock";
    std::vector<std::string> args = {GRPO_SANDBOXD, "--listen", endpoint_, "--concurrency", "4",
                                     "--compile-cpu-ms", "5000", "--compile-memory-mb", "512"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    int err[2];
    if (::pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    int rc = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(err[1]);
    if (rc != 0) throw std::runtime_error(std::string("cannot start ") + GRPO_SANDBOXD);
    err_fd_ = err[0];
    // The daemon's standard error, kept for the tests; "listening on" means ready.
    reader_ = std::thread([this] {
      char buf[4096];
      ssize_t n;
      while ((n = ::read(err_fd_, buf, sizeof buf)) > 0) {
        std::lock_guard lock(mutex_);
        log_.append(buf, static_cast<size_t>(n));
      }
    });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (log().find("listening on") == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline || ::waitpid(pid_, nullptr, WNOHANG) == pid_)
        throw std::runtime_error("grpo-sandboxd did not start: " + log());
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    client_ = std::make_unique<sandbox::Client>(
        sandbox::ClientOptions{.endpoint = endpoint_, .timeout = std::chrono::seconds(120), .max_retries = 2});
  }

  ~SandboxService() {
    client_.reset();
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    if (reader_.joinable()) reader_.join();
    ::close(err_fd_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  sandbox::RunResult run(const sandbox::RunRequest& request) { return client_->submit(request).get(); }
  sandbox::Client& client() { return *client_; }
  bool healthy() { return client_->healthy(); }
  pid_t pid() const { return pid_; }
  const std::string& endpoint() const { return endpoint_; }
  std::string log() const {
    std::lock_guard lock(mutex_);
    return log_;
  }

 private:
  std::string dir_, endpoint_;
  pid_t pid_ = -1;
  int err_fd_ = -1;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::string log_;
  std::unique_ptr<sandbox::Client> client_;
};

}  // namespace grpo::test
