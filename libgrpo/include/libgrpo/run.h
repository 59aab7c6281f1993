// A training run on disk: what `grpo train` does, as library calls.
//
//   <output_dir>/
//     recipe.yaml              the resolved recipe (every default filled in)
//     metrics.jsonl            one line per step (MetricsLog); eval/* keys on evaluation steps
//     samples.jsonl            a few completions per step: {"step", "split", "prompt", "completion", ...}
//     events.out.tfevents.*    TensorBoard
//     init/                    the from-scratch model, when model.path is empty
//     checkpoints/step-000050/ an HF model directory (config.json, model.safetensors,
//                              tokenizer files, generation_config.json) plus trainer_state.json,
//                              optimizer.pt, data_state.json and, with a KL term, reference/
//
// Checkpoints are written into checkpoints/.tmp-step-N, every file fsync'd, then renamed
// into place: a directory named step-N is complete, whatever moment the run was killed.
// A resumed run loads the newest, cuts the logs back to its step and goes on; with the
// same recipe its later metrics equal those of a run that was never interrupted.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "libgrpo/metrics.h"
#include "libgrpo/recipe.h"
#include "libgrpo/rollout.h"
#include "libgrpo/trainer.h"

namespace grpo {

// ---------------------------------------------------------------- models

// The policy a recipe names: model.path (or `dir` when given: a checkpoint or the
// from-scratch model), with model.tokenizer, model.dtype and model.device applied.
// A policy without a tokenizer is an error: recipes work on text.
Policy load_policy(const ModelOptions& options, const std::filesystem::path& dir = {});

// The characters a from-scratch tokenizer needs for these examples under this template
// (prompts, answers, the template's own text) plus extra_characters and "\n", sorted.
// Only ASCII is supported: another character is an error naming the example.
std::string vocabulary_characters(const std::vector<Example>& examples, const PromptTemplate& prompt_template,
                                  const std::string& extra_characters);

// A random Qwen2-style model (tied embeddings, float32) of init's shape over vocab_size
// ids, with eos_id as its bos and eos token; weights ~ Normal(0, init.std), seeded.
CausalLM initial_model(const ModelInitOptions& init, int64_t vocab_size, int64_t eos_id, uint64_t seed);

// tokenizer.json and tokenizer_config.json of a byte-level BPE tokenizer whose vocabulary
// is `characters` (ids 0..n-1, ASCII) plus "<|endoftext|>" (id n), with no merges.
void write_character_tokenizer(const std::string& characters, const std::filesystem::path& dir);

// generation_config.json naming eos_id as the eos and pad token.
void write_generation_config(int64_t eos_id, const std::filesystem::path& dir);

// Writes a from-scratch model directory: config.json (Qwen2 architecture, tied
// embeddings), random weights (seeded), and a byte-level BPE tokenizer.json whose
// vocabulary is `characters` plus an end-of-text token, with no merges.
void write_initial_model(const ModelInitOptions& init, const std::string& characters, uint64_t seed,
                         const std::filesystem::path& dir);

// ---------------------------------------------------------------- checkpoints

struct CheckpointRef {
  int64_t step = 0;
  std::filesystem::path dir;
};

// Complete checkpoints under <run_dir>/checkpoints, oldest first.
std::vector<CheckpointRef> list_checkpoints(const std::filesystem::path& run_dir);
std::optional<CheckpointRef> latest_checkpoint(const std::filesystem::path& run_dir);

// Writes checkpoint `step` atomically (see above) and returns its directory.
// `tokenizer_from` is a directory whose tokenizer files are copied in; data_state is
// the prompt source's cursor (DatasetPromptSource::state()).
std::filesystem::path save_checkpoint(const std::filesystem::path& run_dir, int64_t step, Trainer& trainer,
                                      const std::filesystem::path& tokenizer_from, const std::string& data_state);

// Deletes all but the newest keep_last checkpoints (0 keeps all), and leftovers of
// interrupted saves and deletes.
void prune_checkpoints(const std::filesystem::path& run_dir, int64_t keep_last);

// ---------------------------------------------------------------- training

struct TrainRunOptions {
  bool resume = false;  // continue from the newest checkpoint in output_dir
  // Called once before the first step with the step training starts after (0, or
  // the checkpoint's) and the last step (run.steps).
  std::function<void(int64_t first_step, int64_t last_step)> on_start;
  // Called after every step (and after the evaluation before the first step, with
  // step 0) with the metrics that were logged.
  std::function<void(int64_t step, const Metrics& metrics)> on_step;
  // Called with one-line notes: "resuming from step 40", "saved checkpoint ...".
  std::function<void(const std::string& message)> on_message;
};

// Runs the recipe: loads or resumes, trains run.steps steps, evaluates every
// eval.every steps, logs and checkpoints. An output directory that already holds a run
// is an error unless resuming (nothing of it is touched); resuming without a
// checkpoint starts from scratch in the same directory.
void train(const Recipe& recipe, const TrainRunOptions& options = {});

// The held-out evaluation the recipe's eval section describes, as "eval/<name>" metrics,
// plus the completions (for samples.jsonl).
struct RecipeEval {
  Metrics metrics;
  std::vector<std::string> prompts, completions, answers;
  std::vector<double> rewards;
  std::vector<bool> correct;
};
RecipeEval evaluate_recipe(const Recipe& recipe, Policy& policy, const Dataset& test,
                           const std::vector<rewards::WeightedReward>& rewards);

}  // namespace grpo
