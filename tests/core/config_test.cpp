#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "libgrpo/config.h"
#include "libgrpo/recipe.h"

namespace {

using grpo::config::Range;
using grpo::config::Visitor;

enum class Scale { group, batch, none };

struct Sampling {
  double temperature = 1.0;
  int64_t max_new_tokens = 256;
  int top_k = 0;
  bool greedy = false;
  std::vector<std::string> stop;
};
void describe(Visitor& v, Sampling& o) {
  v.field("temperature", o.temperature, Range<double>::at_least(0.0));
  v.field("max_new_tokens", o.max_new_tokens, Range<int64_t>::at_least(1));
  v.field("top_k", o.top_k, Range<int64_t>::at_least(0));
  v.field("greedy", o.greedy);
  v.field("stop", o.stop);
}

struct RewardSpec {
  std::string name;
  double weight = 1.0;
};
void describe(Visitor& v, RewardSpec& o) {
  v.field("name", o.name);
  v.field("weight", o.weight);
}

struct Options {
  std::string model = "tiny";
  Scale scale = Scale::group;
  double clip_eps_low = 0.2;
  std::vector<double> weights{1.0};
  Sampling sampling;
  std::vector<RewardSpec> rewards;
};
void describe(Visitor& v, Options& o) {
  v.field("model", o.model);
  v.choice("scale", o.scale, {{"group", Scale::group}, {"batch", Scale::batch}, {"none", Scale::none}});
  v.field("clip_eps_low", o.clip_eps_low, Range<double>::half_open(0.0, 1.0));
  v.field("weights", o.weights);
  v.section("sampling", o.sampling);
  v.list("rewards", o.rewards);
}

Options parse(const std::string& text, const std::vector<std::string>& overrides = {}) {
  return grpo::config::parse_yaml<Options>(text, "recipe.yaml", overrides);
}

// The message of the grpo::Error that parsing `text` throws.
std::string error_of(const std::string& text, const std::vector<std::string>& overrides = {}) {
  try {
    parse(text, overrides);
  } catch (const grpo::Error& e) {
    return e.message();
  }
  return "(no error)";
}

TEST(Config, AbsentKeysKeepDefaults) {
  Options o = parse("");
  EXPECT_EQ(o.model, "tiny");
  EXPECT_EQ(o.sampling.max_new_tokens, 256);
  EXPECT_TRUE(o.rewards.empty());
}

TEST(Config, ReadsEveryKind) {
  Options o = parse(R"(
model: qwen
scale: batch
clip_eps_low: 0.28
weights: [1, 0.5]
sampling:
  temperature: 0.7
  max_new_tokens: 64
  top_k: 5
  greedy: true
  stop: ["</answer>", "\n\n"]
rewards:
  - {name: accuracy, weight: 1}
  - name: format
    weight: 0.5
)");
  EXPECT_EQ(o.model, "qwen");
  EXPECT_EQ(o.scale, Scale::batch);
  EXPECT_DOUBLE_EQ(o.clip_eps_low, 0.28);
  EXPECT_EQ(o.weights, (std::vector<double>{1.0, 0.5}));
  EXPECT_DOUBLE_EQ(o.sampling.temperature, 0.7);
  EXPECT_EQ(o.sampling.max_new_tokens, 64);
  EXPECT_EQ(o.sampling.top_k, 5);
  EXPECT_TRUE(o.sampling.greedy);
  EXPECT_EQ(o.sampling.stop, (std::vector<std::string>{"</answer>", "\n\n"}));
  ASSERT_EQ(o.rewards.size(), 2u);
  EXPECT_EQ(o.rewards[1].name, "format");
  EXPECT_DOUBLE_EQ(o.rewards[1].weight, 0.5);
}

TEST(Config, UnknownKeyNamesItsFullPathAndSuggests) {
  std::string e = error_of("sampling:\n  temprature: 0.5\n");
  EXPECT_EQ(e, "recipe.yaml:2:3: sampling.temprature: unknown key (did you mean 'temperature'?)");
  EXPECT_EQ(error_of("rewards:\n  - {name: a, wieght: 2}\n"),
            "recipe.yaml:2:15: rewards[0].wieght: unknown key (did you mean 'weight'?)");
  EXPECT_EQ(error_of("zzz: 1\n"), "recipe.yaml:1:1: zzz: unknown key");
}

TEST(Config, WrongTypeNamesKeyAndValue) {
  EXPECT_EQ(error_of("sampling:\n  temperature: hot\n"),
            "recipe.yaml:2:16: sampling.temperature: expected a number, got 'hot'");
  EXPECT_EQ(error_of("sampling: {max_new_tokens: 1.5}"),
            "recipe.yaml:1:28: sampling.max_new_tokens: expected an integer, got '1.5'");
  EXPECT_EQ(error_of("sampling: {greedy: yes}"),
            "recipe.yaml:1:20: sampling.greedy: expected true or false, got 'yes'");
  EXPECT_EQ(error_of("sampling: {max_new_tokens: \"64\"}"),
            "recipe.yaml:1:28: sampling.max_new_tokens: expected an integer, got '64'");
  EXPECT_EQ(error_of("sampling: 3"), "recipe.yaml:1:11: sampling: expected a mapping, got '3'");
  EXPECT_EQ(error_of("model: [a]"), "recipe.yaml:1:8: model: expected a string, got a list");
  EXPECT_EQ(error_of("weights: [1, x]"), "recipe.yaml:1:14: weights[1]: expected a number, got 'x'");
  EXPECT_EQ(error_of("sampling: {top_k: 99999999999}"),
            "recipe.yaml:1:19: sampling.top_k: 99999999999 is out of range [0, 2147483647]");
}

TEST(Config, OutOfRangeNamesKeyAndRange) {
  EXPECT_EQ(error_of("clip_eps_low: 1.0"),
            "recipe.yaml:1:15: clip_eps_low: 1.0 is out of range [0, 1)");
  EXPECT_EQ(error_of("sampling: {max_new_tokens: 0}"),
            "recipe.yaml:1:28: sampling.max_new_tokens: 0 is out of range >= 1");
  EXPECT_EQ(error_of("sampling: {temperature: -.inf}"),
            "recipe.yaml:1:25: sampling.temperature: -.inf is out of range >= 0");
  EXPECT_EQ(error_of("clip_eps_low: .nan"), "recipe.yaml:1:15: clip_eps_low: .nan is out of range [0, 1)");
}

TEST(Config, ChoiceListsTheAllowedSpellings) {
  EXPECT_EQ(error_of("scale: grup"),
            "recipe.yaml:1:8: scale: 'grup' is not one of 'group', 'batch', 'none' (did you mean 'group'?)");
}

TEST(Config, InvalidYamlNamesLineAndColumn) {
  std::string e = error_of("sampling:\n  temperature: [1, 2\n");
  EXPECT_EQ(e.rfind("recipe.yaml:", 0), 0u) << e;
  EXPECT_NE(e.find("invalid YAML"), std::string::npos) << e;
  EXPECT_EQ(error_of("- a\n- b\n"), "recipe.yaml:1:1: expected a mapping at the top level, got a list");
}

TEST(Config, OverridesApplyAfterTheFileAndAreChecked) {
  Options o = parse("sampling: {temperature: 0.7}", {"sampling.temperature=0.9", "scale=none",
                                                     "sampling.stop=[a, b]"});
  EXPECT_DOUBLE_EQ(o.sampling.temperature, 0.9);
  EXPECT_EQ(o.scale, Scale::none);
  EXPECT_EQ(o.sampling.stop, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(error_of("", {"sampling.temprature=1"}),
            "--set sampling.temprature=1: sampling.temprature: unknown key (did you mean 'temperature'?)");
  EXPECT_EQ(error_of("", {"clip_eps_low=2"}),
            "--set clip_eps_low=2: clip_eps_low: 2 is out of range [0, 1)");
  EXPECT_EQ(error_of("", {"clip_eps_low"}).rfind("--set clip_eps_low: expected key=value", 0), 0u);
}

TEST(Config, WriteReadsBackIdentically) {
  Options o = parse(R"(
model: "yes"
scale: none
clip_eps_low: 0.1
weights: [0.3, 1e-7]
sampling: {temperature: 0.6, stop: ["\n", "true"]}
rewards: [{name: a, weight: 2}]
)");
  std::string text = grpo::config::to_yaml(o);
  Options back = parse(text);
  EXPECT_EQ(grpo::config::to_yaml(back), text);
  EXPECT_EQ(back.model, "yes");
  EXPECT_EQ(back.weights, o.weights);
  EXPECT_EQ(back.sampling.stop, o.sampling.stop);
  EXPECT_NE(text.find("clip_eps_low: 0.1\n"), std::string::npos) << text;
}

TEST(Config, MissingFileIsAClearError) {
  try {
    grpo::config::load_yaml_file<grpo::Recipe>("/nonexistent/recipe.yaml");
    FAIL();
  } catch (const grpo::Error& e) {
    EXPECT_EQ(e.message(), "/nonexistent/recipe.yaml: cannot open file");
  }
}

}  // namespace
