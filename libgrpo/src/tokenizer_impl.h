// Tokenizer::Impl: the loaded stages of one tokenizer (private to grpo::core).
#pragma once

#include <optional>
#include <string>

#include "libgrpo/tokenizer.h"
#include "tokenizer_bpe.h"
#include "tokenizer_pipeline.h"

namespace grpo {

namespace tokenizer_detail {

// The ChatML-family templates apply_chat_template() can render.
struct ChatTemplate {
  enum class Family { kChatML, kQwen3 };
  Family family = Family::kChatML;
  // Used when the conversation does not start with a system message
  // (Qwen2.5 templates have one); empty for none.
  std::string default_system;
  // "tool" messages rendered as <tool_response> blocks in a user turn (the
  // template mentions <tool_response>); otherwise as a turn of role "tool".
  bool group_tool_responses = false;
};

// Recognises a tokenizer_config.json chat_template; nullopt when it is not of
// the ChatML family.
std::optional<ChatTemplate> parse_chat_template(const std::string& jinja);

std::string render_chat(const ChatTemplate& tmpl, const std::vector<ChatMessage>& messages,
                        const ChatTemplateOptions& options);

}  // namespace tokenizer_detail

struct Tokenizer::Impl {
  Impl(const nlohmann::json& tokenizer, const std::string& source);

  // Appends the ids of text (no post-processing).
  void encode(std::string_view text, std::vector<int64_t>& ids) const;
  // The token string of id, or nullptr when the id is unassigned.
  const std::string* token(int64_t id) const;
  bool is_special(int64_t id) const;

  std::string source;  // where it was loaded from, for messages
  tokenizer_detail::Normalizer normalizer;
  tokenizer_detail::PreTokenizer pre_tokenizer;
  tokenizer_detail::BpeModel model;
  tokenizer_detail::AddedVocabulary added;
  tokenizer_detail::PostProcessor post_processor;
  tokenizer_detail::Decoder decoder;
  int64_t vocab_size = 0;

  // From tokenizer_config.json.
  std::optional<int64_t> eos_id, bos_id, pad_id;
  std::optional<tokenizer_detail::ChatTemplate> chat_template;
  bool has_config = false;
  bool has_chat_template_text = false;
};

}  // namespace grpo
