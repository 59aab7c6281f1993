// Prompts for the trainer from a Dataset: rendered with a PromptTemplate, tokenized, and
// ordered by a curriculum.
//
//   grpo::DatasetPromptSource source(train, recipe.prompt, *policy.tokenizer, {.order = "pass_rate"}, seed);
//   trainer.step(source);                  // draws prompts_per_step prompts, reports pass rates back
//   std::string cursor = source.state();   // into the checkpoint; restore(cursor) on resume
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "libgrpo/config.h"
#include "libgrpo/dataset.h"
#include "libgrpo/prompt.h"
#include "libgrpo/tokenizer.h"
#include "libgrpo/trainer.h"

namespace grpo {

struct CurriculumOptions {
  // shuffle     a fresh permutation of the dataset each epoch
  // difficulty  each epoch easiest first (Example::difficulty), shuffled within a level
  // pass_rate   weighted draws, weight p(1 - p) of the prompt's running pass rate p: prompts
  //             the policy always or never solves teach nothing (zero advantage), those it
  //             solves half the time teach most (Foster & Foerster 2025, "learnability")
  std::string order = "shuffle";
  double pass_rate_ema = 0.5;      // p <- (1 - a) p + a * observed; the first observation sets p
  double initial_pass_rate = 0.5;  // p of a prompt not seen yet
  double min_weight = 0.01;        // floor under p(1 - p), so solved prompts come back now and then
};
void describe(config::Visitor& v, CurriculumOptions& o);

class DatasetPromptSource final : public PromptSource {
 public:
  // The tokenizer must outlive the source. Throws grpo::Error for an empty dataset
  // or an unknown order.
  DatasetPromptSource(Dataset dataset, PromptTemplate prompt_template, const Tokenizer& tokenizer,
                      CurriculumOptions curriculum, int64_t seed);

  std::vector<Prompt> next(int64_t n) override;  // never runs dry: epochs repeat
  void observe(const Prompt& prompt, double pass_rate) override;

  // The cursor (epoch, position, draws) and the running pass rates, as JSON text;
  // restore() takes it back. A state from another dataset is an error.
  std::string state() const;
  void restore(const std::string& state);

  // The running pass rate of example `id` (initial_pass_rate when not seen yet).
  double pass_rate(const std::string& id) const;
  const Dataset& dataset() const { return dataset_; }

 private:
  Prompt prompt_at(size_t index);
  std::vector<size_t> epoch_order(int64_t epoch) const;
  std::vector<size_t> weighted_draw(int64_t n);

  Dataset dataset_;
  PromptTemplate template_;
  const Tokenizer* tokenizer_;
  CurriculumOptions curriculum_;
  int64_t seed_;
  int64_t epoch_ = 0;
  size_t pos_ = 0;
  int64_t draws_ = 0;
  std::vector<size_t> order_;
  std::map<std::string, double> pass_rates_;
  std::map<std::string, size_t> index_of_;
};

}  // namespace grpo
