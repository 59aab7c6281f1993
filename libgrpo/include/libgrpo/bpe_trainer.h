// Training a byte-level BPE tokenizer on a text corpus, saved as a Hugging Face
// tokenizer.json that grpo::Tokenizer and the Python `tokenizers` library load
// and encode identically.
//
//   grpo::BpeTrainerOptions options;                     // vocab 512, "<|endoftext|>"
//   std::string json = grpo::train_bpe_tokenizer(texts, options);
//   grpo::Tokenizer tok = grpo::Tokenizer::from_json(json);
//   grpo::write_bpe_tokenizer(texts, options, "run/tokenizer");  // tokenizer.json + tokenizer_config.json
//
// The tokenizer it writes is shaped like Qwen2's:
//   normalizer     none, so decode(encode(text)) == text for any valid UTF-8
//   pre_tokenizer  Split on Qwen2's pattern (letters with one leading
//                  non-letter, digits one at a time, punctuation runs,
//                  whitespace), then ByteLevel without its own regex
//   model          BPE: ids 0-255 are the 256 byte-level characters in GPT-2's
//                  order (sorted by character: "!" = 0, ..., "Ā" = 188 is byte
//                  0x00), then one token per merge in the order learned
//   added_tokens   the special tokens, after the BPE vocabulary
//   decoder        ByteLevel
//
// Training (the classic BPE algorithm, as Hugging Face's BpeTrainer runs it):
// every text is split around the special tokens and pre-tokenized exactly as
// encode() will split it; each distinct word starts as its bytes; then,
// repeatedly, the adjacent pair of tokens with the highest count over the
// corpus (a word seen n times counts n times) is merged into a new token. Ties
// go to the pair with the smaller (left id, right id), which is also what
// Hugging Face's trainer does, so both learn the same merges from the same
// words. Training stops when the vocabulary reaches vocab_size or no pair is
// seen min_frequency times.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace grpo {

struct BpeTrainerOptions {
  // Final vocabulary size: the 256 byte tokens, the learned merges and the
  // special tokens. Fewer when the corpus runs out of pairs first.
  int64_t vocab_size = 512;
  // A pair seen fewer times than this over the corpus is never merged (>= 1).
  int64_t min_frequency = 2;
  // Added tokens (special: true) with ids after the BPE vocabulary, in this
  // order. Found in text before pre-tokenization, at training time as at
  // encode time, so they never take part in a merge. The first is the
  // eos and pad token of tokenizer_config.json.
  std::vector<std::string> special_tokens = {"<|endoftext|>"};
};

// Learns merges from texts (UTF-8; ill-formed bytes count as U+FFFD, as in
// encode()) and returns the tokenizer.json text. Deterministic: the same texts
// and options give the same text, byte for byte. Throws grpo::Error when
// vocab_size < 256 + special_tokens.size(), min_frequency < 1, a special
// token is empty or repeated, or the texts hold no text to learn from.
std::string train_bpe_tokenizer(const std::vector<std::string>& texts, const BpeTrainerOptions& options = {});

// Trains as above and writes tokenizer.json and tokenizer_config.json (eos and
// pad token: the first special token, none without one) into dir, created if
// needed; grpo::Tokenizer::load(dir) and transformers' AutoTokenizer read it.
void write_bpe_tokenizer(const std::vector<std::string>& texts, const BpeTrainerOptions& options,
                         const std::filesystem::path& dir);

}  // namespace grpo
