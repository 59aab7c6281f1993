// A recipe: the YAML file that `grpo train`, `grpo eval` and `grpo generate` read.
// Each section maps one to one onto the options struct of one stage:
//
//   name: countdown-tiny
//   run:      {seed: 1, steps: 200, output_dir: runs/countdown, save_every: 50}
//   model:    {path: /models/Qwen2.5-0.5B}      # or init: {...} for a from-scratch model
//   data:     {source: task, task: {name: countdown}, curriculum: {order: pass_rate}}
//   prompt:   {style: r1}
//   rewards:  [{type: countdown}, {type: format, weight: 0.1}]
//   trainer:  {prompts_per_step: 8, group_size: 16, loss: {beta: 0.001}, optimizer: {lr: 1e-6}}
//   eval:     {every: 20, samples_per_prompt: 4, max_prompts: 200}
//
// validate() checks what can be checked before any work: batch arithmetic, that the
// model, tokenizer and dataset files exist, that the rewards can be built.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "libgrpo/config.h"
#include "libgrpo/dataset.h"
#include "libgrpo/prompt.h"
#include "libgrpo/prompt_source.h"
#include "libgrpo/trainer.h"
#include "rewards/registry.h"

namespace grpo {

struct RunOptions {
  int64_t seed = 0;  // seeds every RNG of the run (sampling, data order, model init)
  std::string output_dir = "runs/default";
  int64_t steps = 100;      // trainer steps in all (a resumed run stops here too)
  int64_t save_every = 50;  // a checkpoint every save_every steps, and one at the end; 0: only at the end
  int64_t keep_last = 3;    // checkpoints kept (the newest); 0 keeps all
  int64_t log_samples = 4;  // completions per logged step written to samples.jsonl
  bool tensorboard = true;  // TensorBoard event files beside metrics.jsonl
  int64_t threads = 0;      // CPU threads for torch; 0: torch's default (one per core)
};
void describe(config::Visitor& v, RunOptions& o);

// A from-scratch model (model.path empty): a small Qwen2-style network with random
// weights and a character-level tokenizer over the characters of the training data.
// For smoke tests and CPU experiments; real runs load a checkpoint.
struct ModelInitOptions {
  int64_t hidden_size = 64;
  int64_t intermediate_size = 128;
  int64_t num_hidden_layers = 2;
  int64_t num_attention_heads = 4;
  int64_t num_key_value_heads = 2;
  double std = 0.02;            // weights ~ Normal(0, std)
  std::string extra_characters;  // added to the vocabulary beside the data's characters
};
void describe(config::Visitor& v, ModelInitOptions& o);
// Shape checks of a from-scratch model; `key` names the section in the error
// ("model.init: hidden_size (60) must be a multiple of ...").
void validate(const ModelInitOptions& init, const std::string& key);

struct ModelOptions {
  std::string path;       // a Hugging Face checkpoint directory; "" -> init
  std::string tokenizer;  // a directory or tokenizer.json; "" -> the model directory
  std::string dtype = "auto";  // auto (the checkpoint's) | float32 | bfloat16 | float16
  std::string device = "cpu";  // cpu | cuda | cuda:<n>
  ModelInitOptions init;
};
void describe(config::Visitor& v, ModelOptions& o);

// The recipe's `data:` section: the dataset (DataOptions) and its curriculum.
struct DataSection {
  DataOptions dataset;
  CurriculumOptions curriculum;
};
void describe(config::Visitor& v, DataSection& o);

// The recipe's `eval:` section: held-out evaluation during training.
struct EvalSection {
  int64_t every = 0;  // evaluate on the test split every `every` steps, before the first and after the last; 0: never
  int64_t samples_per_prompt = 1;  // k: pass@1 averages over k samples, maj@k votes over them
  int64_t max_prompts = 0;         // the first max_prompts of the test split; 0: all
  double temperature = 0.0;        // 0: greedy (then k must be 1)
  double top_p = 1.0;
  int64_t max_new_tokens = 0;  // 0: trainer.sampling.max_new_tokens
};
void describe(config::Visitor& v, EvalSection& o);

struct Recipe {
  std::string name = "unnamed";
  RunOptions run;
  ModelOptions model;
  DataSection data;
  PromptTemplate prompt;
  std::vector<rewards::RewardSpec> rewards = {rewards::RewardSpec{}};
  TrainerOptions trainer;
  EvalSection eval;
};
void describe(config::Visitor& v, Recipe& r);

// Reads and checks a recipe file (config::load_yaml_file, then validate()).
Recipe load_recipe(const std::string& path, const std::vector<std::string>& overrides = {});

// Checks that need no model or data loaded; throws grpo::Error naming the cause
// (the recipe key and values) for the first problem found.
void validate(const Recipe& recipe);

}  // namespace grpo
