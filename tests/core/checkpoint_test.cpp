// Checkpoint directories and config.json: what a user gets for a broken download, a
// hand-edited index or an unsupported architecture. Each error must name the culprit.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "libgrpo/checkpoint.h"
#include "libgrpo/error.h"

namespace fs = std::filesystem;
using namespace grpo;

namespace {

const fs::path kFixtures = LIBGRPO_MODEL_FIXTURES;
const fs::path kScratch = fs::temp_directory_path() / ("libgrpo_ckpt_" + std::to_string(::getpid()));

// Each test runs in its own process; its scratch copies go when it exits.
struct RemoveScratch {
  ~RemoveScratch() { fs::remove_all(kScratch); }
} remove_scratch;

// A private copy of a fixture checkpoint to break.
fs::path copy_case(const std::string& name, const std::string& tag) {
  fs::path dir = kScratch / tag;
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& entry : fs::directory_iterator(kFixtures / name))
    if (entry.is_regular_file()) fs::copy_file(entry.path(), dir / entry.path().filename());
  return dir;
}

// Rewrites model.safetensors of `dir` through `edit` on its name -> tensor list.
void rewrite_weights(const fs::path& dir,
                     const std::function<void(std::vector<std::pair<std::string, torch::Tensor>>&)>& edit) {
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  {
    auto file = safetensors::File::open(dir / "model.safetensors");
    for (const auto& name : file.names()) tensors.emplace_back(name, file.tensor(name).clone());
  }
  edit(tensors);
  safetensors::save(dir / "model.safetensors", tensors);
}

void expect_load_error(const fs::path& dir, const std::string& needle) {
  try {
    load_pretrained(dir);
    ADD_FAILURE() << dir << " loaded; expected an error containing '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find(needle), std::string::npos) << "message: " << e.message();
  }
}

std::string qwen3_config() {
  std::ifstream in(kFixtures / "qwen3" / "config.json");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void expect_config_error(nlohmann::json config, const std::string& needle) {
  try {
    ModelConfig::from_json(config.dump(), "config.json");
    ADD_FAILURE() << "accepted; expected an error containing '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find(needle), std::string::npos) << "message: " << e.message();
  }
}

}  // namespace

TEST(CheckpointBadInput, MissingTensorIsNamed) {
  auto dir = copy_case("qwen3", "missing");
  rewrite_weights(dir, [](auto& t) { std::erase_if(t, [](auto& p) { return p.first == "model.norm.weight"; }); });
  expect_load_error(dir, "lacks tensors the qwen3 model needs: model.norm.weight");
}

TEST(CheckpointBadInput, MisShapedTensorIsNamed) {
  auto dir = copy_case("qwen3", "shape");
  rewrite_weights(dir, [](auto& t) {
    for (auto& [name, value] : t)
      if (name == "model.layers.1.mlp.up_proj.weight") value = value.narrow(0, 0, 10).contiguous();
  });
  expect_load_error(dir, "tensor 'model.layers.1.mlp.up_proj.weight' has shape [10, 64] but the model expects [96, 64]");
}

TEST(CheckpointBadInput, WrongDtypeIsNamed) {
  auto dir = copy_case("qwen3", "dtype");
  rewrite_weights(dir, [](auto& t) {
    for (auto& [name, value] : t)
      if (name == "model.layers.0.self_attn.k_norm.weight") value = value.to(torch::kInt);
  });
  expect_load_error(dir, "tensor 'model.layers.0.self_attn.k_norm.weight' has dtype I32");
}

TEST(CheckpointBadInput, UnexpectedTensorIsNamedButHfLeftoversAreSkipped) {
  auto dir = copy_case("qwen3", "extra");
  rewrite_weights(dir, [](auto& t) {
    t.emplace_back("model.layers.0.self_attn.rotary_emb.inv_freq", torch::ones({8}));
    t.emplace_back("lm_head.weight", torch::zeros({320, 64}));  // qwen3 fixture is tied: skipped
  });
  EXPECT_NO_THROW(load_pretrained(dir));
  rewrite_weights(dir, [](auto& t) { t.emplace_back("model.layers.9.mlp.gate_proj.weight", torch::ones({2})); });
  expect_load_error(dir, "no place for: model.layers.9.mlp.gate_proj.weight");
}

TEST(CheckpointBadInput, CorruptShardNamesFileAndTensor) {
  auto dir = copy_case("qwen2_tied", "corrupt");
  fs::path shard = dir / "model-00002-of-00006.safetensors";
  fs::resize_file(shard, fs::file_size(shard) - 1);
  expect_load_error(dir, "model-00002-of-00006.safetensors: safetensors: tensor '");
}

TEST(CheckpointBadInput, IndexProblems) {
  auto dir = copy_case("qwen2_tied", "index");
  fs::remove(dir / "model-00003-of-00006.safetensors");
  expect_load_error(dir, "lists shard model-00003-of-00006.safetensors which is not in");

  dir = copy_case("qwen2_tied", "escape");
  auto index = nlohmann::json::parse(std::ifstream(dir / "model.safetensors.index.json"));
  index["weight_map"]["model.norm.weight"] = "../model.safetensors";
  std::ofstream(dir / "model.safetensors.index.json") << index.dump();
  expect_load_error(dir, "must be a plain file name");

  dir = copy_case("qwen2_tied", "wrong-shard");
  index = nlohmann::json::parse(std::ifstream(dir / "model.safetensors.index.json"));
  std::string elsewhere = index["weight_map"]["model.embed_tokens.weight"];
  index["weight_map"]["model.norm.weight"] = elsewhere;
  std::ofstream(dir / "model.safetensors.index.json") << index.dump();
  expect_load_error(dir, "says tensor 'model.norm.weight' is in");

  dir = copy_case("qwen2_tied", "no-weights");
  fs::remove(dir / "model.safetensors.index.json");
  expect_load_error(dir, "no model.safetensors or model.safetensors.index.json");
  expect_load_error(dir / "nope", "does not exist");
}

TEST(ModelConfigTest, ReadsBothRopeSpellings) {
  auto legacy = ModelConfig::load(kFixtures / "llama3" / "config.json");  // rope_theta + rope_scaling
  EXPECT_EQ(legacy.rope.type, "llama3");
  EXPECT_EQ(legacy.rope.theta, 500000.0);
  EXPECT_EQ(legacy.rope.factor, 8.0);
  EXPECT_EQ(legacy.rope.original_max_position_embeddings, 16);
  EXPECT_TRUE(legacy.qkv_bias && legacy.o_bias && legacy.mlp_bias);
  auto modern = ModelConfig::load(kFixtures / "llama_yarn" / "config.json");  // rope_parameters
  EXPECT_EQ(modern.rope.type, "yarn");
  EXPECT_EQ(modern.rope.factor, 4.0);
  auto qwen3 = ModelConfig::load(kFixtures / "qwen3" / "config.json");
  EXPECT_EQ(qwen3.head_dim, 32);
  EXPECT_TRUE(qwen3.qk_norm && qwen3.tie_word_embeddings && !qwen3.qkv_bias);
  auto qwen2 = ModelConfig::load(kFixtures / "qwen2" / "config.json");
  EXPECT_TRUE(qwen2.qkv_bias && !qwen2.o_bias);
  EXPECT_EQ(qwen2.rope.theta, 1e6);
}

TEST(ModelConfigTest, ClearErrors) {
  auto base = nlohmann::json::parse(qwen3_config());
  auto c = base;
  c["model_type"] = "gpt_neox";
  expect_config_error(c, "model_type 'gpt_neox' is not supported (supported: qwen2, qwen3, llama)");
  c = base;
  c.erase("hidden_size");
  expect_config_error(c, "missing required field 'hidden_size' (model_type qwen3)");
  c = base;
  c["num_hidden_layers"] = "two";
  expect_config_error(c, "field 'num_hidden_layers' must be an integer");
  c = base;
  c["use_sliding_window"] = true;
  expect_config_error(c, "sliding-window attention is not supported");
  c = base;
  c["rope_parameters"] = {{"rope_type", "longrope"}, {"rope_theta", 1e4}};
  expect_config_error(c, "rope_type 'longrope' is not supported");
  c = base;
  c["num_key_value_heads"] = 3;
  expect_config_error(c, "not a multiple of num_key_value_heads (3)");
  c = base;
  c["hidden_act"] = "gelu";
  expect_config_error(c, "hidden_act 'gelu' is not supported");
  c = base;
  c["dtype"] = "float64";
  expect_config_error(c, "unsupported dtype 'float64'");
  EXPECT_THROW(ModelConfig::from_json("{not json", "x/config.json"), Error);
  EXPECT_THROW(ModelConfig::load("/nonexistent/config.json"), Error);
}
