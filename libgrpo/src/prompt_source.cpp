#include "libgrpo/prompt_source.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "dataset_random.h"
#include "libgrpo/error.h"

namespace grpo {

void describe(config::Visitor& v, CurriculumOptions& o) {
  v.choice("order", o.order, {"shuffle", "difficulty", "pass_rate"});
  v.field("pass_rate_ema", o.pass_rate_ema, config::Range<double>::closed(0.0, 1.0));
  v.field("initial_pass_rate", o.initial_pass_rate, config::Range<double>::closed(0.0, 1.0));
  v.field("min_weight", o.min_weight, config::Range<double>::above(0.0));
}

DatasetPromptSource::DatasetPromptSource(Dataset dataset, PromptTemplate prompt_template, const Tokenizer& tokenizer,
                                         CurriculumOptions curriculum, int64_t seed)
    : dataset_(std::move(dataset)),
      template_(std::move(prompt_template)),
      tokenizer_(&tokenizer),
      curriculum_(std::move(curriculum)),
      seed_(seed) {
  GRPO_CHECK(!dataset_.empty(), "dataset '", dataset_.name(), "' has no examples");
  const std::string& o = curriculum_.order;
  GRPO_CHECK(o == "shuffle" || o == "difficulty" || o == "pass_rate", "curriculum.order '", o,
             "' is unknown (expected shuffle, difficulty or pass_rate)");
  for (size_t i = 0; i < dataset_.size(); ++i) index_of_[dataset_.at(i).id] = i;
}

std::vector<size_t> DatasetPromptSource::epoch_order(int64_t epoch) const {
  std::vector<size_t> order = dataset_.order(epoch, seed_);
  if (curriculum_.order == "difficulty")
    std::stable_sort(order.begin(), order.end(), [this](size_t a, size_t b) {
      return dataset_.at(a).difficulty < dataset_.at(b).difficulty;
    });
  return order;
}

// n distinct examples, drawn with probability proportional to max(p(1 - p), min_weight):
// Efraimidis-Spirakis, the n largest keys u^(1/w).
std::vector<size_t> DatasetPromptSource::weighted_draw(int64_t n) {
  data::SplitMix64 rng{data::stable_hash("pass-rate draw"), static_cast<uint64_t>(seed_),
                       static_cast<uint64_t>(draws_)};
  std::vector<std::pair<double, size_t>> keys;
  keys.reserve(dataset_.size());
  for (size_t i = 0; i < dataset_.size(); ++i) {
    double p = pass_rate(dataset_.at(i).id);
    double w = std::max(p * (1.0 - p), curriculum_.min_weight);
    double u = (static_cast<double>(rng.next() >> 11) + 0.5) * 0x1.0p-53;  // (0, 1)
    keys.emplace_back(std::log(u) / w, i);
  }
  const size_t take = std::min(dataset_.size(), static_cast<size_t>(n));
  std::partial_sort(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(take), keys.end(),
                    [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  std::vector<size_t> out;
  for (size_t k = 0; k < take; ++k) out.push_back(keys[k].second);
  return out;
}

std::vector<Prompt> DatasetPromptSource::next(int64_t n) {
  std::vector<Prompt> out;
  if (curriculum_.order == "pass_rate") {
    // A step can ask for more prompts than the dataset has: draw again.
    while (static_cast<int64_t>(out.size()) < n) {
      for (size_t i : weighted_draw(n - static_cast<int64_t>(out.size()))) out.push_back(prompt_at(i));
      ++draws_;
    }
    return out;
  }
  while (static_cast<int64_t>(out.size()) < n) {
    if (order_.empty()) order_ = epoch_order(epoch_);
    if (pos_ == order_.size()) {
      ++epoch_;
      pos_ = 0;
      order_ = epoch_order(epoch_);
    }
    out.push_back(prompt_at(order_[pos_++]));
  }
  ++draws_;
  return out;
}

Prompt DatasetPromptSource::prompt_at(size_t index) {
  const Example& e = dataset_.at(index);
  Prompt p;
  p.id = e.id;
  p.text = render_prompt(template_, e, tokenizer_);
  p.ids = tokenizer_->encode(p.text);
  GRPO_CHECK(!p.ids.empty(), "example '", e.id, "' renders to an empty prompt");
  p.fields = reward_fields(e);
  return p;
}

void DatasetPromptSource::observe(const Prompt& prompt, double pass_rate) {
  if (prompt.id.empty() || std::isnan(pass_rate)) return;
  auto it = pass_rates_.find(prompt.id);
  if (it == pass_rates_.end())
    pass_rates_[prompt.id] = pass_rate;
  else
    it->second = (1.0 - curriculum_.pass_rate_ema) * it->second + curriculum_.pass_rate_ema * pass_rate;
}

double DatasetPromptSource::pass_rate(const std::string& id) const {
  auto it = pass_rates_.find(id);
  return it == pass_rates_.end() ? curriculum_.initial_pass_rate : it->second;
}

std::string DatasetPromptSource::state() const {
  nlohmann::json rates = nlohmann::json::object();
  for (const auto& [id, p] : pass_rates_) rates[id] = p;
  nlohmann::json s = {{"dataset", dataset_.name()}, {"size", dataset_.size()}, {"epoch", epoch_},
                      {"position", pos_},          {"draws", draws_},          {"pass_rates", rates}};
  return s.dump();
}

void DatasetPromptSource::restore(const std::string& state) {
  nlohmann::json s;
  try {
    s = nlohmann::json::parse(state);
    GRPO_CHECK(s.value("dataset", std::string()) == dataset_.name() && s.value("size", size_t{0}) == dataset_.size(),
               "the data cursor was saved for dataset '", s.value("dataset", std::string()), "' (",
               s.value("size", size_t{0}), " examples), not '", dataset_.name(), "' (", dataset_.size(), ")");
    epoch_ = s.at("epoch").get<int64_t>();
    pos_ = s.at("position").get<size_t>();
    draws_ = s.at("draws").get<int64_t>();
    pass_rates_.clear();
    for (const auto& [id, p] : s.at("pass_rates").items()) pass_rates_[id] = p.get<double>();
  } catch (const nlohmann::json::exception& e) {
    GRPO_FAIL("the data cursor is not valid (", e.what(), ")");
  }
  order_ = epoch_order(epoch_);
  GRPO_CHECK(pos_ <= order_.size(), "the data cursor's position ", pos_, " is past the dataset's end");
}

}  // namespace grpo
