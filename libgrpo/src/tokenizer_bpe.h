// The BPE model of a tokenizer.json (private to grpo::core).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace grpo::tokenizer_detail {

// Hash and equality that accept std::string_view keys without a copy.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using TokenMap = std::unordered_map<std::string, int64_t, StringHash, std::equal_to<>>;

class BpeModel {
 public:
  // model: the "model" object of tokenizer.json (type "BPE").
  explicit BpeModel(const nlohmann::json& model);

  // Appends the ids of one pre-token (a "word", in the model's alphabet: for
  // byte-level tokenizers, byte-level characters).
  void tokenize(std::string_view word, std::vector<int64_t>& ids) const;

  std::optional<int64_t> token_to_id(std::string_view token) const;
  // nullptr when id is not in the vocabulary.
  const std::string* id_to_token(int64_t id) const;
  // Largest id + 1.
  int64_t size() const { return int64_t(tokens_.size()); }

 private:
  struct Merge {
    int32_t rank;
    int32_t id;  // the merged token
  };
  void read_vocab(const nlohmann::json& vocab);
  void read_merges(const nlohmann::json& merges);
  void add_merge(std::string_view left, std::string_view right, size_t rank);
  // One id per character of word (unknown characters become unk or vanish).
  void initial_symbols(std::string_view word, std::vector<int32_t>& symbols) const;
  void merge(std::vector<int32_t>& symbols) const;
  std::optional<Merge> find_merge(int32_t left, int32_t right) const;

  TokenMap vocab_;
  std::vector<std::string> tokens_;   // by id; empty where no token has the id
  std::vector<bool> assigned_;        // tokens_[id] is a real token
  std::vector<int32_t> char_ids_;     // id of each one-character token below U+0800, or -1
  std::unordered_map<uint64_t, Merge> merges_;  // (left id << 32 | right id) -> merge
  std::optional<int32_t> unk_id_;
  bool fuse_unk_ = false;
  bool ignore_merges_ = false;

  // Per-word results, so that frequent words are merged once. Bounded: once
  // full, new words are merged every time (as Hugging Face's cache does).
  static constexpr size_t kCacheCapacity = 20000;
  static constexpr size_t kCacheMaxWordBytes = 256;
  mutable std::shared_mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>> cache_;
};

}  // namespace grpo::tokenizer_detail
