// The code reward's pieces that need no service: code extraction and the
// scorer's batched path. End-to-end scoring against a real service is in
// tests/sandbox/code_reward_test.cpp.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <mutex>

#include "rewards/code.h"
#include "rewards/scoring.h"

namespace {

using namespace grpo::rewards;

TEST(ExtractCode, LastBlockInTheLanguage) {
  std::string text =
      "First try:\n```python\nprint(1)\n```\nWait, let me fix it.\n```python\nprint(2)\n```\n"
      "And in C++:\n```cpp\nint main() {}\n```\nDone.";
  EXPECT_EQ(extract_code(text, "python"), "print(2)\n");
  EXPECT_EQ(extract_code(text, "cpp"), "int main() {}\n");
  EXPECT_EQ(extract_code("```\nx = 1\n```", "python"), "x = 1\n");          // unlabelled counts
  EXPECT_EQ(extract_code("```Py\nx = 1\n```", "python"), "x = 1\n");        // tags are case-blind
  EXPECT_EQ(extract_code("```python\nx = 1\n", "python"), std::nullopt);    // unclosed
  EXPECT_EQ(extract_code("no code here", "python"), std::nullopt);
  EXPECT_EQ(extract_code("```js\nf()\n```", "python"), std::nullopt);
  // A fence inside the code (in a string) that is not at a line start does not close it.
  EXPECT_EQ(extract_code("```python\ns = '```'\nprint(s)\n```", "python"), "s = '```'\nprint(s)\n");
}

// Records the groups it was handed; scores each sample by its prompt.
struct GroupRecorder final : RewardFunction {
  mutable std::mutex mutex;
  mutable std::vector<size_t> group_sizes;
  std::string name() const override { return "recorder"; }
  double score(const Sample& s) const override { return std::stod(s.prompt); }
  bool batched() const override { return true; }
  std::vector<double> score_batch(const std::vector<const Sample*>& samples, const ScoreBudget&) const override {
    std::lock_guard lock(mutex);
    group_sizes.push_back(samples.size());
    std::vector<double> out;
    for (const Sample* s : samples) out.push_back(score(*s));
    return out;
  }
};

TEST(RewardScoring, BatchedRewardsGetWholeGroups) {
  auto recorder = std::make_shared<GroupRecorder>();
  RewardScorer scorer({{recorder, 1.0}}, {.num_workers = 2});
  std::vector<Sample> samples;
  for (int i = 0; i < 12; ++i) samples.push_back({.prompt = std::to_string(i)});
  BatchRewards r = scorer.score(samples, /*group_size=*/4);
  ASSERT_EQ(r.rewards.sizes(), (std::vector<int64_t>{3, 4, 1}));
  for (int i = 0; i < 12; ++i) EXPECT_EQ(r.rewards.view({12})[i].item<float>(), float(i));
  EXPECT_EQ(recorder->group_sizes, (std::vector<size_t>{4, 4, 4}));
}

}  // namespace
