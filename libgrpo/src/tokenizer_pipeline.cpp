// Normalizer, pre-tokenizer, post-processor and decoder of a tokenizer.json.
// Behaviours follow Hugging Face `tokenizers`; the golden tests in
// tests/core/tokenizer_test.cpp compare against it.
#include "tokenizer_pipeline.h"

#include <algorithm>
#include <array>

#include "libgrpo/error.h"
#include "unicode.h"

namespace grpo::tokenizer_detail {

using nlohmann::json;

namespace {

std::string type_of(const json& spec, const char* stage) {
  GRPO_CHECK(spec.is_object() && spec.contains("type") && spec["type"].is_string(), "",
             stage, " must be null or an object with a \"type\", got ", spec.dump().substr(0, 200));
  return spec["type"].get<std::string>();
}

const json& array_field(const json& spec, const char* key, const char* stage) {
  GRPO_CHECK(spec.contains(key) && spec[key].is_array(), "", stage, " Sequence needs an array \"",
             key, "\"");
  return spec[key];
}

// GPT-2's pre-tokenization pattern, used by ByteLevel when use_regex is set.
constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// Each byte's byte-level character, UTF-8 encoded.
const std::array<std::string, 256>& byte_level_chars() {
  static const std::array<std::string, 256> table = [] {
    std::array<std::string, 256> t;
    for (int b = 0; b < 256; ++b) unicode::append_utf8(t[size_t(b)], unicode::byte_to_char(uint8_t(b)));
    return t;
  }();
  return table;
}

SplitBehavior parse_behavior(const std::string& name) {
  if (name == "Removed") return SplitBehavior::kRemoved;
  if (name == "Isolated") return SplitBehavior::kIsolated;
  if (name == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (name == "Contiguous") return SplitBehavior::kContiguous;
  GRPO_FAIL("Split behavior '", name,
            "' is unknown (expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous)");
}

}  // namespace

// ---------------------------------------------------------------- normalizer

Normalizer::Normalizer(const json& spec) {
  if (!spec.is_null()) read(spec);
}

void Normalizer::read(const json& spec) {
  std::string type = type_of(spec, "normalizer");
  if (type == "NFC") {
    nfc_ = true;
  } else if (type == "Sequence") {
    for (const json& step : array_field(spec, "normalizers", "normalizer")) read(step);
  } else {
    GRPO_FAIL("normalizer type '", type, "' is not supported (supported: NFC, Sequence)");
  }
}

std::string Normalizer::apply(std::string_view text) const {
  return nfc_ ? unicode::nfc(text) : std::string(text);
}

// ---------------------------------------------------------------- pre-tokenizer

PreTokenizer::PreTokenizer(const json& spec) {
  if (!spec.is_null()) read(spec);
}

void PreTokenizer::read(const json& spec) {
  std::string type = type_of(spec, "pre_tokenizer");
  if (type == "Sequence") {
    for (const json& step : array_field(spec, "pretokenizers", "pre_tokenizer")) read(step);
  } else if (type == "Split") {
    const json& pattern = spec.at("pattern");
    std::string behavior = spec.value("behavior", std::string("Isolated"));
    bool invert = spec.value("invert", false);
    if (pattern.contains("Regex")) {
      steps_.push_back(Split{Regex(pattern["Regex"].get<std::string>()), parse_behavior(behavior), invert});
    } else if (pattern.contains("String")) {
      steps_.push_back(Split{Regex::literal(pattern["String"].get<std::string>()), parse_behavior(behavior), invert});
    } else {
      GRPO_FAIL("Split pattern must be {\"Regex\": ...} or {\"String\": ...}, got ", pattern.dump());
    }
  } else if (type == "ByteLevel") {
    bool use_regex = spec.value("use_regex", true);
    steps_.push_back(ByteLevel{spec.value("add_prefix_space", true), use_regex});
    if (use_regex && !gpt2_regex_) gpt2_regex_.emplace(kGpt2Pattern);
  } else if (type == "Digits") {
    // Hugging Face splits on char::is_numeric, i.e. \p{N}: one piece per digit,
    // or one per run of digits.
    bool individual = spec.value("individual_digits", false);
    steps_.push_back(Split{Regex(individual ? "\\p{N}" : "\\p{N}+"), SplitBehavior::kIsolated, false});
  } else {
    GRPO_FAIL("pre_tokenizer type '", type,
              "' is not supported (supported: ByteLevel, Split, Digits, Sequence)");
  }
}

void PreTokenizer::apply(std::string_view text, std::vector<std::string>& out) const {
  if (steps_.empty()) {
    if (!text.empty()) out.emplace_back(text);
    return;
  }
  std::vector<std::string> pieces{std::string(text)}, next;
  for (const Step& step : steps_) {
    next.clear();
    for (const std::string& piece : pieces) {
      if (const auto* s = std::get_if<Split>(&step))
        split(*s, piece, next);
      else
        byte_level(std::get<ByteLevel>(step), piece, next);
    }
    pieces.swap(next);
  }
  for (std::string& p : pieces) out.push_back(std::move(p));
}

// Cuts text at the pattern's matches, then keeps, drops or joins each match
// according to the behaviour (Hugging Face's NormalizedString::split). Empty
// pieces are dropped.
void PreTokenizer::split(const Split& s, std::string_view text, std::vector<std::string>& out) {
  struct Part {
    size_t begin, end;
    bool is_match;
  };
  std::vector<Part> parts;
  size_t last = 0;
  for (auto [begin, end] : s.regex.find_all(text)) {
    if (begin > last) parts.push_back({last, begin, s.invert});
    parts.push_back({begin, end, !s.invert});
    last = end;
  }
  if (last < text.size() || parts.empty()) parts.push_back({last, text.size(), s.invert});

  std::vector<Part> kept;  // is_match now means "drop"
  bool previous_match = false;
  switch (s.behavior) {
    case SplitBehavior::kRemoved: kept = parts; break;
    case SplitBehavior::kIsolated:
      for (const Part& p : parts) kept.push_back({p.begin, p.end, false});
      break;
    case SplitBehavior::kContiguous:
      // Consecutive parts of one kind become one piece. With invert, that also
      // joins adjacent pattern matches (they are the non-matches then).
      for (const Part& p : parts) {
        if (!kept.empty() && p.is_match == previous_match)
          kept.back().end = p.end;
        else
          kept.push_back({p.begin, p.end, false});
        previous_match = p.is_match;
      }
      break;
    case SplitBehavior::kMergedWithPrevious:  // a match joins the piece before it
      for (const Part& p : parts) {
        if (!kept.empty() && p.is_match && !previous_match)
          kept.back().end = p.end;
        else
          kept.push_back({p.begin, p.end, false});
        previous_match = p.is_match;
      }
      break;
    case SplitBehavior::kMergedWithNext:  // a match joins the piece after it
      for (auto p = parts.rbegin(); p != parts.rend(); ++p) {
        if (!kept.empty() && p->is_match && !previous_match)
          kept.back().begin = p->begin;
        else
          kept.push_back({p->begin, p->end, false});
        previous_match = p->is_match;
      }
      std::reverse(kept.begin(), kept.end());
      break;
  }
  for (const Part& p : kept)
    if (!p.is_match && p.end > p.begin) out.emplace_back(text.substr(p.begin, p.end - p.begin));
}

// Optionally prefixes a space, optionally splits with GPT-2's pattern, then
// spells every byte as its byte-level character.
void PreTokenizer::byte_level(const ByteLevel& b, std::string_view text, std::vector<std::string>& out) const {
  std::string prefixed;
  if (b.add_prefix_space && !text.starts_with(' ')) {
    prefixed.reserve(text.size() + 1);
    prefixed += ' ';
    prefixed += text;
    text = prefixed;
  }
  const auto& chars = byte_level_chars();
  auto emit = [&](std::string_view piece) {
    if (piece.empty()) return;
    std::string mapped;
    mapped.reserve(piece.size() * 2);
    for (char c : piece) mapped += chars[static_cast<uint8_t>(c)];
    out.push_back(std::move(mapped));
  };
  if (!b.use_regex) {
    emit(text);
    return;
  }
  size_t last = 0;
  for (auto [begin, end] : gpt2_regex_->find_all(text)) {
    emit(text.substr(last, begin - last));
    emit(text.substr(begin, end - begin));
    last = end;
  }
  emit(text.substr(last));
}

// ---------------------------------------------------------------- post-processor

PostProcessor::PostProcessor(const json& spec) {
  if (!spec.is_null()) read(spec);
}

void PostProcessor::read(const json& spec) {
  std::string type = type_of(spec, "post_processor");
  if (type == "ByteLevel") return;  // only adjusts offsets, which we do not report
  if (type == "Sequence") {
    for (const json& step : array_field(spec, "processors", "post_processor")) read(step);
    return;
  }
  GRPO_CHECK(type == "TemplateProcessing", "post_processor type '", type,
             "' is not supported (supported: TemplateProcessing, ByteLevel, Sequence)");
  GRPO_CHECK(!single_, "more than one TemplateProcessing post-processor");
  const json& tokens = spec.value("special_tokens", json::object());
  std::vector<Piece> pieces;
  for (const json& item : spec.at("single")) {
    if (item.contains("Sequence")) {
      std::string which = item["Sequence"].value("id", std::string("A"));
      GRPO_CHECK(which == "A", "TemplateProcessing single template uses sequence '", which, "'");
      pieces.push_back(Piece{});
      continue;
    }
    GRPO_CHECK(item.contains("SpecialToken"), "TemplateProcessing item ", item.dump(),
               " is neither SpecialToken nor Sequence");
    std::string name = item["SpecialToken"].at("id").get<std::string>();
    GRPO_CHECK(tokens.contains(name), "TemplateProcessing uses special token '", name,
               "', which is not in its special_tokens");
    Piece piece{tokens[name].at("ids").get<std::vector<int64_t>>()};
    GRPO_CHECK(!piece.ids.empty(), "TemplateProcessing special token '", name, "' has no ids");
    pieces.push_back(std::move(piece));
  }
  single_ = std::move(pieces);
}

std::vector<int64_t> PostProcessor::apply(std::vector<int64_t> ids, bool add_special_tokens) const {
  if (!add_special_tokens || !single_) return ids;
  std::vector<int64_t> out;
  out.reserve(ids.size() + 4);
  for (const Piece& p : *single_) {
    if (p.ids.empty())
      out.insert(out.end(), ids.begin(), ids.end());
    else
      out.insert(out.end(), p.ids.begin(), p.ids.end());
  }
  return out;
}

// ---------------------------------------------------------------- decoder

Decoder::Decoder(const json& spec) {
  if (!spec.is_null()) read(spec);
}

void Decoder::read(const json& spec) {
  std::string type = type_of(spec, "decoder");
  if (type == "ByteLevel") {
    byte_level_ = true;
  } else if (type == "Sequence") {
    for (const json& step : array_field(spec, "decoders", "decoder")) read(step);
  } else {
    GRPO_FAIL("decoder type '", type, "' is not supported (supported: ByteLevel, Sequence)");
  }
}

// Byte-level: each character stands for one byte. A token holding any other
// character (an added token such as " <tag>") is taken as its own UTF-8
// bytes, as Hugging Face's ByteLevel decoder does. Without a decoder, tokens
// are joined with spaces.
void Decoder::append_bytes(std::string_view token, bool first, std::string& out) const {
  if (!byte_level_) {
    if (!first) out += ' ';
    out += token;
    return;
  }
  size_t start = out.size();
  for (size_t pos = 0; pos < token.size();) {
    int byte = unicode::char_to_byte(unicode::next_code_point(token, pos));
    if (byte < 0) {
      out.resize(start);
      out += token;
      return;
    }
    out += char(byte);
  }
}

}  // namespace grpo::tokenizer_detail
