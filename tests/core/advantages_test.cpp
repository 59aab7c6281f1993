// Group advantages, checked against values derived by hand.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "libgrpo/advantages.h"
#include "libgrpo/error.h"

namespace {

using grpo::AdvantageEstimator;
using grpo::AdvantageOptions;
using grpo::RewardScale;

const double kNan = std::nan("");

// [B, G] rewards of one function -> [B, G, 1]
torch::Tensor one_fn(std::vector<std::vector<double>> rows) {
  std::vector<torch::Tensor> t;
  for (auto& r : rows) t.push_back(torch::tensor(r, torch::kFloat64));
  return torch::stack(t).unsqueeze(2);
}

void expect_near(const torch::Tensor& got, std::vector<std::vector<double>> want, double tol = 1e-12) {
  ASSERT_EQ(got.size(0), static_cast<int64_t>(want.size()));
  for (size_t b = 0; b < want.size(); ++b)
    for (size_t g = 0; g < want[b].size(); ++g)
      EXPECT_NEAR(got[b][g].item<double>(), want[b][g], tol) << "at [" << b << ", " << g << "]";
}

TEST(Advantages, GroupScaledByHand) {
  // Group {1, 0, 0, 1}: mean 0.5, unbiased std sqrt(1/3).
  auto a = grpo::compute_advantages(one_fn({{1, 0, 0, 1}}), AdvantageOptions{});
  double s = std::sqrt(1.0 / 3.0) + 1e-4;
  expect_near(a.advantages, {{0.5 / s, -0.5 / s, -0.5 / s, 0.5 / s}});
  EXPECT_DOUBLE_EQ(a.metrics.at("reward"), 0.5);
  EXPECT_DOUBLE_EQ(a.metrics.at("frac_reward_zero_std"), 0.0);
}

TEST(Advantages, ScaleNoneIsDrGrpo) {
  auto a = grpo::compute_advantages(one_fn({{3, 1}, {2, 2}}), AdvantageOptions{.scale = RewardScale::none});
  expect_near(a.advantages, {{1, -1}, {0, 0}});
  EXPECT_DOUBLE_EQ(a.metrics.at("frac_reward_zero_std"), 0.5);  // the second group has no spread
}

TEST(Advantages, ScaleBatchDividesByTheBatchStd) {
  auto a = grpo::compute_advantages(one_fn({{3, 1}, {2, 2}}), AdvantageOptions{.scale = RewardScale::batch});
  // batch {3,1,2,2}: mean 2, unbiased var (1+1+0+0)/3
  double s = std::sqrt(2.0 / 3.0) + 1e-4;
  expect_near(a.advantages, {{1 / s, -1 / s}, {0, 0}});
}

TEST(Advantages, RlooLeavesOneOut) {
  // {4, 2, 0}: baselines (2+0)/2 = 1, (4+0)/2 = 2, (4+2)/2 = 3.
  auto a = grpo::compute_advantages(one_fn({{4, 2, 0}}), AdvantageOptions{.estimator = AdvantageEstimator::rloo,
                                                                          .scale = RewardScale::none});
  expect_near(a.advantages, {{3, 0, -3}});
  // RLOO equals G/(G-1) times the mean-centred reward.
  auto g = grpo::compute_advantages(one_fn({{4, 2, 0}}), AdvantageOptions{.scale = RewardScale::none});
  EXPECT_TRUE(torch::allclose(a.advantages, g.advantages * 1.5));
}

TEST(Advantages, ReinforcePlusPlusWhitensOverTheBatch) {
  // centred: {1, -1} and {0.5, -0.5}; batch mean 0, unbiased std sqrt((1+1+.25+.25)/3)
  auto a = grpo::compute_advantages(one_fn({{2, 0}, {1, 0}}),
                                    AdvantageOptions{.estimator = AdvantageEstimator::reinforce_pp});
  double s = std::sqrt(2.5 / 3.0) + 1e-4;
  expect_near(a.advantages, {{1 / s, -1 / s}, {0.5 / s, -0.5 / s}});
}

TEST(Advantages, WeightedSumOfSeveralFunctions) {
  // two functions, weights 1 and 0.5; second function unscored (NaN) on one sample
  torch::Tensor r = torch::tensor({1.0, 0.0, 0.0, 1.0, 2.0, kNan}, torch::kFloat64).view({1, 3, 2});
  auto a = grpo::compute_advantages(r, AdvantageOptions{.scale = RewardScale::none}, {1.0, 0.5}, {"acc", "fmt"});
  // totals: 1, 0.5, 2 -> mean 7/6
  expect_near(a.rewards, {{1.0, 0.5, 2.0}});
  expect_near(a.advantages, {{1 - 7.0 / 6, 0.5 - 7.0 / 6, 2 - 7.0 / 6}});
  EXPECT_DOUBLE_EQ(a.metrics.at("rewards/fmt/mean"), 0.5);  // over the scored samples only
  EXPECT_DOUBLE_EQ(a.metrics.at("rewards/acc/mean"), 1.0);
}

TEST(Advantages, UnscorableRowsAreLeftOutAndGetZero) {
  auto a = grpo::compute_advantages(one_fn({{1, kNan, 0, 0}}), AdvantageOptions{.scale = RewardScale::none});
  // statistics over {1, 0, 0}: mean 1/3
  expect_near(a.advantages, {{2.0 / 3, 0, -1.0 / 3, -1.0 / 3}});
  EXPECT_FALSE(a.scorable[0][1].item<bool>());
  EXPECT_TRUE(std::isnan(a.rewards[0][1].item<double>()));
  EXPECT_FALSE(torch::isnan(a.advantages).any().item<bool>());
  // a group with a single scorable member has no std: advantage 0, not NaN
  auto b = grpo::compute_advantages(one_fn({{5, kNan}, {1, 0}}), AdvantageOptions{});
  EXPECT_EQ(b.advantages[0][0].item<double>(), 0.0);
}

TEST(Advantages, AllNanIsAClearError) {
  try {
    grpo::compute_advantages(one_fn({{kNan, kNan}}), AdvantageOptions{});
    FAIL();
  } catch (const grpo::Error& e) {
    EXPECT_NE(e.message().find("no completion in the batch could be scored"), std::string::npos);
  }
}

TEST(Advantages, BadShapesAreNamed) {
  EXPECT_THROW(grpo::compute_advantages(torch::zeros({4, 2}), AdvantageOptions{}), grpo::Error);
  EXPECT_THROW(grpo::compute_advantages(torch::zeros({1, 2, 2}), AdvantageOptions{}, {1.0}), grpo::Error);
  EXPECT_THROW(grpo::compute_advantages(torch::full({1, 2, 1}, INFINITY), AdvantageOptions{}), grpo::Error);
}

}  // namespace
