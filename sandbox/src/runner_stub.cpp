// Placeholder for the jailed Runner until its implementation lands, so that
// grpo-sandboxd and bench_sandbox_load link. Every request is refused.
#include "libgrpo/error.h"
#include "sandbox/runner.h"

namespace grpo::sandbox {

Runner::Runner(RunnerOptions options) : options_(std::move(options)) {}

void Runner::check(const RunRequest&) const { GRPO_FAIL("not built yet"); }

RunResult Runner::run(const RunRequest&, std::stop_token) { GRPO_FAIL("not built yet"); }

}  // namespace grpo::sandbox
