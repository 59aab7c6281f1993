// Prompt templates: how an Example's question becomes the text the policy
// model continues.
//
//   r1       DeepSeek-R1-Zero's template (DeepSeek-AI 2025, Table 1), for base models:
//            "A conversation between User and Assistant. ... User: {prompt}. Assistant:"
//   r1_chat  the same instructions as the system message of the tokenizer's chat
//            template, the question as the user message (as open-r1 does), for
//            instruction-tuned models
//   chat     the tokenizer's chat template: system_prompt (if any), then the question
//   plain    `template_text` with {prompt}, {answer}, {id}, {task} and {<field>} replaced
//            ("{{" and "}}" are literal braces), e.g. TinyZero's countdown prompt:
//            "Using the numbers {nums}, create an equation that equals {target}. ..."
#pragma once

#include <string>

#include "libgrpo/config.h"
#include "libgrpo/dataset.h"

namespace grpo {

class Tokenizer;

// The instructions of DeepSeek-R1-Zero's template, up to "User:".
extern const char* const kR1Instructions;

struct PromptTemplate {
  std::string style = "r1";    // r1 | r1_chat | chat | plain
  std::string system_prompt;   // chat: the system message ("" -> none)
  std::string template_text = "{prompt}";  // plain
  bool enable_thinking = true;  // chat styles on Qwen3 templates (ChatTemplateOptions)
};

void describe(config::Visitor& v, PromptTemplate& o);

// The prompt text for `example`. tokenizer may be null for "r1" and "plain";
// "chat" and "r1_chat" need it (grpo::Error otherwise). A {name} that neither
// the example nor its fields define is a grpo::Error naming it.
std::string render_prompt(const PromptTemplate& options, const Example& example, const Tokenizer* tokenizer);

inline std::string render_prompt(const PromptTemplate& options, const Example& example,
                                 const Tokenizer& tokenizer) {
  return render_prompt(options, example, &tokenizer);
}

}  // namespace grpo
