// R1's language-consistency reward (DeepSeek-R1, section 2.3.2): the share of
// the chain of thought written in the target language, which discourages
// reasoning that drifts between languages.
#pragma once

#include <string>
#include <string_view>

#include "rewards/reward.h"

namespace grpo::rewards {

struct LanguageOptions {
  // The target language (ISO 639-1: "en", "zh", "ja", "ko", "ru", "ar", "hi",
  // "fr", ...), unless the sample has fields[language_field].
  std::string language = "en";
  std::string language_field = "language";
};

// Share of the words of `text` written in the script of `language`, in [0, 1];
// 0 when there are no words. A word is a run of letters of one script; each Han,
// kana or Thai character is a word of its own (those scripts use no spaces).
// Math is not language: $...$ spans, LaTeX commands and single Latin letters
// (variables) are skipped. Latin-script languages share one script, so "en" and
// "fr" are not told apart. Throws grpo::Error for an unknown language code.
double language_share(std::string_view text, std::string_view language);

// language_share() of the chain of thought: the text inside <think>...</think>,
// or the whole completion when there is no such tag. Name: "language".
class LanguageConsistencyReward final : public RewardFunction {
 public:
  explicit LanguageConsistencyReward(LanguageOptions options = {});
  std::string name() const override { return "language"; }
  double score(const Sample& sample) const override;

 private:
  LanguageOptions options_;
};

}  // namespace grpo::rewards
