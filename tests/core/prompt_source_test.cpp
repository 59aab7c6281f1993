// DatasetPromptSource: epoch orders (shuffle, difficulty), pass-rate weighted draws,
// observe(), and a cursor that state()/restore() carry across a restart.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "libgrpo/error.h"
#include "libgrpo/prompt_source.h"
#include "support/tiny_models.h"
#include "support/expect_error.h"

namespace {

using namespace grpo;

const std::string& kChars = test::kTestChars;  // one token each
using test::char_tokenizer;

// n examples "e0".."e<n-1>" with prompt "<i>+<i>", answer 2i and difficulty i % 3.
Dataset dataset(int n, const std::string& name = "d") {
  std::vector<Example> examples;
  for (int i = 0; i < n; ++i)
    examples.push_back({.id = "e" + std::to_string(i), .prompt = std::to_string(i) + "+" + std::to_string(i),
                        .answer = std::to_string(2 * i), .fields = {{"x", "a"}},
                        .difficulty = static_cast<double>(i % 3)});
  return Dataset(name, examples);
}

PromptTemplate plain() {
  PromptTemplate t;
  t.style = "plain";
  t.template_text = "{prompt}=";
  return t;
}

CurriculumOptions order(const std::string& o) {
  CurriculumOptions c;
  c.order = o;
  return c;
}

std::vector<std::string> ids_of(const std::vector<Prompt>& prompts) {
  std::vector<std::string> out;
  for (const Prompt& p : prompts) out.push_back(p.id);
  return out;
}

// The ids of `calls` calls of next(n), concatenated.
std::vector<std::string> draw(DatasetPromptSource& source, int calls, int64_t n) {
  std::vector<std::string> out;
  for (int c = 0; c < calls; ++c) {
    std::vector<std::string> ids = ids_of(source.next(n));
    EXPECT_EQ(static_cast<int64_t>(ids.size()), n);
    out.insert(out.end(), ids.begin(), ids.end());
  }
  return out;
}

double difficulty_of(const std::string& id) { return static_cast<double>(std::stoi(id.substr(1)) % 3); }

TEST(PromptSource, PromptsAreRenderedTokenizedAndCarryTheirFields) {
  Tokenizer tok = char_tokenizer();
  DatasetPromptSource source(dataset(4), plain(), tok, order("shuffle"), 1);
  for (const Prompt& p : source.next(4)) {
    const int i = std::stoi(p.id.substr(1));
    EXPECT_EQ(p.text, std::to_string(i) + "+" + std::to_string(i) + "=");
    EXPECT_EQ(p.ids, tok.encode(p.text));
    EXPECT_EQ(tok.decode(p.ids), p.text);
    EXPECT_EQ(p.fields.at("answer"), std::to_string(2 * i));
    EXPECT_EQ(p.fields.at("x"), "a");
  }
}

TEST(PromptSource, ShuffleCoversEveryExampleOncePerEpoch) {
  Tokenizer tok = char_tokenizer();
  DatasetPromptSource source(dataset(10), plain(), tok, order("shuffle"), 5);
  // 40 prompts in calls of 4: four epochs of 10, the calls crossing epoch boundaries.
  std::vector<std::string> all = draw(source, 10, 4);
  std::set<std::string> every;
  for (int i = 0; i < 10; ++i) every.insert("e" + std::to_string(i));
  std::vector<std::vector<std::string>> epochs;
  for (int e = 0; e < 4; ++e) {
    std::vector<std::string> epoch(all.begin() + 10 * e, all.begin() + 10 * (e + 1));
    EXPECT_EQ(std::set<std::string>(epoch.begin(), epoch.end()), every) << "epoch " << e;
    epochs.push_back(epoch);
  }
  for (int e = 1; e < 4; ++e) EXPECT_NE(epochs[e], epochs[e - 1]) << "epochs " << e - 1 << " and " << e;
  // A different seed gives a different order; the same seed the same one.
  DatasetPromptSource other(dataset(10), plain(), tok, order("shuffle"), 6);
  DatasetPromptSource same(dataset(10), plain(), tok, order("shuffle"), 5);
  EXPECT_NE(draw(other, 10, 4), all);
  EXPECT_EQ(draw(same, 10, 4), all);
}

TEST(PromptSource, DifficultyOrderIsEasiestFirstEachEpoch) {
  Tokenizer tok = char_tokenizer();
  DatasetPromptSource source(dataset(12), plain(), tok, order("difficulty"), 2);
  std::vector<std::string> all = draw(source, 8, 6);  // four epochs of 12
  std::vector<std::vector<std::string>> epochs;
  for (int e = 0; e < 4; ++e) {
    std::vector<std::string> epoch(all.begin() + 12 * e, all.begin() + 12 * (e + 1));
    EXPECT_EQ(std::set<std::string>(epoch.begin(), epoch.end()).size(), 12u) << "epoch " << e;
    for (size_t k = 1; k < epoch.size(); ++k)
      EXPECT_LE(difficulty_of(epoch[k - 1]), difficulty_of(epoch[k])) << "epoch " << e << " position " << k;
    epochs.push_back(epoch);
  }
  // Within a level the order is shuffled: four epochs do not all agree.
  EXPECT_TRUE(epochs[0] != epochs[1] || epochs[1] != epochs[2] || epochs[2] != epochs[3]);
}

TEST(PromptSource, ObserveKeepsARunningPassRate) {
  Tokenizer tok = char_tokenizer();
  CurriculumOptions c = order("pass_rate");
  c.pass_rate_ema = 0.25;
  c.initial_pass_rate = 0.4;
  DatasetPromptSource source(dataset(4), plain(), tok, c, 0);
  Prompt p{.id = "e1"};
  EXPECT_DOUBLE_EQ(source.pass_rate("e1"), 0.4);
  source.observe(p, 1.0);  // the first observation sets p
  EXPECT_DOUBLE_EQ(source.pass_rate("e1"), 1.0);
  source.observe(p, 0.0);
  EXPECT_DOUBLE_EQ(source.pass_rate("e1"), 0.75);
  source.observe(p, 0.5);
  EXPECT_DOUBLE_EQ(source.pass_rate("e1"), 0.75 * 0.75 + 0.25 * 0.5);
  source.observe(p, std::nan(""));  // ignored
  EXPECT_DOUBLE_EQ(source.pass_rate("e1"), 0.75 * 0.75 + 0.25 * 0.5);
  source.observe(Prompt{}, 1.0);  // no id: ignored
  EXPECT_DOUBLE_EQ(source.pass_rate(""), 0.4);
  EXPECT_DOUBLE_EQ(source.pass_rate("e2"), 0.4);
}

TEST(PromptSource, PassRateDrawsFavourPromptsSolvedHalfTheTime) {
  Tokenizer tok = char_tokenizer();
  DatasetPromptSource source(dataset(12), plain(), tok, order("pass_rate"), 3);
  // e0-e3 always solved, e4-e7 never, e8-e11 half the time.
  for (int i = 0; i < 12; ++i) source.observe(Prompt{.id = "e" + std::to_string(i)}, i < 4 ? 1.0 : i < 8 ? 0.0 : 0.5);
  std::map<std::string, int> counts;
  const int calls = 500;
  for (int c = 0; c < calls; ++c) {
    std::vector<std::string> ids = ids_of(source.next(2));
    ASSERT_EQ(ids.size(), 2u);
    EXPECT_NE(ids[0], ids[1]) << "call " << c;  // distinct within a call
    for (const std::string& id : ids) ++counts[id];
  }
  int half = 0, extreme = 0;
  for (const auto& [id, n] : counts) (std::stoi(id.substr(1)) >= 8 ? half : extreme) += n;
  // Weights 0.25 against 0.01: about 93% of first picks and most second picks go to the
  // half-solved four; uniform draws would give them a third.
  EXPECT_GT(half, 0.8 * 2 * calls) << "half " << half << " extreme " << extreme;
  EXPECT_GT(extreme, 0) << "min_weight keeps solved prompts coming back";
  for (int i = 8; i < 12; ++i) EXPECT_GT(counts["e" + std::to_string(i)], calls / 4) << i;  // each of them often
}

TEST(PromptSource, PassRateDrawsAreDistinctWithinACall) {
  Tokenizer tok = char_tokenizer();
  DatasetPromptSource source(dataset(6), plain(), tok, order("pass_rate"), 4);
  for (int c = 0; c < 20; ++c) {
    std::vector<std::string> ids = ids_of(source.next(6));
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 6u) << "call " << c;
  }
  // More than the dataset holds: the first six are all of it, then it draws again.
  std::vector<std::string> ids = ids_of(source.next(9));
  ASSERT_EQ(ids.size(), 9u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.begin() + 6).size(), 6u);
  EXPECT_EQ(std::set<std::string>(ids.begin() + 6, ids.end()).size(), 3u);
}

class Resume : public testing::TestWithParam<std::string> {};

TEST_P(Resume, StateAndRestoreContinueTheSameSequence) {
  Tokenizer tok = char_tokenizer();
  const Dataset data = dataset(7);
  // Observations that depend on the draw, so pass rates shape the later draws.
  auto observe_all = [](DatasetPromptSource& s, const std::vector<Prompt>& prompts, int call) {
    for (size_t k = 0; k < prompts.size(); ++k)
      s.observe(prompts[k], static_cast<double>((call + static_cast<int>(k)) % 3) / 2.0);
  };
  auto run = [&](DatasetPromptSource& s, int from, int to) {
    std::vector<std::string> out;
    for (int call = from; call < to; ++call) {
      std::vector<Prompt> prompts = s.next(3);
      observe_all(s, prompts, call);
      for (const Prompt& p : prompts) out.push_back(p.id);
    }
    return out;
  };
  DatasetPromptSource uninterrupted(data, plain(), tok, order(GetParam()), 9);
  std::vector<std::string> whole = run(uninterrupted, 0, 12);

  DatasetPromptSource first(data, plain(), tok, order(GetParam()), 9);
  std::vector<std::string> before = run(first, 0, 5);  // stops mid-epoch (15 of 7 + 7 + 7)
  const std::string saved = first.state();
  DatasetPromptSource second(data, plain(), tok, order(GetParam()), 9);
  second.restore(saved);
  std::vector<std::string> after = run(second, 5, 12);
  before.insert(before.end(), after.begin(), after.end());
  EXPECT_EQ(before, whole);
  for (int i = 0; i < 7; ++i) {
    const std::string id = "e" + std::to_string(i);
    EXPECT_EQ(second.pass_rate(id), uninterrupted.pass_rate(id)) << id;
  }

  // A cursor saved at an epoch's end, and one saved before any draw.
  DatasetPromptSource at_end(data, plain(), tok, order(GetParam()), 9);
  DatasetPromptSource reference(data, plain(), tok, order(GetParam()), 9);
  EXPECT_EQ(ids_of(at_end.next(7)), ids_of(reference.next(7)));
  DatasetPromptSource resumed(data, plain(), tok, order(GetParam()), 9);
  resumed.restore(at_end.state());
  EXPECT_EQ(ids_of(resumed.next(5)), ids_of(reference.next(5)));
  DatasetPromptSource untouched(data, plain(), tok, order(GetParam()), 9);
  DatasetPromptSource from_start(data, plain(), tok, order(GetParam()), 9);
  from_start.restore(untouched.state());
  EXPECT_EQ(ids_of(from_start.next(10)), ids_of(untouched.next(10)));
}

INSTANTIATE_TEST_SUITE_P(PromptSource, Resume, testing::Values("shuffle", "difficulty", "pass_rate"));

TEST(PromptSource, ForeignOrBrokenCursorsAreErrors) {
  Tokenizer tok = char_tokenizer();
  DatasetPromptSource source(dataset(5), plain(), tok, order("shuffle"), 1);
  source.next(3);
  const std::string saved = source.state();
  DatasetPromptSource renamed(dataset(5, "other"), plain(), tok, order("shuffle"), 1);
  EXPECT_ERROR(renamed.restore(saved), "saved for dataset 'd' (5 examples), not 'other' (5)");
  DatasetPromptSource bigger(dataset(6), plain(), tok, order("shuffle"), 1);
  EXPECT_ERROR(bigger.restore(saved), "saved for dataset 'd' (5 examples), not 'd' (6)");
  EXPECT_ERROR(source.restore("{not json"), "the data cursor is not valid");
  std::string past = saved;
  past.replace(past.find("\"position\":3"), 12, "\"position\":9");
  EXPECT_ERROR(source.restore(past), "past the dataset's end");
}

TEST(PromptSource, EmptyDatasetOrUnknownOrderIsAnError) {
  Tokenizer tok = char_tokenizer();
  EXPECT_ERROR(DatasetPromptSource(Dataset("none", {}), plain(), tok, order("shuffle"), 0), "'none' has no examples");
  EXPECT_ERROR(DatasetPromptSource(dataset(3), plain(), tok, order("random"), 0), "curriculum.order 'random'");
}

}  // namespace
