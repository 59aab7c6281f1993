// grpo pretrain RECIPE.yaml [--set key=value ...] [--out DIR]
#include <fmt/format.h>
#include <unistd.h>

#include <iostream>
#include <memory>

#include "libgrpo/pretrain.h"
#include "libgrpo/progress.h"
#include "train.h"

namespace grpo::cli {

CLI::App* add_pretrain_command(CLI::App& app, PretrainArgs& args) {
  auto* cmd = app.add_subcommand("pretrain", "Train a tiny base model from scratch on a synthetic corpus");
  cmd->add_option("recipe", args.recipe, "Pretraining recipe YAML file")->required();
  cmd->add_option("--set", args.overrides, "Override a recipe key: --set run.steps=200 (repeatable)");
  cmd->add_option("--out", args.out, "Output directory (run.output_dir)");
  return cmd;
}

int run_pretrain(const PretrainArgs& args) {
  std::vector<std::string> overrides = args.overrides;
  if (!args.out.empty()) overrides.push_back("run.output_dir=\"" + args.out + "\"");
  PretrainRecipe recipe = load_pretrain_recipe(args.recipe, overrides);
  std::cerr << fmt::format("grpo pretrain: {} -> {}\n", recipe.name, recipe.run.output_dir);
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  std::unique_ptr<ProgressBar> progress;
  PretrainCallbacks callbacks;
  callbacks.on_start = [&](int64_t first, int64_t last) {
    progress = std::make_unique<ProgressBar>(std::max(last, first + 1), std::cerr, tty, first);
  };
  callbacks.on_step = [&](int64_t step, const Metrics& m) {
    if (progress) progress->update(step, m);
  };
  callbacks.on_message = [&](const std::string& message) {
    if (progress) progress->finish();
    std::cerr << "grpo pretrain: " << message << "\n";
  };
  pretrain(recipe, callbacks);
  if (progress) progress->finish();
  std::cerr << "grpo pretrain: done; the base model is " << recipe.run.output_dir << "/model\n";
  return 0;
}

}  // namespace grpo::cli
