// The sandbox service under load: N runs of a small Python program at C at
// once, every answer checked; or, as a baseline, the same number of plain
// `python3 -c pass` subprocesses, so the cost of isolation per run shows.
//
//   bench_sandbox_load --endpoint 127.0.0.1:8765 [-n 2000] [-c 32]
//   bench_sandbox_load --inprocess [--exec build/sandbox/grpo-sandbox-exec] [--no-cgroups]
//   bench_sandbox_load --baseline [-n 2000] [-c 32]
//
// Each run is `print(sum(range(1000)))` with one stdout test; it must come
// back ok within --deadline-s, else the run counts as failed (lost, hung or
// wrong), the first failures are printed and the exit status is 1.
// Prints a table (runs/s, latency p50/p90/p99/max) and a final JSON line.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "libgrpo/error.h"
#include "sandbox/client.h"
#include "sandbox/runner.h"
#include "sandbox/server.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
using namespace grpo::sandbox;

struct Args {
  std::string endpoint = "127.0.0.1:8765";
  bool inprocess = false;
  bool baseline = false;
  int runs = 2000;
  int concurrency = 32;
  double deadline_s = 60;
  std::string exec_path;     // --inprocess: the jail launcher
  bool no_cgroups = false;   // --inprocess
  int server_concurrency = 0;  // --inprocess: the server's workers; 0: cores
  std::string python = "python3";  // --baseline
};

// What the runs came to: one latency per run that succeeded, and why the
// others failed.
struct Outcome {
  std::vector<double> latency_ms;
  std::vector<std::string> failures;
  double wall_s = 0;
};

// Calls `one(i)` for i in [0, runs) from `concurrency` threads; `one`
// returns "" on success, else why it failed.
Outcome drive(int runs, int concurrency, const std::function<std::string(int)>& one) {
  Outcome out;
  std::mutex mutex;
  std::atomic<int> next{0};
  auto begin = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < concurrency; ++t)
    threads.emplace_back([&] {
      for (int i; (i = next++) < runs;) {
        auto start = Clock::now();
        std::string failure = one(i);
        double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        std::lock_guard lock(mutex);
        if (failure.empty())
          out.latency_ms.push_back(ms);
        else
          out.failures.push_back(fmt::format("run {}: {}", i, failure));
      }
    });
  for (auto& t : threads) t.join();
  out.wall_s = std::chrono::duration<double>(Clock::now() - begin).count();
  return out;
}

RunRequest sum_program() {
  RunRequest r;
  r.language = "python";
  r.code = "print(sum(range(1000)))\n";
  r.tests.push_back(Test{.stdin_text = "", .expected_stdout = "499500\n"});
  return r;
}

// Checks one answer of the service; "" when it is the expected one.
std::string judge(const RunResult& r) {
  if (r.status != RunStatus::ok)
    return fmt::format("status {}: {}{}", to_string(r.status), r.message,
                       r.execution.stderr_text.empty() ? "" : " / stderr: " + r.execution.stderr_text.substr(0, 200));
  if (r.tests.size() != 1 || !r.tests[0].passed) return "the stdout test did not pass";
  return "";
}

Outcome load(const std::string& endpoint, const Args& args) {
  ClientOptions options;
  options.endpoint = endpoint;
  options.timeout = std::chrono::milliseconds(static_cast<int64_t>(args.deadline_s * 1000));
  options.max_in_flight = args.concurrency;
  Client client(options);
  GRPO_CHECK(client.healthy(), "no healthy sandbox at ", endpoint);
  RunRequest request = sum_program();
  // Past the client's own timeout by a margin: a future still pending then
  // means the client lost the request.
  auto hung_after = options.timeout + std::chrono::seconds(5);
  return drive(args.runs, args.concurrency, [&](int) -> std::string {
    std::future<RunResult> answer = client.submit(request);
    if (answer.wait_for(hung_after) != std::future_status::ready)
      return fmt::format("no answer after {} s (hung)", args.deadline_s + 5);
    return judge(answer.get());
  });
}

// posix_spawn + waitpid of `python -c pass`, output to /dev/null.
std::string spawn_pass(const std::string& python) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::string dash_c = "-c", pass = "pass", exe = python;
  char* argv[] = {exe.data(), dash_c.data(), pass.data(), nullptr};
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, python.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return fmt::format("posix_spawn {}: {}", python, std::strerror(rc));
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return fmt::format("waitpid: {}", std::strerror(errno));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return fmt::format("{} exited with status {}", python, status);
  return "";
}

double percentile(std::vector<double> sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(std::min<double>(static_cast<double>(sorted.size()) - 1,
                                                  p / 100 * static_cast<double>(sorted.size())));
  return sorted[i];
}

int report(const std::string& mode, const std::string& target, const Args& args, Outcome out) {
  std::sort(out.latency_ms.begin(), out.latency_ms.end());
  size_t ok = out.latency_ms.size();
  double per_s = out.wall_s > 0 ? static_cast<double>(ok) / out.wall_s : 0;
  double p50 = percentile(out.latency_ms, 50), p90 = percentile(out.latency_ms, 90);
  double p99 = percentile(out.latency_ms, 99), max = ok ? out.latency_ms.back() : 0;
  for (size_t i = 0; i < out.failures.size() && i < 10; ++i) std::fprintf(stderr, "failed: %s\n", out.failures[i].c_str());
  std::printf("%-9s %6s %4s %6s %8s %8s %8s %8s %8s %8s\n", "mode", "runs", "conc", "failed", "wall_s", "runs/s",
              "p50_ms", "p90_ms", "p99_ms", "max_ms");
  std::printf("%-9s %6d %4d %6zu %8.2f %8.1f %8.1f %8.1f %8.1f %8.1f\n", mode.c_str(), args.runs, args.concurrency,
              out.failures.size(), out.wall_s, per_s, p50, p90, p99, max);
  nlohmann::ordered_json line = {{"mode", mode},     {"target", target},   {"runs", args.runs},
                                 {"concurrency", args.concurrency},       {"ok", ok},
                                 {"failed", out.failures.size()},         {"wall_s", out.wall_s},
                                 {"runs_per_s", per_s}, {"p50_ms", p50},   {"p90_ms", p90},
                                 {"p99_ms", p99},   {"max_ms", max}};
  std::printf("%s\n", line.dump().c_str());
  return out.failures.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  CLI::App app{"Sandbox service under load: runs/s and latency, every answer checked"};
  app.add_option("--endpoint", args.endpoint, "the service: host:port or unix:/path")->capture_default_str();
  app.add_flag("--inprocess", args.inprocess, "start a server with a real Runner in this process instead");
  app.add_flag("--baseline", args.baseline, "plain `python3 -c pass` subprocesses, no service, no jail");
  app.add_option("-n,--runs", args.runs, "runs in all")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("-c,--concurrency", args.concurrency, "runs at once")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--deadline-s", args.deadline_s, "a run not back ok within this failed")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--exec", args.exec_path, "--inprocess: the jail launcher, grpo-sandbox-exec");
  app.add_flag("--no-cgroups", args.no_cgroups, "--inprocess: no cgroup limits");
  app.add_option("--server-concurrency", args.server_concurrency, "--inprocess: the server's workers; 0: cores")
      ->capture_default_str();
  app.add_option("--python", args.python, "--baseline: the interpreter")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    if (args.baseline)
      return report("baseline", args.python + " -c pass", args,
                    drive(args.runs, args.concurrency, [&](int) { return spawn_pass(args.python); }));
    if (!args.inprocess) return report("sandbox", args.endpoint, args, load(args.endpoint, args));

    RunnerOptions runner;
    runner.exec_path = args.exec_path;
    runner.use_cgroups = !args.no_cgroups;
    ServerOptions server_options;
    server_options.listen = "127.0.0.1:0";
    server_options.concurrency = args.server_concurrency;
    // Every run may wait: the client holds at most `concurrency` in flight.
    server_options.queue_size = std::max(args.concurrency, 1);
    server_options.log = [](std::string_view) {};
    Server server(server_options, std::make_shared<Runner>(runner));
    server.start();
    return report("inprocess", server.endpoint(), args, load(server.endpoint(), args));
  } catch (const grpo::Error& e) {
    std::fprintf(stderr, "bench_sandbox_load: %s\n", e.message().c_str());
    return 1;
  }
}
