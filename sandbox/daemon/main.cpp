// grpo-sandboxd: the code-execution service (sandbox/server.h) in front of
// the jailed Runner (sandbox/runner.h).
//
//   grpo-sandboxd --listen 127.0.0.1:8765 --concurrency 8
//   grpo-sandboxd --listen unix:/run/grpo-sandbox.sock --drain-seconds 10
//
// Prints "grpo-sandboxd: listening on <endpoint>" to standard error once it
// accepts connections (with --listen host:0, the port it got). SIGTERM or
// SIGINT drains the running jobs (--drain-seconds) and exits 0.
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>

#include <CLI/CLI.hpp>

#include "libgrpo/error.h"
#include "sandbox/runner.h"
#include "sandbox/server.h"

namespace {

using grpo::sandbox::Runner;
using grpo::sandbox::RunnerOptions;
using grpo::sandbox::Server;
using grpo::sandbox::ServerOptions;

// SIGTERM and SIGINT are blocked in every thread and taken by sigwait() in
// main, so no work happens in a signal handler.
sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

int serve(const ServerOptions& server_options, const RunnerOptions& runner_options) {
  sigset_t signals = shutdown_signals();
  // Before any thread starts: threads inherit the mask.
  int rc = pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  GRPO_CHECK(rc == 0, "pthread_sigmask: ", std::strerror(rc));

  Server server(server_options, std::make_shared<Runner>(runner_options));
  server.start();
  std::fprintf(stderr, "grpo-sandboxd: listening on %s\n", server.endpoint().c_str());
  std::fflush(stderr);

  int signal = 0;
  rc = sigwait(&signals, &signal);
  GRPO_CHECK(rc == 0, "sigwait: ", std::strerror(rc));
  std::fprintf(stderr, "grpo-sandboxd: %s, draining (at most %lld s)\n", strsignal(signal),
               static_cast<long long>(server_options.drain_timeout.count() / 1000));
  server.shutdown();
  server.wait();
  std::fprintf(stderr, "grpo-sandboxd: stopped\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"grpo-sandboxd: runs untrusted programs in a jail, over HTTP (POST /v1/run, GET /v1/health)"};
  ServerOptions server;
  RunnerOptions runner;
  double max_body_mb = static_cast<double>(server.max_body_bytes) / (1 << 20);
  double drain_seconds = 30;
  bool no_cgroups = false;
  app.add_option("--listen", server.listen, "host:port (port 0: any free port) or unix:/path")
      ->capture_default_str();
  app.add_option("--concurrency", server.concurrency, "runs at once; 0: the number of cores")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--queue", server.queue_size, "runs that may wait before 429; 0: max(64, 8 x concurrency)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-body-mb", max_body_mb, "largest request body, MiB (larger: 413)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--drain-seconds", drain_seconds, "on SIGTERM, how long running jobs may finish")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--exec", runner.exec_path, "the jail launcher, grpo-sandbox-exec (default: found next to this)");
  app.add_option("--compile-cpu-ms", runner.compile_limits.cpu_ms, "the compiler's CPU limit")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{100}, int64_t{600'000}));
  app.add_option("--compile-memory-mb", runner.compile_limits.memory_mb, "the compiler's memory limit")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{64}, int64_t{65'536}));
  app.add_flag("--no-cgroups", no_cgroups, "do not put runs into cgroups (memory and process limits by rlimit only)");
  CLI11_PARSE(app, argc, argv);

  server.max_body_bytes = static_cast<size_t>(max_body_mb * (1 << 20));
  server.drain_timeout = std::chrono::milliseconds(static_cast<int64_t>(drain_seconds * 1000));
  runner.use_cgroups = !no_cgroups;
  runner.compile_limits.wall_ms = std::max(runner.compile_limits.wall_ms, 2 * runner.compile_limits.cpu_ms);
  try {
    return serve(server, runner);
  } catch (const grpo::Error& e) {
    std::fprintf(stderr, "grpo-sandboxd: %s\n", e.message().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "grpo-sandboxd: %s\n", e.what());
  }
  return 1;
}
