// The stages of a tokenizer.json around its model (private to grpo::core):
//
//   text ─► added tokens (raw) ─► normalizer ─► added tokens (normalized)
//        ─► pre-tokenizer ─► BPE model ─► post-processor ─► ids
//   ids ─► decoder (bytes per token) ─► UTF-8 repair ─► text
//
// Each stage is read from its tokenizer.json object; an unsupported "type"
// is a grpo::Error naming it.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tokenizer_bpe.h"
#include "tokenizer_regex.h"

namespace grpo::tokenizer_detail {

// ---------------------------------------------------------------- normalizer

class Normalizer {
 public:
  explicit Normalizer(const nlohmann::json& spec);  // null, NFC or a Sequence of them
  std::string apply(std::string_view text) const;

 private:
  void read(const nlohmann::json& spec);
  bool nfc_ = false;
};

// ---------------------------------------------------------------- pre-tokenizer

enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

class PreTokenizer {
 public:
  explicit PreTokenizer(const nlohmann::json& spec);
  // Splits one piece of (normalized) text into pre-tokens, appended to out.
  void apply(std::string_view text, std::vector<std::string>& out) const;

 private:
  struct Split {
    Regex regex;
    SplitBehavior behavior;
    bool invert;
  };
  struct ByteLevel {
    bool add_prefix_space;
    bool use_regex;
  };
  using Step = std::variant<Split, ByteLevel>;  // Digits becomes a Split
  void read(const nlohmann::json& spec);
  static void split(const Split& s, std::string_view text, std::vector<std::string>& out);
  void byte_level(const ByteLevel& b, std::string_view text, std::vector<std::string>& out) const;

  std::vector<Step> steps_;
  std::optional<Regex> gpt2_regex_;  // for ByteLevel with use_regex
};

// ---------------------------------------------------------------- added tokens

struct AddedToken {
  std::string content;  // as written in tokenizer.json (token_to_id looks this up)
  // What the token matches and what decode() and id_to_token() give: the
  // content, normalized when `normalized` is set (as Hugging Face does).
  std::string text;
  int64_t id = 0;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
  bool special = false;
};

// A piece of the input: either text still to tokenize, or an added token.
struct Segment {
  std::string text;
  std::optional<int64_t> id;
};

class AddedVocabulary {
 public:
  AddedVocabulary() = default;
  // added_tokens: the tokenizer.json array. normalizer: for tokens with normalized = true.
  AddedVocabulary(const nlohmann::json& added_tokens, const Normalizer& normalizer);

  // Splits text around the added tokens, leftmost-longest, honouring
  // single_word, lstrip and rstrip. normalized_pass picks the tokens with
  // normalized = true (matched in normalized text) or false (raw text).
  void split(std::string_view text, bool normalized_pass, std::vector<Segment>& out) const;

  const AddedToken* by_id(int64_t id) const;
  const AddedToken* by_content(std::string_view content) const;
  int64_t max_id() const { return max_id_; }
  bool empty() const { return tokens_.empty(); }

 private:
  // A byte trie over the token texts of one pass.
  struct Trie {
    struct Node {
      std::vector<std::pair<uint8_t, int32_t>> children;  // sorted by byte
      int32_t token = -1;                                  // index into tokens_
    };
    std::vector<Node> nodes{Node{}};
    void insert(std::string_view text, int32_t token);
    // Longest token starting at text[pos]: (token index, length) or (-1, 0).
    std::pair<int32_t, size_t> longest_at(std::string_view text, size_t pos) const;
  };
  bool accept(const AddedToken& t, std::string_view text, size_t begin, size_t end) const;

  std::vector<AddedToken> tokens_;
  TokenMap index_by_content_;          // content -> index into tokens_ (the first one wins)
  Trie raw_trie_, normalized_trie_;
  std::vector<int32_t> index_by_id_;   // id - min id -> index into tokens_, or -1
  int64_t min_id_ = 0, max_id_ = -1;
  std::optional<Regex> word_char_;     // \w, for single_word
};

// ---------------------------------------------------------------- post-processor

class PostProcessor {
 public:
  explicit PostProcessor(const nlohmann::json& spec);
  // ids of one sequence -> the model's input; add_special_tokens applies the template.
  std::vector<int64_t> apply(std::vector<int64_t> ids, bool add_special_tokens) const;

 private:
  void read(const nlohmann::json& spec);
  struct Piece {
    std::vector<int64_t> ids;  // a special token's ids; empty means "the sequence"
  };
  std::optional<std::vector<Piece>> single_;  // TemplateProcessing "single"
};

// ---------------------------------------------------------------- decoder

class Decoder {
 public:
  explicit Decoder(const nlohmann::json& spec);
  // Appends the bytes that `token` stands for. `first` is true for the first
  // token of the output (a null decoder joins tokens with spaces).
  void append_bytes(std::string_view token, bool first, std::string& out) const;

 private:
  void read(const nlohmann::json& spec);
  bool byte_level_ = false;
};

}  // namespace grpo::tokenizer_detail
