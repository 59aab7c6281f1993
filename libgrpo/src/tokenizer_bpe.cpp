#include "tokenizer_bpe.h"

#include <algorithm>
#include <mutex>

#include "libgrpo/error.h"
#include "unicode.h"

namespace grpo::tokenizer_detail {

using nlohmann::json;

namespace {

// A field that must be absent, null or equal to `neutral` because we do not
// implement it.
void require_unset(const json& model, const char* key, const json& neutral, const char* why) {
  auto it = model.find(key);
  if (it == model.end() || it->is_null() || *it == neutral) return;
  GRPO_FAIL("model.", key, " = ", it->dump(), " is not supported (", why, ")");
}

constexpr uint64_t pair_key(int32_t left, int32_t right) {
  return (uint64_t(uint32_t(left)) << 32) | uint32_t(right);
}

}  // namespace

BpeModel::BpeModel(const json& model) {
  GRPO_CHECK(model.is_object(), "\"model\" must be an object");
  std::string type = model.value("type", std::string("BPE"));
  GRPO_CHECK(type == "BPE", "model type '", type,
             "' is not supported (only BPE, the byte-level kind GPT-2, Qwen and Llama 3 use)");
  require_unset(model, "dropout", 0.0, "BPE dropout is for training");
  require_unset(model, "byte_fallback", false, "byte-level BPE never needs it");
  require_unset(model, "continuing_subword_prefix", "", "not used by byte-level BPE");
  require_unset(model, "end_of_word_suffix", "", "not used by byte-level BPE");
  GRPO_CHECK(model.contains("vocab") && model["vocab"].is_object(),
             "model.vocab must be an object of token -> id");
  read_vocab(model["vocab"]);
  if (model.contains("merges") && !model["merges"].is_null()) read_merges(model["merges"]);
  fuse_unk_ = model.value("fuse_unk", false);
  ignore_merges_ = model.value("ignore_merges", false);
  if (auto unk = model.find("unk_token"); unk != model.end() && !unk->is_null()) {
    auto id = token_to_id(unk->get<std::string>());
    GRPO_CHECK(id, "model.unk_token '", unk->get<std::string>(), "' is not in the vocabulary");
    unk_id_ = int32_t(*id);
  }
}

void BpeModel::read_vocab(const json& vocab) {
  vocab_.reserve(vocab.size());
  int64_t max_id = -1;
  for (const auto& [token, value] : vocab.items()) {
    GRPO_CHECK(value.is_number_integer() && value.get<int64_t>() >= 0 && value.get<int64_t>() < INT32_MAX,
               "model.vocab['", token, "'] = ", value.dump(), " is not a valid id");
    int64_t id = value.get<int64_t>();
    vocab_.insert_or_assign(token, id);
    max_id = std::max(max_id, id);
  }
  tokens_.resize(size_t(max_id + 1));
  assigned_.resize(size_t(max_id + 1));
  char_ids_.assign(0x800, -1);
  for (const auto& [token, id] : vocab_) {
    tokens_[size_t(id)] = token;
    assigned_[size_t(id)] = true;
    size_t pos = 0;
    if (!token.empty()) {
      char32_t cp = unicode::next_code_point(token, pos);
      if (pos == token.size() && cp < char_ids_.size()) char_ids_[cp] = int32_t(id);
    }
  }
}

void BpeModel::read_merges(const json& merges) {
  GRPO_CHECK(merges.is_array(), "model.merges must be an array");
  merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const json& m = merges[rank];
    if (m.is_string()) {  // the older "left right" form
      const std::string& line = m.get_ref<const std::string&>();
      size_t space = line.find(' ');
      GRPO_CHECK(space != std::string::npos && line.find(' ', space + 1) == std::string::npos,
                 "model.merges[", rank, "] = '", line,
                 "' is not two tokens separated by one space");
      add_merge(std::string_view(line).substr(0, space), std::string_view(line).substr(space + 1), rank);
    } else {
      GRPO_CHECK(m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string(),
                 "model.merges[", rank, "] = ", m.dump(), " is not a pair of tokens");
      add_merge(m[0].get_ref<const std::string&>(), m[1].get_ref<const std::string&>(), rank);
    }
  }
}

void BpeModel::add_merge(std::string_view left, std::string_view right, size_t rank) {
  auto l = vocab_.find(left), r = vocab_.find(right);
  GRPO_CHECK(l != vocab_.end() && r != vocab_.end(), "model.merges[", rank, "] uses '",
             l == vocab_.end() ? left : right, "', which is not in the vocabulary");
  std::string joined = std::string(left) + std::string(right);
  auto merged = vocab_.find(joined);
  GRPO_CHECK(merged != vocab_.end(), "model.merges[", rank, "] makes '", joined,
             "', which is not in the vocabulary");
  // A repeated pair keeps its last rank, as in Hugging Face's merge map.
  merges_.insert_or_assign(pair_key(int32_t(l->second), int32_t(r->second)),
                           Merge{int32_t(rank), int32_t(merged->second)});
}

std::optional<int64_t> BpeModel::token_to_id(std::string_view token) const {
  auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::id_to_token(int64_t id) const {
  if (id < 0 || id >= size() || !assigned_[size_t(id)]) return nullptr;
  return &tokens_[size_t(id)];
}

std::optional<BpeModel::Merge> BpeModel::find_merge(int32_t left, int32_t right) const {
  auto it = merges_.find(pair_key(left, right));
  if (it == merges_.end()) return std::nullopt;
  return it->second;
}

void BpeModel::initial_symbols(std::string_view word, std::vector<int32_t>& symbols) const {
  bool last_was_unk = false;
  for (size_t pos = 0; pos < word.size();) {
    size_t begin = pos;
    char32_t cp = unicode::next_code_point(word, pos);
    int32_t id = -1;
    if (cp < char_ids_.size()) {
      id = char_ids_[cp];
    } else if (auto found = vocab_.find(word.substr(begin, pos - begin)); found != vocab_.end()) {
      id = int32_t(found->second);
    }
    if (id >= 0) {
      symbols.push_back(id);
      last_was_unk = false;
    } else if (unk_id_) {
      // Without fuse_unk every unknown character is its own <unk>.
      if (!(fuse_unk_ && last_was_unk)) symbols.push_back(*unk_id_);
      last_was_unk = true;
    }
    // With no unk token an unknown character is dropped, as Hugging Face does.
  }
}

// Applies merges lowest rank first; among equal ranks the leftmost pair first.
// Symbols live in a linked list over `symbols`; a heap holds candidate pairs,
// and a popped pair is skipped when either side has changed since it was pushed.
void BpeModel::merge(std::vector<int32_t>& symbols) const {
  const int32_t n = int32_t(symbols.size());
  if (n < 2) return;
  struct Node {
    int32_t id, prev, next;  // prev/next: neighbouring live symbols (-1 / n at the ends)
    bool removed;
  };
  struct Candidate {
    int32_t rank, left, right, merged, left_id, right_id;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
  };
  std::vector<Node> nodes;
  nodes.reserve(symbols.size());
  for (int32_t i = 0; i < n; ++i) nodes.push_back({symbols[size_t(i)], i - 1, i + 1, false});
  auto at = [&nodes](int32_t i) -> Node& { return nodes[size_t(i)]; };

  std::vector<Candidate> heap;
  auto push = [&](int32_t left, int32_t right) {
    if (left < 0 || right >= n) return;
    if (auto m = find_merge(at(left).id, at(right).id)) {
      heap.push_back({m->rank, left, right, m->id, at(left).id, at(right).id});
      std::push_heap(heap.begin(), heap.end(), std::greater<>{});
    }
  };
  for (int32_t i = 0; i + 1 < n; ++i) push(i, i + 1);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), std::greater<>{});
    Candidate c = heap.back();
    heap.pop_back();
    Node &left = at(c.left), &right = at(c.right);
    bool stale = left.removed || right.removed || left.next != c.right || left.id != c.left_id ||
                 right.id != c.right_id;
    if (stale) continue;
    left.id = c.merged;
    right.removed = true;
    left.next = right.next;
    if (right.next < n) at(right.next).prev = c.left;
    push(left.prev, c.left);
    push(c.left, left.next);
  }
  symbols.clear();
  for (const Node& node : nodes)
    if (!node.removed) symbols.push_back(node.id);
}

void BpeModel::tokenize(std::string_view word, std::vector<int64_t>& ids) const {
  if (word.empty()) return;
  // Llama 3: a pre-token that is itself in the vocabulary is emitted whole.
  if (ignore_merges_) {
    if (auto id = token_to_id(word)) {
      ids.push_back(*id);
      return;
    }
  }
  bool cacheable = word.size() <= kCacheMaxWordBytes;
  if (cacheable) {
    std::shared_lock lock(cache_mutex_);
    if (auto it = cache_.find(word); it != cache_.end()) {
      ids.insert(ids.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> symbols;
  symbols.reserve(word.size());
  initial_symbols(word, symbols);
  merge(symbols);
  ids.insert(ids.end(), symbols.begin(), symbols.end());
  if (cacheable) {
    std::unique_lock lock(cache_mutex_);
    if (cache_.size() < kCacheCapacity) cache_.emplace(word, std::move(symbols));
  }
}

}  // namespace grpo::tokenizer_detail
