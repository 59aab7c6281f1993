// Rewards named in a recipe: the `rewards:` list maps onto RewardSpec, one entry per
// reward function, and make_rewards() builds them.
//
//   rewards:
//     - type: math            # accuracy against fields["answer"]
//     - type: format
//       weight: 0.2
//     - type: overlong
//       overlong: {max_length: 512, cache_length: 128}
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "libgrpo/config.h"
#include "rewards/code.h"
#include "rewards/combine.h"
#include "rewards/countdown.h"
#include "rewards/format.h"
#include "rewards/language.h"
#include "rewards/length.h"
#include "rewards/math.h"

namespace grpo::rewards {

// The math checker's recipe options (MathOptions plus where the reference lives).
struct MathSpec {
  std::string answer_field = "answer";
  // Where answers come from, tried in order: boxed, answer_tag, answer_phrase,
  // last_math, last_number.
  std::vector<std::string> sources = {"boxed", "answer_tag", "answer_phrase", "last_number"};
  double rel_tol = 1e-6;
  int64_t timeout_ms = 1000;
};

// The code reward's recipe options: where grpo-sandboxd listens and what a run may use.
struct CodeSpec {
  std::string endpoint = "127.0.0.1:8765";  // "host:port" or "unix:/path"
  std::string scoring = "fraction";        // fraction | all_or_nothing
  std::string language = "python";         // of unlabelled code blocks
  int64_t cpu_ms = 10'000;
  int64_t wall_ms = 20'000;
  int64_t memory_mb = 512;
};

struct RewardSpec {
  // math | format | tag_count | countdown | overlong | cosine | language | code
  std::string type = "math";
  double weight = 1.0;
  std::string name;  // the metrics' name (rewards/<name>/mean); "" -> the function's own
  MathSpec math;     // math, and the correctness test of cosine
  FormatOptions format;
  CountdownOptions countdown;
  OverlongOptions overlong;
  CosineOptions cosine;
  LanguageOptions language;
  CodeSpec code;
};

void describe(config::Visitor& v, FormatOptions& o);
void describe(config::Visitor& v, CountdownOptions& o);
void describe(config::Visitor& v, OverlongOptions& o);
void describe(config::Visitor& v, CosineOptions& o);
void describe(config::Visitor& v, LanguageOptions& o);
void describe(config::Visitor& v, MathSpec& o);
void describe(config::Visitor& v, CodeSpec& o);
void describe(config::Visitor& v, RewardSpec& o);

// The options a MathSpec stands for; an unknown source is a grpo::Error.
MathOptions math_options(const MathSpec& spec);

// The reward functions of a recipe's list, weighted and named. Throws grpo::Error
// for an empty list or repeated names (check_rewards()).
std::vector<WeightedReward> make_rewards(const std::vector<RewardSpec>& specs);

}  // namespace grpo::rewards
