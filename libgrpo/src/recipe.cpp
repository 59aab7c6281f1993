#include "libgrpo/recipe.h"

#include <filesystem>

#include "libgrpo/error.h"

namespace grpo {

void describe(config::Visitor& v, RunOptions& o) {
  v.field("seed", o.seed, config::Range<int64_t>::at_least(0));
  v.field("output_dir", o.output_dir);
  v.field("steps", o.steps, config::Range<int64_t>::at_least(0));
  v.field("save_every", o.save_every, config::Range<int64_t>::at_least(0));
  v.field("keep_last", o.keep_last, config::Range<int64_t>::at_least(0));
  v.field("log_samples", o.log_samples, config::Range<int64_t>::at_least(0));
  v.field("tensorboard", o.tensorboard);
  v.field("threads", o.threads, config::Range<int64_t>::at_least(0));
}

void describe(config::Visitor& v, ModelInitOptions& o) {
  v.field("hidden_size", o.hidden_size, config::Range<int64_t>::at_least(1));
  v.field("intermediate_size", o.intermediate_size, config::Range<int64_t>::at_least(1));
  v.field("num_hidden_layers", o.num_hidden_layers, config::Range<int64_t>::at_least(1));
  v.field("num_attention_heads", o.num_attention_heads, config::Range<int64_t>::at_least(1));
  v.field("num_key_value_heads", o.num_key_value_heads, config::Range<int64_t>::at_least(1));
  v.field("std", o.std, config::Range<double>::above(0.0));
  v.field("extra_characters", o.extra_characters);
}

void describe(config::Visitor& v, ModelOptions& o) {
  v.field("path", o.path);
  v.field("tokenizer", o.tokenizer);
  v.choice("dtype", o.dtype, {"auto", "float32", "bfloat16", "float16"});
  v.field("device", o.device);
  v.section("init", o.init);
}

void describe(config::Visitor& v, DataSection& o) {
  describe(v, o.dataset);
  v.section("curriculum", o.curriculum);
}

void describe(config::Visitor& v, EvalSection& o) {
  v.field("every", o.every, config::Range<int64_t>::at_least(0));
  v.field("samples_per_prompt", o.samples_per_prompt, config::Range<int64_t>::at_least(1));
  v.field("max_prompts", o.max_prompts, config::Range<int64_t>::at_least(0));
  v.field("temperature", o.temperature, config::Range<double>::at_least(0.0));
  v.field("top_p", o.top_p, config::Range<double>::closed(0.0, 1.0));
  v.field("max_new_tokens", o.max_new_tokens, config::Range<int64_t>::at_least(0));
}

void describe(config::Visitor& v, Recipe& r) {
  v.field("name", r.name);
  v.section("run", r.run);
  v.section("model", r.model);
  v.section("data", r.data);
  v.section("prompt", r.prompt);
  v.list("rewards", r.rewards);
  v.section("trainer", r.trainer);
  v.section("eval", r.eval);
}

Recipe load_recipe(const std::string& path, const std::vector<std::string>& overrides) {
  Recipe recipe = config::load_yaml_file<Recipe>(path, overrides);
  validate(recipe);
  return recipe;
}

namespace {

namespace fs = std::filesystem;

void check_batches(const TrainerOptions& t) {
  const int64_t N = t.prompts_per_step * t.group_size;
  GRPO_CHECK(N % t.minibatches == 0, "trainer: prompts_per_step x group_size = ", t.prompts_per_step, " x ",
             t.group_size, " = ", N, " completions do not split into trainer.minibatches = ", t.minibatches,
             " equal minibatches");
  const int64_t per_minibatch = N / t.minibatches;
  GRPO_CHECK(t.micro_batch_size == 0 || per_minibatch % t.micro_batch_size == 0, "trainer: a minibatch of ",
             per_minibatch, " completions does not split into trainer.micro_batch_size = ", t.micro_batch_size,
             " completions");
  GRPO_CHECK(t.loss.beta > 0 || t.ref_sync_steps == 0,
             "trainer.ref_sync_steps is set but loss.beta is 0: there is no reference model to sync");
}

void check_model(const ModelOptions& m) {
  if (!m.path.empty()) {
    GRPO_CHECK(fs::is_directory(m.path), "model.path '", m.path, "' is not a directory");
    GRPO_CHECK(fs::exists(fs::path(m.path) / "config.json"), "model.path '", m.path, "' has no config.json");
    if (m.tokenizer.empty())
      GRPO_CHECK(fs::exists(fs::path(m.path) / "tokenizer.json"), "model.path '", m.path,
                 "' has no tokenizer.json; set model.tokenizer");
  }
  if (!m.tokenizer.empty()) GRPO_CHECK(fs::exists(m.tokenizer), "model.tokenizer '", m.tokenizer, "' does not exist");
  GRPO_CHECK(m.device == "cpu" || m.device == "cuda" || m.device.starts_with("cuda:"), "model.device '", m.device,
             "' is not cpu, cuda or cuda:<n>");
  if (m.path.empty()) validate(m.init, "model.init");
}

void check_data(const DataSection& d) {
  if (d.dataset.source == "jsonl") {
    GRPO_CHECK(!d.dataset.jsonl.path.empty(), "data.jsonl.path is empty: name the dataset file");
    GRPO_CHECK(fs::is_regular_file(d.dataset.jsonl.path), "data.jsonl.path '", d.dataset.jsonl.path,
               "': no such file");
  }
}

}  // namespace

void validate(const ModelInitOptions& m, const std::string& key) {
  GRPO_CHECK(m.num_attention_heads % m.num_key_value_heads == 0, key, ": num_attention_heads (",
             m.num_attention_heads, ") must be a multiple of num_key_value_heads (", m.num_key_value_heads, ")");
  GRPO_CHECK(m.hidden_size % (2 * m.num_attention_heads) == 0, key, ": hidden_size (", m.hidden_size,
             ") must be a multiple of 2 x num_attention_heads (", m.num_attention_heads, ")");
}

void validate(const Recipe& recipe) {
  GRPO_CHECK(!recipe.run.output_dir.empty(), "run.output_dir is empty");
  check_batches(recipe.trainer);
  check_model(recipe.model);
  check_data(recipe.data);
  GRPO_CHECK(recipe.eval.every == 0 || recipe.eval.temperature > 0 || recipe.eval.samples_per_prompt == 1,
             "eval: samples_per_prompt = ", recipe.eval.samples_per_prompt,
             " with temperature 0 gives the same completion k times; set eval.temperature > 0");
  GRPO_CHECK(recipe.eval.every == 0 || recipe.data.dataset.source == "task" ||
                 recipe.data.dataset.jsonl.test_fraction > 0,
             "eval.every is set but the dataset has no test split (data.jsonl.test_fraction is 0)");
  rewards::make_rewards(recipe.rewards);  // builds nothing costly; names the bad entry
}

}  // namespace grpo
