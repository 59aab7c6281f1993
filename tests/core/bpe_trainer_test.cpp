// The BPE trainer: unit tests on a synthetic arithmetic corpus, and golden
// tests against Hugging Face `tokenizers` (tests/golden/make_bpe_fixtures.py
// wrote tests/data/tokenizers/bpe_trained/: its BpeTrainer's merges for the
// same corpus, and its ids for our tokenizer.json).
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <tuple>

#include "libgrpo/bpe_trainer.h"
#include "libgrpo/tokenizer.h"
#include "support/expect_error.h"
#include "tokenizer_pipeline.h"  // private: libgrpo/src

namespace {

namespace fs = std::filesystem;
using grpo::BpeTrainerOptions;
using grpo::Tokenizer;
using nlohmann::json;
using Ids = std::vector<int64_t>;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string show(const std::string& text) { return json(text).dump(); }

const char* const kNames[] = {"Alice", "Bob", "Carmen", "Dmitri", "Emma", "Farid", "Grace", "Hiro", "Ines", "Jamal"};
const char* const kItems[] = {"apples", "marbles", "books", "coins", "pencils", "stickers", "cookies", "tickets"};
const char* const kVerbs[] = {"buys", "finds", "wins", "collects", "receives", "borrows", "bakes", "picks"};

template <class T, size_t N>
const T& pick(std::mt19937& rng, const T (&options)[N]) {
  return options[rng() % N];
}

// A prompt and a reasoning answer with numbers from rng:
//   "User: What is 7 + 5 + 9? Assistant: <think> 7+5=12. 12+9=21. </think> <answer>21</answer>"
// or the same sum as a word problem ("Emma has 7 coins, wins 5 more and 9 more. How many
// coins does Emma have?"), sometimes with "Wait, let me recalculate." and the steps again.
std::string arithmetic_text(std::mt19937& rng) {
  std::vector<int> terms(2 + rng() % 3);
  for (int& t : terms) t = int(1 + rng() % 99);
  std::string sum = std::to_string(terms[0]), steps;
  int total = terms[0];
  for (size_t i = 1; i < terms.size(); ++i) {
    sum += " + " + std::to_string(terms[i]);
    if (!steps.empty()) steps += " ";
    steps += std::to_string(total) + "+" + std::to_string(terms[i]) + "=" + std::to_string(total + terms[i]) + ".";
    total += terms[i];
  }
  std::string question = "What is " + sum + "?";
  if (rng() % 2) {
    std::string name = pick(rng, kNames), item = pick(rng, kItems);
    question = name + " has " + std::to_string(terms[0]) + " " + item + ", " + pick(rng, kVerbs) + " ";
    for (size_t i = 1; i < terms.size(); ++i)
      question += std::to_string(terms[i]) + (i + 1 < terms.size() ? " more and " : " more.");
    question += " How many " + item + " does " + name + " have?";
  }
  std::string think = steps;
  if (rng() % 3 == 0) think += " Wait, let me recalculate. " + steps;
  return "User: " + question + " Assistant: <think> " + think + " </think> <answer>" + std::to_string(total) +
         "</answer>";
}

std::vector<std::string> arithmetic_corpus(size_t count, uint32_t seed = 7) {
  std::mt19937 rng(seed);
  std::vector<std::string> texts;
  for (size_t i = 0; i < count; ++i) texts.push_back(arithmetic_text(rng));
  return texts;
}

// Sentences of made-up words from a 3000-word lexicon, the frequent words far
// more frequent (roughly as in natural text): many distinct words for the
// trainer to count and merge.
std::vector<std::string> babble_corpus(size_t count, uint32_t seed = 11) {
  const char* const syllables[] = {"ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "de", "va",
                                   "shi", "gor", "an", "el", "ith", "or", "um", "bre", "tal", "xen"};
  std::mt19937 rng(seed);
  std::vector<std::string> lexicon(3000);
  for (std::string& word : lexicon)
    for (size_t n = 1 + rng() % 4; n > 0; --n) word += pick(rng, syllables);
  std::vector<std::string> texts;
  for (size_t i = 0; i < count; ++i) {
    std::string sentence;
    for (size_t n = 6 + rng() % 10; n > 0; --n) {
      double u = double(rng()) / double(std::mt19937::max());
      sentence += (sentence.empty() ? "" : " ") + lexicon[size_t(double(lexicon.size() - 1) * u * u * u)];
    }
    sentence[0] = char(sentence[0] - 'a' + 'A');
    texts.push_back(sentence + ".");
  }
  return texts;
}

const json& model_of(const json& tokenizer) { return tokenizer.at("model"); }

// ---------------------------------------------------------------- behaviour

// One tokenizer trained on 2000 arithmetic texts and 1000 of made-up prose
// (the arithmetic alone has too few distinct words to fill 512 tokens),
// shared by the tests below.
const std::string& arithmetic_json() {
  static const std::string text = [] {
    std::vector<std::string> texts = arithmetic_corpus(2000), babble = babble_corpus(1000);
    texts.insert(texts.end(), babble.begin(), babble.end());
    return grpo::train_bpe_tokenizer(texts, BpeTrainerOptions{});
  }();
  return text;
}

const Tokenizer& arithmetic_tokenizer() {
  static const Tokenizer tok = Tokenizer::from_json(arithmetic_json());
  return tok;
}

TEST(BpeTrainer, DecodeInvertsEncode) {
  const Tokenizer& tok = arithmetic_tokenizer();
  std::vector<std::string> texts = arithmetic_corpus(50, /*seed=*/99);  // not the training texts
  texts.insert(texts.end(), {"", "Wait, let me recalculate.", "Café naïve 你好 👍🏽 Привет", "a  b\t\tc\n\n\r\nd   ",
                             "12345678901234567890", "<|endoftext|>x<|endoftext|>", "caf\xc3\xa9 \xe2\x82\xac"});
  for (const std::string& text : texts) EXPECT_EQ(show(tok.decode(tok.encode(text))), show(text));
}

TEST(BpeTrainer, EveryDigitIsItsOwnToken) {
  const Tokenizer& tok = arithmetic_tokenizer();
  for (int64_t id = 0; id < tok.vocab_size(); ++id) {
    std::string token = tok.id_to_token(id);
    bool has_digit = std::any_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; });
    EXPECT_TRUE(!has_digit || token.size() == 1) << "token " << id << " " << show(token);
  }
  EXPECT_EQ(tok.encode("20250601").size(), 8u);
}

TEST(BpeTrainer, FrequentWordsBecomeSingleTokens) {
  const Tokenizer& tok = arithmetic_tokenizer();
  for (const char* word : {" recalculate", " Assistant", "User", " What", "answer", "think", " marbles", " Dmitri"})
    EXPECT_EQ(tok.encode(word).size(), 1u) << word;
  // Held-out texts: every pre-token (word, digit, punctuation run) is one
  // token. Digits stay single bytes, which keeps the bytes per token near 2
  // for this digit-heavy text (1 before training).
  grpo::tokenizer_detail::PreTokenizer pre_tokenizer(json::parse(arithmetic_json()).at("pre_tokenizer"));
  size_t bytes = 0, words = 0, tokens = 0;
  for (const std::string& text : arithmetic_corpus(200, /*seed=*/123)) {
    std::vector<std::string> pieces;
    pre_tokenizer.apply(text, pieces);
    bytes += text.size();
    words += pieces.size();
    tokens += tok.encode(text).size();
  }
  EXPECT_EQ(tokens, words);
  EXPECT_GT(double(bytes) / double(tokens), 2.0) << bytes << " bytes, " << tokens << " tokens";
}

TEST(BpeTrainer, VocabularyLayout) {
  json j = json::parse(arithmetic_json());
  const json& vocab = model_of(j).at("vocab");
  EXPECT_EQ(vocab.size(), 511u);  // 512 - the one special token
  EXPECT_EQ(model_of(j).at("merges").size(), 255u);
  // GPT-2's byte order: printable characters first, "!" = 0; byte 0x00 is "Ā" = 188.
  EXPECT_EQ(vocab.at("!"), 0);
  EXPECT_EQ(vocab.at("\xc4\x80"), 188);
  EXPECT_EQ(vocab.at("\xc4\xa0"), 188 + ' ');  // "Ġ", the space
  const json& added = j.at("added_tokens");
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].at("content"), "<|endoftext|>");
  EXPECT_EQ(added[0].at("id"), 511);
  EXPECT_EQ(added[0].at("special"), true);

  const Tokenizer& tok = arithmetic_tokenizer();
  EXPECT_EQ(tok.vocab_size(), 512);
  EXPECT_EQ(tok.encode("<|endoftext|>"), Ids{511});
  EXPECT_TRUE(tok.is_special(511));
  EXPECT_EQ(tok.decode(Ids{511}, /*skip_special_tokens=*/true), "");
}

// Counts over the corpus, ties to the smaller (left id, right id), min_frequency.
// Hugging Face's BpeTrainer learns the same merges from these texts.
TEST(BpeTrainer, MergeOrder) {
  BpeTrainerOptions options;
  options.special_tokens = {};
  // (a, a) (three times in "aaaa"), (a, b) and (c, d) are each seen 3 times, and
  // go in that order; (x, y) is seen once. "aaaa" merged left to right is
  // "aa aa", whose pair is then seen once too.
  std::vector<std::string> texts = {"cd", "ab", "cd", "ab", "cd", "ab", "xy", "aaaa"};
  json j = json::parse(grpo::train_bpe_tokenizer(texts, options));
  EXPECT_EQ(model_of(j).at("merges"), json({"a a", "a b", "c d"}));
  EXPECT_EQ(model_of(j).at("vocab").size(), 259u);

  options.vocab_size = 257;
  j = json::parse(grpo::train_bpe_tokenizer(texts, options));
  EXPECT_EQ(model_of(j).at("merges"), json({"a a"}));
  options.vocab_size = 512;
  options.min_frequency = 4;
  j = json::parse(grpo::train_bpe_tokenizer(texts, options));
  EXPECT_EQ(model_of(j).at("merges"), json::array());
  options.min_frequency = 1;
  j = json::parse(grpo::train_bpe_tokenizer(texts, options));
  // (x, y) and (aa, aa) are seen once each: "x" is a byte token, with the smaller id.
  EXPECT_EQ(model_of(j).at("merges"), json({"a a", "a b", "c d", "x y", "aa aa"}));
  Tokenizer tok = Tokenizer::from_json(j.dump());
  EXPECT_EQ(tok.encode("aaaaa"), (Ids{*tok.token_to_id("aaaa"), *tok.token_to_id("a")}));
}

// Special tokens split the text at training time as at encode time: joining
// texts with them trains the same tokenizer as the texts apart.
TEST(BpeTrainer, SpecialTokensSeparateWords) {
  BpeTrainerOptions options;
  options.special_tokens = {"<|endoftext|>", "<|im_end|>"};
  std::vector<std::string> apart = arithmetic_corpus(300), joined;
  for (size_t i = 0; i < apart.size(); i += 3)
    joined.push_back(apart[i] + "<|endoftext|>" + apart[i + 1] + "<|im_end|><|im_end|>" + apart[i + 2]);
  EXPECT_EQ(grpo::train_bpe_tokenizer(joined, options), grpo::train_bpe_tokenizer(apart, options));
}

TEST(BpeTrainer, Deterministic) {
  std::vector<std::string> texts = arithmetic_corpus(500);
  std::string first = grpo::train_bpe_tokenizer(texts);
  EXPECT_EQ(grpo::train_bpe_tokenizer(texts), first);
  // Only word counts matter, not the order of the texts.
  std::reverse(texts.begin(), texts.end());
  EXPECT_EQ(grpo::train_bpe_tokenizer(texts), first);
}

TEST(BpeTrainer, WritesALoadableDirectory) {
  fs::path dir = fs::path(testing::TempDir()) / ("libgrpo_bpe_" + std::to_string(::getpid()));
  BpeTrainerOptions options;
  options.vocab_size = 300;
  options.special_tokens = {"<|im_end|>", "<|endoftext|>"};
  grpo::write_bpe_tokenizer(arithmetic_corpus(100), options, dir / "tok");
  Tokenizer tok = Tokenizer::load(dir / "tok");
  EXPECT_EQ(tok.vocab_size(), 300);
  EXPECT_EQ(tok.eos_token_id(), 298);
  EXPECT_EQ(tok.pad_token_id(), 298);
  EXPECT_EQ(tok.token_to_id("<|endoftext|>"), 299);
  fs::remove_all(dir);
}

TEST(BpeTrainer, BadOptionsAndEmptyCorporaAreErrors) {
  std::vector<std::string> texts = {"some text", "more text"};
  BpeTrainerOptions options;
  options.vocab_size = 256;  // no room for the special token
  EXPECT_ERROR(grpo::train_bpe_tokenizer(texts, options), "vocab_size = 256 is too small");
  options.vocab_size = 512;
  options.min_frequency = 0;
  EXPECT_ERROR(grpo::train_bpe_tokenizer(texts, options), "min_frequency = 0 must be at least 1");
  options.min_frequency = 2;
  options.special_tokens = {"<s>", "<s>"};
  EXPECT_ERROR(grpo::train_bpe_tokenizer(texts, options), "lists '<s>' twice");
  options.special_tokens = {""};
  EXPECT_ERROR(grpo::train_bpe_tokenizer(texts, options), "empty token");
  options.special_tokens = {"!"};
  EXPECT_ERROR(grpo::train_bpe_tokenizer(texts, options), "special token '!' is also a byte-level BPE token");
  options.special_tokens = {"<|endoftext|>"};
  EXPECT_ERROR(grpo::train_bpe_tokenizer({}, options), "holds no text");
  EXPECT_ERROR(grpo::train_bpe_tokenizer({"", ""}, options), "holds no text");
  EXPECT_ERROR(grpo::train_bpe_tokenizer({"<|endoftext|>"}, options), "holds no text");
}

// ~2 MB of arithmetic and made-up prose to a 512-token vocabulary, in a few
// seconds at most: each merge touches only the words that hold its pair.
TEST(SlowBpeTrainer, TrainsOnTwoMegabytesInSeconds) {
  std::vector<std::string> texts = arithmetic_corpus(10000), babble = babble_corpus(15000);
  texts.insert(texts.end(), babble.begin(), babble.end());
  size_t bytes = 0;
  for (const std::string& t : texts) bytes += t.size();
  auto start = std::chrono::steady_clock::now();
  std::string tokenizer = grpo::train_bpe_tokenizer(texts);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("trained on %.2f MB in %.2f s\n", double(bytes) / 1e6, seconds);
  EXPECT_GT(bytes, 1'800'000u);
  EXPECT_EQ(model_of(json::parse(tokenizer)).at("vocab").size(), 511u);
  EXPECT_LT(seconds, 30.0);
}

// ---------------------------------------------------------------- golden

const fs::path kGolden = fs::path(LIBGRPO_TEST_DATA) / "tokenizers/bpe_trained";
const fs::path kTrained = LIBGRPO_BPE_TRAINED;  // in the build tree

const json& golden(const char* file) {
  static std::map<std::string, json> loaded;
  auto it = loaded.find(file);
  if (it == loaded.end()) it = loaded.emplace(file, json::parse(read_text(kGolden / file))).first;
  return it->second;
}

std::vector<std::string> golden_texts() { return golden("corpus.json").at("texts").get<std::vector<std::string>>(); }

// key: "options" (the committed tokenizer's) or "exhaustive_options".
BpeTrainerOptions golden_options(const char* key = "options") {
  const json& options = golden("corpus.json").at(key);
  BpeTrainerOptions out;
  out.vocab_size = options.at("vocab_size").get<int64_t>();
  out.min_frequency = options.at("min_frequency").get<int64_t>();
  out.special_tokens = options.at("special_tokens").get<std::vector<std::string>>();
  return out;
}

// Writes into the build tree, where make_bpe_fixtures.py picks the tokenizer up.
TEST(BpeTrainerGolden, TrainsTheCommittedTokenizer) {
  grpo::write_bpe_tokenizer(golden_texts(), golden_options(), kTrained);
  std::string trained = read_text(kTrained / "tokenizer.json");
  EXPECT_TRUE(trained == read_text(kGolden / "tokenizer.json"))
      << "the trainer's output for " << (kGolden / "corpus.json").string() << " changed (see "
      << (kTrained / "tokenizer.json").string() << "); if that is intended, run tests/golden/make_bpe_fixtures.py";
  EXPECT_EQ(read_text(kTrained / "tokenizer_config.json"), read_text(kGolden / "tokenizer_config.json"));
}

// Hugging Face's BpeTrainer, given the same words, learns the same merges in
// the same order: with the tokenizer's options, and to the end of the corpus
// with min_frequency 1, where nearly every choice is a tie.
TEST(BpeTrainerGolden, LearnsTheMergesOfHuggingFacesTrainer) {
  for (auto [key, theirs_key, count] : {std::tuple{"options", "hf_trainer_merges", 253u},
                                        std::tuple{"exhaustive_options", "hf_trainer_merges_exhaustive", 0u}}) {
    json ours = json::parse(grpo::train_bpe_tokenizer(golden_texts(), golden_options(key)));
    const json& merges = model_of(ours).at("merges");
    const json& theirs = golden("golden.json").at(theirs_key);
    if (count > 0) {
      EXPECT_EQ(merges.size(), count) << key;  // 512 - 256 bytes - 3 special tokens
    }
    EXPECT_EQ(merges.size(), theirs.size()) << key;
    for (size_t i = 0; i < std::min(merges.size(), theirs.size()); ++i)
      ASSERT_EQ(merges[i], theirs[i]) << key << ": merge " << i;
  }
}

TEST(BpeTrainerGolden, EncodesLikeHuggingFace) {
  Tokenizer tok = Tokenizer::load(kGolden);
  const json& probes = golden("golden.json").at("probes");
  ASSERT_GT(probes.size(), 10u);
  for (const json& p : probes) {
    std::string text = p.at("text").get<std::string>();
    Ids ids = p.at("ids").get<Ids>();
    EXPECT_EQ(json(tok.encode(text)).dump(), json(ids).dump()) << show(text);
    EXPECT_EQ(show(tok.decode(ids)), show(p.at("decoded").get<std::string>())) << show(text);
    EXPECT_EQ(show(tok.decode(ids)), show(text));  // lossless
  }
  EXPECT_EQ(tok.eos_token_id(), golden("golden.json").at("eos_token_id").get<int64_t>());
  EXPECT_EQ(tok.pad_token_id(), golden("golden.json").at("pad_token_id").get<int64_t>());
}

}  // namespace
