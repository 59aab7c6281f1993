// grpo tokenize: text <-> token ids as JSON lines, through a Hugging Face tokenizer.
#pragma once

#include <CLI/CLI.hpp>

#include <iosfwd>
#include <string>

namespace grpo::cli {

struct TokenizeArgs {
  std::string tokenizer;  // tokenizer.json or a directory holding it
  bool decode = false;
  bool add_special_tokens = false;
  bool skip_special_tokens = false;
};

// Registers the subcommand on app, filling args when it is parsed.
CLI::App* add_tokenize_command(CLI::App& app, TokenizeArgs& args);

// Reads JSON lines from in and writes one JSON line per input line to out:
//   {"text": "..."} -> {"ids": [...]}      (encode, the default)
//   {"ids": [...]}  -> {"text": "..."}     (--decode)
// Blank lines are skipped. A bad line is a grpo::Error naming its line number.
int run_tokenize(const TokenizeArgs& args, std::istream& in, std::ostream& out);

}  // namespace grpo::cli
