// grpo reward math: the math answer checker over JSONL, for datasets and for
// comparing with other checkers.
//
//   echo '{"gold": "\\frac12", "pred": "so the answer is $\\boxed{0.5}$"}' | grpo reward math
//   {"correct":true,"gold":"1/2","pred":"0.5","reason":"equal","answer":"0.5"}
#include <nlohmann/json.hpp>

#include <iostream>
#include <string>

#include "commands.h"
#include "rewards/math.h"

namespace grpo::cli {
namespace {

using nlohmann::json;

// A field that must be a string or a number (a number is read as written).
std::string text_field(const json& row, const char* key) {
  auto it = row.find(key);
  if (it == row.end()) throw std::invalid_argument(std::string("missing key \"") + key + "\"");
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number()) return it->dump();
  throw std::invalid_argument(std::string("\"") + key + "\" must be a string or a number, not " + it->type_name());
}

json check_line(const std::string& line, const RewardMathArgs& args, const rewards::MathOptions& options) {
  json row = json::parse(line);
  if (!row.is_object()) throw std::invalid_argument("expected a JSON object, got " + std::string(row.type_name()));
  std::string gold = text_field(row, "gold"), pred = text_field(row, "pred");
  rewards::MathCheck check = args.pred_is_answer ? rewards::check_math_answer(gold, pred, options)
                                                 : rewards::check_math(gold, pred, options);
  json out = {{"correct", check.correct},
              {"gold", check.gold.empty() ? json(nullptr) : json(check.gold)},
              {"pred", check.pred.empty() ? json(nullptr) : json(check.pred)},
              {"reason", std::string(rewards::to_string(check.reason))}};
  if (!args.pred_is_answer) out["answer"] = check.pred_answer.empty() ? json(nullptr) : json(check.pred_answer);
  return out;
}

}  // namespace

CLI::App* add_reward_command(CLI::App& app, RewardMathArgs& args) {
  auto* reward = app.add_subcommand("reward", "Score completions with a rule-based reward");
  reward->require_subcommand(1);
  auto* math = reward->add_subcommand(
      "math", "Check math answers: JSONL {\"gold\": ..., \"pred\": ...} on stdin, one verdict per line on stdout");
  math->add_flag("--pred-is-answer", args.pred_is_answer, "pred is the answer itself, not a completion to extract it from");
  math->add_option("--rel-tol", args.rel_tol, "Relative tolerance for decimal approximations")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  math->add_option("--timeout-ms", args.timeout_ms, "Time budget of one check, in milliseconds")
      ->capture_default_str()->check(CLI::Range(1, 600000));
  return reward;
}

int run_reward_math(const RewardMathArgs& args, std::istream& in, std::ostream& out, std::ostream& err) {
  rewards::MathOptions options;
  options.rel_tol = args.rel_tol;
  options.timeout = std::chrono::milliseconds(args.timeout_ms);
  int bad = 0;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json result;
    try {
      result = check_line(line, args, options);
    } catch (const std::exception& e) {
      ++bad;
      std::string what = e.what();
      err << "grpo: line " << number << ": " << what << "\n";
      result = {{"correct", false}, {"gold", nullptr}, {"pred", nullptr}, {"reason", "bad_input"},
                {"error", "line " + std::to_string(number) + ": " + what}};
    }
    out << result.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  }
  out.flush();
  return bad ? 1 : 0;
}

}  // namespace grpo::cli
