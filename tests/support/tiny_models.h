// Tiny random policies and a character tokenizer for trainer-side tests.
#pragma once

#include <cstdint>
#include <string>

#include "libgrpo/rollout.h"
#include "libgrpo/tokenizer.h"

namespace grpo::test {

// The characters of char_tokenizer(), one token each; "<eos>" is id 16.
inline const std::string kTestChars = "0123456789+=xabc";
constexpr int64_t kTestEos = 16;

// A character-level BPE tokenizer: one token per character, no merges. The
// ByteLevel decoder concatenates tokens (printable ASCII maps to itself);
// without a decoder, tokens would be joined with spaces.
inline Tokenizer char_tokenizer() {
  std::string vocab;
  for (size_t i = 0; i < kTestChars.size(); ++i)
    vocab += (i ? ", \"" : "\"") + kTestChars.substr(i, 1) + "\": " + std::to_string(i);
  return Tokenizer::from_json(R"({"model": {"type": "BPE", "vocab": {)" + vocab +
                              R"(}, "merges": []}, "decoder": {"type": "ByteLevel"},
                                  "added_tokens": [{"id": 16, "content": "<eos>", "special": true}]})");
}

// A 2-layer Qwen2 policy over 16 token ids with near-uniform weights (every token
// gets sampled), EOS = 15, no tokenizer.
inline Policy tiny_policy(uint64_t seed = 3) {
  Policy policy;
  auto config = ModelConfig::from_json(
      R"({"model_type": "qwen2", "vocab_size": 16, "hidden_size": 32, "intermediate_size": 64,
          "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1,
          "tie_word_embeddings": false})");
  policy.model = CausalLM(config);
  policy.model->init_weights(0.05, seed);
  policy.eos_token_ids = {15};
  policy.pad_token_id = 0;
  return policy;
}

}  // namespace grpo::test
