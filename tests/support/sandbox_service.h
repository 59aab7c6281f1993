// A sandbox service for tests: for now the runner in this process.
#pragma once

#include <unistd.h>

#include "sandbox/runner.h"

namespace grpo::test {

class SandboxService {
 public:
  sandbox::RunResult run(const sandbox::RunRequest& request) { return runner_.run(request, {}); }
  bool healthy() const { return true; }
  pid_t pid() const { return ::getpid(); }

 private:
  sandbox::Runner runner_{{.compile_limits = {.cpu_ms = 5'000, .wall_ms = 10'000, .memory_mb = 512,
                                              .output_kb = 64, .processes = 32}}};
};

}  // namespace grpo::test
