// Golden tests: libgrpo's Tokenizer against Hugging Face `tokenizers` and
// `transformers`. tests/golden/make_tokenizer_fixtures.py trains small
// byte-level BPE tokenizers of every supported pipeline shape, and records
// what the reference gives for a multilingual corpus, for the real Qwen3
// tokenizer (tests/data/tokenizers/qwen3) and for NFC; ctest runs it first
// (golden.tokenizer.fixtures) into LIBGRPO_TOKENIZER_FIXTURES.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "libgrpo/error.h"
#include "support/expect_error.h"
#include "libgrpo/tokenizer.h"
#include "tokenizer_regex.h"  // private: libgrpo/src
#include "unicode.h"          // private: libgrpo/src

namespace {

using grpo::ChatMessage;
using grpo::StreamDecoder;
using grpo::Tokenizer;
using nlohmann::json;
using Ids = std::vector<int64_t>;

const std::string kFixtures = LIBGRPO_TOKENIZER_FIXTURES;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const json& fixtures() {
  static const json data = [] {
    std::string text = read_text(kFixtures + "/fixtures.json");
    if (text.empty()) ADD_FAILURE() << kFixtures << "/fixtures.json is missing: run ctest -R golden.tokenizer";
    return text.empty() ? json::object() : json::parse(text);
  }();
  return data;
}

const json& tokenizer_fixture(const std::string& name) {
  for (const json& t : fixtures().at("tokenizers"))
    if (t.at("name") == name) return t;
  throw std::runtime_error("no fixture for tokenizer " + name);
}

// Loading the 151k-token Qwen3 tokenizer takes a moment: load each once.
const Tokenizer& tokenizer(const std::string& name) {
  static std::map<std::string, Tokenizer> loaded;
  auto it = loaded.find(name);
  if (it == loaded.end())
    it = loaded.emplace(name, Tokenizer::load(tokenizer_fixture(name).at("path").get<std::string>())).first;
  return it->second;
}

std::string corpus_text(size_t i) { return fixtures().at("corpus").at(i).at("text").get<std::string>(); }
std::string corpus_name(size_t i) { return fixtures().at("corpus").at(i).at("name").get<std::string>(); }

std::string show(const Ids& ids) { return json(ids).dump(); }
std::string show(const std::string& text) { return json(text).dump(); }  // escapes control characters


// ---------------------------------------------------------------- parity per tokenizer

class TokenizerGolden : public testing::TestWithParam<std::string> {};

// Compares every corpus entry; reports how many differ and the first one.
void expect_ids(const std::string& name, const char* field, bool add_special_tokens) {
  const Tokenizer& tok = tokenizer(name);
  const json& cases = tokenizer_fixture(name).at("cases");
  size_t mismatches = 0;
  std::string first;
  for (size_t i = 0; i < cases.size(); ++i) {
    Ids want = cases[i].at(field).get<Ids>();
    Ids got = tok.encode(corpus_text(i), add_special_tokens);
    if (got == want) continue;
    if (mismatches++ == 0)
      first = corpus_name(i) + " " + show(corpus_text(i)) + "\n  ours: " + show(got) + "\n  HF:   " + show(want);
  }
  EXPECT_EQ(mismatches, 0u) << name << ": " << mismatches << " of " << cases.size()
                            << " texts differ; first: " << first;
}

TEST_P(TokenizerGolden, EncodeMatchesHuggingFace) { expect_ids(GetParam(), "ids", false); }

TEST_P(TokenizerGolden, EncodeWithSpecialTokensMatchesHuggingFace) { expect_ids(GetParam(), "ids_special", true); }

TEST_P(TokenizerGolden, DecodeMatchesHuggingFace) {
  const Tokenizer& tok = tokenizer(GetParam());
  const json& cases = tokenizer_fixture(GetParam()).at("cases");
  for (size_t i = 0; i < cases.size(); ++i) {
    Ids ids = cases[i].at("ids").get<Ids>(), ids_special = cases[i].at("ids_special").get<Ids>();
    EXPECT_EQ(show(tok.decode(ids)), show(cases[i].at("text").get<std::string>())) << corpus_name(i);
    EXPECT_EQ(show(tok.decode(ids_special, /*skip_special_tokens=*/true)),
              show(cases[i].at("text_skip").get<std::string>()))
        << corpus_name(i);
  }
}

// Streaming never emits part of a character, and adds up to decode().
TEST_P(TokenizerGolden, StreamDecoderAddsUpToDecode) {
  const Tokenizer& tok = tokenizer(GetParam());
  const json& cases = tokenizer_fixture(GetParam()).at("cases");
  for (bool skip : {false, true}) {
    StreamDecoder stream(tok, skip);
    for (size_t i = 0; i < cases.size(); ++i) {
      Ids ids = cases[i].at("ids_special").get<Ids>();
      std::string streamed;
      for (int64_t id : ids) {
        std::string piece = stream.push(id);
        ASSERT_TRUE(grpo::unicode::is_valid_utf8(piece)) << corpus_name(i) << ": partial character " << show(piece);
        streamed += piece;
      }
      streamed += stream.finish();
      EXPECT_EQ(show(streamed), show(tok.decode(ids, skip))) << corpus_name(i) << " skip=" << skip;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, TokenizerGolden,
                         testing::Values("gpt2", "gpt2_prefix", "qwen", "llama3", "deepseek_v3", "added",
                                         "ascii_unk_fused", "ascii_no_unk", "chars_unk", "splits_a", "splits_b",
                                         "qwen3"));

// Tokenizers that lose nothing by design give the text back (NFC-normalized
// where their normalizer is NFC).
class TokenizerRoundTrip : public testing::TestWithParam<std::pair<std::string, bool>> {};

TEST_P(TokenizerRoundTrip, DecodeInvertsEncode) {
  auto [name, normalizes] = GetParam();
  ASSERT_TRUE(tokenizer_fixture(name).at("lossless").get<bool>()) << name;
  const Tokenizer& tok = tokenizer(name);
  for (size_t i = 0; i < fixtures().at("corpus").size(); ++i) {
    std::string text = corpus_text(i);
    std::string want = normalizes ? grpo::unicode::nfc(text) : text;
    EXPECT_EQ(show(tok.decode(tok.encode(text))), show(want)) << name << " " << corpus_name(i);
  }
}

INSTANTIATE_TEST_SUITE_P(Lossless, TokenizerRoundTrip,
                         testing::Values(std::pair{"gpt2", false}, std::pair{"qwen", true}, std::pair{"llama3", false},
                                         std::pair{"deepseek_v3", false}, std::pair{"qwen3", true}),
                         [](const auto& info) { return std::string(info.param.first); });

// ---------------------------------------------------------------- Unicode

TEST(TokenizerUnicode, NfcMatchesPythonUnicodedata) {
  EXPECT_EQ(fixtures().at("unicode_version").get<std::string>(), grpo::unicode::unicode_tables_version())
      << "regenerate libgrpo/src/unicode_tables.inc with scripts/gen_unicode_tables.py";
  size_t mismatches = 0;
  for (const json& c : fixtures().at("nfc")) {
    std::string input = c.at("input").get<std::string>(), want = c.at("nfc").get<std::string>();
    std::string got = grpo::unicode::nfc(input);
    if (got != want && mismatches++ < 5) ADD_FAILURE() << "nfc(" << show(input) << ") = " << show(got) << ", want " << show(want);
  }
  EXPECT_EQ(mismatches, 0u) << "of " << fixtures().at("nfc").size();
  EXPECT_GT(fixtures().at("nfc").size(), 5000u);
}

TEST(TokenizerUnicode, InvalidUtf8IsReplacedPerMaximalSubpart) {
  using grpo::unicode::to_valid_utf8;
  EXPECT_EQ(to_valid_utf8("a\xff" "b"), "a\uFFFD" "b");
  EXPECT_EQ(to_valid_utf8("\xe4\xbd"), "\uFFFD");            // truncated 3-byte sequence: one
  EXPECT_EQ(to_valid_utf8("\xed\xa0\x80"), "\uFFFD\uFFFD\uFFFD");  // a surrogate: three
  EXPECT_EQ(to_valid_utf8("\xf0\x9f\x98" "x"), "\uFFFD" "x");
  EXPECT_EQ(to_valid_utf8("\xc0\xaf"), "\uFFFD\uFFFD");      // overlong
  EXPECT_EQ(to_valid_utf8("ok \xf0\x9f\x98\x80"), "ok \xf0\x9f\x98\x80");
}

TEST(TokenizerUnicode, EncodeReplacesInvalidUtf8WithU_FFFD) {
  const Tokenizer& tok = tokenizer("qwen3");
  EXPECT_EQ(tok.encode("caf\xe9 ok"), tok.encode("caf\uFFFD ok"));
  EXPECT_EQ(tok.encode("\xed\xa0\x80"), tok.encode("\uFFFD\uFFFD\uFFFD"));
  EXPECT_EQ(tok.decode(tok.encode("end\xe4\xbd")), "end\uFFFD");
}

TEST(TokenizerRegex, TranslatesOnigurumaShorthands) {
  using grpo::tokenizer_detail::Regex;
  using grpo::tokenizer_detail::Span;
  // Oniguruma's \s is White_Space: U+0085 yes, U+180E and U+200B no.
  Regex space("\\s+");
  EXPECT_EQ(space.find_all("a\xc2\x85" "b"), (std::vector<Span>{{1, 3}}));
  EXPECT_TRUE(space.find_all("a\xe1\xa0\x8e" "b\xe2\x80\x8b").empty());
  EXPECT_EQ(Regex("[^\\s\\p{L}]+").find_all("ab12 cd"), (std::vector<Span>{{2, 4}}));
  EXPECT_EQ(Regex("\\h+").find_all("xx0fG"), (std::vector<Span>{{2, 4}}));  // \h: hex digit
  EXPECT_EQ(Regex("[\\u3040-\\u309f]+").find_all("a\xe3\x81\x82"), (std::vector<Span>{{1, 4}}));
  // ^ and $ are line anchors and only \n ends a line (Oniguruma's Ruby syntax).
  EXPECT_EQ(Regex("^a").find_all("a\nab\r\na"), (std::vector<Span>{{0, 1}, {2, 3}, {6, 7}}));
  EXPECT_EQ(Regex("a$").find_all("a\nab\r\na"), (std::vector<Span>{{0, 1}, {6, 7}}));
  EXPECT_EQ(Regex(".+").find_all("a\nab\r\na"), (std::vector<Span>{{0, 1}, {2, 5}, {6, 7}}));
  // An empty match steps over one whole character.
  EXPECT_EQ(Regex("x*").find_all("\xc3\xa9"), (std::vector<Span>{{0, 0}, {2, 2}}));
  EXPECT_ERROR(Regex("[a-z&&[^aeiou]]"), "not supported");
  EXPECT_ERROR(Regex("(unclosed"), "does not compile");
}

// ---------------------------------------------------------------- streaming

TEST(TokenizerStream, HoldsBytesOfASplitCharacterUntilComplete) {
  const Tokenizer& tok = tokenizer("gpt2");
  // "你" is E4 BD A0; the byte-level tokens for single bytes exist in every
  // byte-level vocabulary (the 256-character initial alphabet).
  Ids ids;
  for (char32_t c : {U'\u00e4', U'\u00bd', U'\u0142'}) {  // byte-level spelling of E4, BD, A0
    std::string token;
    grpo::unicode::append_utf8(token, c);
    ids.push_back(*tok.token_to_id(token));
  }
  StreamDecoder stream(tok);
  EXPECT_EQ(stream.push(ids[0]), "");
  EXPECT_EQ(stream.push(ids[1]), "");
  EXPECT_EQ(stream.push(ids[2]), "\xe4\xbd\xa0");
  EXPECT_EQ(stream.push(ids[0]), "");
  EXPECT_EQ(stream.finish(), "\uFFFD");  // an incomplete character at the end
  EXPECT_EQ(tok.decode(Ids{ids[0]}), "\uFFFD");
  EXPECT_EQ(stream.push(ids[1]), "\uFFFD");  // a lone continuation byte is ill-formed at once
}

// ---------------------------------------------------------------- added tokens and config

TEST(TokenizerAdded, SpecialTokensAreFoundAndSkipped) {
  const Tokenizer& tok = tokenizer("qwen3");
  Ids ids = tok.encode("<|im_start|>user\nhi<|im_end|>");
  ASSERT_GE(ids.size(), 4u);
  EXPECT_EQ(ids.front(), 151644);
  EXPECT_EQ(ids.back(), 151645);
  EXPECT_TRUE(tok.is_special(151644));
  EXPECT_FALSE(tok.is_special(ids[1]));
  EXPECT_EQ(tok.decode(ids, /*skip_special_tokens=*/true), "user\nhi");
  EXPECT_EQ(tok.id_to_token(151645), "<|im_end|>");
  EXPECT_EQ(tok.token_to_id("<|endoftext|>"), 151643);
  EXPECT_EQ(tok.id_to_token(9707), "Hello");
  EXPECT_EQ(tok.token_to_id("\xc4\xa0world"), 1879);  // "Ġworld"
  EXPECT_EQ(tok.vocab_size(), 151669);
  EXPECT_FALSE(tok.token_to_id("no such token"));
}

TEST(TokenizerAdded, LstripRstripSingleWordAndNormalized) {
  const Tokenizer& tok = tokenizer("added");
  int64_t mask = *tok.token_to_id("<mask>"), tool = *tok.token_to_id("<tool>");
  auto concat = [](Ids a, const Ids& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  // <mask> (lstrip, rstrip) absorbs the spaces on both sides.
  EXPECT_EQ(tok.encode("a <mask> b"), concat(concat(tok.encode("a"), {mask}), tok.encode("b")));
  // <tool> (single_word, lstrip) only matches away from word characters.
  EXPECT_EQ(tok.encode("x <tool>"), concat(tok.encode("x"), {tool}));
  Ids glued = tok.encode("x<tool>");
  EXPECT_EQ(std::count(glued.begin(), glued.end(), tool), 0) << show(glued);
  EXPECT_TRUE(tok.is_special(mask));
  EXPECT_FALSE(tok.is_special(tool));
  // A normalized token is looked up by its content as written ("Cafe" + U+0301)
  // but matches, and decodes to, its NFC form.
  int64_t cafe = *tok.token_to_id("Cafe\u0301");
  EXPECT_FALSE(tok.token_to_id("Caf\u00e9"));
  EXPECT_EQ(tok.encode("Cafe\u0301"), Ids{cafe});
  EXPECT_EQ(tok.encode("xCafe\u0301").back(), cafe);
  EXPECT_EQ(tok.id_to_token(cafe), "Caf\u00e9");
  // Tokens with normalized = false are found first, in the raw text: the
  // added token "\u00e9" takes the end of an NFC "Caf\u00e9" before the
  // normalized "Caf\u00e9" can match.
  EXPECT_EQ(tok.encode("Caf\u00e9"), concat(tok.encode("Caf"), {*tok.token_to_id("\u00e9")}));
}

TEST(TokenizerConfig, SpecialTokenIdsComeFromTokenizerConfig) {
  const Tokenizer& qwen3 = tokenizer("qwen3");
  EXPECT_EQ(qwen3.eos_token_id(), 151645);
  EXPECT_EQ(qwen3.pad_token_id(), 151643);
  EXPECT_FALSE(qwen3.bos_token_id());
  Tokenizer llama = Tokenizer::load(kFixtures + "/llama3");
  EXPECT_EQ(llama.bos_token_id(), llama.token_to_id("<|begin_of_text|>"));
  EXPECT_EQ(llama.eos_token_id(), llama.token_to_id("<|end_of_text|>"));  // {"content": ...} form
  EXPECT_FALSE(llama.pad_token_id());
  Tokenizer bare = Tokenizer::load(kFixtures + "/llama3/tokenizer.json");  // a file: no config read
  EXPECT_FALSE(bare.eos_token_id());
}

// ---------------------------------------------------------------- chat templates

std::vector<ChatMessage> messages_of(const json& j) {
  std::vector<ChatMessage> out;
  for (const json& m : j) out.push_back({m.at("role").get<std::string>(), m.at("content").get<std::string>()});
  return out;
}

TEST(TokenizerChat, MatchesTransformersApplyChatTemplate) {
  for (const auto& [family, spec] : fixtures().at("chat").items()) {
    Tokenizer tok = Tokenizer::load(spec.at("path").get<std::string>());
    for (const json& c : spec.at("cases")) {
      grpo::ChatTemplateOptions options;
      options.add_generation_prompt = c.at("add_generation_prompt").get<bool>();
      options.enable_thinking = c.at("enable_thinking").get<bool>();
      EXPECT_EQ(show(tok.apply_chat_template(messages_of(c.at("messages")), options)),
                show(c.at("expected").get<std::string>()))
          << family << " / " << c.at("name").get<std::string>();
    }
  }
}

TEST(TokenizerChat, OtherTemplatesAndMissingConfigAreErrors) {
  Tokenizer llama = Tokenizer::load(kFixtures + "/llama3");
  EXPECT_ERROR(llama.apply_chat_template({{"user", "hi"}}), "not of the ChatML family");
  Tokenizer bare = Tokenizer::load(kFixtures + "/qwen/tokenizer.json");
  EXPECT_ERROR(bare.apply_chat_template({{"user", "hi"}}), "no tokenizer_config.json");
  EXPECT_ERROR(tokenizer("qwen3").apply_chat_template({}), "no messages");
  EXPECT_ERROR(tokenizer("qwen3").apply_chat_template({{"narrator", "x"}}), "role 'narrator'");
}

// ---------------------------------------------------------------- errors

json small_tokenizer_json() { return json::parse(read_text(kFixtures + "/gpt2/tokenizer.json")); }

TEST(TokenizerErrors, FilesAndJson) {
  EXPECT_ERROR(Tokenizer::load("/nonexistent/tokenizer.json"), "/nonexistent/tokenizer.json: cannot open file");
  EXPECT_ERROR(Tokenizer::load(LIBGRPO_SOURCE_DIR "/tests"), "no tokenizer.json in this directory");
  EXPECT_ERROR(Tokenizer::from_json("{\"model\": ", "", "bad.json"), "bad.json: malformed JSON");
  EXPECT_ERROR(Tokenizer::from_json("[1, 2]", "", "list.json"), "list.json: not a tokenizer.json");
  EXPECT_ERROR(Tokenizer::from_json(small_tokenizer_json().dump(), "{oops", "t/tokenizer.json"),
               "t/tokenizer_config.json: malformed JSON");
}

// Each mutation of a valid tokenizer.json and the error it must give.
TEST(TokenizerErrors, UnsupportedPiecesAreNamed) {
  struct Case {
    std::function<void(json&)> mutate;
    std::string fragment;
  };
  std::vector<Case> cases = {
      {[](json& j) { j["pre_tokenizer"] = {{"type", "Metaspace"}}; }, "pre_tokenizer type 'Metaspace'"},
      {[](json& j) { j["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", {{{"type", "Whitespace"}}}}}; },
       "pre_tokenizer type 'Whitespace'"},
      {[](json& j) { j["normalizer"] = {{"type", "NFKC"}}; }, "normalizer type 'NFKC'"},
      {[](json& j) { j["decoder"] = {{"type", "WordPiece"}}; }, "decoder type 'WordPiece'"},
      {[](json& j) { j["post_processor"] = {{"type", "RobertaProcessing"}}; }, "post_processor type 'RobertaProcessing'"},
      {[](json& j) { j["model"]["type"] = "Unigram"; }, "model type 'Unigram'"},
      {[](json& j) { j["model"]["byte_fallback"] = true; }, "model.byte_fallback = true is not supported"},
      {[](json& j) { j["model"]["continuing_subword_prefix"] = "##"; }, "continuing_subword_prefix"},
      {[](json& j) { j["model"]["merges"][0] = "a b c"; }, "model.merges[0] = 'a b c' is not two tokens"},
      {[](json& j) { j["model"]["merges"][3] = "zz\xc4\xa0 q"; }, "model.merges[3] uses 'zz\xc4\xa0'"},
      {[](json& j) { j["model"]["vocab"]["x"] = -4; }, "model.vocab['x'] = -4 is not a valid id"},
      {[](json& j) { j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(a"}}}, {"behavior", "Isolated"}}; },
       "tokenizer regex '(a' does not compile"},
      {[](json& j) { j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"String", "a"}}}, {"behavior", "Sideways"}}; },
       "Split behavior 'Sideways'"},
      {[](json& j) { j["model"]["vocab"] = json::array(); }, "model.vocab must be an object"},
  };
  for (const Case& c : cases) {
    json j = small_tokenizer_json();
    c.mutate(j);
    std::string message = grpo::test::error_of([&] { Tokenizer::from_json(j.dump(), "", "x/tokenizer.json"); });
    EXPECT_NE(message.find(c.fragment), std::string::npos) << "want '" << c.fragment << "', got '" << message << "'";
    EXPECT_TRUE(message.starts_with("x/tokenizer.json: ")) << message;
  }
}

TEST(TokenizerErrors, DecodeOfAnUnknownIdNamesIt) {
  const Tokenizer& tok = tokenizer("qwen3");
  EXPECT_ERROR(tok.decode(Ids{9707, 151669}), "decode: id 151669 is not a token of this tokenizer (vocab_size 151669)");
  EXPECT_ERROR(tok.decode(Ids{-1}), "decode: id -1");
  EXPECT_ERROR(tok.id_to_token(1 << 30), "id_to_token: id 1073741824");
  StreamDecoder stream(tok);
  EXPECT_ERROR(stream.push(200000), "StreamDecoder: id 200000");
}

// ---------------------------------------------------------------- threads

TEST(TokenizerThreads, ConcurrentEncodesAgreeWithSerialOnes) {
  const Tokenizer& tok = tokenizer("qwen3");
  std::vector<Ids> serial;
  for (size_t i = 0; i < fixtures().at("corpus").size(); ++i) serial.push_back(tok.encode(corpus_text(i)));
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round)
        for (size_t i = 0; i < serial.size(); ++i) failures[size_t(t)] += tok.encode(corpus_text(i)) != serial[i];
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

}  // namespace
