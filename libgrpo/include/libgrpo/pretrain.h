// Pretraining from scratch: a tiny base model of our own, learnt by next-token
// prediction on a synthetic corpus of worked solutions (corpus.h). What
// `grpo pretrain RECIPE` runs.
//
//   <output_dir>/
//     recipe.yaml        the resolved recipe
//     metrics.jsonl      loss, lr, tokens/s every log_every steps; eval/loss on held-out documents
//     corpus_sample.txt  the first documents of the corpus, to read what the model learns from
//     tokenizer/         the tokenizer trained on the corpus (tokenizer.json, tokenizer_config.json)
//     model/             the base model: an HF directory (config.json, model.safetensors, tokenizer
//                        files, generation_config.json) that a GRPO recipe's model.path names
//
// model/ is replaced atomically (written beside, then renamed) every save_every steps and
// at the end, so a killed run leaves the last complete model.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "libgrpo/config.h"
#include "libgrpo/corpus.h"
#include "libgrpo/metrics.h"
#include "libgrpo/recipe.h"
#include "libgrpo/trainer.h"

namespace grpo {

struct PretrainRunOptions {
  int64_t seed = 0;
  std::string output_dir = "runs/pretrain";
  int64_t steps = 1000;      // optimizer steps
  int64_t log_every = 10;    // metrics.jsonl line every log_every steps (and the last)
  int64_t eval_every = 100;  // held-out loss every eval_every steps (0: only at the end)
  int64_t save_every = 0;    // model/ rewritten every save_every steps (0: only at the end)
  int64_t threads = 0;       // torch intra-op threads (0: torch's default)
};
void describe(config::Visitor& v, PretrainRunOptions& o);

struct CorpusTokenizerOptions {
  std::string type = "bpe";  // bpe: byte-level BPE learnt on the corpus | characters: one id per character
  int64_t vocab_size = 384;  // bpe: the 256 bytes, the merges and the end-of-text token
};
void describe(config::Visitor& v, CorpusTokenizerOptions& o);

struct LmTrainingOptions {
  int64_t batch_size = 32;     // documents per step, each its own row (no packing across documents)
  int64_t eval_documents = 256;  // held-out documents (the task's test split) for eval/loss
  OptimizerOptions optimizer;  // total_steps 0 -> run.steps
};
void describe(config::Visitor& v, LmTrainingOptions& o);

struct PretrainRecipe {
  std::string name;
  PretrainRunOptions run;
  CorpusOptions corpus;
  CorpusTokenizerOptions tokenizer;
  ModelInitOptions model;
  LmTrainingOptions training;
};
void describe(config::Visitor& v, PretrainRecipe& r);

// Reads and checks a pretraining recipe (unknown keys and bad values are errors that
// name file, line and key); overrides are "key.path=value" strings applied on top.
PretrainRecipe load_pretrain_recipe(const std::string& path, const std::vector<std::string>& overrides = {});
void validate(const PretrainRecipe& recipe);

struct PretrainCallbacks {
  std::function<void(int64_t first_step, int64_t last_step)> on_start;
  std::function<void(int64_t step, const Metrics& metrics)> on_step;  // after each logged step
  std::function<void(const std::string& message)> on_message;
};

// Generates the corpus, trains the tokenizer, initialises the model, trains it and
// writes <output_dir>/model. An output directory that already holds a model is an error.
void pretrain(const PretrainRecipe& recipe, const PretrainCallbacks& callbacks = {});

}  // namespace grpo
