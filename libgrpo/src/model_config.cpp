#include "libgrpo/model_config.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "libgrpo/error.h"

namespace grpo {
namespace {

using nlohmann::json;

// Typed access to one config.json, naming the source and key in every error.
struct Fields {
  const json& root;
  const std::string& source;

  bool has(const char* key) const { return root.contains(key) && !root[key].is_null(); }

  int64_t integer(const char* key) const {
    GRPO_CHECK(has(key), source, ": missing required field '", key, "' (model_type ",
               root.value("model_type", "?"), ")");
    return integer_at(root[key], key);
  }
  int64_t integer(const char* key, int64_t fallback) const { return has(key) ? integer_at(root[key], key) : fallback; }

  int64_t integer_at(const json& v, const std::string& key) const {
    GRPO_CHECK(v.is_number_integer(), source, ": field '", key, "' must be an integer, got ", v.dump());
    return v.get<int64_t>();
  }
  double number(const json& obj, const char* key, double fallback, const std::string& path) const {
    if (!obj.contains(key) || obj[key].is_null()) return fallback;
    GRPO_CHECK(obj[key].is_number(), source, ": field '", path, key, "' must be a number, got ", obj[key].dump());
    return obj[key].get<double>();
  }
  bool boolean(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    GRPO_CHECK(root[key].is_boolean(), source, ": field '", key, "' must be true or false, got ", root[key].dump());
    return root[key].get<bool>();
  }
  std::string string(const char* key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    GRPO_CHECK(root[key].is_string(), source, ": field '", key, "' must be a string, got ", root[key].dump());
    return root[key].get<std::string>();
  }
};

RopeOptions parse_rope(const Fields& f, const ModelConfig& c) {
  RopeOptions rope;
  // Newer configs: rope_parameters {rope_type, rope_theta, ...}; older: rope_theta at the
  // top level and an optional rope_scaling {type|rope_type, factor, ...}.
  json params = json::object();
  std::string path;
  if (f.has("rope_parameters")) {
    params = f.root["rope_parameters"];
    path = "rope_parameters.";
  } else if (f.has("rope_scaling")) {
    params = f.root["rope_scaling"];
    path = "rope_scaling.";
  }
  GRPO_CHECK(params.is_object(), f.source, ": '", path, "' must be an object, got ", params.dump());
  GRPO_CHECK(!params.contains("full_attention") && !params.contains("sliding_attention"), f.source,
             ": per-layer-type rope parameters are not supported");
  rope.theta = f.number(params, "rope_theta", f.number(f.root, "rope_theta", 10000.0, ""), path);
  std::string type = "default";
  for (const char* key : {"rope_type", "type"})
    if (params.contains(key) && params[key].is_string()) {
      type = params[key].get<std::string>();
      break;
    }
  GRPO_CHECK(type == "default" || type == "linear" || type == "llama3" || type == "yarn", f.source, ": ", path,
             "rope_type '", type, "' is not supported (supported: default, linear, llama3, yarn)");
  rope.type = type;
  rope.partial_rotary_factor =
      f.number(params, "partial_rotary_factor", f.number(f.root, "partial_rotary_factor", 1.0, ""), path);
  rope.factor = f.number(params, "factor", 1.0, path);
  if (type != "default")
    GRPO_CHECK(params.contains("factor") || type == "yarn", f.source, ": ", path, "factor is required for rope_type ", type);
  rope.low_freq_factor = f.number(params, "low_freq_factor", 1.0, path);
  rope.high_freq_factor = f.number(params, "high_freq_factor", 4.0, path);
  rope.original_max_position_embeddings = static_cast<int64_t>(
      f.number(params, "original_max_position_embeddings",
               static_cast<double>(f.integer("original_max_position_embeddings", c.max_position_embeddings)), path));
  if (type == "yarn" && (!params.contains("factor") || params["factor"].is_null()))
    rope.factor = static_cast<double>(c.max_position_embeddings) / static_cast<double>(rope.original_max_position_embeddings);
  if (params.contains("attention_factor") && !params["attention_factor"].is_null())
    rope.attention_factor = f.number(params, "attention_factor", 1.0, path);
  rope.beta_fast = f.number(params, "beta_fast", 32.0, path);
  rope.beta_slow = f.number(params, "beta_slow", 1.0, path);
  if (params.contains("mscale") && !params["mscale"].is_null()) rope.mscale = f.number(params, "mscale", 0.0, path);
  if (params.contains("mscale_all_dim") && !params["mscale_all_dim"].is_null())
    rope.mscale_all_dim = f.number(params, "mscale_all_dim", 0.0, path);
  if (params.contains("truncate") && params["truncate"].is_boolean()) rope.truncate = params["truncate"].get<bool>();
  GRPO_CHECK(rope.theta > 0 && rope.factor > 0, f.source, ": rope_theta and factor must be positive");
  return rope;
}

std::vector<int64_t> token_ids(const Fields& f, const char* key) {
  if (!f.has(key)) return {};
  const json& v = f.root[key];
  if (v.is_array()) {
    std::vector<int64_t> ids;
    for (const json& id : v) ids.push_back(f.integer_at(id, key));
    return ids;
  }
  return {f.integer_at(v, key)};
}

void check_supported(const Fields& f, const ModelConfig& c) {
  std::string act = f.string("hidden_act", "silu");
  GRPO_CHECK(act == "silu", f.source, ": hidden_act '", act, "' is not supported (only silu)");
  GRPO_CHECK(!f.boolean("use_sliding_window", false), f.source,
             ": use_sliding_window is true; sliding-window attention is not supported");
  if (f.has("layer_types"))
    for (const json& t : f.root["layer_types"])
      GRPO_CHECK(t == "full_attention", f.source, ": layer_types contains ", t.dump(), "; only full_attention is supported");
  GRPO_CHECK(f.integer("pretraining_tp", 1) == 1, f.source, ": pretraining_tp != 1 is not supported");
  for (auto [name, v] : {std::pair{"vocab_size", c.vocab_size}, {"hidden_size", c.hidden_size},
                         {"intermediate_size", c.intermediate_size}, {"num_hidden_layers", c.num_hidden_layers},
                         {"num_attention_heads", c.num_attention_heads}, {"num_key_value_heads", c.num_key_value_heads},
                         {"head_dim", c.head_dim}})
    GRPO_CHECK(v > 0, f.source, ": ", name, " must be positive, got ", v);
  GRPO_CHECK(c.num_attention_heads % c.num_key_value_heads == 0, f.source, ": num_attention_heads (",
             c.num_attention_heads, ") is not a multiple of num_key_value_heads (", c.num_key_value_heads, ")");
  GRPO_CHECK(c.head_dim % 2 == 0, f.source, ": head_dim must be even for rotary embeddings, got ", c.head_dim);
}

}  // namespace

torch::ScalarType parse_dtype_name(const std::string& name) {
  if (name == "float32") return torch::kFloat;
  if (name == "bfloat16") return torch::kBFloat16;
  if (name == "float16") return torch::kHalf;
  GRPO_FAIL("unsupported dtype '", name, "' (expected float32, bfloat16 or float16)");
}

std::string dtype_name(torch::ScalarType dtype) {
  switch (dtype) {
    case torch::kFloat: return "float32";
    case torch::kBFloat16: return "bfloat16";
    case torch::kHalf: return "float16";
    default: GRPO_FAIL("unsupported model dtype ", c10::toString(dtype));
  }
}

ModelConfig ModelConfig::from_json(const std::string& text, const std::string& source) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    GRPO_FAIL(source, ": not valid JSON: ", e.what());
  }
  GRPO_CHECK(root.is_object(), source, ": expected a JSON object");
  Fields f{root, source};
  ModelConfig c;
  c.raw_json = text;
  GRPO_CHECK(f.has("model_type"), source, ": missing required field 'model_type'");
  c.model_type = f.string("model_type", "");
  GRPO_CHECK(c.model_type == "qwen2" || c.model_type == "qwen3" || c.model_type == "llama", source,
             ": model_type '", c.model_type, "' is not supported (supported: qwen2, qwen3, llama)");
  c.vocab_size = f.integer("vocab_size");
  c.hidden_size = f.integer("hidden_size");
  c.intermediate_size = f.integer("intermediate_size");
  c.num_hidden_layers = f.integer("num_hidden_layers");
  c.num_attention_heads = f.integer("num_attention_heads");
  c.num_key_value_heads = f.integer("num_key_value_heads", c.num_attention_heads);
  // Qwen3's head_dim defaults to 128 whatever the hidden size; the others derive it.
  int64_t derived_head_dim = c.num_attention_heads > 0 ? c.hidden_size / c.num_attention_heads : 0;
  c.head_dim = f.integer("head_dim", c.model_type == "qwen3" ? 128 : derived_head_dim);
  c.max_position_embeddings = f.integer("max_position_embeddings", c.model_type == "llama" ? 2048 : 32768);
  c.rms_norm_eps = f.number(root, "rms_norm_eps", 1e-6, "");
  c.tie_word_embeddings = f.boolean("tie_word_embeddings", false);
  bool attention_bias = f.boolean("attention_bias", false);
  c.qkv_bias = c.model_type == "qwen2" || attention_bias;
  c.o_bias = c.model_type != "qwen2" && attention_bias;
  c.mlp_bias = c.model_type == "llama" && f.boolean("mlp_bias", false);
  c.qk_norm = c.model_type == "qwen3";
  c.rope = parse_rope(f, c);
  auto bos = token_ids(f, "bos_token_id");
  if (!bos.empty()) c.bos_token_id = bos.front();
  c.eos_token_ids = token_ids(f, "eos_token_id");
  auto pad = token_ids(f, "pad_token_id");
  if (!pad.empty()) c.pad_token_id = pad.front();
  std::string dtype = f.string("dtype", f.string("torch_dtype", "float32"));
  c.dtype = parse_dtype_name(dtype);
  check_supported(f, c);
  return c;
}

ModelConfig ModelConfig::load(const std::filesystem::path& path) {
  std::ifstream in(path);
  GRPO_CHECK(in, "cannot open model config ", path);
  std::stringstream text;
  text << in.rdbuf();
  return from_json(text.str(), path.string());
}

std::string ModelConfig::to_json(torch::ScalarType dtype) const {
  json root = json::parse(raw_json);
  root.erase("torch_dtype");
  root["dtype"] = dtype_name(dtype);
  return root.dump(2) + "\n";
}

}  // namespace grpo
