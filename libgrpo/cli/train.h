// grpo train / eval / generate / pretrain: the commands that run a model.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace grpo::cli {

struct TrainArgs {
  std::string recipe;
  std::vector<std::string> overrides;  // --set key=value
  std::string out;                     // --out: run.output_dir
  bool resume = false;
};
CLI::App* add_train_command(CLI::App& app, TrainArgs& args);
int run_train(const TrainArgs& args);

struct EvalArgs {
  std::string recipe;
  std::vector<std::string> overrides;
  std::string checkpoint;  // a model directory; "" -> model.path, else the run's newest checkpoint
  std::string split = "test";
  std::string samples_out;  // --samples: every evaluated completion as JSONL
};
CLI::App* add_eval_command(CLI::App& app, EvalArgs& args);
int run_eval(const EvalArgs& args);

struct GenerateArgs {
  std::string model;
  std::string prompt;  // "-": read it from stdin
  std::string style = "plain";
  int64_t n = 1;
  int64_t max_new_tokens = 256;
  double temperature = 1.0;
  double top_p = 1.0;
  int64_t seed = 0;
  bool json = false;
};
CLI::App* add_generate_command(CLI::App& app, GenerateArgs& args);
int run_generate(const GenerateArgs& args);

struct PretrainArgs {
  std::string recipe;
  std::vector<std::string> overrides;
  std::string out;
};
CLI::App* add_pretrain_command(CLI::App& app, PretrainArgs& args);
int run_pretrain(const PretrainArgs& args);

}  // namespace grpo::cli
