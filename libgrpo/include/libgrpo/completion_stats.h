// What a batch of completions says about the policy: accuracy, lengths split
// by correctness, truncation, and reflection ("wait, let me recalculate"),
// under the metric names of TRL's GRPO trainer where it has them.
//
//   accuracy                           share of completions judged correct
//   completions/mean_length            tokens; also min_length, max_length
//   completions/clipped_ratio          share cut off by the length limit
//   completions/mean_terminated_length mean length of those not cut off
//   completions/mean_length_correct    mean length of correct ones (NaN if none)
//   completions/mean_length_incorrect
//   reflection/rate                    share containing a reflection phrase
//   reflection/precision               P(correct | reflects)  (NaN if none reflect)
//   reflection/recall                  P(reflects | correct)  (NaN if none correct)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "libgrpo/config.h"
#include "libgrpo/metrics.h"

namespace grpo {

struct ReflectionOptions {
  // Matched case-insensitively as whole words ("check" does not match
  // "checkers"); the default list is the R1 paper's.
  std::vector<std::string> phrases = {"wait",  "mistake", "however",  "retry", "error",      "verify",
                                      "wrong", "evaluate", "check",   "recheck", "let me recalculate"};
};

inline void describe(config::Visitor& v, ReflectionOptions& o) { v.field("phrases", o.phrases); }

// Does `text` contain one of the phrases, as whole words?
bool reflects(std::string_view text, const ReflectionOptions& options);

struct CompletionRecord {
  std::string text;       // the completion, decoded
  int64_t length = 0;     // in tokens
  bool correct = false;   // judged by the task's accuracy reward
  bool truncated = false; // stopped by the length limit rather than EOS or a stop string
};

Metrics completion_stats(const std::vector<CompletionRecord>& completions, const ReflectionOptions& options = {});

}  // namespace grpo
