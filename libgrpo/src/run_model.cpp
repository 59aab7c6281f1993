// Models for recipes: loading the one a recipe names, and writing a from-scratch one.
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

#include "libgrpo/checkpoint.h"
#include "libgrpo/error.h"
#include "libgrpo/run.h"
#include "unicode.h"

namespace grpo {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kEndOfText = "<|endoftext|>";

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  GRPO_CHECK(out, "cannot write ", path.string());
}

// The byte-level alphabet's spelling of an ASCII character (' ' -> "Ġ", '\n' -> "Ċ").
std::string byte_level(char c) {
  std::string out;
  unicode::append_utf8(out, unicode::byte_to_char(static_cast<uint8_t>(c)));
  return out;
}

}  // namespace

Policy load_policy(const ModelOptions& options, const fs::path& dir) {
  const fs::path model_dir = dir.empty() ? fs::path(options.path) : dir;
  GRPO_CHECK(!model_dir.empty(), "model.path is empty and no model directory was given");
  LoadOptions load;
  if (options.dtype != "auto") load.dtype = parse_dtype_name(options.dtype);
  load.device = torch::Device(options.device);
  GRPO_CHECK(!load.device.is_cuda() || torch::cuda::is_available(), "model.device is '", options.device,
             "' but no CUDA device is available");
  Policy policy = Policy::load(model_dir, load);
  // A checkpoint carries its tokenizer; model.tokenizer applies to the original model.
  if (!options.tokenizer.empty() && !fs::exists(model_dir / "tokenizer.json"))
    policy.tokenizer = Tokenizer::load(options.tokenizer);
  GRPO_CHECK(policy.tokenizer, model_dir.string(), " has no tokenizer.json; set model.tokenizer");
  return policy;
}

std::string vocabulary_characters(const std::vector<Example>& examples, const PromptTemplate& prompt_template,
                                  const std::string& extra_characters) {
  std::set<char> chars{'\n'};
  auto add = [&chars](std::string_view text, const std::string& where) {
    for (char c : text) {
      GRPO_CHECK(static_cast<unsigned char>(c) < 128, "model.init: ", where,
                 " has a non-ASCII character; a from-scratch tokenizer covers ASCII only");
      chars.insert(c);
    }
  };
  add(extra_characters, "model.init.extra_characters");
  for (const Example& e : examples) {
    add(render_prompt(prompt_template, e, nullptr), "example '" + e.id + "'");
    add(e.answer, "the answer of example '" + e.id + "'");
  }
  return std::string(chars.begin(), chars.end());
}

CausalLM initial_model(const ModelInitOptions& init, int64_t vocab_size, int64_t eos_id, uint64_t seed) {
  json config = {{"architectures", {"Qwen2ForCausalLM"}},
                 {"model_type", "qwen2"},
                 {"vocab_size", vocab_size},
                 {"hidden_size", init.hidden_size},
                 {"intermediate_size", init.intermediate_size},
                 {"num_hidden_layers", init.num_hidden_layers},
                 {"num_attention_heads", init.num_attention_heads},
                 {"num_key_value_heads", init.num_key_value_heads},
                 {"hidden_act", "silu"},
                 {"max_position_embeddings", 4096},
                 {"rms_norm_eps", 1e-6},
                 {"rope_theta", 10000.0},
                 {"tie_word_embeddings", true},
                 {"bos_token_id", eos_id},
                 {"eos_token_id", eos_id},
                 {"torch_dtype", "float32"}};
  CausalLM model(ModelConfig::from_json(config.dump()));
  model->init_weights(init.std, seed);
  return model;
}

void write_character_tokenizer(const std::string& characters, const fs::path& dir) {
  GRPO_CHECK(!characters.empty(), "a character tokenizer needs at least one character");
  const int64_t eos = static_cast<int64_t>(characters.size());
  json vocabulary = json::object();
  for (size_t i = 0; i < characters.size(); ++i) vocabulary[byte_level(characters[i])] = i;
  json byte_level_step = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true},
                          {"use_regex", false}};
  json tokenizer = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens",
       {{{"id", eos}, {"content", kEndOfText}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
         {"normalized", false}, {"special", true}}}},
      {"normalizer", nullptr},
      {"pre_tokenizer", byte_level_step},
      {"post_processor", nullptr},
      {"decoder", byte_level_step},
      {"model",
       {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr}, {"fuse_unk", false}, {"byte_fallback", false}, {"ignore_merges", false},
        {"vocab", vocabulary}, {"merges", json::array()}}}};
  json tokenizer_config = {{"tokenizer_class", "PreTrainedTokenizerFast"}, {"eos_token", kEndOfText},
                           {"pad_token", kEndOfText}, {"bos_token", nullptr}, {"model_max_length", 4096},
                           {"clean_up_tokenization_spaces", false}};
  fs::create_directories(dir);
  write_file(dir / "tokenizer.json", tokenizer.dump(2));
  write_file(dir / "tokenizer_config.json", tokenizer_config.dump(2));
}

void write_generation_config(int64_t eos_id, const fs::path& dir) {
  json generation = {{"eos_token_id", eos_id}, {"pad_token_id", eos_id}};
  write_file(dir / "generation_config.json", generation.dump(2));
}

void write_initial_model(const ModelInitOptions& init, const std::string& characters, uint64_t seed,
                         const fs::path& dir) {
  GRPO_CHECK(!characters.empty(), "a from-scratch tokenizer needs at least one character");
  const int64_t eos = static_cast<int64_t>(characters.size());
  CausalLM model = initial_model(init, eos + 1, eos, seed);

  // Written beside, then renamed: a killed run never leaves a half-written init/.
  fs::path tmp = dir;
  tmp += ".tmp";
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  save_pretrained(model, tmp);
  write_character_tokenizer(characters, tmp);
  write_generation_config(eos, tmp);
  fs::remove_all(dir);
  fs::rename(tmp, dir);
}

}  // namespace grpo
