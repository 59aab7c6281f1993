// A recipe: the YAML file that `grpo train` and friends read. Each section
// maps one to one onto the options struct of one stage.
#pragma once

#include <cstdint>
#include <string>

#include "libgrpo/advantages.h"
#include "libgrpo/config.h"
#include "libgrpo/loss.h"

namespace grpo {

struct RunOptions {
  int64_t seed = 0;                 // seeds every RNG of the run
  std::string output_dir = "runs/default";
};

inline void describe(config::Visitor& v, RunOptions& o) {
  v.field("seed", o.seed, config::Range<int64_t>::at_least(0));
  v.field("output_dir", o.output_dir);
}

struct Recipe {
  std::string name = "unnamed";
  RunOptions run;
  AdvantageOptions advantages;
  LossOptions loss;
};

inline void describe(config::Visitor& v, Recipe& r) {
  v.field("name", r.name);
  v.section("run", r.run);
  v.section("advantages", r.advantages);
  v.section("loss", r.loss);
}

}  // namespace grpo
