// grpo train RECIPE.yaml [--set key=value ...] [--out DIR] [--resume]
// grpo eval RECIPE.yaml [--checkpoint DIR] [--split test|train] [--samples FILE]
// grpo generate --model DIR PROMPT [-n 4] [--temperature 0.7]
#include "train.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <iterator>

#include "libgrpo/error.h"
#include "libgrpo/evaluate.h"
#include "libgrpo/progress.h"
#include "libgrpo/run.h"

namespace grpo::cli {

namespace fs = std::filesystem;

CLI::App* add_train_command(CLI::App& app, TrainArgs& args) {
  auto* cmd = app.add_subcommand("train", "Train a policy with GRPO as a recipe describes");
  cmd->add_option("recipe", args.recipe, "Recipe YAML file")->required();
  cmd->add_option("--set", args.overrides, "Override a recipe key: --set trainer.loss.beta=0.04 (repeatable)");
  cmd->add_option("--out", args.out, "Output directory (run.output_dir)");
  cmd->add_flag("--resume", args.resume, "Continue from the newest checkpoint in the output directory");
  return cmd;
}

int run_train(const TrainArgs& args) {
  std::vector<std::string> overrides = args.overrides;
  if (!args.out.empty()) overrides.push_back("run.output_dir=\"" + args.out + "\"");
  Recipe recipe = load_recipe(args.recipe, overrides);
  std::cerr << fmt::format("grpo train: {} -> {}\n", recipe.name, recipe.run.output_dir);
  // The progress display goes to stderr, which is usually the terminal even when
  // stdout is redirected.
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  std::unique_ptr<ProgressBar> progress;
  TrainRunOptions options;
  options.resume = args.resume;
  options.on_start = [&](int64_t first, int64_t last) {
    progress = std::make_unique<ProgressBar>(std::max(last, first + 1), std::cerr, tty, first);
  };
  options.on_step = [&](int64_t step, const Metrics& m) {
    if (progress) progress->update(step, m);
  };
  options.on_message = [&](const std::string& message) {
    if (progress) progress->finish();
    std::cerr << "grpo train: " << message << "\n";
  };
  train(recipe, options);
  if (progress) progress->finish();
  std::cerr << "grpo train: done; metrics in " << (fs::path(recipe.run.output_dir) / "metrics.jsonl").string()
            << ", report with: grpo report " << recipe.run.output_dir << "\n";
  return 0;
}

CLI::App* add_eval_command(CLI::App& app, EvalArgs& args) {
  auto* cmd = app.add_subcommand("eval", "Evaluate a checkpoint on a recipe's dataset: pass@1, maj@k, per task");
  cmd->add_option("recipe", args.recipe, "Recipe YAML file (data, prompt, rewards and eval sections)")->required();
  cmd->add_option("--set", args.overrides, "Override a recipe key (repeatable), e.g. --set eval.samples_per_prompt=8");
  cmd->add_option("--checkpoint", args.checkpoint,
                  "Model directory (default: model.path, else the newest checkpoint of run.output_dir)");
  cmd->add_option("--split", args.split, "Dataset split")->check(CLI::IsMember({"test", "train"}));
  cmd->add_option("--samples", args.samples_out, "Write every evaluated completion to this JSONL file");
  return cmd;
}

int run_eval(const EvalArgs& args) {
  Recipe recipe = load_recipe(args.recipe, args.overrides);
  fs::path model_dir = args.checkpoint;
  if (model_dir.empty() && !recipe.model.path.empty()) model_dir = recipe.model.path;
  if (model_dir.empty()) {
    auto latest = latest_checkpoint(recipe.run.output_dir);
    GRPO_CHECK(latest, "no model to evaluate: give --checkpoint, set model.path, or train into run.output_dir ('",
               recipe.run.output_dir, "' has no checkpoint)");
    model_dir = latest->dir;
  }
  GRPO_CHECK(fs::exists(model_dir / "config.json"), "--checkpoint '", model_dir.string(),
             "' is not a model directory (no config.json)");
  Dataset data = make_dataset(recipe.data.dataset, args.split == "test" ? Split::test : Split::train);
  GRPO_CHECK(!data.empty(), "the ", args.split, " split of the dataset is empty");
  Policy policy = load_policy(recipe.model, model_dir);
  auto rewards = rewards::make_rewards(recipe.rewards);
  RecipeEval e = evaluate_recipe(recipe, policy, data, rewards);
  nlohmann::json out = {{"checkpoint", model_dir.string()}, {"split", args.split}};
  for (const auto& [k, v] : e.metrics) out[k.substr(5)] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
  std::cout << out.dump(2) << "\n";
  if (!args.samples_out.empty()) {
    std::ofstream s(args.samples_out);
    for (size_t i = 0; i < e.completions.size(); ++i)
      s << nlohmann::json{{"prompt", e.prompts[i]}, {"completion", e.completions[i]}, {"answer", e.answers[i]},
                          {"reward", std::isfinite(e.rewards[i]) ? nlohmann::json(e.rewards[i]) : nlohmann::json()},
                          {"correct", static_cast<bool>(e.correct[i])}}
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
        << "\n";
    GRPO_CHECK(s, "cannot write ", args.samples_out);
  }
  return 0;
}

CLI::App* add_generate_command(CLI::App& app, GenerateArgs& args) {
  auto* cmd = app.add_subcommand("generate", "Sample completions of a prompt from a model directory");
  cmd->add_option("--model", args.model, "Model directory (Hugging Face layout, with tokenizer.json)")->required();
  cmd->add_option("prompt", args.prompt, "The prompt, or - to read it from stdin")->required();
  cmd->add_option("--style", args.style, "Prompt template: plain (as given), r1, r1_chat or chat")
      ->check(CLI::IsMember({"plain", "r1", "r1_chat", "chat"}));
  cmd->add_option("-n", args.n, "Completions to sample")->check(CLI::Range(int64_t{1}, int64_t{1024}));
  cmd->add_option("--max-new-tokens", args.max_new_tokens, "Tokens per completion, at most")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  cmd->add_option("--temperature", args.temperature, "0: greedy")->check(CLI::NonNegativeNumber);
  cmd->add_option("--top-p", args.top_p)->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--seed", args.seed);
  cmd->add_flag("--json", args.json, "One JSON object per completion, with its token count and finish reason");
  return cmd;
}

int run_generate(const GenerateArgs& args) {
  std::string text = args.prompt;
  if (text == "-") text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  ModelOptions model;
  model.path = args.model;
  Policy policy = load_policy(model);
  PromptTemplate prompt_template;
  prompt_template.style = args.style;
  Example example;
  example.id = "prompt";
  example.prompt = text;
  const std::string rendered = render_prompt(prompt_template, example, &*policy.tokenizer);
  std::vector<int64_t> ids = policy.tokenizer->encode(rendered);
  GRPO_CHECK(!ids.empty(), "the prompt is empty");
  SamplingOptions sampling;
  sampling.max_new_tokens = args.max_new_tokens;
  sampling.temperature = args.temperature;
  sampling.top_p = args.top_p;
  sampling.seed = args.seed;
  RolloutBatch batch = sample_groups(policy, {ids}, args.n, sampling);
  for (int64_t i = 0; i < args.n; ++i) {
    int64_t length = batch.completion_lengths[i].item<int64_t>();
    auto row = batch.completion_ids[i].slice(0, 0, length).contiguous();
    std::vector<int64_t> tokens(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + length);
    std::string completion = policy.tokenizer->decode(tokens, /*skip_special_tokens=*/true);
    if (args.json) {
      std::cout << nlohmann::json{{"completion", completion}, {"tokens", length},
                                  {"finish_reason", to_string(batch.finish_reasons[static_cast<size_t>(i)])}}
                       .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                << "\n";
    } else {
      if (args.n > 1) std::cout << "--- completion " << i + 1 << " of " << args.n << "\n";
      std::cout << completion << "\n";
    }
  }
  return 0;
}

}  // namespace grpo::cli
