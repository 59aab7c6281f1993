// Tokenizer: loading, encode, decode and streaming decode. The stages live in
// tokenizer_pipeline.cpp, tokenizer_added.cpp and tokenizer_bpe.cpp.
#include "libgrpo/tokenizer.h"

#include <fstream>
#include <sstream>

#include "libgrpo/error.h"
#include "tokenizer_impl.h"
#include "unicode.h"

namespace grpo {

using nlohmann::json;
using namespace tokenizer_detail;

namespace {

const json& field_or_null(const json& j, const char* key) {
  static const json null_value;
  auto it = j.find(key);
  return it == j.end() ? null_value : *it;
}

json parse_json(std::string_view text, std::string_view source) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    GRPO_FAIL(source, ": malformed JSON: ", e.what());
  }
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  GRPO_CHECK(in.good(), path.string(), ": cannot open file");
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

// A token in tokenizer_config.json: "text", {"content": "text", ...} or null.
std::optional<std::string> config_token(const json& config, const char* key) {
  const json& value = field_or_null(config, key);
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content")) return value["content"].get<std::string>();
  return std::nullopt;
}

// chat_template: one string, or a list of {"name", "template"} of which
// "default" is the one used for plain conversations.
std::optional<std::string> config_chat_template(const json& config) {
  const json& value = field_or_null(config, "chat_template");
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    for (const json& t : value)
      if (t.value("name", std::string()) == "default") return t.at("template").get<std::string>();
  }
  return std::nullopt;
}

// tokenizer_config.json: the eos/bos/pad tokens and the chat template.
void read_config(Tokenizer::Impl& impl, std::string_view text, std::string_view tokenizer_source) {
  std::string source(tokenizer_source);
  if (source.ends_with("tokenizer.json"))
    source.replace(source.size() - 5, 5, "_config.json");
  else
    source += " (tokenizer_config.json)";
  json config = parse_json(text, source);
  impl.has_config = true;
  auto id_of = [&](const char* key) -> std::optional<int64_t> {
    auto token = config_token(config, key);
    if (!token) return std::nullopt;
    if (const AddedToken* t = impl.added.by_content(*token)) return t->id;
    auto id = impl.model.token_to_id(*token);
    GRPO_CHECK(id, source, ": ", key, " '", *token, "' is not a token of this tokenizer");
    return id;
  };
  try {
    impl.eos_id = id_of("eos_token");
    impl.bos_id = id_of("bos_token");
    impl.pad_id = id_of("pad_token");
    if (auto jinja = config_chat_template(config)) {
      impl.has_chat_template_text = true;
      impl.chat_template = parse_chat_template(*jinja);
    }
  } catch (const json::exception& e) {  // a field of the wrong JSON type
    GRPO_FAIL(source, ": ", e.what());
  }
}

}  // namespace

// ---------------------------------------------------------------- Impl

Tokenizer::Impl::Impl(const json& tokenizer, const std::string& source_name)
    : source(source_name),
      normalizer(field_or_null(tokenizer, "normalizer")),
      pre_tokenizer(field_or_null(tokenizer, "pre_tokenizer")),
      model(tokenizer.at("model")),
      added(field_or_null(tokenizer, "added_tokens"), normalizer),
      post_processor(field_or_null(tokenizer, "post_processor")),
      decoder(field_or_null(tokenizer, "decoder")) {
  vocab_size = std::max(model.size(), added.max_id() + 1);
}

// Hugging Face's order: added tokens matched in the raw text, then the rest
// normalized, then added tokens matched in the normalized text, then each
// remaining piece pre-tokenized and run through the model.
void Tokenizer::Impl::encode(std::string_view text, std::vector<int64_t>& ids) const {
  std::vector<Segment> raw, normalized;
  added.split(text, /*normalized_pass=*/false, raw);
  for (Segment& s : raw) {
    if (s.id) {
      normalized.push_back(std::move(s));
      continue;
    }
    added.split(normalizer.apply(s.text), /*normalized_pass=*/true, normalized);
  }
  std::vector<std::string> words;
  for (const Segment& s : normalized) {
    if (s.id) {
      ids.push_back(*s.id);
      continue;
    }
    words.clear();
    pre_tokenizer.apply(s.text, words);
    for (const std::string& w : words) model.tokenize(w, ids);
  }
}

const std::string* Tokenizer::Impl::token(int64_t id) const {
  if (const AddedToken* t = added.by_id(id)) return &t->text;
  return model.id_to_token(id);
}

bool Tokenizer::Impl::is_special(int64_t id) const {
  const AddedToken* t = added.by_id(id);
  return t && t->special;
}

// ---------------------------------------------------------------- Tokenizer

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::load(const std::filesystem::path& path) {
  std::filesystem::path file = path, config;
  if (std::filesystem::is_directory(path)) {
    file = path / "tokenizer.json";
    GRPO_CHECK(std::filesystem::exists(file), path.string(), ": no tokenizer.json in this directory");
    if (std::filesystem::exists(path / "tokenizer_config.json")) config = path / "tokenizer_config.json";
  }
  std::string config_text = config.empty() ? std::string() : read_file(config);
  return from_json(read_file(file), config_text, file.string());
}

Tokenizer Tokenizer::from_json(std::string_view tokenizer_json, std::string_view tokenizer_config_json,
                               std::string_view source) {
  json tokenizer = parse_json(tokenizer_json, source);
  GRPO_CHECK(tokenizer.is_object() && tokenizer.contains("model"), source,
             ": not a tokenizer.json (no \"model\" object)");
  std::unique_ptr<Impl> impl;
  try {
    impl = std::make_unique<Impl>(tokenizer, std::string(source));
  } catch (const Error& e) {
    throw Error(std::string(source) + ": " + e.message(), e.file(), e.line());
  } catch (const json::exception& e) {  // a field of the wrong JSON type
    GRPO_FAIL(source, ": ", e.what());
  }
  if (!tokenizer_config_json.empty()) read_config(*impl, tokenizer_config_json, source);
  return Tokenizer(std::move(impl));
}

std::vector<int64_t> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  std::vector<int64_t> ids;
  if (unicode::is_valid_utf8(text)) {
    impl_->encode(text, ids);
  } else {
    impl_->encode(unicode::to_valid_utf8(text), ids);
  }
  return impl_->post_processor.apply(std::move(ids), add_special_tokens);
}

std::string Tokenizer::decode(std::span<const int64_t> ids, bool skip_special_tokens) const {
  std::string bytes;
  bool first = true;
  for (int64_t id : ids) {
    const std::string* token = impl_->token(id);
    GRPO_CHECK(token, "decode: id ", id, " is not a token of this tokenizer (vocab_size ", vocab_size(), ")");
    if (skip_special_tokens && impl_->is_special(id)) continue;
    impl_->decoder.append_bytes(*token, first, bytes);
    first = false;
  }
  return unicode::is_valid_utf8(bytes) ? bytes : unicode::to_valid_utf8(bytes);
}

int64_t Tokenizer::vocab_size() const { return impl_->vocab_size; }

std::optional<int64_t> Tokenizer::token_to_id(std::string_view token) const {
  if (const AddedToken* t = impl_->added.by_content(token)) return t->id;
  return impl_->model.token_to_id(token);
}

std::string Tokenizer::id_to_token(int64_t id) const {
  const std::string* token = impl_->token(id);
  GRPO_CHECK(token, "id_to_token: id ", id, " is not a token of this tokenizer (vocab_size ", vocab_size(), ")");
  return *token;
}

bool Tokenizer::is_special(int64_t id) const { return impl_->is_special(id); }
std::optional<int64_t> Tokenizer::eos_token_id() const { return impl_->eos_id; }
std::optional<int64_t> Tokenizer::bos_token_id() const { return impl_->bos_id; }
std::optional<int64_t> Tokenizer::pad_token_id() const { return impl_->pad_id; }

std::string Tokenizer::apply_chat_template(const std::vector<ChatMessage>& messages,
                                           const ChatTemplateOptions& options) const {
  GRPO_CHECK(impl_->has_config, impl_->source,
             ": no tokenizer_config.json was loaded, so there is no chat template (load the model directory)");
  GRPO_CHECK(impl_->has_chat_template_text, impl_->source, ": tokenizer_config.json has no chat_template");
  GRPO_CHECK(impl_->chat_template, impl_->source,
             ": the chat_template is not of the ChatML family (<|im_start|>role ... <|im_end|>); "
             "only ChatML templates (Qwen2, Qwen2.5, Qwen3) are supported");
  return render_chat(*impl_->chat_template, messages, options);
}

// ---------------------------------------------------------------- StreamDecoder

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, bool skip_special_tokens)
    : tokenizer_(&tokenizer), skip_special_tokens_(skip_special_tokens) {}

// Emits every complete character of pending_ and keeps a trailing sequence
// that more bytes could still complete. Ill-formed bytes are replaced as soon
// as they are known to be ill-formed, exactly as decode() replaces them.
std::string StreamDecoder::push(int64_t id) {
  const Tokenizer::Impl& impl = *tokenizer_->impl_;
  const std::string* token = impl.token(id);
  GRPO_CHECK(token, "StreamDecoder: id ", id, " is not a token of this tokenizer (vocab_size ",
             impl.vocab_size, ")");
  if (skip_special_tokens_ && impl.is_special(id)) return {};
  impl.decoder.append_bytes(*token, first_, pending_);
  first_ = false;
  std::string out;
  size_t pos = 0;
  while (pos < pending_.size()) {
    unicode::Utf8Step step = unicode::utf8_step(pending_, pos);
    if (step.kind == unicode::Utf8Step::kIncomplete) break;
    if (step.kind == unicode::Utf8Step::kValid)
      out.append(pending_, pos, step.length);
    else
      unicode::append_utf8(out, unicode::kReplacementChar);
    pos += step.length;
  }
  pending_.erase(0, pos);
  return out;
}

std::string StreamDecoder::finish() {
  std::string out = unicode::to_valid_utf8(pending_);
  pending_.clear();
  first_ = true;
  return out;
}

}  // namespace grpo
