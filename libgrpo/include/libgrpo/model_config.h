// A decoder's architecture, read from a Hugging Face `config.json`.
//
// Supported `model_type`s: qwen2, qwen3 (per-head q/k RMSNorm), llama (Llama 2/3.x).
// Both spellings of the rotary settings are read: the older top-level `rope_theta` +
// `rope_scaling`, and the newer `rope_parameters` object.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace grpo {

// Rotary position embedding settings (HF `rope_parameters`).
struct RopeOptions {
  std::string type = "default";  // default | linear | llama3 | yarn
  double theta = 10000.0;
  double partial_rotary_factor = 1.0;
  double factor = 1.0;  // linear, llama3, yarn
  // llama3: frequencies with wavelength above original_max_position_embeddings / low_freq_factor
  // are divided by `factor`, those below .../high_freq_factor are kept, the rest blended.
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 0;
  // yarn
  std::optional<double> attention_factor;
  double beta_fast = 32.0;
  double beta_slow = 1.0;
  std::optional<double> mscale;
  std::optional<double> mscale_all_dim;
  bool truncate = true;
};

struct ModelConfig {
  std::string model_type;  // qwen2 | qwen3 | llama
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;  // grouped-query attention: heads share K/V in groups
  int64_t head_dim = 0;
  int64_t max_position_embeddings = 0;
  double rms_norm_eps = 1e-6;
  RopeOptions rope;
  bool tie_word_embeddings = false;
  bool qkv_bias = false;     // bias on q/k/v projections (always on for qwen2)
  bool o_bias = false;       // bias on the output projection
  bool mlp_bias = false;
  bool qk_norm = false;      // qwen3: RMSNorm over head_dim on q and k before RoPE
  std::optional<int64_t> bos_token_id;
  std::vector<int64_t> eos_token_ids;
  std::optional<int64_t> pad_token_id;
  torch::ScalarType dtype = torch::kFloat;  // the checkpoint's `dtype` / `torch_dtype`
  std::string raw_json;  // config.json as read; written back (dtype updated) on save

  // Parses config.json text; `source` names it in errors. Unknown model_type, a missing
  // required field, a wrong type or an unsupported feature (sliding windows, a non-SiLU
  // activation, an unknown rope type) is a grpo::Error naming the field.
  static ModelConfig from_json(const std::string& text, const std::string& source = "config.json");
  static ModelConfig load(const std::filesystem::path& config_json);

  // config.json text for a checkpoint stored in `dtype`.
  std::string to_json(torch::ScalarType dtype) const;
};

// "float32" / "bfloat16" / "float16" <-> torch dtype; anything else is an error.
torch::ScalarType parse_dtype_name(const std::string& name);
std::string dtype_name(torch::ScalarType dtype);

}  // namespace grpo
