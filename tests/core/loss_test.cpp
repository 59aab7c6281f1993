// The policy loss: hand-derived cases, micro-batch invariance, a behavioural
// test on a toy policy, bad input, and CPU/GPU agreement.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "libgrpo/advantages.h"
#include "libgrpo/error.h"
#include "libgrpo/loss.h"
#include "support/gpu.h"

namespace {

using grpo::KlEstimator;
using grpo::LossAggregation;
using grpo::LossInput;
using grpo::LossOptions;
using torch::Tensor;

const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);

TEST(Loss, DualClipBoundsTheNegativeAdvantageLoss) {
  // One token, A = -1, ρ = 5: the clipped objective gives loss -min(5·-1, 1.2·-1) = 5,
  // with gradient dL/dlogπ = -A·ρ = 5. Dual-clip with c = 3 caps it at 3, with no gradient.
  for (double c : {0.0, 3.0}) {
    Tensor logps = torch::full({1, 1}, std::log(5.0), f64).requires_grad_();
    LossInput in{.logps = logps, .mask = torch::ones({1, 1}), .advantages = torch::full({1}, -1.0, f64),
                 .old_logps = torch::zeros({1, 1}, f64)};
    auto out = grpo::policy_loss(in, LossOptions{.dual_clip_c = c});
    out.loss.backward();
    EXPECT_NEAR(out.loss.item<double>(), c == 0 ? 5.0 : 3.0, 1e-12);
    EXPECT_NEAR(logps.grad().item<double>(), c == 0 ? 5.0 : 0.0, 1e-12);
  }
}

TEST(Loss, ClipHigherClipsOnlyAboveOnePlusEpsHigh) {
  // A = +1; ρ = 1.25 lies inside [0.8, 1.28] but outside [0.8, 1.2].
  Tensor old = torch::zeros({1, 1}, f64);
  for (double high : {0.2, 0.28}) {
    Tensor logps = torch::full({1, 1}, std::log(1.25), f64).requires_grad_();
    LossInput in{.logps = logps, .mask = torch::ones({1, 1}), .advantages = torch::ones({1}, f64), .old_logps = old};
    auto out = grpo::policy_loss(in, LossOptions{.clip_eps_high = high});
    out.loss.backward();
    bool clipped = high == 0.2;
    EXPECT_NEAR(out.loss.item<double>(), clipped ? -1.2 : -1.25, 1e-12);
    EXPECT_NEAR(logps.grad().item<double>(), clipped ? 0.0 : -1.25, 1e-12);
    EXPECT_EQ(out.metrics.at("clip_ratio/high_mean"), clipped ? 1.0 : 0.0);
  }
}

TEST(Loss, KlEstimatorsByHand) {
  // log π = -1, log π_ref = -2: log r = -1.
  Tensor lp = torch::full({1, 1}, -1.0, f64), ref = torch::full({1, 1}, -2.0, f64);
  EXPECT_NEAR(grpo::kl_estimate(lp, ref, KlEstimator::k1).item<double>(), 1.0, 1e-15);
  EXPECT_NEAR(grpo::kl_estimate(lp, ref, KlEstimator::k2).item<double>(), 0.5, 1e-15);
  EXPECT_NEAR(grpo::kl_estimate(lp, ref, KlEstimator::k3).item<double>(), std::exp(-1.0), 1e-15);
  // k3 is clamped as verl clamps it: log r = 30 would give e^30 - 31.
  EXPECT_EQ(grpo::kl_estimate(torch::zeros({1, 1}, f64), torch::full({1, 1}, 30.0, f64), KlEstimator::k3, 10.0)
                .item<double>(),
            10.0);
  // d k3 / d log π = 1 - r: positive when π_θ > π_ref (pushes back towards π_ref).
  Tensor p = lp.clone().requires_grad_();
  grpo::kl_estimate(p, ref, KlEstimator::k3).sum().backward();
  EXPECT_NEAR(p.grad().item<double>(), 1 - std::exp(-1.0), 1e-15);
}

TEST(Loss, KlInRewardMovesBetaKlFromTheLossToTheReward) {
  Tensor lp = torch::full({2, 3}, -1.0, f64), ref = torch::full({2, 3}, -2.0, f64);
  Tensor mask = torch::tensor({1.0, 1.0, 0.0, 1.0, 0.0, 0.0}, f64).view({2, 3});
  LossOptions o{.beta = 0.1, .kl_estimator = KlEstimator::k1, .kl_in_reward = true};
  Tensor r = grpo::kl_penalty(torch::tensor({1.0, 1.0}, f64), lp, ref, mask, o);
  EXPECT_NEAR(r[0].item<double>(), 1 - 0.1 * 2, 1e-15);  // two real tokens, k1 = 1 each
  EXPECT_NEAR(r[1].item<double>(), 1 - 0.1 * 1, 1e-15);
  LossInput in{.logps = lp, .mask = mask, .advantages = torch::zeros({2}, f64), .ref_logps = ref};
  auto out = grpo::policy_loss(in, o);
  EXPECT_EQ(out.loss.item<double>(), 0.0);  // the KL lives in the reward now
  EXPECT_NEAR(out.metrics.at("kl"), 1.0, 1e-15);
}

// A ragged batch whose log-probs depend on one parameter vector, so
// gradients from differently split micro-batches can be compared.
struct RaggedBatch {
  Tensor theta = torch::linspace(-1, 1, 6, f64);  // [T]
  Tensor scale = torch::rand({8, 6}, f64) + 0.5;   // [N, T]
  Tensor old = -torch::rand({8, 6}, f64) - 0.5;
  Tensor ref = -torch::rand({8, 6}, f64) - 0.5;
  Tensor adv = torch::randn({8}, f64);
  Tensor mask;
  RaggedBatch() {
    std::vector<int64_t> lengths{6, 1, 3, 6, 2, 5, 4, 6};
    mask = torch::zeros({8, 6}, f64);
    for (int64_t i = 0; i < 8; ++i) mask[i].slice(0, 0, lengths[i]) = 1;
  }
  // Sum of the micro-batch losses' gradients with respect to theta.
  Tensor gradient(int64_t micro_batches, LossOptions o) {
    Tensor th = theta.clone().requires_grad_();
    Tensor logps = -torch::nn::functional::softplus(scale * th);  // [N, T], differentiable in theta
    const int64_t n = 8 / micro_batches;
    for (int64_t k = 0; k < micro_batches; ++k) {
      auto rows = torch::indexing::Slice(k * n, (k + 1) * n);
      LossInput in{.logps = logps.index({rows}), .mask = mask.index({rows}), .advantages = adv.index({rows}),
                   .old_logps = old.index({rows}), .ref_logps = ref.index({rows}),
                   .step = {.accumulation_steps = micro_batches, .total_tokens = mask.sum().item<double>(),
                            .total_sequences = 8}};
      grpo::policy_loss(in, o).loss.backward({}, /*retain_graph=*/true);
    }
    return th.grad();
  }
};

TEST(Loss, DapoAndBnpoGradientsDoNotDependOnMicroBatching) {
  torch::manual_seed(1);
  RaggedBatch batch;
  for (auto agg : {LossAggregation::dapo, LossAggregation::bnpo, LossAggregation::grpo,
                   LossAggregation::dr_grpo}) {
    LossOptions o{.aggregation = agg, .beta = 0.04};
    Tensor whole = batch.gradient(1, o);
    EXPECT_GT(whole.abs().max().item<double>(), 1e-3);
    for (int64_t k : {2, 4})
      EXPECT_TRUE(torch::allclose(batch.gradient(k, o), whole, 1e-12, 1e-14))
          << "aggregation " << static_cast<int>(agg) << " with " << k << " micro-batches";
  }
}

TEST(Loss, BnpoWithoutTheStepTokenCountIsTheMicroBatchMean) {
  // TRL's bnpo: each micro-batch divides by its own token count.
  Tensor logps = -torch::ones({2, 3}, f64);
  Tensor mask = torch::tensor({1.0, 1.0, 1.0, 1.0, 0.0, 0.0}, f64).view({2, 3});
  LossInput in{.logps = logps, .mask = mask, .advantages = torch::tensor({1.0, -3.0}, f64),
               .step = {.accumulation_steps = 2}};
  auto out = grpo::policy_loss(in, LossOptions{.aggregation = LossAggregation::bnpo});
  EXPECT_NEAR(out.loss.item<double>(), -(3 * 1.0 + 1 * -3.0) / 4 / 2, 1e-15);
}

TEST(Loss, DapoNeedsTheStepTokenCountWhenAccumulating) {
  LossInput in{.logps = torch::zeros({1, 2}), .mask = torch::ones({1, 2}), .advantages = torch::ones({1}),
               .step = {.accumulation_steps = 4}};
  try {
    grpo::policy_loss(in, LossOptions{.aggregation = LossAggregation::dapo});
    FAIL();
  } catch (const grpo::Error& e) {
    EXPECT_NE(e.message().find("needs step.total_tokens"), std::string::npos) << e.message();
  }
}

TEST(Loss, BadInputIsNamed) {
  auto message = [](LossInput in, LossOptions o = {}) -> std::string {
    try {
      grpo::policy_loss(in, o);
    } catch (const grpo::Error& e) {
      return e.message();
    }
    return "(no error)";
  };
  Tensor lp = torch::zeros({2, 3});
  EXPECT_EQ(message({.logps = lp, .mask = torch::ones({2, 4}), .advantages = torch::ones({2})}),
            "mask must have the shape of logps [2, 3], got [2, 4]");
  EXPECT_EQ(message({.logps = lp, .mask = torch::ones({2, 3}), .advantages = torch::ones({3})}),
            "advantages must be [N] or [N, T] with N = 2, T = 3; got [3]");
  EXPECT_EQ(message({.logps = lp, .mask = torch::ones({2, 3}), .advantages = torch::ones({2})}, {.beta = 0.1}),
            "beta = 0.1 needs ref_logps");
  EXPECT_EQ(message({.logps = torch::full({2, 3}, NAN), .mask = torch::ones({2, 3}), .advantages = torch::ones({2})}),
            "logps are NaN on real (unmasked) tokens");
  EXPECT_EQ(message({.logps = lp, .mask = torch::ones({2, 3}), .advantages = torch::full({2}, NAN)}),
            "advantages contain NaN or inf");
  EXPECT_EQ(message({.logps = lp, .mask = torch::ones({2, 3}), .advantages = torch::ones({2})}, {.dual_clip_c = 0.5}),
            "dual_clip_c must be > 1 (or 0 for off), got 0.5");
}

TEST(Loss, EmptyMasksGiveZeroLossAndFiniteGradients) {
  // NaN log-probs on padding are ignored; nothing real means nothing to learn.
  for (auto agg : {LossAggregation::grpo, LossAggregation::bnpo, LossAggregation::dr_grpo, LossAggregation::dapo,
                   LossAggregation::sequence_sum}) {
    Tensor logps = torch::full({2, 3}, -1.0, f64).requires_grad_();
    LossInput in{.logps = logps, .mask = torch::zeros({2, 3}), .advantages = torch::ones({2}, f64)};
    auto out = grpo::policy_loss(in, LossOptions{.aggregation = agg, .top_entropy_quantile = 1.0});
    out.loss.backward();
    EXPECT_EQ(out.loss.item<double>(), 0.0);
    EXPECT_TRUE(torch::isfinite(logps.grad()).all().item<bool>());
    EXPECT_EQ(out.metrics.at("clip_ratio/region_mean"), 0.0);
  }
}

TEST(Loss, TruncatedCompletionsCanBeMaskedOut) {
  Tensor logps = torch::full({2, 2}, -1.0, f64).requires_grad_();
  LossInput in{.logps = logps, .mask = torch::ones({2, 2}), .advantages = torch::tensor({1.0, 1.0}, f64),
               .truncated = torch::tensor({false, true})};
  grpo::policy_loss(in, LossOptions{.mask_truncated_completions = true}).loss.backward();
  EXPECT_NE(logps.grad()[0][0].item<double>(), 0.0);
  EXPECT_EQ(logps.grad()[1].abs().sum().item<double>(), 0.0);
}

TEST(Loss, TopEntropyQuantileKeepsTheHighEntropyTokens) {
  Tensor entropies = torch::tensor({0.1, 0.9, 0.5, 0.7, 0.3, 0.0}, f64).view({2, 3});
  Tensor mask = torch::tensor({1.0, 1.0, 1.0, 1.0, 1.0, 0.0}, f64).view({2, 3});
  // 5 real tokens; keep the top 40%: 0.9 and 0.7.
  Tensor keep = grpo::high_entropy_mask(entropies, mask, 0.4);
  EXPECT_TRUE(torch::equal(keep, torch::tensor({false, true, false, true, false, false}).view({2, 3})));
}

// A softmax policy over 5 actions; action 0 is rewarded. Each step samples a
// group of 8, computes GRPO advantages and takes one Adam step on the loss.
double train_bandit(LossAggregation aggregation) {
  torch::manual_seed(0);
  Tensor theta = torch::zeros({5}, torch::requires_grad());
  torch::optim::Adam optimizer({theta}, torch::optim::AdamOptions(0.05));
  for (int step = 0; step < 50; ++step) {
    Tensor logits = theta.unsqueeze(0);                                   // [1, K]
    Tensor actions = torch::multinomial(torch::softmax(logits, -1).detach(), 8, true).view({8});  // [G]
    Tensor rewards = (actions == 0).to(torch::kFloat32).view({1, 8, 1});  // [B=1, G, F=1]
    auto adv = grpo::compute_advantages(rewards, grpo::AdvantageOptions{});
    Tensor logps = torch::log_softmax(logits, -1).index_select(1, actions).view({8, 1});  // [N, T=1]
    LossInput in{.logps = logps, .mask = torch::ones({8, 1}), .advantages = adv.advantages.view({8})};
    optimizer.zero_grad();
    grpo::policy_loss(in, LossOptions{.aggregation = aggregation, .max_completion_length = 1}).loss.backward();
    optimizer.step();
  }
  return torch::softmax(theta, 0)[0].item<double>();
}

TEST(Loss, FiftyGrpoStepsLearnTheRewardedAction) {
  for (auto agg : {LossAggregation::grpo, LossAggregation::bnpo, LossAggregation::dr_grpo, LossAggregation::dapo,
                   LossAggregation::sequence_sum}) {
    double p = train_bandit(agg);
    EXPECT_GT(p, 0.9) << "aggregation " << static_cast<int>(agg);
  }
}

TEST(GpuLoss, CudaMatchesCpu) {
  GRPO_REQUIRE_CUDA();
  torch::manual_seed(3);
  RaggedBatch batch;
  LossOptions o{.aggregation = LossAggregation::dapo, .clip_eps_high = 0.28, .beta = 0.04};
  auto run = [&](torch::Device device) {
    Tensor logps = (batch.old + 0.1 * torch::randn({8, 6}, f64)).to(device).requires_grad_();
    LossInput in{.logps = logps, .mask = batch.mask.to(device), .advantages = batch.adv.to(device),
                 .old_logps = batch.old.to(device), .ref_logps = batch.ref.to(device)};
    auto out = grpo::policy_loss(in, o);
    out.loss.backward();
    return std::make_pair(out.loss.item<double>(), logps.grad().cpu());
  };
  torch::manual_seed(4);
  auto cpu = run(torch::kCPU);
  torch::manual_seed(4);
  auto gpu = run(torch::kCUDA);
  EXPECT_NEAR(cpu.first, gpu.first, 1e-12);
  EXPECT_TRUE(torch::allclose(cpu.second, gpu.second, 1e-10, 1e-12));
}

}  // namespace
