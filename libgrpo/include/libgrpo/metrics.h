// Metrics: named scalars a stage reports, with TRL's GRPO trainer names
// ("reward", "clip_ratio/region_mean", ...) so runs compare across toolkits.
#pragma once

#include <map>
#include <string>

namespace grpo {

using Metrics = std::map<std::string, double>;

}  // namespace grpo
