// Per-token log-probabilities and entropies without materialising [N, V] logits.
//
// A GRPO step needs log p(token) for every completion token, under the policy (with
// gradients), the old policy and the reference model. With V = 152k, the float32 logits of
// a 16 x 1024-token group alone would take 10 GB; here they exist one chunk of rows at a
// time, in the forward pass and again (recomputed) in the backward pass.
#pragma once

#include <torch/torch.h>

#include "libgrpo/model.h"

namespace grpo {

struct LogprobOptions {
  double temperature = 1.0;          // logits are divided by it (as the sampler did)
  int64_t chunk_bytes = 64ll << 20;  // float32 logits held at once: rows = chunk_bytes / (4 V)
  bool with_entropy = true;          // also return the entropy of each token's distribution
};

struct TokenLogprobs {
  // float32 (float64 when the weights are float64), whatever the model dtype.
  torch::Tensor logps;      // [...]: log softmax(h W^T / temperature)[target]
  torch::Tensor entropies;  // [...], or undefined without with_entropy
};

// hidden: [..., H] (model dtype); weight: [V, H]; targets: [...] int64 in [0, V).
// Differentiable in hidden and weight (through both outputs); the backward pass recomputes
// each chunk's logits instead of storing them.
TokenLogprobs token_logprobs(const torch::Tensor& hidden, const torch::Tensor& weight, const torch::Tensor& targets,
                             const LogprobOptions& options = {});

// Log-probs of the last C tokens of each row, as scored by `model`: the completion tokens
// of prompt+completion sequences, the way a GRPO loss wants them.
// input_ids, attention_mask: [B, T]; C = completion_length < T.
// Returns logps/entropies [B, C]: entry [b, c] scores input_ids[b, T - C + c] given
// everything before it. Padding positions get whatever the mask makes of them; mask them.
TokenLogprobs completion_logprobs(CausalLM& model, const torch::Tensor& input_ids,
                                  const torch::Tensor& attention_mask, int64_t completion_length,
                                  const LogprobOptions& options = {});

}  // namespace grpo
