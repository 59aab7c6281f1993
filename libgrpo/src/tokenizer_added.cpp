// Added tokens (special tokens such as <|im_start|> and user-added words):
// found in the text before anything else, as Hugging Face's AddedVocabulary does.
#include <algorithm>

#include "libgrpo/error.h"
#include "tokenizer_pipeline.h"
#include "unicode.h"

namespace grpo::tokenizer_detail {

using nlohmann::json;

namespace {

// Start of the run of White_Space that ends text (text.size() if none).
size_t trailing_space_start(std::string_view text) {
  size_t pos = text.size();
  while (pos > 0) {
    size_t begin = pos - 1;
    while (begin > 0 && (static_cast<uint8_t>(text[begin]) & 0xC0) == 0x80) --begin;
    size_t at = begin;
    if (!unicode::is_white_space(unicode::next_code_point(text, at))) break;
    pos = begin;
  }
  return pos;
}

// Length of the run of White_Space that starts text.
size_t leading_space_length(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t next = pos;
    if (!unicode::is_white_space(unicode::next_code_point(text, next))) break;
    pos = next;
  }
  return pos;
}

// The last character of text (text non-empty).
std::string_view last_char(std::string_view text) {
  size_t begin = text.size() - 1;
  while (begin > 0 && (static_cast<uint8_t>(text[begin]) & 0xC0) == 0x80) --begin;
  return text.substr(begin);
}

}  // namespace

void AddedVocabulary::Trie::insert(std::string_view text, int32_t token) {
  int32_t node = 0;
  for (char c : text) {
    auto byte = static_cast<uint8_t>(c);
    auto& children = nodes[size_t(node)].children;
    auto it = std::lower_bound(children.begin(), children.end(), std::make_pair(byte, int32_t(-1)));
    if (it != children.end() && it->first == byte) {
      node = it->second;
    } else {
      int32_t child = int32_t(nodes.size());
      children.insert(it, {byte, child});
      nodes.emplace_back();  // may reallocate: `children` is not used after this
      node = child;
    }
  }
  // The first token with a given text wins, as in Hugging Face's trie.
  if (nodes[size_t(node)].token < 0) nodes[size_t(node)].token = token;
}

std::pair<int32_t, size_t> AddedVocabulary::Trie::longest_at(std::string_view text, size_t pos) const {
  std::pair<int32_t, size_t> best{-1, 0};
  int32_t node = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    const auto& children = nodes[size_t(node)].children;
    auto byte = static_cast<uint8_t>(text[i]);
    auto it = std::lower_bound(children.begin(), children.end(), std::make_pair(byte, int32_t(-1)));
    if (it == children.end() || it->first != byte) break;
    node = it->second;
    if (nodes[size_t(node)].token >= 0) best = {nodes[size_t(node)].token, i + 1 - pos};
  }
  return best;
}

AddedVocabulary::AddedVocabulary(const json& added_tokens, const Normalizer& normalizer) {
  if (added_tokens.is_null()) return;
  GRPO_CHECK(added_tokens.is_array(), "added_tokens must be an array");
  for (const json& spec : added_tokens) {
    AddedToken t;
    t.id = spec.at("id").get<int64_t>();
    t.content = spec.at("content").get<std::string>();
    t.single_word = spec.value("single_word", false);
    t.lstrip = spec.value("lstrip", false);
    t.rstrip = spec.value("rstrip", false);
    t.normalized = spec.value("normalized", true);
    t.special = spec.value("special", false);
    GRPO_CHECK(t.id >= 0 && t.id < INT32_MAX, "added token '", t.content, "' has id ", t.id);
    t.text = t.normalized ? normalizer.apply(t.content) : t.content;
    tokens_.push_back(std::move(t));
  }
  // Hugging Face builds its tries from the special tokens first, then the others.
  std::vector<int32_t> order(tokens_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = int32_t(i);
  std::stable_partition(order.begin(), order.end(), [&](int32_t i) { return tokens_[size_t(i)].special; });
  for (int32_t i : order) {
    const AddedToken& t = tokens_[size_t(i)];
    if (t.text.empty()) continue;
    (t.normalized ? normalized_trie_ : raw_trie_).insert(t.text, i);
  }
  min_id_ = INT64_MAX;
  for (const AddedToken& t : tokens_) min_id_ = std::min(min_id_, t.id), max_id_ = std::max(max_id_, t.id);
  if (!tokens_.empty()) {
    index_by_id_.assign(size_t(max_id_ - min_id_ + 1), -1);
    for (size_t i = 0; i < tokens_.size(); ++i) {
      index_by_id_[size_t(tokens_[i].id - min_id_)] = int32_t(i);
      index_by_content_.emplace(tokens_[i].content, int64_t(i));
    }
  }
  word_char_.emplace("[\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}]");
}

const AddedToken* AddedVocabulary::by_id(int64_t id) const {
  if (tokens_.empty() || id < min_id_ || id > max_id_) return nullptr;
  int32_t index = index_by_id_[size_t(id - min_id_)];
  return index < 0 ? nullptr : &tokens_[size_t(index)];
}

const AddedToken* AddedVocabulary::by_content(std::string_view content) const {
  auto it = index_by_content_.find(content);
  return it == index_by_content_.end() ? nullptr : &tokens_[size_t(it->second)];
}

// single_word: the match must not touch a word character (Rust regex's
// Unicode \w, which Hugging Face uses) on either side.
bool AddedVocabulary::accept(const AddedToken& t, std::string_view text, size_t begin, size_t end) const {
  if (!t.single_word) return true;
  bool word_before = begin > 0 && word_char_->matches_at_start(last_char(text.substr(0, begin)));
  bool word_after = end < text.size() && word_char_->matches_at_start(text.substr(end));
  return !word_before && !word_after;
}

void AddedVocabulary::split(std::string_view text, bool normalized_pass, std::vector<Segment>& out) const {
  const Trie& trie = normalized_pass ? normalized_trie_ : raw_trie_;
  if (trie.nodes.size() == 1) {
    out.push_back({std::string(text), std::nullopt});
    return;
  }
  size_t emitted = 0, pos = 0;
  while (pos < text.size()) {
    auto [index, length] = trie.longest_at(text, pos);
    if (index < 0) {
      ++pos;
      continue;
    }
    // Matches never overlap: the search resumes after this one even when
    // single_word rejects it or rstrip takes the spaces after it.
    size_t begin = pos, end = pos + length;
    pos = end;
    const AddedToken& t = tokens_[size_t(index)];
    if (!accept(t, text, begin, end)) continue;
    // lstrip/rstrip: the token absorbs the spaces beside it (never text that
    // an earlier match already took).
    if (t.lstrip) begin = std::max(trailing_space_start(text.substr(0, begin)), emitted);
    if (t.rstrip) end += leading_space_length(text.substr(end));
    if (emitted < begin) out.push_back({std::string(text.substr(emitted, begin - emitted)), std::nullopt});
    out.push_back({std::string(), t.id});
    emitted = end;
  }
  if (emitted < text.size()) out.push_back({std::string(text.substr(emitted)), std::nullopt});
}

}  // namespace grpo::tokenizer_detail
