// Group rollouts: G completions for each prompt, with the sampler's log-probs.
//
//   auto policy = grpo::Policy::load("/models/Qwen2.5-0.5B-Instruct");
//   grpo::RolloutBatch batch = grpo::sample_groups(policy, prompts, 16, {.max_new_tokens = 512});
//
// Each prompt is prefilled once; its KV cache is then copied to its G rows, all groups
// decode together in one batch, and finished rows are dropped from the batch as they end.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "libgrpo/checkpoint.h"
#include "libgrpo/model.h"
#include "libgrpo/sampling.h"
#include "libgrpo/tokenizer.h"

namespace grpo {

// A model with what generation needs besides weights.
struct Policy {
  CausalLM model{nullptr};
  std::optional<Tokenizer> tokenizer;  // needed for stop strings
  std::vector<int64_t> eos_token_ids;  // generation_config.json, else config.json, else the tokenizer's
  int64_t pad_token_id = 0;            // fills completion_ids past each completion's end

  // config.json, weights, tokenizer.json (when present) and generation_config.json (when
  // present) from a Hugging Face checkpoint directory.
  static Policy load(const std::filesystem::path& dir, const LoadOptions& options = {});
};

enum class FinishReason { eos, stop, length };
const char* to_string(FinishReason reason);

// B prompts x G samples, row b * G + g holding sample g of prompt b. N = B * G.
struct RolloutBatch {
  int64_t group_size = 0;
  torch::Tensor prompt_ids;        // [N, P] int64, left-padded with pad_token_id
  torch::Tensor prompt_mask;       // [N, P] int64, 1 on prompt tokens
  torch::Tensor completion_ids;    // [N, C] int64, right-padded; C = longest completion
  torch::Tensor completion_mask;   // [N, C] int64, 1 on generated tokens (the EOS token included)
  torch::Tensor sampler_logps;     // [N, C] float32: log softmax(logits / T)[token], 0 on padding
  torch::Tensor completion_lengths;  // [N] int64
  std::vector<FinishReason> finish_reasons;  // [N]
  int64_t waves = 0;               // prefill-and-decode rounds the KV-cache budget required
};

// Samples `group_size` completions for each of `prompts` (token ids, each non-empty).
// Tensors come back on the CPU. Same seed, prompts and options give the same batch.
// Throws grpo::Error, before any work, when one group cannot fit the KV-cache budget.
RolloutBatch sample_groups(Policy& policy, const std::vector<std::vector<int64_t>>& prompts, int64_t group_size = 16,
                           const SamplingOptions& options = {});

// One group of a batch: (index into `batches`, group index b in [0, B)).
struct GroupRef {
  size_t batch = 0;
  int64_t group = 0;
};

// A new batch of the listed groups, in that order, from batches of the same group size
// (dynamic sampling keeps groups from several draws). Prompts are left-padded and
// completions right-padded with pad_token_id to the widest of the picked rows.
RolloutBatch gather_groups(const std::vector<const RolloutBatch*>& batches, const std::vector<GroupRef>& groups,
                           int64_t pad_token_id);

}  // namespace grpo
