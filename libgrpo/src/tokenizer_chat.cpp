// apply_chat_template() for the ChatML family. tokenizer_config.json holds a
// Jinja template; rather than embed a Jinja interpreter we recognise the
// template's family and render that family's format here. The golden tests
// compare the result with transformers' own rendering of the template.
#include "libgrpo/error.h"
#include "tokenizer_impl.h"

namespace grpo::tokenizer_detail {
namespace {

constexpr std::string_view kStart = "<|im_start|>", kEnd = "<|im_end|>\n";

// Python's str.lstrip("\n"), rstrip("\n") and strip("\n").
std::string_view lstrip_newlines(std::string_view s) {
  while (!s.empty() && s.front() == '\n') s.remove_prefix(1);
  return s;
}
std::string_view rstrip_newlines(std::string_view s) {
  while (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  return s;
}
std::string_view strip_newlines(std::string_view s) { return rstrip_newlines(lstrip_newlines(s)); }

// A Jinja string literal's body with its escapes resolved; nullopt when the
// text holds a quote (it is not one literal) or an escape we do not know.
std::optional<std::string> unescape_literal(std::string_view body) {
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '\'' || c == '"') return std::nullopt;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i == body.size()) return std::nullopt;
    switch (body[i]) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case '\\': out += '\\'; break;
      default: return std::nullopt;
    }
  }
  return out;
}

// A default system prompt written into the template as one literal:
// '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n'.
std::string find_default_system(const std::string& jinja) {
  const std::string opening = "<|im_start|>system\\n";
  for (size_t at = jinja.find(opening); at != std::string::npos; at = jinja.find(opening, at + 1)) {
    size_t body = at + opening.size();
    size_t end = jinja.find("<|im_end|>", body);
    if (end == std::string::npos) break;
    if (auto text = unescape_literal(std::string_view(jinja).substr(body, end - body)); text && !text->empty())
      return *text;
  }
  return {};
}

void append_turn(std::string& out, std::string_view role, std::string_view content) {
  out.append(kStart).append(role).append("\n").append(content).append(kEnd);
}

// Tool results: consecutive "tool" messages share one user turn.
void append_tool(std::string& out, const std::vector<ChatMessage>& messages, size_t i) {
  if (i == 0 || messages[i - 1].role != "tool") out.append(kStart).append("user");
  out.append("\n<tool_response>\n").append(messages[i].content).append("\n</tool_response>");
  if (i + 1 == messages.size() || messages[i + 1].role != "tool") out.append(kEnd);
}

// Qwen3: the index of the last real user query (not a tool response wrapped
// as a user message); assistant turns after it keep their reasoning.
size_t last_query_index(const std::vector<ChatMessage>& messages) {
  for (size_t i = messages.size(); i-- > 0;) {
    const std::string& c = messages[i].content;
    bool tool_wrapped = c.starts_with("<tool_response>") && c.ends_with("</tool_response>");
    if (messages[i].role == "user" && !tool_wrapped) return i;
  }
  return messages.size() - 1;
}

// Qwen3's assistant turn: content after the last </think> is the answer, the
// text before it (after any <think>) the reasoning, shown only after the last query.
void append_qwen3_assistant(std::string& out, const std::vector<ChatMessage>& messages, size_t i,
                            size_t last_query) {
  std::string_view content = messages[i].content, reasoning;
  if (size_t close = content.find("</think>"); close != std::string_view::npos) {
    std::string_view before = rstrip_newlines(content.substr(0, close));
    if (size_t open = before.rfind("<think>"); open != std::string_view::npos) before = before.substr(open + 7);
    reasoning = lstrip_newlines(before);
    content = lstrip_newlines(content.substr(content.rfind("</think>") + 8));
  }
  out.append(kStart).append("assistant\n");
  bool last = i + 1 == messages.size();
  if (i > last_query && (last || !reasoning.empty()))
    out.append("<think>\n").append(strip_newlines(reasoning)).append("\n</think>\n\n").append(lstrip_newlines(content));
  else
    out.append(content);
  out.append(kEnd);
}

std::string render_qwen3(const std::vector<ChatMessage>& messages) {
  std::string out;
  if (messages[0].role == "system") append_turn(out, "system", messages[0].content);
  size_t last_query = last_query_index(messages);
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string& role = messages[i].role;
    if (role == "user" || (role == "system" && i > 0))
      append_turn(out, role, messages[i].content);
    else if (role == "assistant")
      append_qwen3_assistant(out, messages, i, last_query);
    else if (role == "tool")
      append_tool(out, messages, i);
    else
      GRPO_CHECK(role == "system", "apply_chat_template: message ", i, " has role '", role,
                 "'; the Qwen3 template renders only system, user, assistant and tool");
  }
  return out;
}

}  // namespace

std::optional<ChatTemplate> parse_chat_template(const std::string& jinja) {
  if (jinja.find("<|im_start|>") == std::string::npos) return std::nullopt;
  ChatTemplate t;
  if (jinja.find("</think>") != std::string::npos || jinja.find("enable_thinking") != std::string::npos)
    t.family = ChatTemplate::Family::kQwen3;
  else
    t.default_system = find_default_system(jinja);
  t.group_tool_responses = jinja.find("<tool_response>") != std::string::npos;
  return t;
}

std::string render_chat(const ChatTemplate& tmpl, const std::vector<ChatMessage>& messages,
                        const ChatTemplateOptions& options) {
  GRPO_CHECK(!messages.empty(), "apply_chat_template: no messages");
  std::string out;
  if (tmpl.family == ChatTemplate::Family::kQwen3) {
    out = render_qwen3(messages);
  } else {
    if (!tmpl.default_system.empty() && messages[0].role != "system")
      append_turn(out, "system", tmpl.default_system);
    for (size_t i = 0; i < messages.size(); ++i) {
      if (tmpl.group_tool_responses && messages[i].role == "tool")
        append_tool(out, messages, i);
      else
        append_turn(out, messages[i].role, messages[i].content);
    }
  }
  if (options.add_generation_prompt) {
    out.append(kStart).append("assistant\n");
    if (tmpl.family == ChatTemplate::Family::kQwen3 && !options.enable_thinking) out.append("<think>\n\n</think>\n\n");
  }
  return out;
}

}  // namespace grpo::tokenizer_detail
