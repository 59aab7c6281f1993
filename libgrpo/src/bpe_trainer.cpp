// Byte-level BPE training: count the corpus's words as the loaded tokenizer
// will split them, learn merges, write tokenizer.json.
#include "libgrpo/bpe_trainer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <fstream>
#include <optional>
#include <queue>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "libgrpo/error.h"
#include "tokenizer_pipeline.h"
#include "unicode.h"

namespace grpo {

namespace fs = std::filesystem;
using nlohmann::ordered_json;  // keeps the vocabulary in id order, as Hugging Face writes it
using namespace tokenizer_detail;

namespace {

// Qwen2's pre-tokenization pattern: contractions, letters with at most one
// leading non-letter (" the", "(x"), single digits, punctuation runs with an
// optional leading space, and whitespace (a space before a word stays with it).
constexpr const char* kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

constexpr size_t kByteTokens = 256;

ordered_json byte_level_step() {
  return {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}};
}

ordered_json pre_tokenizer_spec() {
  ordered_json split = {{"type", "Split"},
                        {"pattern", {{"Regex", kQwen2Pattern}}},
                        {"behavior", "Isolated"},
                        {"invert", false}};
  return {{"type", "Sequence"}, {"pretokenizers", {split, byte_level_step()}}};
}

// The added_tokens array: special tokens from first_id on, matched in raw text.
ordered_json added_tokens_spec(const std::vector<std::string>& special_tokens, int64_t first_id) {
  ordered_json added = ordered_json::array();
  for (size_t i = 0; i < special_tokens.size(); ++i)
    added.push_back({{"id", first_id + int64_t(i)},
                     {"content", special_tokens[i]},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  return added;
}

void check_options(const BpeTrainerOptions& options) {
  const auto& specials = options.special_tokens;
  GRPO_CHECK(options.vocab_size >= int64_t(kByteTokens + specials.size()), "BpeTrainerOptions.vocab_size = ",
             options.vocab_size, " is too small: it must hold the ", kByteTokens, " byte tokens and the ",
             specials.size(), " special tokens (at least ", kByteTokens + specials.size(), ")");
  GRPO_CHECK(options.vocab_size <= INT32_MAX, "BpeTrainerOptions.vocab_size = ", options.vocab_size,
             " is too large");
  GRPO_CHECK(options.min_frequency >= 1, "BpeTrainerOptions.min_frequency = ", options.min_frequency,
             " must be at least 1");
  std::set<std::string> seen;
  for (const std::string& t : specials) {
    GRPO_CHECK(!t.empty(), "BpeTrainerOptions.special_tokens has an empty token");
    GRPO_CHECK(unicode::is_valid_utf8(t), "BpeTrainerOptions.special_tokens: '", t, "' is not valid UTF-8");
    GRPO_CHECK(seen.insert(t).second, "BpeTrainerOptions.special_tokens lists '", t, "' twice");
  }
}

// ---------------------------------------------------------------- words

// A distinct pre-token of the corpus as token ids, and how often it occurs.
struct Word {
  std::vector<int32_t> symbols;
  int64_t count = 0;
};

// The 256 byte-level characters sorted by code point (GPT-2's vocabulary
// order, and Hugging Face's trainer's): tokens[id] is the character, and
// id_of_byte[b] the id of byte b.
struct ByteAlphabet {
  std::vector<std::string> tokens;
  std::array<int32_t, kByteTokens> id_of_byte{};
};

ByteAlphabet byte_alphabet() {
  std::vector<std::pair<char32_t, uint8_t>> chars;
  for (size_t b = 0; b < kByteTokens; ++b) chars.emplace_back(unicode::byte_to_char(uint8_t(b)), uint8_t(b));
  std::sort(chars.begin(), chars.end());
  ByteAlphabet alphabet;
  for (const auto& [c, byte] : chars) {
    alphabet.id_of_byte[byte] = int32_t(alphabet.tokens.size());
    unicode::append_utf8(alphabet.tokens.emplace_back(), c);
  }
  return alphabet;
}

// Splits every text the way Tokenizer::encode() does (special tokens first,
// then the pre-tokenizer) and counts the words. Words come out sorted by their
// text, so that nothing depends on hash order.
std::vector<Word> count_words(const std::vector<std::string>& texts, const std::vector<std::string>& special_tokens,
                              const ByteAlphabet& alphabet) {
  // No normalizer, and the special tokens are normalized: false, so the raw
  // pass of AddedVocabulary::split is the whole of the added-token stage.
  const Normalizer normalizer(nullptr);
  const AddedVocabulary added(added_tokens_spec(special_tokens, 0), normalizer);
  const PreTokenizer pre_tokenizer(pre_tokenizer_spec());

  std::unordered_map<std::string, int64_t, StringHash, std::equal_to<>> counts;
  std::vector<Segment> segments;
  std::vector<std::string> pieces;
  for (const std::string& raw : texts) {
    std::string repaired;
    std::string_view text = raw;
    if (!unicode::is_valid_utf8(raw)) text = repaired = unicode::to_valid_utf8(raw);
    segments.clear();
    added.split(text, /*normalized_pass=*/false, segments);
    for (const Segment& s : segments) {
      if (s.id) continue;
      pieces.clear();
      pre_tokenizer.apply(s.text, pieces);
      for (std::string& p : pieces) {
        auto it = counts.find(p);
        if (it == counts.end()) it = counts.emplace(std::move(p), 0).first;
        ++it->second;
      }
    }
  }

  std::vector<std::pair<std::string_view, int64_t>> sorted(counts.begin(), counts.end());
  std::sort(sorted.begin(), sorted.end());
  std::vector<Word> words(sorted.size());
  for (size_t i = 0; i < sorted.size(); ++i) {
    auto [text, count] = sorted[i];
    words[i].count = count;
    for (size_t pos = 0; pos < text.size();) {  // byte-level characters -> byte ids
      int byte = unicode::char_to_byte(unicode::next_code_point(text, pos));
      GRPO_CHECK(byte >= 0, "pre-token '", text, "' is not in the byte-level alphabet");
      words[i].symbols.push_back(alphabet.id_of_byte[size_t(byte)]);
    }
  }
  return words;
}

// ---------------------------------------------------------------- merges

constexpr uint64_t pair_key(int32_t left, int32_t right) {
  return (uint64_t(uint32_t(left)) << 32) | uint32_t(right);
}
constexpr int32_t left_of(uint64_t key) { return int32_t(key >> 32); }
constexpr int32_t right_of(uint64_t key) { return int32_t(key & 0xFFFFFFFFu); }

// A candidate merge in the queue. Its count may be out of date; it is checked
// against the live count when it reaches the top.
struct Candidate {
  int64_t count;
  uint64_t pair;
  // Priority order: higher count first, then the smaller (left, right).
  bool operator<(const Candidate& other) const {
    return count != other.count ? count < other.count : pair > other.pair;
  }
};

struct Learned {
  std::vector<std::string> tokens;                  // by id
  std::vector<std::pair<int32_t, int32_t>> merges;  // in the order learned
};

// The learner's state: every adjacent pair's count over the corpus, the words
// each pair has appeared in, and a queue of candidates. A merge only touches
// the words that hold the pair, so each step costs what those words cost, not
// a pass over the corpus.
class PairCounts {
 public:
  explicit PairCounts(const std::vector<Word>& words) {
    for (size_t w = 0; w < words.size(); ++w) {
      const auto& s = words[w].symbols;
      for (size_t i = 0; i + 1 < s.size(); ++i) add(pair_key(s[i], s[i + 1]), words[w].count, int32_t(w));
    }
    push_touched();
  }

  // The pair with the highest count, ties to the smaller (left, right); nullopt when none is left.
  std::optional<Candidate> best() {
    while (!queue_.empty()) {
      Candidate top = queue_.top();
      queue_.pop();
      auto it = counts_.find(top.pair);
      int64_t live = it == counts_.end() ? 0 : it->second;
      if (live <= 0) continue;
      // Counts of old pairs only fall, and a pair whose count rises is queued
      // anew, so a candidate that is up to date at the top is the true best.
      if (live != top.count) {
        queue_.push({live, top.pair});
        continue;
      }
      return top;
    }
    return std::nullopt;
  }

  // Replaces every occurrence of `pair` by `merged` in the words that hold it.
  void merge(uint64_t pair, int32_t merged, std::vector<Word>& words) {
    std::vector<int32_t> where = std::move(where_[pair]);
    where_.erase(pair);
    std::sort(where.begin(), where.end());
    where.erase(std::unique(where.begin(), where.end()), where.end());
    for (int32_t w : where) merge_word(pair, merged, w, words[size_t(w)]);
    counts_.erase(pair);
    push_touched();
  }

 private:
  void add(uint64_t pair, int64_t delta, int32_t word) {
    counts_[pair] += delta;
    if (delta > 0) {
      auto& list = where_[pair];
      if (list.empty() || list.back() != word) list.push_back(word);
      touched_.insert(pair);
    }
  }

  // Merges (left, right) left to right without overlap ("a a a" -> "aa a"),
  // moving the counts of the pairs around each occurrence to the new token.
  void merge_word(uint64_t pair, int32_t merged, int32_t w, Word& word) {
    const int32_t left = left_of(pair), right = right_of(pair);
    auto& s = word.symbols;
    size_t out = 0;
    for (size_t i = 0; i < s.size();) {
      if (i + 1 < s.size() && s[i] == left && s[i + 1] == right) {
        if (out > 0) {  // s[out - 1]: the symbol before, possibly merged already
          add(pair_key(s[out - 1], left), -word.count, w);
          add(pair_key(s[out - 1], merged), word.count, w);
        }
        if (i + 2 < s.size()) {
          add(pair_key(right, s[i + 2]), -word.count, w);
          add(pair_key(merged, s[i + 2]), word.count, w);
        }
        s[out++] = merged;
        i += 2;
      } else {
        s[out++] = s[i++];
      }
    }
    s.resize(out);
  }

  // Queues the pairs whose counts rose since the last call.
  void push_touched() {
    std::vector<uint64_t> touched(touched_.begin(), touched_.end());
    std::sort(touched.begin(), touched.end());
    for (uint64_t pair : touched)
      if (int64_t count = counts_[pair]; count > 0) queue_.push({count, pair});
    touched_.clear();
  }

  std::unordered_map<uint64_t, int64_t> counts_;
  std::unordered_map<uint64_t, std::vector<int32_t>> where_;  // word indices, possibly stale
  std::unordered_set<uint64_t> touched_;
  std::priority_queue<Candidate> queue_;
};

// Merges until the vocabulary has max_tokens tokens or no pair reaches
// min_frequency. Should a merge spell a string that is already a token, it is
// recorded but adds no token (as in Hugging Face's trainer).
Learned learn_merges(std::vector<Word> words, std::vector<std::string> tokens, size_t max_tokens,
                     int64_t min_frequency) {
  Learned learned;
  std::unordered_map<std::string, int32_t> id_of;
  for (size_t i = 0; i < tokens.size(); ++i) id_of.emplace(tokens[i], int32_t(i));
  PairCounts pairs(words);
  while (tokens.size() < max_tokens) {
    std::optional<Candidate> best = pairs.best();
    if (!best || best->count < min_frequency) break;
    const int32_t left = left_of(best->pair), right = right_of(best->pair);
    std::string text = tokens[size_t(left)] + tokens[size_t(right)];
    auto [it, added] = id_of.emplace(text, int32_t(tokens.size()));
    if (added) tokens.push_back(std::move(text));
    learned.merges.emplace_back(left, right);
    pairs.merge(best->pair, it->second, words);
  }
  learned.tokens = std::move(tokens);
  return learned;
}

ordered_json tokenizer_json(const Learned& learned, const std::vector<std::string>& special_tokens) {
  // The tokens are distinct, so they are appended to ordered_json's vector of
  // entries directly (its operator[] would search the vector for each key).
  ordered_json vocab = ordered_json::object();
  auto& entries = vocab.get_ref<ordered_json::object_t&>();
  entries.reserve(learned.tokens.size());
  for (size_t id = 0; id < learned.tokens.size(); ++id) entries.emplace_back(learned.tokens[id], id);
  ordered_json merges = ordered_json::array();
  for (auto [left, right] : learned.merges)
    merges.push_back(learned.tokens[size_t(left)] + " " + learned.tokens[size_t(right)]);
  for (const std::string& t : special_tokens)
    GRPO_CHECK(!vocab.contains(t), "special token '", t, "' is also a byte-level BPE token");
  return {{"version", "1.0"},
          {"truncation", nullptr},
          {"padding", nullptr},
          {"added_tokens", added_tokens_spec(special_tokens, int64_t(learned.tokens.size()))},
          {"normalizer", nullptr},
          {"pre_tokenizer", pre_tokenizer_spec()},
          {"post_processor", nullptr},
          {"decoder", byte_level_step()},
          {"model",
           {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", nullptr},
            {"end_of_word_suffix", nullptr}, {"fuse_unk", false}, {"byte_fallback", false},
            {"ignore_merges", false}, {"vocab", vocab}, {"merges", merges}}}};
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  GRPO_CHECK(out, "cannot write ", path.string());
}

}  // namespace

std::string train_bpe_tokenizer(const std::vector<std::string>& texts, const BpeTrainerOptions& options) {
  check_options(options);
  ByteAlphabet alphabet = byte_alphabet();
  std::vector<Word> words = count_words(texts, options.special_tokens, alphabet);
  GRPO_CHECK(!words.empty(), "train_bpe_tokenizer: the corpus (", texts.size(),
             " texts) holds no text outside special tokens to learn from");
  const size_t max_tokens = size_t(options.vocab_size) - options.special_tokens.size();
  Learned learned = learn_merges(std::move(words), std::move(alphabet.tokens), max_tokens, options.min_frequency);
  return tokenizer_json(learned, options.special_tokens).dump(2) + "\n";
}

void write_bpe_tokenizer(const std::vector<std::string>& texts, const BpeTrainerOptions& options,
                         const fs::path& dir) {
  std::string tokenizer = train_bpe_tokenizer(texts, options);
  ordered_json eos = options.special_tokens.empty() ? ordered_json(nullptr) : ordered_json(options.special_tokens[0]);
  ordered_json config = {{"tokenizer_class", "PreTrainedTokenizerFast"},
                         {"eos_token", eos},
                         {"pad_token", eos},
                         {"bos_token", nullptr},
                         {"clean_up_tokenization_spaces", false}};
  fs::create_directories(dir);
  write_file(dir / "tokenizer.json", tokenizer);
  write_file(dir / "tokenizer_config.json", config.dump(2) + "\n");
}

}  // namespace grpo
