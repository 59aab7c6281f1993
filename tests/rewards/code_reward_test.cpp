// The code reward end to end: completions scored by a real grpo-sandboxd.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "libgrpo/error.h"
#include "rewards/code.h"
#include "rewards/scoring.h"
#include "support/sandbox_service.h"

namespace {

using namespace grpo::rewards;

const char* kTests = R"([{"stdin": "1 2", "expected_stdout": "3"}, {"stdin": "10 -4", "expected_stdout": "6"}])";

Sample answer(const std::string& completion, const char* tests = kTests, const char* language = "python") {
  return Sample{.prompt = "Add two numbers.", .completion = completion,
                .fields = {{"tests", tests}, {"language", language}}};
}

TEST(CodeReward, ScoresAGroupThroughTheService) {
  grpo::test::SandboxService service;
  auto reward = std::make_shared<CodeReward>(CodeRewardOptions{.client = {.endpoint = service.endpoint()}});
  RewardScorer scorer({{reward, 1.0}}, {.num_workers = 2, .timeout = std::chrono::seconds(60)});
  std::vector<Sample> group = {
      answer("<think>easy</think>\n```python\na, b = map(int, input().split())\nprint(a + b)\n```"),
      answer("```python\nprint(3)\n```"),                                  // passes one test of two
      answer("I would add them."),                                         // no program
      answer("```python\nimport os\nos.system('rm -rf /')\nprint(1/0)\n```"),
      answer("```cpp\n#include <iostream>\nint main(){long a,b;std::cin>>a>>b;std::cout<<a+b;}\n```", kTests, "cpp"),
      answer("```cpp\nint main( {\n```", kTests, "cpp"),                    // compile error
  };
  BatchRewards r = scorer.score(group, /*group_size=*/6);
  auto v = r.rewards.view({6});
  EXPECT_FLOAT_EQ(v[0].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(v[1].item<float>(), 0.5f);
  EXPECT_FLOAT_EQ(v[2].item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(v[3].item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(v[4].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(v[5].item<float>(), 0.0f);
  EXPECT_EQ(r.metrics.at("rewards/code/errors"), 0.0);

  CodeReward strict({.client = {.endpoint = service.endpoint()}, .scoring = CodeScoring::all_or_nothing});
  EXPECT_EQ(strict.score(group[1]), 0.0);
  EXPECT_EQ(strict.score(group[0]), 1.0);
  // Call tests.
  EXPECT_EQ(strict.score(answer("```python\ndef add(a, b):\n    return a + b\n```",
                                R"j([{"call": "add(2, 5)", "expected": 7}, {"call": "add(-1, 1)", "expected": 0}])j")),
            1.0);
}

TEST(CodeReward, ServiceDownScoresNaNAndBadTestsAreErrors) {
  CodeReward reward({.client = {.endpoint = "unix:/nonexistent/sandboxd.sock", .timeout = std::chrono::seconds(2),
                                .max_retries = 1, .retry_backoff = std::chrono::milliseconds(10)}});
  EXPECT_TRUE(std::isnan(reward.score(answer("```python\nprint(3)\n```"))));
  EXPECT_THROW(reward.score(Sample{.completion = "```python\nprint(3)\n```"}), grpo::Error);  // no tests field
  EXPECT_THROW(reward.score(answer("```python\nprint(3)\n```", "[{\"stdin\": 1}]")), grpo::Error);
}

}  // namespace
