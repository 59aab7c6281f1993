// grpo: libgrpo's command-line program. Each subcommand is a small function;
// main() parses, dispatches, and turns errors into a message and an exit code.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <iostream>

#include "commands.h"
#include "libgrpo/config.h"
#include "libgrpo/error.h"
#include "libgrpo/recipe.h"
#include "libgrpo/version.h"
#include "tokenize.h"
#include "train.h"

namespace {

struct ConfigCheckArgs {
  std::string recipe;
  std::vector<std::string> overrides;
};

// grpo config RECIPE.yaml [--set key=value ...]: validate, print the resolved recipe.
int run_config(const ConfigCheckArgs& args) {
  auto recipe = grpo::load_recipe(args.recipe, args.overrides);
  std::cout << grpo::config::to_yaml(recipe);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"grpo: group-relative policy optimisation for language models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("libgrpo ") + LIBGRPO_VERSION);

  ConfigCheckArgs config_args;
  auto* config = app.add_subcommand("config", "Check a recipe and print it with every default filled in");
  config->add_option("recipe", config_args.recipe, "Recipe YAML file")->required();
  config->add_option("--set", config_args.overrides, "Override a key: --set loss.beta=0.04 (repeatable)");

  grpo::cli::TrainArgs train_args;
  auto* train = grpo::cli::add_train_command(app, train_args);
  grpo::cli::PretrainArgs pretrain_args;
  auto* pretrain = grpo::cli::add_pretrain_command(app, pretrain_args);
  grpo::cli::EvalArgs eval_args;
  auto* eval = grpo::cli::add_eval_command(app, eval_args);
  grpo::cli::GenerateArgs generate_args;
  auto* generate = grpo::cli::add_generate_command(app, generate_args);
  grpo::cli::TokenizeArgs tokenize_args;
  auto* tokenize = grpo::cli::add_tokenize_command(app, tokenize_args);
  grpo::cli::RewardMathArgs reward_math_args;
  auto* reward = grpo::cli::add_reward_command(app, reward_math_args);
  grpo::cli::ReportArgs report_args;
  auto* report = grpo::cli::add_report_command(app, report_args);

  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const auto* sub : app.get_subcommands({})) known = known || sub->get_name() == argv[1];
    if (!known) {
      std::cerr << "grpo: unknown command '" << argv[1] << "'; see grpo --help\n";
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (*config) return run_config(config_args);
    if (*train) return grpo::cli::run_train(train_args);
    if (*pretrain) return grpo::cli::run_pretrain(pretrain_args);
    if (*eval) return grpo::cli::run_eval(eval_args);
    if (*generate) return grpo::cli::run_generate(generate_args);
    if (*tokenize) return grpo::cli::run_tokenize(tokenize_args, std::cin, std::cout);
    if (*reward) return grpo::cli::run_reward_math(reward_math_args, std::cin, std::cout, std::cerr);
    if (*report) return grpo::cli::run_report(report_args, std::cout);
  } catch (const grpo::Error& e) {
    std::cerr << "grpo: error: " << e.message() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "grpo: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
