// `grpo train` as a library call: load or resume, then step, evaluate, log, checkpoint.
#include "libgrpo/run.h"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>

#include "libgrpo/error.h"
#include "libgrpo/evaluate.h"
#include "libgrpo/metrics_log.h"
#include "libgrpo/prompt_source.h"
#include "libgrpo/tensorboard.h"

namespace grpo {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// samples.jsonl: a few completions per step. Appended with one write() per line and
// cut back to a step on resume, like metrics.jsonl.
class SamplesLog {
 public:
  SamplesLog(const fs::path& path, int64_t keep_up_to) : path_(path) {
    std::vector<std::string> kept;
    if (std::ifstream in(path); in) {
      std::string line;
      while (std::getline(in, line)) {
        if (in.eof()) break;  // a torn last line (no newline)
        try {
          json row = json::parse(line);
          if (row.at("step").get<int64_t>() <= keep_up_to) kept.push_back(line);
        } catch (const json::exception&) {
          // a torn or foreign line: dropped
        }
      }
    }
    fs::path tmp = path;
    tmp += ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      for (const auto& line : kept) out << line << '\n';
      out.close();
      GRPO_CHECK(out, "cannot write ", tmp.string());
    }
    fs::rename(tmp, path);
    fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    GRPO_CHECK(fd_ >= 0, "cannot open ", path.string(), ": ", std::strerror(errno));
  }
  ~SamplesLog() {
    if (fd_ >= 0) ::close(fd_);
  }
  SamplesLog(const SamplesLog&) = delete;
  SamplesLog& operator=(const SamplesLog&) = delete;

  void write(const std::vector<json>& rows) {
    if (rows.empty()) return;
    std::string text;
    for (const json& row : rows) text += row.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    for (size_t done = 0; done < text.size();) {
      ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      GRPO_CHECK(n > 0, "cannot write ", path_.string(), ": ", std::strerror(errno));
      done += static_cast<size_t>(n);
    }
    ::fdatasync(fd_);
  }

 private:
  fs::path path_;
  int fd_ = -1;
};

json sample_row(int64_t step, const char* split, const std::string& prompt, const std::string& completion,
                const std::string& answer, double reward, bool correct) {
  return {{"step", step},        {"split", split},   {"prompt", prompt},
          {"completion", completion}, {"answer", answer}, {"reward", std::isfinite(reward) ? json(reward) : json()},
          {"correct", correct}};
}

void note(const TrainRunOptions& options, const std::string& message) {
  if (options.on_message) options.on_message(message);
}

bool holds_a_run(const fs::path& out) {
  if (fs::exists(out / "checkpoints") && !list_checkpoints(out).empty()) return true;
  return fs::exists(out / "metrics.jsonl") && fs::file_size(out / "metrics.jsonl") > 0;
}

// The recipe's run as the trainer sees it: run.seed moves the sampling seed.
TrainerOptions trainer_options(const Recipe& recipe) {
  TrainerOptions t = recipe.trainer;
  t.sampling.seed += recipe.run.seed;
  return t;
}

}  // namespace

RecipeEval evaluate_recipe(const Recipe& recipe, Policy& policy, const Dataset& test,
                           const std::vector<rewards::WeightedReward>& rewards) {
  const EvalSection& e = recipe.eval;
  EvalOptions options;
  options.samples_per_prompt = e.samples_per_prompt;
  options.sampling = recipe.trainer.sampling;
  options.sampling.temperature = e.temperature;
  options.sampling.top_p = e.top_p;
  if (e.max_new_tokens > 0) options.sampling.max_new_tokens = e.max_new_tokens;
  options.sampling.seed = recipe.run.seed;
  options.accuracy_reward = recipe.trainer.accuracy_reward;
  options.reflection = recipe.trainer.reflection;
  options.max_prompts = e.max_prompts;
  EvalResult r = evaluate(policy, test.examples(), recipe.prompt, rewards, options);
  RecipeEval out;
  for (const auto& [k, v] : r.metrics) out.metrics["eval/" + k] = v;
  for (const EvalSample& s : r.samples) {
    out.prompts.push_back(s.prompt);
    out.completions.push_back(s.completion);
    out.answers.push_back(s.answer);
    out.rewards.push_back(s.reward);
    out.correct.push_back(s.correct);
  }
  return out;
}

void train(const Recipe& recipe, const TrainRunOptions& options) {
  validate(recipe);
  const fs::path out = recipe.run.output_dir;
  GRPO_CHECK(options.resume || !holds_a_run(out), "run.output_dir '", out.string(),
             "' already holds a run; pass --resume to continue it, or choose another --out");

  if (recipe.run.threads > 0) torch::set_num_threads(static_cast<int>(recipe.run.threads));

  // ---------------------------------------------------------------- data
  Dataset train_set = make_dataset(recipe.data.dataset, Split::train);
  Dataset test_set;
  if (recipe.eval.every > 0) test_set = make_dataset(recipe.data.dataset, Split::test);
  GRPO_CHECK(!train_set.empty(), "the training split of the dataset is empty");

  // ---------------------------------------------------------------- model (or the checkpoint to resume)
  std::optional<CheckpointRef> resume_from = options.resume ? latest_checkpoint(out) : std::nullopt;
  fs::create_directories(out);
  fs::path model_dir = recipe.model.path;
  if (recipe.model.path.empty()) {
    model_dir = out / "init";
    if (!fs::exists(model_dir / "config.json")) {
      std::vector<Example> all = train_set.examples();
      all.insert(all.end(), test_set.examples().begin(), test_set.examples().end());
      write_initial_model(recipe.model.init,
                          vocabulary_characters(all, recipe.prompt, recipe.model.init.extra_characters),
                          static_cast<uint64_t>(recipe.run.seed), model_dir);
    }
  }
  const fs::path tokenizer_dir = recipe.model.tokenizer.empty()                  ? model_dir
                                 : fs::is_directory(recipe.model.tokenizer)      ? fs::path(recipe.model.tokenizer)
                                                                                 : fs::path(recipe.model.tokenizer).parent_path();
  Policy policy = load_policy(recipe.model, resume_from ? resume_from->dir : model_dir);
  auto reward_functions = rewards::make_rewards(recipe.rewards);
  Trainer trainer(std::move(policy), reward_functions, trainer_options(recipe));
  DatasetPromptSource source(train_set, recipe.prompt, *trainer.policy().tokenizer, recipe.data.curriculum,
                             recipe.run.seed);
  int64_t start = 0;
  if (resume_from) {
    trainer.load_state(resume_from->dir);
    source.restore(config::read_text_file((resume_from->dir / "data_state.json").string()));
    start = resume_from->step;
    GRPO_CHECK(trainer.steps_done() == start, resume_from->dir.string(), ": trainer state says step ",
               trainer.steps_done(), ", the directory name says ", start);
    note(options, "resuming from " + resume_from->dir.string());
  } else if (options.resume) {
    note(options, "no checkpoint in " + out.string() + ": starting from step 0");
  }

  // ---------------------------------------------------------------- logs, cut back to the checkpoint
  {
    std::ofstream r(out / "recipe.yaml");
    r << config::to_yaml(recipe);
  }
  MetricsLog metrics_log(out);
  // Steps after the checkpoint were logged by the killed run and are about to be
  // logged again; a fresh start (resuming without a checkpoint) drops everything.
  const int64_t keep_up_to = resume_from ? start : -1;
  metrics_log.truncate_after(keep_up_to);
  SamplesLog samples_log(out / "samples.jsonl", keep_up_to);
  std::unique_ptr<TensorBoardWriter> tensorboard;
  if (recipe.run.tensorboard) {
    tensorboard = std::make_unique<TensorBoardWriter>(out);
    if (options.resume) tensorboard->truncate_after(keep_up_to, unix_seconds());
  }
  auto log = [&](int64_t step, const Metrics& m, const std::vector<json>& rows) {
    const double now = unix_seconds();
    metrics_log.log(step, m, now);
    samples_log.write(rows);
    if (tensorboard) {
      tensorboard->add_scalars(step, m, now);
      tensorboard->flush();
    }
    if (options.on_step) options.on_step(step, m);
  };
  auto eval_rows = [&](int64_t step, const RecipeEval& e, std::vector<json>& rows) {
    // log_samples eval rows, beside the step's train rows: the first sample of each
    // of the first prompts, the same prompts at every evaluation.
    const int64_t k = recipe.eval.samples_per_prompt;
    int64_t logged = 0;
    for (size_t i = 0; i < e.completions.size() && logged++ < recipe.run.log_samples; i += static_cast<size_t>(k))
      rows.push_back(sample_row(step, "eval", e.prompts[i], e.completions[i], e.answers[i], e.rewards[i], e.correct[i]));
  };

  if (options.on_start) options.on_start(start, recipe.run.steps);

  // ---------------------------------------------------------------- evaluation before training
  if (recipe.eval.every > 0 && start == 0 && !metrics_log.last_step()) {
    RecipeEval e = evaluate_recipe(recipe, trainer.policy(), test_set, reward_functions);
    std::vector<json> rows;
    eval_rows(0, e, rows);
    log(0, e.metrics, rows);
  }

  // ---------------------------------------------------------------- train
  for (int64_t step = start + 1; step <= recipe.run.steps; ++step) {
    StepStats stats = trainer.step(source);
    Metrics m = stats.metrics;
    std::vector<json> rows;
    const int64_t G = recipe.trainer.group_size;
    for (int64_t i = 0; i < recipe.run.log_samples && i * G < static_cast<int64_t>(stats.completions.size()); ++i) {
      // The first completion of each of the first log_samples groups.
      const Prompt& p = stats.prompts[static_cast<size_t>(i)];
      auto answer = p.fields.find("answer");
      rows.push_back(sample_row(step, "train", p.text, stats.completions[static_cast<size_t>(i * G)],
                                answer == p.fields.end() ? "" : answer->second,
                                stats.rewards.view({-1})[i * G].item<float>(), stats.correct[static_cast<size_t>(i * G)]));
    }
    const bool last = step == recipe.run.steps;
    if (recipe.eval.every > 0 && (step % recipe.eval.every == 0 || last)) {
      RecipeEval e = evaluate_recipe(recipe, trainer.policy(), test_set, reward_functions);
      for (const auto& [k, v] : e.metrics) m[k] = v;
      eval_rows(step, e, rows);
    }
    log(step, m, rows);
    if ((recipe.run.save_every > 0 && step % recipe.run.save_every == 0) || last) {
      fs::path dir = save_checkpoint(out, step, trainer, tokenizer_dir, source.state());
      prune_checkpoints(out, recipe.run.keep_last);
      note(options, "saved " + dir.string());
    }
  }
}

}  // namespace grpo
