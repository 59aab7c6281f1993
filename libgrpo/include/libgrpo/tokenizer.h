// Tokenizer: Hugging Face byte-level BPE tokenizers (GPT-2, Qwen2/Qwen3,
// Llama 3, DeepSeek-V3 and the like) read from their tokenizer.json, giving
// the same ids as the Hugging Face `tokenizers` library.
//
//   auto tok = grpo::Tokenizer::load("Qwen3-0.6B/");            // a directory or a tokenizer.json
//   std::vector<int64_t> ids = tok.encode("Hello, world!");       // [9707, 11, 1879, 0]
//   std::string text = tok.decode(ids);                           // "Hello, world!"
//   std::string prompt = tok.apply_chat_template({{"user", "2+2?"}});
//
// What tokenizer.json may hold (anything else is a grpo::Error naming it):
//   model          BPE: vocab, merges ("a b" or ["a", "b"]), ignore_merges,
//                  unk_token, fuse_unk; byte_fallback, dropout,
//                  continuing_subword_prefix and end_of_word_suffix must be unset
//   normalizer     null, NFC, Sequence of these
//   pre_tokenizer  null, ByteLevel, Split (Regex or String pattern, every
//                  behaviour, invert), Digits, Sequence of these
//   post_processor null, ByteLevel, TemplateProcessing (single), Sequence of these
//   decoder        null, ByteLevel, Sequence of these
//   added_tokens   with lstrip, rstrip, single_word, normalized, special
//
// Text is UTF-8. encode() replaces ill-formed UTF-8 with U+FFFD first, one
// per maximal ill-formed subsequence (as Python's errors="replace" does).
//
// Thread safety: a loaded Tokenizer is immutable except for an internal
// per-word cache that is guarded by a lock; encode() and decode() may be
// called from several threads at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace grpo {

// One turn of a conversation: role is "system", "user", "assistant" or "tool".
struct ChatMessage {
  std::string role;
  std::string content;
};

struct ChatTemplateOptions {
  // Append "<|im_start|>assistant\n" so that the model continues as the assistant.
  bool add_generation_prompt = true;
  // Qwen3 templates only: false appends an empty "<think>\n\n</think>\n\n"
  // after the generation prompt, which turns the model's reasoning off.
  bool enable_thinking = true;
};

class Tokenizer {
 public:
  // path: a tokenizer.json file, or a directory holding tokenizer.json and,
  // optionally, tokenizer_config.json (read for the eos/bos/pad tokens and the
  // chat template). Throws grpo::Error naming the file and what is wrong.
  static Tokenizer load(const std::filesystem::path& path);

  // Reads tokenizer.json text (and optionally tokenizer_config.json text; empty
  // means none). source names the text in error messages.
  static Tokenizer from_json(std::string_view tokenizer_json, std::string_view tokenizer_config_json = {},
                             std::string_view source = "<tokenizer.json>");

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Token ids of text. add_special_tokens applies the post-processor's
  // template (e.g. Llama 3's leading <|begin_of_text|>); special tokens written
  // in the text itself (e.g. "<|im_start|>") are always recognised.
  std::vector<int64_t> encode(std::string_view text, bool add_special_tokens = false) const;

  // Text of ids; bytes that do not form UTF-8 come out as U+FFFD. An id
  // outside [0, vocab_size()) or not assigned to any token is a grpo::Error.
  std::string decode(std::span<const int64_t> ids, bool skip_special_tokens = false) const;

  // Largest id + 1, added tokens included.
  int64_t vocab_size() const;

  std::optional<int64_t> token_to_id(std::string_view token) const;
  // The token's string as stored in the vocabulary (byte-level characters for
  // byte-level BPE, e.g. "Ġworld"). Throws grpo::Error for an unassigned id.
  std::string id_to_token(int64_t id) const;
  // True for added tokens marked special (skipped by skip_special_tokens).
  bool is_special(int64_t id) const;

  // From tokenizer_config.json when it names them; otherwise nullopt.
  std::optional<int64_t> eos_token_id() const;
  std::optional<int64_t> bos_token_id() const;
  std::optional<int64_t> pad_token_id() const;

  // The prompt text for messages, in the ChatML format that Qwen2 and Qwen3
  // models are trained on:
  //   "<|im_start|>{role}\n{content}<|im_end|>\n" ... ["<|im_start|>assistant\n"]
  // Follows the loaded tokenizer_config.json's chat_template, recognised by
  // family rather than interpreted: a Qwen3 template also wraps the reasoning
  // of assistant turns after the last user query in <think>...</think> (and
  // drops it from earlier turns) and groups "tool" messages into one user turn
  // of <tool_response> blocks; a template with a built-in system prompt (as
  // Qwen2 and Qwen2.5 have) adds it when messages[0] is not a system message.
  // Throws grpo::Error when the template is not of the ChatML family or there
  // is none. Encode the result to get the prompt's ids.
  std::string apply_chat_template(const std::vector<ChatMessage>& messages,
                                  const ChatTemplateOptions& options = {}) const;

  struct Impl;

 private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  friend class StreamDecoder;
  std::unique_ptr<Impl> impl_;
};

// Incremental decoding for streaming generation: push ids one at a time and
// get back only whole UTF-8 characters. Bytes of a character split across
// tokens are held until the character is complete, so the concatenation of
// every push() and the final finish() equals tokenizer.decode(all ids).
// Keeps a reference to the tokenizer, which must outlive it.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, bool skip_special_tokens = false);

  // The text that id completes (possibly empty).
  std::string push(int64_t id);
  // Flushes what is held; an incomplete trailing character becomes U+FFFD,
  // as in decode(). The decoder can then be reused for a new stream.
  std::string finish();

 private:
  const Tokenizer* tokenizer_;
  bool skip_special_tokens_;
  bool first_ = true;
  std::string pending_;  // bytes of an incomplete character
};

}  // namespace grpo
