#include "libgrpo/model.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "libgrpo/error.h"

namespace grpo {
namespace {

using torch::Tensor;
namespace F = torch::nn::functional;

// A module holding `weight` (and `bias`), so parameter names come out as HF spells them.
struct ParamsImpl : torch::nn::Module {
  Tensor weight;
  Tensor bias;
  ParamsImpl(std::vector<int64_t> shape, bool with_bias, const torch::TensorOptions& options) {
    weight = register_parameter("weight", torch::empty(shape, options));
    if (with_bias) bias = register_parameter("bias", torch::empty({shape[0]}, options));
  }
  Tensor linear(const Tensor& x) const { return at::linear(x, weight, bias); }
};
using Params = std::shared_ptr<ParamsImpl>;

Params params(torch::nn::Module& parent, const std::string& name, std::vector<int64_t> shape, bool bias,
              const torch::TensorOptions& options) {
  return parent.register_module(name, std::make_shared<ParamsImpl>(std::move(shape), bias, options));
}

// RMSNorm: x / sqrt(mean(x^2) + eps) * weight, the statistics in float32 as HF does.
Tensor rms_norm(const Tensor& x, const Tensor& weight, double eps) {
  Tensor h = x.to(torch::kFloat);
  h = h * torch::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return weight * h.to(x.scalar_type());
}

// RoPE with the "rotate half" pairing (i, i + D/2) that HF checkpoints use.
// x: [B, Hx, T, D]; cos, sin: [B, 1, T, D].
Tensor apply_rope(const Tensor& x, const Tensor& cos, const Tensor& sin) {
  int64_t half = x.size(-1) / 2;
  Tensor rotated = torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return x * cos + rotated * sin;
}

// SwiGLU: down(silu(gate(x)) * up(x)).
struct DenseMLPImpl : FeedForwardImpl {
  Params gate_proj, up_proj, down_proj;
  DenseMLPImpl(const ModelConfig& c, const torch::TensorOptions& o) {
    gate_proj = params(*this, "gate_proj", {c.intermediate_size, c.hidden_size}, c.mlp_bias, o);
    up_proj = params(*this, "up_proj", {c.intermediate_size, c.hidden_size}, c.mlp_bias, o);
    down_proj = params(*this, "down_proj", {c.hidden_size, c.intermediate_size}, c.mlp_bias, o);
  }
  Tensor forward(const Tensor& x) override {
    return down_proj->linear(F::silu(gate_proj->linear(x)) * up_proj->linear(x));
  }
};

struct AttentionImpl : torch::nn::Module {
  const ModelConfig& c;
  Params q_proj, k_proj, v_proj, o_proj, q_norm, k_norm;

  AttentionImpl(const ModelConfig& config, const torch::TensorOptions& o) : c(config) {
    int64_t q_dim = c.num_attention_heads * c.head_dim, kv_dim = c.num_key_value_heads * c.head_dim;
    q_proj = params(*this, "q_proj", {q_dim, c.hidden_size}, c.qkv_bias, o);
    k_proj = params(*this, "k_proj", {kv_dim, c.hidden_size}, c.qkv_bias, o);
    v_proj = params(*this, "v_proj", {kv_dim, c.hidden_size}, c.qkv_bias, o);
    o_proj = params(*this, "o_proj", {c.hidden_size, q_dim}, c.o_bias, o);
    if (c.qk_norm) {
      q_norm = params(*this, "q_norm", {c.head_dim}, false, o);
      k_norm = params(*this, "k_norm", {c.head_dim}, false, o);
    }
  }

  // x: [B, T, H]; cos/sin: [B, 1, T, D]; mask: [B, 1, T, S] bool (true = attend).
  // With a cache, k/v go to `slots` ([B, T] int64) of layer `layer` and attention reads
  // the first S slots; without, S = T.
  Tensor forward(const Tensor& x, const Tensor& cos, const Tensor& sin, const Tensor& mask, KVCache* cache,
                 size_t layer, const Tensor& slots) {
    int64_t B = x.size(0), T = x.size(1), D = c.head_dim;
    Tensor q = q_proj->linear(x).view({B, T, c.num_attention_heads, D});
    Tensor k = k_proj->linear(x).view({B, T, c.num_key_value_heads, D});
    Tensor v = v_proj->linear(x).view({B, T, c.num_key_value_heads, D});
    if (c.qk_norm) {
      q = rms_norm(q, q_norm->weight, c.rms_norm_eps);
      k = rms_norm(k, k_norm->weight, c.rms_norm_eps);
    }
    q = apply_rope(q.transpose(1, 2), cos, sin);  // [B, Hq, T, D]
    k = apply_rope(k.transpose(1, 2), cos, sin);  // [B, Hkv, T, D]
    v = v.transpose(1, 2);
    if (cache) {
      Tensor index = slots.view({B, 1, T, 1}).expand({B, c.num_key_value_heads, T, D});
      cache->keys[layer].scatter_(2, index, k);
      cache->values[layer].scatter_(2, index, v);
      int64_t S = mask.size(-1);
      k = cache->keys[layer].narrow(2, 0, S);
      v = cache->values[layer].narrow(2, 0, S);
    }
    Tensor out = at::scaled_dot_product_attention(q, k, v, mask, 0.0, false, 1.0 / std::sqrt(double(D)),
                                                  /*enable_gqa=*/c.num_key_value_heads != c.num_attention_heads);
    return o_proj->linear(out.transpose(1, 2).reshape({B, T, c.num_attention_heads * D}));
  }
};

struct LayerImpl : torch::nn::Module {
  Params input_layernorm, post_attention_layernorm;
  std::shared_ptr<AttentionImpl> self_attn;
  std::shared_ptr<FeedForwardImpl> mlp;
};

}  // namespace

struct CausalLMImpl::Decoder : torch::nn::Module {
  Params embed_tokens, norm;
  std::vector<std::shared_ptr<LayerImpl>> layers;

  Decoder(const ModelConfig& c, const torch::TensorOptions& o) {
    embed_tokens = params(*this, "embed_tokens", {c.vocab_size, c.hidden_size}, false, o);
    auto list = register_module("layers", torch::nn::ModuleList());
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
      auto layer = std::make_shared<LayerImpl>();
      layer->self_attn = layer->register_module("self_attn", std::make_shared<AttentionImpl>(c, o));
      layer->mlp = layer->register_module<FeedForwardImpl>("mlp", std::make_shared<DenseMLPImpl>(c, o));
      layer->input_layernorm = params(*layer, "input_layernorm", {c.hidden_size}, false, o);
      layer->post_attention_layernorm = params(*layer, "post_attention_layernorm", {c.hidden_size}, false, o);
      list->push_back(layer);
      layers.push_back(layer);
    }
    norm = params(*this, "norm", {c.hidden_size}, false, o);
  }

  // x: [B, T, H] embeddings; positions: [B, T] int64; mask: [B, 1, T, S] bool.
  Tensor forward(Tensor x, const Tensor& inv_freq, double rope_scale, const Tensor& positions, const Tensor& mask,
                 double eps, KVCache* cache, const Tensor& slots) {
    // cos/sin: [B, 1, T, D], computed once in float32 and shared by every layer.
    Tensor freqs = positions.to(torch::kFloat).unsqueeze(-1) * inv_freq.view({1, 1, -1});
    Tensor angles = torch::cat({freqs, freqs}, -1).unsqueeze(1);
    Tensor cos = (angles.cos() * rope_scale).to(x.scalar_type());
    Tensor sin = (angles.sin() * rope_scale).to(x.scalar_type());
    for (size_t l = 0; l < layers.size(); ++l) {
      auto& layer = *layers[l];
      Tensor h = rms_norm(x, layer.input_layernorm->weight, eps);
      x = x + layer.self_attn->forward(h, cos, sin, mask, cache, l, slots);
      x = x + layer.mlp->forward(rms_norm(x, layer.post_attention_layernorm->weight, eps));
    }
    return rms_norm(x, norm->weight, eps);
  }
};

CausalLMImpl::CausalLMImpl(ModelConfig config, torch::TensorOptions options) : config_(std::move(config)) {
  GRPO_CHECK(config_.rope.partial_rotary_factor == 1.0, "partial rotary embeddings are not supported for ",
             config_.model_type);
  if (!options.has_dtype()) options = options.dtype(torch::kFloat);
  model_ = register_module("model", std::make_shared<Decoder>(config_, options));
  if (!config_.tie_word_embeddings) {
    auto head = std::make_shared<torch::nn::Module>();
    head->register_parameter("weight", torch::empty({config_.vocab_size, config_.hidden_size}, options));
    lm_head_ = register_module("lm_head", head);
  }
  auto [inv_freq, scale] = rope_frequencies(config_);
  inv_freq_ = register_buffer("inv_freq", inv_freq.to(options.device()));
  rope_scale_ = scale;
}

torch::Tensor CausalLMImpl::output_weight() const {
  return lm_head_ ? lm_head_->named_parameters(false)["weight"] : model_->embed_tokens->weight;
}

torch::Tensor CausalLMImpl::logits(const torch::Tensor& hidden) { return at::linear(hidden, output_weight()); }

torch::Tensor CausalLMImpl::forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask) {
  GRPO_CHECK(input_ids.dim() == 2 && attention_mask.sizes() == input_ids.sizes(),
             "forward: input_ids [B, T] and attention_mask [B, T] expected, got ", input_ids.sizes(), " and ",
             attention_mask.sizes());
  int64_t T = input_ids.size(1);
  Tensor valid = attention_mask.to(torch::kBool);
  Tensor positions = (valid.to(torch::kLong).cumsum(1) - 1).clamp_min(0);  // [B, T]
  auto bool_options = torch::TensorOptions().dtype(torch::kBool).device(input_ids.device());
  Tensor causal = torch::ones({T, T}, bool_options).tril();
  // Every query may see itself, so rows of left padding never attend to nothing (NaN).
  Tensor mask = (valid.view({-1, 1, 1, T}) & causal.view({1, 1, T, T})) | torch::eye(T, bool_options).view({1, 1, T, T});
  Tensor x = at::embedding(model_->embed_tokens->weight, input_ids);
  return model_->forward(x, inv_freq_, rope_scale_, positions, mask, config_.rms_norm_eps, nullptr, {});
}

torch::Tensor CausalLMImpl::forward(const torch::Tensor& input_ids, const torch::Tensor& input_lengths,
                                    KVCache& cache) {
  GRPO_CHECK(input_ids.dim() == 2 && input_lengths.dim() == 1 && input_lengths.size(0) == input_ids.size(0) &&
                 cache.batch() == input_ids.size(0),
             "forward: input_ids [B, T], input_lengths [B] and a cache of B sequences expected, got ",
             input_ids.sizes(), ", ", input_lengths.sizes(), " and a cache of ", cache.batch());
  int64_t B = input_ids.size(0), T = input_ids.size(1);
  auto long_options = torch::TensorOptions().dtype(torch::kLong).device(input_ids.device());
  Tensor lengths = input_lengths.to(long_options);
  Tensor t = torch::arange(T, long_options);
  Tensor positions = cache.lengths.view({B, 1}) + t.view({1, T});  // [B, T]
  Tensor total = cache.lengths + lengths;                           // [B]
  int64_t longest = total.max().item<int64_t>();
  GRPO_CHECK(longest <= cache.capacity, "KV cache overflow: a sequence would hold ", longest,
             " tokens but the cache was allocated for ", cache.capacity);
  Tensor slots = torch::where(t.view({1, T}) < lengths.view({B, 1}), positions,
                              torch::full({}, cache.capacity, long_options));
  int64_t S = std::max<int64_t>(longest, 1);
  Tensor j = torch::arange(S, long_options).view({1, 1, S});
  Tensor mask = (j <= positions.view({B, T, 1})) & (j < total.view({B, 1, 1}));
  mask = (mask | ((j == 0) & (total.view({B, 1, 1}) == 0))).unsqueeze(1);  // empty rows see slot 0
  Tensor x = at::embedding(model_->embed_tokens->weight, input_ids);
  Tensor out = model_->forward(x, inv_freq_, rope_scale_, positions, mask, config_.rms_norm_eps, &cache, slots);
  cache.lengths = total;
  return out;
}

void CausalLMImpl::init_weights(double std, uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (auto& p : named_parameters()) {
    const std::string& name = p.key();
    Tensor value;
    if (name.ends_with(".bias"))
      value = torch::zeros(p.value().sizes());
    else if (p.value().dim() == 1)
      value = torch::ones(p.value().sizes());
    else
      value = at::normal(0.0, std, p.value().sizes(), gen);
    p.value().copy_(value);
  }
}

std::pair<torch::Tensor, double> rope_frequencies(const ModelConfig& c) {
  const RopeOptions& r = c.rope;
  int64_t dim = c.head_dim;
  Tensor exponents = torch::arange(0, dim, 2, torch::kLong).to(torch::kFloat) / double(dim);
  Tensor base_freq = torch::pow(r.theta, exponents);  // theta^(2i/D)
  Tensor inv_freq = 1.0 / base_freq;
  if (r.type == "default") return {inv_freq, 1.0};
  if (r.type == "linear") return {inv_freq / r.factor, 1.0};
  if (r.type == "llama3") {
    // Llama 3.1: keep high frequencies, divide low ones by `factor`, blend in between.
    double old_len = double(r.original_max_position_embeddings);
    double low_wavelen = old_len / r.low_freq_factor, high_wavelen = old_len / r.high_freq_factor;
    Tensor wavelen = 2 * M_PI / inv_freq;
    Tensor scaled = torch::where(wavelen > low_wavelen, inv_freq / r.factor, inv_freq);
    Tensor smooth = (old_len / wavelen - r.low_freq_factor) / (r.high_freq_factor - r.low_freq_factor);
    Tensor smoothed = (1 - smooth) * scaled / r.factor + smooth * scaled;
    Tensor medium = (wavelen >= high_wavelen) & (wavelen <= low_wavelen);
    return {torch::where(medium, smoothed, scaled), 1.0};
  }
  GRPO_CHECK(r.type == "yarn", "rope type '", r.type, "' is not supported");
  // YaRN (Peng et al. 2023): interpolate low frequencies, extrapolate high ones, with a
  // linear ramp between the dimensions that rotate beta_slow and beta_fast times.
  auto get_mscale = [](double scale, double m) { return scale <= 1 ? 1.0 : 0.1 * m * std::log(scale) + 1.0; };
  double attention = r.attention_factor ? *r.attention_factor
                     : (r.mscale && r.mscale_all_dim && *r.mscale != 0 && *r.mscale_all_dim != 0)
                         ? get_mscale(r.factor, *r.mscale) / get_mscale(r.factor, *r.mscale_all_dim)
                         : get_mscale(r.factor, 1.0);
  auto correction_dim = [&](double rotations) {
    return (dim * std::log(double(r.original_max_position_embeddings) / (rotations * 2 * M_PI))) /
           (2 * std::log(r.theta));
  };
  double low = correction_dim(r.beta_fast), high = correction_dim(r.beta_slow);
  if (r.truncate) {
    low = std::floor(low);
    high = std::ceil(high);
  }
  low = std::max(low, 0.0);
  high = std::min(high, double(dim - 1));
  if (low == high) high += 0.001;
  Tensor ramp = ((torch::arange(dim / 2, torch::kFloat) - low) / (high - low)).clamp(0, 1);
  Tensor extrapolation_factor = 1 - ramp;
  Tensor interpolation = 1.0 / (r.factor * base_freq);
  return {interpolation * (1 - extrapolation_factor) + inv_freq * extrapolation_factor, attention};
}

// ---------------------------------------------------------------- KV cache

KVCache KVCache::allocate(const ModelConfig& c, int64_t batch, int64_t capacity, torch::TensorOptions options) {
  GRPO_CHECK(batch >= 0 && capacity > 0, "KV cache: batch ", batch, " and capacity ", capacity, " must be positive");
  KVCache cache;
  cache.capacity = capacity;
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    cache.keys.push_back(torch::zeros({batch, c.num_key_value_heads, capacity + 1, c.head_dim}, options));
    cache.values.push_back(torch::zeros({batch, c.num_key_value_heads, capacity + 1, c.head_dim}, options));
  }
  cache.lengths = torch::zeros({batch}, options.dtype(torch::kLong));
  return cache;
}

int64_t KVCache::bytes_per_sequence(const ModelConfig& c, int64_t capacity, torch::ScalarType dtype) {
  return 2 * c.num_hidden_layers * c.num_key_value_heads * (capacity + 1) * c.head_dim *
         int64_t(c10::elementSize(dtype));
}

void KVCache::select(const torch::Tensor& rows) {
  Tensor index = rows.to(lengths.device(), torch::kLong);
  for (auto& k : keys) k = k.index_select(0, index);
  for (auto& v : values) v = v.index_select(0, index);
  lengths = lengths.index_select(0, index);
}

}  // namespace grpo
