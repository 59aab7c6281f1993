#include "libgrpo/error.h"
#include "libgrpo/prompt.h"
#include "libgrpo/tokenizer.h"

namespace grpo {

// Word for word from the DeepSeek-R1 paper (Table 1); the paper's template
// continues "User: prompt. Assistant:".
const char* const kR1Instructions =
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. "
    "The assistant first thinks about the reasoning process in the mind and then provides the user with the "
    "answer. The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> "
    "tags, respectively, i.e., <think> reasoning process here </think> <answer> answer here </answer>.";

void describe(config::Visitor& v, PromptTemplate& o) {
  v.choice("style", o.style, {"r1", "r1_chat", "chat", "plain"});
  v.field("system_prompt", o.system_prompt);
  v.field("template_text", o.template_text);
  v.field("enable_thinking", o.enable_thinking);
}

namespace {

std::string placeholder_value(const std::string& name, const Example& ex) {
  if (name == "prompt") return ex.prompt;
  if (name == "answer") return ex.answer;
  if (name == "id") return ex.id;
  if (name == "task") return ex.task;
  auto it = ex.fields.find(name);
  GRPO_CHECK(it != ex.fields.end(), "prompt template: example '", ex.id, "' has no field '", name,
             "' for {", name, "}");
  return it->second;
}

std::string substitute(const std::string& text, const Example& ex) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
      out += c;
      ++i;
    } else if (c == '{') {
      const size_t close = text.find('}', i);
      GRPO_CHECK(close != std::string::npos, "prompt template: '{' at offset ", i, " is not closed: ", text);
      out += placeholder_value(text.substr(i + 1, close - i - 1), ex);
      i = close;
    } else {
      GRPO_CHECK(c != '}', "prompt template: unmatched '}' at offset ", i, " (write '}}' for a brace): ", text);
      out += c;
    }
  }
  return out;
}

std::string chat(const Tokenizer* tokenizer, const std::string& style, const std::string& system,
                 const std::string& user, bool enable_thinking) {
  GRPO_CHECK(tokenizer != nullptr, "prompt style '", style, "' needs a tokenizer (its chat template)");
  std::vector<ChatMessage> messages;
  if (!system.empty()) messages.push_back({"system", system});
  messages.push_back({"user", user});
  ChatTemplateOptions options;
  options.enable_thinking = enable_thinking;
  return tokenizer->apply_chat_template(messages, options);
}

}  // namespace

std::string render_prompt(const PromptTemplate& o, const Example& example, const Tokenizer* tokenizer) {
  if (o.style == "r1") return std::string(kR1Instructions) + " User: " + example.prompt + ". Assistant:";
  if (o.style == "r1_chat") return chat(tokenizer, o.style, kR1Instructions, example.prompt, o.enable_thinking);
  if (o.style == "chat") return chat(tokenizer, o.style, o.system_prompt, example.prompt, o.enable_thinking);
  GRPO_CHECK(o.style == "plain", "prompt.style is '", o.style, "', expected r1, r1_chat, chat or plain");
  return substitute(o.template_text, example);
}

}  // namespace grpo
