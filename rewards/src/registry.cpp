#include "rewards/registry.h"

#include "libgrpo/error.h"

namespace grpo::rewards {

namespace {

void describe_unit(config::Visitor& v, LengthUnit& unit) {
  v.choice("unit", unit, {{"tokens", LengthUnit::tokens}, {"bytes", LengthUnit::bytes}});
}

}  // namespace

void describe(config::Visitor& v, FormatOptions& o) {
  v.field("strict", o.strict);
  v.field("prefix", o.prefix);
}

void describe(config::Visitor& v, CountdownOptions& o) {
  v.field("target_field", o.target_field);
  v.field("numbers_field", o.numbers_field);
  v.field("format_score", o.format_score);
  v.field("correct_score", o.correct_score);
}

void describe(config::Visitor& v, OverlongOptions& o) {
  v.field("max_length", o.max_length, config::Range<int64_t>::at_least(1));
  v.field("cache_length", o.cache_length, config::Range<int64_t>::at_least(0));
  describe_unit(v, o.unit);
}

void describe(config::Visitor& v, CosineOptions& o) {
  v.field("min_value_wrong", o.min_value_wrong);
  v.field("max_value_wrong", o.max_value_wrong);
  v.field("min_value_correct", o.min_value_correct);
  v.field("max_value_correct", o.max_value_correct);
  v.field("max_length", o.max_length, config::Range<int64_t>::at_least(1));
  describe_unit(v, o.unit);
}

void describe(config::Visitor& v, LanguageOptions& o) {
  v.field("language", o.language);
  v.field("language_field", o.language_field);
}

void describe(config::Visitor& v, MathSpec& o) {
  v.field("answer_field", o.answer_field);
  v.field("sources", o.sources);
  v.field("rel_tol", o.rel_tol, config::Range<double>::at_least(0.0));
  v.field("timeout_ms", o.timeout_ms, config::Range<int64_t>::at_least(1));
}

void describe(config::Visitor& v, CodeSpec& o) {
  v.field("endpoint", o.endpoint);
  v.choice("scoring", o.scoring, {"fraction", "all_or_nothing"});
  v.field("language", o.language);
  v.field("cpu_ms", o.cpu_ms, config::Range<int64_t>::at_least(1));
  v.field("wall_ms", o.wall_ms, config::Range<int64_t>::at_least(1));
  v.field("memory_mb", o.memory_mb, config::Range<int64_t>::at_least(1));
}

void describe(config::Visitor& v, RewardSpec& o) {
  v.choice("type", o.type, {"math", "format", "tag_count", "countdown", "overlong", "cosine", "language", "code"});
  v.field("weight", o.weight);
  v.field("name", o.name);
  v.section("math", o.math);
  v.section("format", o.format);
  v.section("countdown", o.countdown);
  v.section("overlong", o.overlong);
  v.section("cosine", o.cosine);
  v.section("language", o.language);
  v.section("code", o.code);
}

MathOptions math_options(const MathSpec& spec) {
  MathOptions options;
  options.rel_tol = spec.rel_tol;
  options.timeout = std::chrono::milliseconds(spec.timeout_ms);
  options.extract.priority.clear();
  for (const std::string& s : spec.sources) {
    bool known = false;
    for (AnswerSource source : {AnswerSource::boxed, AnswerSource::answer_tag, AnswerSource::answer_phrase,
                                AnswerSource::last_math, AnswerSource::last_number}) {
      if (to_string(source) == s) {
        options.extract.priority.push_back(source);
        known = true;
      }
    }
    GRPO_CHECK(known, "math.sources: unknown answer source '", s,
               "' (expected boxed, answer_tag, answer_phrase, last_math or last_number)");
  }
  GRPO_CHECK(!options.extract.priority.empty(), "math.sources: give at least one answer source");
  return options;
}

std::vector<WeightedReward> make_rewards(const std::vector<RewardSpec>& specs) {
  GRPO_CHECK(!specs.empty(), "rewards: the recipe names no reward function");
  std::vector<WeightedReward> out;
  for (const RewardSpec& s : specs) {
    std::shared_ptr<const RewardFunction> f;
    if (s.type == "math") {
      f = std::make_shared<MathReward>(math_options(s.math), s.math.answer_field);
    } else if (s.type == "format") {
      f = std::make_shared<FormatReward>(s.format);
    } else if (s.type == "tag_count") {
      f = std::make_shared<TagCountReward>();
    } else if (s.type == "countdown") {
      f = std::make_shared<CountdownReward>(s.countdown);
    } else if (s.type == "overlong") {
      f = std::make_shared<OverlongPunishment>(s.overlong);
    } else if (s.type == "cosine") {
      f = std::make_shared<CosineScaledReward>(
          s.cosine, std::make_shared<MathReward>(math_options(s.math), s.math.answer_field));
    } else if (s.type == "language") {
      f = std::make_shared<LanguageConsistencyReward>(s.language);
    } else if (s.type == "code") {
      CodeRewardOptions options;
      options.client.endpoint = s.code.endpoint;
      options.scoring = s.code.scoring == "all_or_nothing" ? CodeScoring::all_or_nothing : CodeScoring::fraction;
      options.default_language = s.code.language;
      options.limits.cpu_ms = s.code.cpu_ms;
      options.limits.wall_ms = s.code.wall_ms;
      options.limits.memory_mb = s.code.memory_mb;
      f = std::make_shared<CodeReward>(options);
    } else {
      GRPO_FAIL("rewards: unknown reward type '", s.type, "'");
    }
    out.push_back(weighted(std::move(f), s.weight, s.name));
  }
  check_rewards(out);
  return out;
}

}  // namespace grpo::rewards
