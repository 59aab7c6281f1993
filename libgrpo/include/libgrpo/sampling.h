// Turning next-token logits into tokens: the logit processors and the draw.
//
// The order is transformers' generate(): repetition penalty, temperature, top-k, top-p,
// min-p. The sampler's reported log-probs are log softmax(logits / temperature) of the
// unprocessed logits: what the training path recomputes for the same tokens.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "libgrpo/config.h"

namespace grpo {

struct SamplingOptions {
  int64_t max_new_tokens = 256;
  double temperature = 1.0;          // 0: greedy (argmax)
  double top_p = 1.0;                // keep the most likely tokens until their mass reaches top_p
  int64_t top_k = 0;                 // keep the k most likely tokens; 0: off
  double min_p = 0.0;                // drop tokens below min_p * p(most likely); 0: off
  double repetition_penalty = 1.0;   // seen tokens (prompt and completion): logit / r if > 0, else * r
  std::vector<std::string> stop;     // stop strings, matched on the decoded completion
  std::vector<int64_t> eos_token_ids;  // empty: the checkpoint's (generation_config.json, config.json)
  int64_t seed = 0;                  // same seed, prompts and options: same samples
  int64_t max_cache_bytes = 8ll << 30;  // KV-cache budget; larger requests run in waves of prompts
};

void describe(config::Visitor& v, SamplingOptions& o);

// Applies the processors to `logits` [N, V] (any float dtype; returns float32 with
// removed tokens at -inf, already divided by the temperature unless it is 0).
// history: [N, L] int64 token ids each row has seen, for the repetition penalty
// (repeat an id to pad; an undefined tensor skips the penalty).
torch::Tensor process_logits(const torch::Tensor& logits, const torch::Tensor& history, const SamplingOptions& options);

// Scratch [N, V] float32 memory reused from one decode step to the next. With a large
// vocabulary each fresh [N, V] temporary costs more in page faults than in arithmetic.
struct SamplerWorkspace {
  torch::Tensor probs;
  // Rows [0, n) of `buffer`, (re)allocated when it is too small.
  static torch::Tensor rows(torch::Tensor& buffer, int64_t n, int64_t V, const torch::TensorOptions& options);
};

// Draws one token per row from processed logits [N, V] (argmax when temperature is 0):
// exact categorical draws by inverse CDF, one uniform per row from `generator`'s stream.
torch::Tensor draw_tokens(const torch::Tensor& processed, const SamplingOptions& options, at::Generator& generator,
                          SamplerWorkspace* workspace = nullptr);

// log softmax(z)[tokens] for z [N, V] float32 and tokens [N]: the sampler's log-probs.
torch::Tensor token_logsoftmax(const torch::Tensor& z, const torch::Tensor& tokens,
                               SamplerWorkspace* workspace = nullptr);

// A generator for `device` seeded with `seed` (CPU or CUDA).
at::Generator make_generator(torch::Device device, int64_t seed);

}  // namespace grpo
