#include <algorithm>

#include "libgrpo/error.h"
#include "libgrpo/rollout.h"

namespace grpo {

RolloutBatch gather_groups(const std::vector<const RolloutBatch*>& batches, const std::vector<GroupRef>& groups,
                           int64_t pad_token_id) {
  GRPO_CHECK(!batches.empty() && !groups.empty(), "gather_groups needs at least one batch and one group");
  const int64_t G = batches.front()->group_size;
  int64_t P = 0, C = 0;
  for (const RolloutBatch* b : batches) {
    GRPO_CHECK(b->group_size == G, "gather_groups: group sizes differ (", b->group_size, " vs ", G, ")");
    P = std::max(P, b->prompt_ids.size(1));
    C = std::max(C, b->completion_ids.size(1));
  }
  const int64_t N = static_cast<int64_t>(groups.size()) * G;
  auto longs = torch::TensorOptions().dtype(torch::kLong);
  RolloutBatch out;
  out.group_size = G;
  out.prompt_ids = torch::full({N, P}, pad_token_id, longs);
  out.prompt_mask = torch::zeros({N, P}, longs);
  out.completion_ids = torch::full({N, C}, pad_token_id, longs);
  out.completion_mask = torch::zeros({N, C}, longs);
  out.sampler_logps = torch::zeros({N, C}, torch::kFloat);
  out.completion_lengths = torch::zeros({N}, longs);
  for (size_t k = 0; k < groups.size(); ++k) {
    const GroupRef& ref = groups[k];
    GRPO_CHECK(ref.batch < batches.size(), "gather_groups: batch index ", ref.batch, " out of range");
    const RolloutBatch& src = *batches[ref.batch];
    const int64_t B = src.completion_ids.size(0) / G;
    GRPO_CHECK(ref.group >= 0 && ref.group < B, "gather_groups: group ", ref.group, " out of range [0, ", B, ")");
    const int64_t from = ref.group * G, to = static_cast<int64_t>(k) * G;
    const int64_t p = src.prompt_ids.size(1), c = src.completion_ids.size(1);
    // Prompts are left-padded: they end at column P; completions start at column 0.
    out.prompt_ids.slice(0, to, to + G).slice(1, P - p, P).copy_(src.prompt_ids.slice(0, from, from + G));
    out.prompt_mask.slice(0, to, to + G).slice(1, P - p, P).copy_(src.prompt_mask.slice(0, from, from + G));
    out.completion_ids.slice(0, to, to + G).slice(1, 0, c).copy_(src.completion_ids.slice(0, from, from + G));
    out.completion_mask.slice(0, to, to + G).slice(1, 0, c).copy_(src.completion_mask.slice(0, from, from + G));
    out.sampler_logps.slice(0, to, to + G).slice(1, 0, c).copy_(src.sampler_logps.slice(0, from, from + G));
    out.completion_lengths.slice(0, to, to + G).copy_(src.completion_lengths.slice(0, from, from + G));
    for (int64_t g = 0; g < G; ++g) out.finish_reasons.push_back(src.finish_reasons[static_cast<size_t>(from + g)]);
    out.waves += src.waves;
  }
  // C may exceed every picked row's length when a wider batch was dropped: trim it.
  const int64_t longest = out.completion_lengths.max().item<int64_t>();
  if (longest < C) {
    out.completion_ids = out.completion_ids.slice(1, 0, std::max<int64_t>(longest, 1)).contiguous();
    out.completion_mask = out.completion_mask.slice(1, 0, std::max<int64_t>(longest, 1)).contiguous();
    out.sampler_logps = out.sampler_logps.slice(1, 0, std::max<int64_t>(longest, 1)).contiguous();
  }
  const int64_t prompt_longest = out.prompt_mask.sum(1).max().item<int64_t>();
  if (prompt_longest < P) {
    out.prompt_ids = out.prompt_ids.slice(1, P - prompt_longest, P).contiguous();
    out.prompt_mask = out.prompt_mask.slice(1, P - prompt_longest, P).contiguous();
  }
  return out;
}

}  // namespace grpo
