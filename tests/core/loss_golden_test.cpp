// Golden tests: libgrpo's advantages, importance weights and losses against
// TRL's own GRPOTrainer code on fixed random inputs. The fixtures and the
// script that writes them live in tests/golden/ (make_trl_fixtures.py).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "libgrpo/advantages.h"
#include "libgrpo/loss.h"

namespace {

using nlohmann::json;
using torch::Tensor;

const json& fixtures() {
  static const json data = [] {
    std::ifstream in(std::string(LIBGRPO_SOURCE_DIR) + "/tests/golden/trl_fixtures.json");
    EXPECT_TRUE(in.good()) << "tests/golden/trl_fixtures.json is missing";
    return json::parse(in);
  }();
  return data;
}

double number(const json& j) { return j.is_null() ? std::nan("") : j.get<double>(); }

// A JSON number or (nested) list of numbers as a tensor; null is NaN.
Tensor tensor(const json& j, torch::Dtype dtype) {
  if (j.is_null()) return {};
  if (!j.is_array()) return torch::tensor(number(j), torch::kFloat64).to(dtype);
  if (!j.empty() && j[0].is_array()) {
    std::vector<Tensor> rows;
    for (const auto& row : j) rows.push_back(tensor(row, dtype));
    return torch::stack(rows);
  }
  std::vector<double> values;
  for (const auto& x : j) values.push_back(number(x));
  return torch::tensor(values, torch::kFloat64).to(dtype);
}

torch::Dtype dtype_of(const json& c) {
  return c.value("dtype", "float64") == "float32" ? torch::kFloat32 : torch::kFloat64;
}
double tolerance(torch::Dtype d) { return d == torch::kFloat32 ? 1e-5 : 1e-6; }

void expect_close(double got, double want, double tol, const std::string& what) {
  if (std::isnan(want)) {
    EXPECT_TRUE(std::isnan(got)) << what << ": got " << got << ", TRL has NaN";
    return;
  }
  EXPECT_LE(std::abs(got - want), tol * std::max(1.0, std::abs(want))) << what << ": got " << got << ", TRL "
                                                                       << want;
}

void expect_close(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  Tensor g = got.to(torch::kFloat64).flatten(), w = want.to(torch::kFloat64).flatten();
  for (int64_t i = 0; i < g.numel(); ++i) expect_close(g[i].item<double>(), w[i].item<double>(), tol, what);
}

// Metrics TRL logs that are not the loss function's business here.
const std::set<std::string> kNotOurs = {"entropy_coef", "num_tokens"};

void expect_metrics(const grpo::Metrics& got, const json& want, double tol, const std::string& name,
                    const std::set<std::string>& skip = {}) {
  for (const auto& [key, value] : want.items()) {
    if (kNotOurs.count(key) || skip.count(key)) continue;
    auto it = got.find(key);
    if (it == got.end()) {
      ADD_FAILURE() << name << ": libgrpo does not report TRL's metric " << key;
      continue;
    }
    expect_close(it->second, number(value), tol, name + " metric " + key);
  }
}

grpo::LossOptions loss_options(const json& c) {
  grpo::LossOptions o;
  const std::string type = c.at("loss_type");
  using grpo::LossAggregation;
  using grpo::PolicyObjective;
  if (type == "grpo") o.aggregation = LossAggregation::grpo;
  else if (type == "bnpo") o.aggregation = LossAggregation::bnpo;
  else if (type == "dr_grpo") o.aggregation = LossAggregation::dr_grpo;
  else if (type == "dapo") o.aggregation = LossAggregation::dapo;
  else if (type == "cispo") o.objective = PolicyObjective::cispo, o.aggregation = LossAggregation::dapo;
  else if (type == "sapo") o.objective = PolicyObjective::sapo, o.aggregation = LossAggregation::grpo;
  else if (type == "luspo") o.aggregation = LossAggregation::sequence_sum;
  else ADD_FAILURE() << "unmapped TRL loss_type " << type;
  o.importance_level = c.value("importance_sampling_level", "token") == "sequence" ? grpo::ImportanceLevel::sequence
                                                                                  : grpo::ImportanceLevel::token;
  o.clip_eps_low = c.value("epsilon_low", 0.2);
  o.clip_eps_high = c.value("epsilon_high", 0.2);
  o.ratio_cap = c.contains("delta") && !c["delta"].is_null() ? c["delta"].get<double>() : 0.0;
  o.beta = c.value("beta", 0.0);
  o.kl_clamp = 0;  // TRL does not clamp k3
  o.kl_importance_weighted = c.value("use_bias_correction_kl", false);
  o.top_entropy_quantile = c.value("top_entropy_quantile", 1.0);
  o.max_completion_length = c.value("max_completion_length", 0);
  o.entropy_coef = c.value("entropy_coef", 0.0);
  o.sapo_temperature_pos = c.value("sapo_temperature_pos", 1.0);
  o.sapo_temperature_neg = c.value("sapo_temperature_neg", 1.05);
  if (c.contains("off_policy_mask_threshold") && !c["off_policy_mask_threshold"].is_null())
    o.off_policy_mask_threshold = c["off_policy_mask_threshold"].get<double>();
  if (c.value("vllm_importance_sampling_correction", false)) {
    const std::string mode = c.at("vllm_importance_sampling_mode");
    using grpo::SamplerCorrection;
    o.sampler_correction = mode == "token_truncate"      ? SamplerCorrection::token_truncate
                           : mode == "token_mask"        ? SamplerCorrection::token_mask
                           : mode == "sequence_truncate" ? SamplerCorrection::sequence_truncate
                                                         : SamplerCorrection::sequence_mask;
    const json& lo = c["vllm_importance_sampling_clip_min"];
    const json& hi = c["vllm_importance_sampling_clip_max"];
    o.sampler_is_min = lo.is_null() ? 0.0 : lo.get<double>();
    o.sampler_is_max = hi.is_null() ? std::numeric_limits<double>::infinity() : hi.get<double>();
  }
  return o;
}

TEST(TrlGolden, FixturesArePresent) {
  EXPECT_GE(fixtures().at("loss_cases").size(), 20u);
  EXPECT_GE(fixtures().at("advantage_cases").size(), 6u);
}

TEST(TrlGolden, PolicyLossAndGradientMatchTrl) {
  for (const json& c : fixtures().at("loss_cases")) {
    const std::string name = c.at("name");
    SCOPED_TRACE(name);
    const auto dtype = dtype_of(c);
    const double tol = tolerance(dtype);
    const json& cfg = c.at("config");
    const json& in = c.at("inputs");
    grpo::LossOptions o = loss_options(cfg);
    Tensor logps = tensor(in.at("per_token_logps"), dtype).requires_grad_();
    grpo::LossInput input{.logps = logps,
                          .mask = tensor(in.at("completion_mask"), dtype),
                          .advantages = tensor(in.at("advantages"), dtype),
                          .old_logps = tensor(in.value("old_per_token_logps", json()), dtype),
                          .ref_logps = tensor(in.value("ref_per_token_logps", json()), dtype),
                          .sampler_logps = tensor(in.value("sampling_per_token_logps", json()), dtype),
                          .entropies = tensor(in.at("entropies"), dtype)};
    const int64_t gas = cfg.value("current_gradient_accumulation_steps", 1);
    input.step.accumulation_steps = gas;
    if (o.aggregation == grpo::LossAggregation::dapo) {
      // TRL: num_items_in_batch spans the generation batch; one optimizer step
      // covers gradient_accumulation_steps / steps_per_generation of it.
      double items = std::max(1.0, in.at("num_items_in_batch").get<double>());
      input.step.total_tokens = items * gas / cfg.value("steps_per_generation", 1);
    }
    grpo::LossOutput out = grpo::policy_loss(input, o);
    out.loss.backward();
    const json& want = c.at("outputs");
    expect_close(out.loss.item<double>(), want.at("loss").get<double>(), tol, name + " loss");
    expect_close(logps.grad(), tensor(want.at("grad_per_token_logps"), torch::kFloat64), tol, name + " gradient");
    std::set<std::string> skip;
    if (gas > 1) skip.insert("policy_loss");  // TRL logs it before or after the accumulation divide by loss type
    expect_metrics(out.metrics, want.at("metrics"), tol, name, skip);
  }
}

TEST(TrlGolden, AdvantagesMatchTrl) {
  for (const json& c : fixtures().at("advantage_cases")) {
    const std::string name = c.at("name");
    SCOPED_TRACE(name);
    const json& cfg = c.at("config");
    Tensor per_func = tensor(c.at("inputs").at("rewards_per_func"), torch::kFloat64);  // [N, F]
    const int64_t G = cfg.at("num_generations");
    grpo::AdvantageOptions o;
    const std::string scale = cfg.at("scale_rewards");
    o.scale = scale == "group" ? grpo::RewardScale::group
              : scale == "batch" ? grpo::RewardScale::batch
                                 : grpo::RewardScale::none;
    o.aggregation = cfg.value("multi_objective_aggregation", "sum_then_normalize") == "normalize_then_sum"
                        ? grpo::RewardAggregation::normalize_then_sum
                        : grpo::RewardAggregation::sum_then_normalize;
    auto weights = cfg.at("reward_weights").get<std::vector<double>>();
    auto names = cfg.at("reward_func_names").get<std::vector<std::string>>();
    auto a = grpo::compute_advantages(per_func.view({-1, G, per_func.size(1)}), o, weights, names);
    expect_close(a.advantages.flatten(), tensor(c.at("outputs").at("advantages"), torch::kFloat64), 1e-6,
                 name + " advantages");
    expect_metrics(a.metrics, c.at("outputs").at("metrics"), 1e-6, name);
  }
}

TEST(TrlGolden, SamplerImportanceWeightsMatchTrl) {
  for (const json& c : fixtures().value("is_ratio_cases", json::array())) {
    const std::string name = c.at("name");
    SCOPED_TRACE(name);
    const json& cfg = c.at("config");
    json loss_cfg = {{"loss_type", "grpo"},
                     {"vllm_importance_sampling_correction", true},
                     {"vllm_importance_sampling_mode", cfg.at("mode")},
                     {"vllm_importance_sampling_clip_min", cfg.at("clip_min")},
                     {"vllm_importance_sampling_clip_max", cfg.at("clip_max")}};
    const json& in = c.at("inputs");
    auto w = grpo::sampler_importance_weights(tensor(in.at("old_per_token_logps"), torch::kFloat64),
                                              tensor(in.at("sampling_per_token_logps"), torch::kFloat64),
                                              tensor(in.at("completion_mask"), torch::kFloat64),
                                              loss_options(loss_cfg));
    expect_close(w.weights, tensor(c.at("outputs").at("importance_sampling_ratio"), torch::kFloat64), 1e-6,
                 name + " ratio");
    expect_metrics(w.metrics, c.at("outputs").at("metrics"), 1e-6, name);
  }
}

}  // namespace
