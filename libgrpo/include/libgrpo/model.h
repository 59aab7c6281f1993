// The policy network: a decoder-only transformer matching Hugging Face's Qwen2, Qwen3 and
// Llama implementations tensor for tensor, with a KV cache for batched incremental decoding.
//
//   B = batch, T = new tokens, S = cached + new tokens, H = hidden size, V = vocabulary,
//   Hq / Hkv = query / key-value heads, D = head_dim.
//
// Parameter names are Hugging Face's (`model.layers.0.self_attn.q_proj.weight`, ...), so
// named_parameters() lines up with checkpoint tensors one to one.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "libgrpo/model_config.h"

namespace grpo {

// Keys and values of every layer for a batch of sequences of different lengths.
//
// Layout: keys[l], values[l]: [B, Hkv, capacity + 1, D]. Sequence b holds lengths[b]
// tokens at slots [0, lengths[b]); the extra last slot is scratch that padding tokens write
// to, so a ragged step never touches another sequence's data.
struct KVCache {
  std::vector<torch::Tensor> keys;
  std::vector<torch::Tensor> values;
  torch::Tensor lengths;  // [B] int64, on the cache's device
  int64_t capacity = 0;   // tokens per sequence

  // Zeroed cache for `batch` sequences of up to `capacity` tokens; options give the dtype
  // (the model's) and device.
  static KVCache allocate(const ModelConfig& config, int64_t batch, int64_t capacity,
                          torch::TensorOptions options);
  // Bytes one sequence of `capacity` tokens takes: what to plan memory with.
  static int64_t bytes_per_sequence(const ModelConfig& config, int64_t capacity, torch::ScalarType dtype);

  int64_t batch() const { return lengths.defined() ? lengths.size(0) : 0; }
  // Keeps rows `rows` ([B'] int64, any order, repeats allowed): repeat a prompt's cache
  // for its group (rows = [0,0,...,1,1,...]) or drop finished sequences.
  void select(const torch::Tensor& rows);
};

// The MLP slot of a decoder layer: a dense SwiGLU MLP, or a mixture of experts.
class FeedForwardImpl : public torch::nn::Module {
 public:
  // x: [..., H] -> [..., H]
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
};

class CausalLMImpl : public torch::nn::Module {
 public:
  // Allocates uninitialised parameters of `options` (dtype, device); load_pretrained()
  // fills them, or call init_weights().
  CausalLMImpl(ModelConfig config, torch::TensorOptions options = {});

  const ModelConfig& config() const { return config_; }

  // Training / scoring path, no cache.
  // input_ids: [B, T] int64; attention_mask: [B, T] (1 token, 0 padding; left or right
  // padded). Positions count the real tokens (cumsum(mask) - 1), as generation does.
  // Returns the final normed hidden states [B, T, H] in the model dtype.
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask);

  // Incremental path. input_ids: [B, T], right-padded; input_lengths: [B] int64, how many
  // of the T tokens are real for each sequence (0 allowed). Appends them to `cache` (whose
  // lengths advance) and returns hidden states [B, T, H]; rows past input_lengths are junk.
  // Prefill and decode are the same call (decode: T = 1).
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& input_lengths, KVCache& cache);

  // hidden: [..., H] -> logits [..., V] in the model dtype.
  torch::Tensor logits(const torch::Tensor& hidden);
  // The output projection [V, H] (lm_head.weight, or the embedding when tied).
  torch::Tensor output_weight() const;

  // Normal(0, std) weights, ones for norms, zeros for biases: for tests and from-scratch runs.
  void init_weights(double std = 0.02, uint64_t seed = 0);

 private:
  struct Decoder;  // "model.*": embed_tokens, layers, norm

  ModelConfig config_;
  torch::Tensor inv_freq_;   // [D/2] float32 rotary frequencies (a buffer, not saved)
  double rope_scale_ = 1.0;  // yarn's attention factor on cos/sin
  std::shared_ptr<Decoder> model_;
  std::shared_ptr<torch::nn::Module> lm_head_;  // "lm_head.weight"; null when tied
};
TORCH_MODULE(CausalLM);

// The rotary inverse frequencies [D/2] float32 and the cos/sin scale for `config`, as
// transformers computes them for rope types default, linear, llama3 and yarn.
std::pair<torch::Tensor, double> rope_frequencies(const ModelConfig& config);

}  // namespace grpo
