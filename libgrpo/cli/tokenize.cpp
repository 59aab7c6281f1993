#include "tokenize.h"

#include <nlohmann/json.hpp>

#include <istream>
#include <ostream>

#include "libgrpo/error.h"
#include "libgrpo/tokenizer.h"

namespace grpo::cli {

using nlohmann::json;

CLI::App* add_tokenize_command(CLI::App& app, TokenizeArgs& args) {
  auto* cmd = app.add_subcommand(
      "tokenize", "Encode JSON lines {\"text\": ...} from stdin to {\"ids\": [...]} (or decode with --decode)");
  cmd->add_option("--tokenizer", args.tokenizer, "tokenizer.json, or a directory holding it")->required();
  cmd->add_flag("--decode", args.decode, "Read {\"ids\": [...]} and write {\"text\": ...}");
  cmd->add_flag("--add-special-tokens", args.add_special_tokens,
                "Encode: add the tokenizer's template tokens (e.g. Llama 3's <|begin_of_text|>)");
  cmd->add_flag("--skip-special-tokens", args.skip_special_tokens, "Decode: leave special tokens out");
  return cmd;
}

namespace {

json process_line(const Tokenizer& tokenizer, const TokenizeArgs& args, const std::string& line) {
  json in;
  try {
    in = json::parse(line);
  } catch (const json::parse_error& e) {
    GRPO_FAIL("malformed JSON: ", e.what());
  }
  GRPO_CHECK(in.is_object(), "expected a JSON object, got ", in.type_name());
  if (args.decode) {
    GRPO_CHECK(in.contains("ids") && in["ids"].is_array(), "expected {\"ids\": [...]}");
    std::vector<int64_t> ids;
    for (const json& id : in["ids"]) {
      GRPO_CHECK(id.is_number_integer(), "\"ids\" holds ", id.dump(), ", which is not an integer");
      ids.push_back(id.get<int64_t>());
    }
    return {{"text", tokenizer.decode(ids, args.skip_special_tokens)}};
  }
  GRPO_CHECK(in.contains("text") && in["text"].is_string(), "expected {\"text\": \"...\"}");
  return {{"ids", tokenizer.encode(in["text"].get_ref<const std::string&>(), args.add_special_tokens)}};
}

}  // namespace

int run_tokenize(const TokenizeArgs& args, std::istream& in, std::ostream& out) {
  Tokenizer tokenizer = Tokenizer::load(args.tokenizer);
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      out << process_line(tokenizer, args, line).dump() << '\n';
    } catch (const Error& e) {
      throw Error("stdin line " + std::to_string(number) + ": " + e.message(), e.file(), e.line());
    }
  }
  out.flush();
  return 0;
}

}  // namespace grpo::cli
