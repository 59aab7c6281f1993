#!/usr/bin/env python3
"""Golden fixtures for libgrpo's tokenizer, from Hugging Face `tokenizers` and
`transformers` (the reference implementations).

    make_tokenizer_fixtures.py OUT_DIR

Writes into OUT_DIR:
  <name>/tokenizer.json   small BPE tokenizers trained here on a built-in
                          multilingual text, one per pipeline shape (GPT-2,
                          Qwen, Llama 3, DeepSeek-V3, added tokens, unknown
                          characters, no pre-tokenizer, Split behaviours)
  fixtures.json           for each tokenizer (those above and the real Qwen3 one
                          in tests/data/tokenizers/qwen3) and each corpus entry:
                          ids without and with special tokens and the decoded
                          texts; NFC cases from unicodedata; chat-template
                          renderings from transformers
  corpus.txt              the corpus, one entry per line (for bench/)

Run at test time by ctest (golden.tokenizer.fixtures); takes a few seconds.
"""
import json
import random
import shutil
import sys
import unicodedata
from pathlib import Path

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers
from tokenizers import pre_tokenizers as pre
from tokenizers import processors, trainers

REPO = Path(__file__).resolve().parents[2]
QWEN3_DIR = REPO / "tests/data/tokenizers/qwen3"

QWEN_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                r"|\s*[\r\n]+|\s+(?!\S)|\s+")
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                  r"|\s*[\r\n]+|\s+(?!\S)|\s+")
DEEPSEEK_PATTERNS = [
    r"\p{N}{1,3}",
    "[一-龥\u3040-ゟ゠-ヿ]+",
    r"[!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+"
    r"| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
]

TRAINING_TEXT = """
The quick brown fox jumps over the lazy dog. Tokenization splits text into pieces that a model reads.
Reinforcement learning from verifiable rewards trains language models to reason step by step.
I'm sure you're right; we've seen they'll say it's what she'd do. DON'T SHOUT, IT'S LOUD.
Café au lait, naïve façade, résumé, Ångström, Zürich, São Paulo, Kraków, Dvořák, Øresund.
Привет, мир! Съешь же ещё этих мягких французских булок, да выпей чаю.
Γειά σου κόσμε. Τάχιστη αλώπηξ βαφής ψημένη γη, δρασκελίζει υπέρ νωθρού κυνός.
مرحبا بالعالم. هذا نص عربي للتجربة مع بعض الكلمات.
שלום עולם. זהו טקסט בעברית לבדיקה.
नमस्ते दुनिया। यह हिंदी में एक परीक्षण वाक्य है।
สวัสดีชาวโลก นี่คือประโยคทดสอบภาษาไทย
你好，世界！这是一个用于测试分词器的中文句子。日本語のテキストとカタカナのテスト。
안녕하세요 세계. 한국어 문장을 토큰화합니다.
def square(x):\n    return x ** 2  # comment\n\nfor i in range(10):\n    print(square(i))
int main() {\n\tstd::vector<int> v = {1, 2, 3};\n\tfor (auto x : v) std::cout << x << '\\n';\n}
\\frac{a}{b} + \\sum_{i=1}^{n} x_i^2 = \\int_0^\\infty e^{-x}\\,dx
Numbers like 1234567890, 3.14159 and 2,718 appear in text; so do dates like 2024-01-31.
Emoji: 👍🏽 👨‍👩‍👧‍👦 🇯🇵 ❤️ 😀
"""

# Each entry: (name, text). Written out in the fixtures so the C++ test reads
# exactly these strings.
CORPUS = [
    ("empty", ""),
    ("ascii", "Hello, world! This is a test of the tokenizer."),
    ("contractions", "I'm you're we've they'll she'd it's DON'T WE'LL HE'S 'S 'LL 'Re x's"),
    ("latin_nfc", "Café naïve façade résumé Ångström Zürich São Paulo Dvořák"),
    ("latin_nfd", unicodedata.normalize("NFD", "Café naïve façade résumé Ångström Zürich São Paulo Dvořák")),
    ("combining_order", "q\u0307\u0323 e\u0301\u0323 a\u0328\u0301 o\u031b\u0300\u0323 x\u0301\u0301"),
    ("singletons", "\u212b \u2126 \u212a \u0958 \u2adc \u0344 \u0f73"),
    ("cyrillic", "Привет, мир! Съешь же ещё этих мягких французских булок."),
    ("greek", "Γειά σου κόσμε. Τάχιστη αλώπηξ " + unicodedata.normalize("NFD", "ά έ ΐ")),
    ("arabic", "مرحبا بالعالم، هذا اختبار. بِسْمِ اللَّهِ ١٢٣"),
    ("hebrew", "שלום עולם, זהו מבחן. בְּרֵאשִׁית"),
    ("devanagari", "नमस्ते दुनिया, यह एक परीक्षण है। क़ ज़"),
    ("thai", "สวัสดีชาวโลก นี่คือการทดสอบ"),
    ("cjk", "你好，世界！这是一个测试。日本語のテキストとカタカナ。"),
    ("hangul", "안녕하세요 세계, 한국어"),
    ("hangul_jamo", unicodedata.normalize("NFD", "안녕하세요 세계") + " \u1100\u1161\u11a8 \uac00\u11a8"),
    ("python", "def f(x):\n    return x ** 2  # square\n\n\nprint(f(3))\n"),
    ("cpp_tabs", "int main() {\n\tfor (int i = 0; i < 10; ++i) {\n\t\tstd::cout << i << '\\n';\n\t}\n}\n"),
    ("latex", r"\frac{a}{b} + \sum_{i=1}^{n} x_i^2 = \int_0^\infty e^{-x}\,dx \quad \text{ok}"),
    ("emoji", "👍🏽 👨‍👩‍👧‍👦 🇯🇵🇫🇷 ❤️ 🏳️‍🌈 😀😃 👩🏿‍💻"),
    ("whitespace_runs", "a  b   c\t\t d \n\n\n e    \n   f      "),
    ("crlf", "line1\r\nline2\r\n\r\nline3\r\n"),
    ("lone_cr", "a\rb\r\rc \r d"),
    ("trailing_spaces", "trailing spaces   "),
    ("leading_spaces", "   leading spaces"),
    ("only_spaces", "     "),
    ("newlines_only", "\n\n\n"),
    ("unicode_spaces", "a\u00a0b\u2003c\u3000d\u0085e\u200bf\u180eg\u2028h\u202fi\u1680j"),
    ("special_tokens", "<|im_start|>user\nHi there<|im_end|>\n<|endoftext|>"),
    ("special_glued", "x<|im_end|>y<|endoftext|><|endoftext|>z"),
    ("special_lookalike", "<|im_start <|im_end| <|endoftext|"),
    ("think_tags", "<think>\nreasoning here\n</think>\n\nThe answer is 4."),
    ("digits", "1234567890123 3.14159 1,000,000 ٣٤٥ ²³ ½ 1e-10"),
    ("digit_run", "31415926535897932384626433832795028841971693993751"),
    ("alnum", "Numbers123and456letters abc123def GPT4o x86_64"),
    ("punctuation", "«quote» — “smart” ‘quotes’ … !!! ??? ... --- (a) [b] {c} <d>"),
    ("separators", "a::b::::c, d,e;f - g-h / i/j || k"),
    ("url", "See https://example.com/path?q=1&r=two#frag or mail user@example.org."),
    ("control", "\x00\x01\x1b[0mcolour\x7f\x1f"),
    ("long_word", "Pneumonoultramicroscopicsilicovolcanoconiosis"),
    ("repeated", "a" * 64 + " " + "ab" * 40),
    ("many_spaces", " " * 50 + "x" + " " * 17),
    ("math_alnum", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟘𝟙𝟚 𠀀𠀁 ℌ"),
    ("fullwidth", "ＡＢＣ１２３！"),
    ("mixed_script", "English русский 中文 العربية हिन्दी 한국어 ελληνικά"),
    ("added_mask", "Hi <mask> there\t<mask>\t<mask>\u2000 end"),
    ("added_sep", "one[SEP]   two [SEP]three[SEP]"),
    ("added_single_word", "ony Anthony ony, (ony) _ony ony_ ony"),
    ("added_normalized", unicodedata.normalize("NFD", "Café") + " Café " + "cafe\u0301s"),
    ("added_raw_nfd", unicodedata.normalize("NFD", "ñandú") + " ñandú"),
    ("added_spaced", "a spaced thing, spaced,  spaced"),
    ("added_tool", "x <tool> y<tool>z   <tool>"),
    ("added_quirk", "é and Ā"),
    ("injected_words", " tokenization internationalization Привет"),
    ("code_mix", "if (x != y && z >= 0) { return foo->bar[i]; } // done"),
    ("json", '{"key": "value", "list": [1, 2, 3], "nested": {"a": null}}'),
]

# Random strings from pieces that stress the pipeline's seams (contractions,
# combining marks, Hangul jamo, special tokens, unusual spaces, digits) mixed
# with random assigned code points. Characters unassigned in this Python's
# Unicode version are left out: PCRE2 and Oniguruma may date from different
# Unicode versions and classify those differently.
FUZZ_PIECES = [
    "a", "Z", " ", "  ", "\t", "\n", "\r", "\r\n", "'s", "'LL", "'", "1", "23", "456789", "٣", "²", "é", "e\u0301",
    "\u0301", "\u0323", "ñ", "\u212b", "ß", "ﬁ", "Ж", "ά", "ש", "ب", "न", "्", "ก", "中", "の", "カ", "한", "\u1100",
    "\u1161", "\u11a8", "😀", "👍", "🏽", "\u200d", "🇯", "\ufe0f", "\u00a0", "\u3000", "\u0085", "\u200b",
    "\u180e", "\u2028", ".", ",", "!", "-", "/", "::", ";", "(", "{", "<", "|", "\\", "_", "$", "`", "\"",
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<think>", "<mask>", "[SEP]", "ony", "<tool>", " spaced", "Café",
    "Ā", "\x00", "𝔘", "𠀀", " the", " tokenization", " Привет", "HELLO", "x86_64", "ǅ", "İ", "ſ", "\u212a"]


def fuzz_corpus(count, seed=20240601):
    rng = random.Random(seed)
    out = []
    for i in range(count):
        text = "".join(rng.choice(FUZZ_PIECES) if rng.random() < 0.6 else chr(rng.randint(0x20, 0x2FFFF))
                       for _ in range(rng.randint(1, 14)))
        text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cn", "Cs"))
        out.append((f"fuzz_{i}", text))
    return out


CORPUS += fuzz_corpus(80)


def train(pre_tokenizer, normalizer=None, special_tokens=(), vocab_size=1000, ascii_only=False, limit_alphabet=None):
    """A BPE tokenizer trained on TRAINING_TEXT and the corpus. ascii_only
    trains on ASCII text alone and without the 256-byte alphabet, so that other
    characters are missing from the vocabulary; so does limit_alphabet."""
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    tok.decoder = decoders.ByteLevel()
    alphabet = [] if ascii_only else pre.ByteLevel.alphabet()
    limits = {"limit_alphabet": limit_alphabet} if limit_alphabet else {}
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, show_progress=False,
                                  special_tokens=list(special_tokens), initial_alphabet=alphabet, **limits)
    lines = [line for line in TRAINING_TEXT.split("\n") if line] * 4 + [t for _, t in CORPUS]
    if ascii_only:
        lines = [line for line in lines if line.isascii()]
    tok.train_from_iterator(lines, trainer)
    return tok


def set_unk(fuse):
    def edit(spec):
        spec["model"]["unk_token"] = "<unk>"
        spec["model"]["fuse_unk"] = fuse
    return edit


def edit_json(tok, edit):
    spec = json.loads(tok.to_str())
    edit(spec)
    return Tokenizer.from_str(json.dumps(spec))


def build_tokenizers():
    toks = {}

    def legacy_merges(spec):  # the older "a b" string form of merges
        spec["model"]["merges"] = [" ".join(m) if isinstance(m, list) else m for m in spec["model"]["merges"]]
    gpt2 = train(pre.ByteLevel(add_prefix_space=False, use_regex=True), special_tokens=["<|endoftext|>"])
    gpt2.post_processor = processors.ByteLevel(trim_offsets=True)
    toks["gpt2"] = edit_json(gpt2, legacy_merges)

    gpt2_prefix = train(pre.ByteLevel(add_prefix_space=True, use_regex=True), special_tokens=["<|endoftext|>"])
    gpt2_prefix.decoder = None  # no decoder: Hugging Face joins the tokens with spaces
    toks["gpt2_prefix"] = gpt2_prefix

    qwen = train(pre.Sequence([pre.Split(Regex(QWEN_PATTERN), "isolated"),
                               pre.ByteLevel(add_prefix_space=False, use_regex=False)]),
                 normalizer=normalizers.NFC(),
                 special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    qwen.add_tokens([AddedToken("<think>", special=False, normalized=False),
                     AddedToken("</think>", special=False, normalized=False)])
    toks["qwen"] = qwen

    llama3 = train(pre.Sequence([pre.Split(Regex(LLAMA3_PATTERN), "isolated"),
                                 pre.ByteLevel(add_prefix_space=False, use_regex=False)]),
                   special_tokens=["<|begin_of_text|>", "<|end_of_text|>"])
    bos = llama3.token_to_id("<|begin_of_text|>")
    llama3.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A $B:1",
                                      special_tokens=[("<|begin_of_text|>", bos)])])

    def inject_words(spec):  # whole words with no merges: only ignore_merges finds them
        spec["model"]["ignore_merges"] = True
        vocab = spec["model"]["vocab"]
        for word in [" tokenization", " internationalization", " Привет"]:
            mapped = "".join(BYTE_TO_CHAR[b] for b in word.encode())
            vocab.setdefault(mapped, len(vocab))
    toks["llama3"] = edit_json(llama3, inject_words)

    deepseek = train(pre.Sequence([pre.Split(Regex(p), "isolated") for p in DEEPSEEK_PATTERNS]
                                  + [pre.ByteLevel(add_prefix_space=False, use_regex=False)]),
                     special_tokens=["<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"])
    deepseek.decoder = decoders.Sequence([decoders.ByteLevel()])
    deepseek.post_processor = processors.TemplateProcessing(
        single="<｜begin▁of▁sentence｜> $A", special_tokens=[("<｜begin▁of▁sentence｜>", 0)])
    toks["deepseek_v3"] = deepseek

    added = train(pre.ByteLevel(add_prefix_space=False, use_regex=True), normalizer=normalizers.NFC(),
                  special_tokens=["<|endoftext|>"])
    added.add_special_tokens([AddedToken("<mask>", lstrip=True, rstrip=True, single_word=True),
                              AddedToken("[SEP]", rstrip=True)])
    added.add_tokens([AddedToken("ony", single_word=True, normalized=False),
                      AddedToken(unicodedata.normalize("NFD", "Café"), normalized=True),
                      AddedToken(unicodedata.normalize("NFD", "ñandú"), normalized=False),
                      AddedToken(" spaced", normalized=False),
                      AddedToken("<tool>", single_word=True, lstrip=True, normalized=False),
                      AddedToken("é", normalized=False),
                      AddedToken("Ā", normalized=False)])
    toks["added"] = added

    # Characters missing from the vocabulary: <unk> (fused runs, or one per
    # character), or dropped when there is no unk_token.
    ascii_fused = train(pre.ByteLevel(add_prefix_space=False, use_regex=True), special_tokens=["<unk>"],
                        ascii_only=True, vocab_size=400)
    toks["ascii_unk_fused"] = edit_json(ascii_fused, set_unk(True))
    toks["ascii_no_unk"] = train(pre.ByteLevel(add_prefix_space=False, use_regex=True), ascii_only=True,
                                 vocab_size=400)
    # No pre-tokenizer and no decoder: the model works on whole texts, in
    # Unicode characters rather than byte-level ones.
    chars = train(None, special_tokens=["<unk>"], vocab_size=1500, limit_alphabet=200)
    chars.decoder = None
    toks["chars_unk"] = edit_json(chars, set_unk(False))

    toks["splits_a"] = train(pre.Sequence([
        pre.Split(Regex(r"\s+"), "removed"),
        pre.Split(",", "merged_with_previous"),
        pre.Split(Regex(r"[-/]"), "merged_with_next"),
        pre.Digits(individual_digits=True),
        pre.ByteLevel(add_prefix_space=False, use_regex=False)]),
        normalizer=normalizers.Sequence([normalizers.NFC()]))
    toks["splits_b"] = train(pre.Sequence([
        pre.Split("::", "contiguous"),
        pre.Split(Regex(r"\p{L}+"), "merged_with_previous", invert=True),
        pre.Split(Regex(r"[\u3040-\u30ff]+"), "isolated"),
        pre.Split(Regex(r"[aeiou]"), "contiguous", invert=True),
        pre.Digits(individual_digits=False),
        pre.ByteLevel(add_prefix_space=True, use_regex=True)]))
    return toks


def bytes_to_unicode():
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(0x100 + extra)
            extra += 1
    return table


BYTE_TO_CHAR = bytes_to_unicode()

# Properties the C++ test checks by design rather than against Hugging Face:
# whether decode(encode(x)) gives x back (after NFC where the tokenizer normalizes).
LOSSLESS = {"gpt2": True, "gpt2_prefix": False, "qwen": True, "llama3": True, "deepseek_v3": True,
            "added": False, "splits_a": False, "splits_b": False, "qwen3": True, "ascii_unk_fused": False,
            "ascii_no_unk": False, "chars_unk": False}


def cases_for(tok):
    out = []
    for _, text in CORPUS:
        ids = tok.encode(text, add_special_tokens=False).ids
        ids_special = tok.encode(text, add_special_tokens=True).ids
        out.append({"ids": ids, "ids_special": ids_special, "text": tok.decode(ids, skip_special_tokens=False),
                    "text_skip": tok.decode(ids_special, skip_special_tokens=True)})
    return out


def nfc_cases():
    cases = [text for _, text in CORPUS]
    marks = [0x0300, 0x0301, 0x0308, 0x0323, 0x0328, 0x031B, 0x0345, 0x05B0, 0x093C, 0x302A, 0x0F72, 0x1D165]
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        decomposition = unicodedata.decomposition(chr(cp))
        if decomposition and not decomposition.startswith("<"):
            ch = chr(cp)
            cases += [ch, unicodedata.normalize("NFD", ch), unicodedata.normalize("NFD", ch) + "\u0323\u0301"]
    rng = random.Random(1234)
    bases = "aeiouAEOUcnszCSZ\u0915\u05d0\u03b1\u0391\u0430\u3046\u304b\u1100\u1161\u11a8\uac00\uac01 "
    for _ in range(3000):
        s = "".join(rng.choice(bases) if rng.random() < 0.4 else chr(rng.choice(marks))
                    for _ in range(rng.randint(1, 8)))
        cases.append(s)
    for lead in range(0x1100, 0x1113, 3):
        for vowel in range(0x1161, 0x1176, 4):
            cases.append(chr(lead) + chr(vowel) + "\u11a8" + chr(vowel) + "\u11c2\u11a8")
    return [{"input": s, "nfc": unicodedata.normalize("NFC", s)} for s in cases]


CONVERSATIONS = [
    ("system_user", [{"role": "system", "content": "You are a helpful assistant."},
                     {"role": "user", "content": "What is 2+2?"}], True, True),
    ("user_no_thinking", [{"role": "user", "content": "Solve x^2 = 4.\nShow steps."}], True, False),
    ("no_generation_prompt", [{"role": "user", "content": "Hi"}], False, True),
    ("multi_turn", [{"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Hello"},
                    {"role": "assistant", "content": "Hi! How can I help?"},
                    {"role": "user", "content": "Tell me a joke."}], True, True),
    ("earlier_reasoning_dropped", [{"role": "user", "content": "2+2?"},
                                   {"role": "assistant", "content": "<think>\nadd them\n</think>\n\n4"},
                                   {"role": "user", "content": "and 3+3?"}], True, False),
    ("final_assistant_reasoning", [{"role": "user", "content": "2+2?"},
                                   {"role": "assistant", "content": "<think>\n\nadd\n\n</think>\n\n\n4"}],
     False, True),
    ("final_assistant_plain", [{"role": "user", "content": "Hi"},
                               {"role": "assistant", "content": "Hello there"}], False, True),
    ("tools", [{"role": "user", "content": "Weather in Paris and Rome?"},
               {"role": "assistant", "content": "Checking."},
               {"role": "tool", "content": "{\"Paris\": 18}"},
               {"role": "tool", "content": "{\"Rome\": 24}"},
               {"role": "assistant", "content": "Paris 18, Rome 24."}], True, True),
    ("tool_response_as_user", [{"role": "user", "content": "Run it"},
                               {"role": "assistant", "content": "<think>plan</think>Running"},
                               {"role": "user", "content": "<tool_response>ok</tool_response>"}], True, True),
    ("late_system", [{"role": "user", "content": "Hi"}, {"role": "system", "content": "Switch to French."},
                     {"role": "user", "content": "Bonjour, ça va ? 👋"}], True, True),
]

CHATML_TEMPLATE = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content']"
                   " + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
                   "{{ '<|im_start|>assistant\\n' }}{% endif %}")
# A ChatML template with a default system prompt, in the style of Qwen2.5's.
DEFAULT_SYSTEM_TEMPLATE = (
    "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + "
    "'<|im_end|>\\n' }}{%- else %}{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. "
    "You are a helpful assistant.<|im_end|>\\n' }}{%- endif %}"
    "{%- for message in messages %}{%- if (message.role == 'user') or (message.role == 'system' and not "
    "loop.first) or (message.role == 'assistant') %}{{- '<|im_start|>' + message.role + '\\n' + "
    "message.content + '<|im_end|>' + '\\n' }}{%- elif message.role == 'tool' %}{%- if (loop.index0 == 0) "
    "or (messages[loop.index0 - 1].role != 'tool') %}{{- '<|im_start|>user' }}{%- endif %}"
    "{{- '\\n<tool_response>\\n' }}{{- message.content }}{{- '\\n</tool_response>' }}{%- if loop.last or "
    "(messages[loop.index0 + 1].role != 'tool') %}{{- '<|im_end|>\\n' }}{%- endif %}{%- endif %}"
    "{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}")
LLAMA3_TEMPLATE = ("{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + "
                   "'<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}")


def write_config(directory, template, extra):
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "chat_template": template, **extra}
    (directory / "tokenizer_config.json").write_text(json.dumps(config, indent=1, ensure_ascii=False))


def chat_cases(directory, conversations):
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(str(directory))
    out = []
    for name, messages, add_prompt, thinking in conversations:
        text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_prompt,
                                       enable_thinking=thinking)
        out.append({"name": name, "messages": messages, "add_generation_prompt": add_prompt,
                    "enable_thinking": thinking, "expected": text})
    return out


def main():
    out_dir = Path(sys.argv[1]).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    fixtures = {"corpus": [{"name": n, "text": t} for n, t in CORPUS], "tokenizers": [],
                "unicode_version": unicodedata.unidata_version}
    toks = build_tokenizers()
    for name, tok in toks.items():
        (out_dir / name).mkdir(exist_ok=True)
        tok.save(str(out_dir / name / "tokenizer.json"))
        fixtures["tokenizers"].append({"name": name, "path": str(out_dir / name), "lossless": LOSSLESS[name],
                                       "cases": cases_for(tok)})
    qwen3 = Tokenizer.from_file(str(QWEN3_DIR / "tokenizer.json"))
    fixtures["tokenizers"].append({"name": "qwen3", "path": str(QWEN3_DIR), "lossless": True,
                                   "cases": cases_for(qwen3)})

    # Chat templates: the real Qwen3 one, and two ChatML variants on the small "qwen" tokenizer.
    chatml_dir, system_dir = out_dir / "chatml", out_dir / "chatml_default_system"
    for directory, template in [(chatml_dir, CHATML_TEMPLATE), (system_dir, DEFAULT_SYSTEM_TEMPLATE)]:
        directory.mkdir(exist_ok=True)
        shutil.copy(out_dir / "qwen/tokenizer.json", directory / "tokenizer.json")
        write_config(directory, template, {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"})
    write_config(out_dir / "llama3", LLAMA3_TEMPLATE,
                 {"bos_token": "<|begin_of_text|>", "eos_token": {"content": "<|end_of_text|>", "lstrip": False}})
    plain = [c for c in CONVERSATIONS if c[0] in ("system_user", "multi_turn", "tools", "no_generation_prompt")]
    fixtures["chat"] = {"qwen3": {"path": str(QWEN3_DIR), "cases": chat_cases(QWEN3_DIR, CONVERSATIONS)},
                        "chatml": {"path": str(chatml_dir), "cases": chat_cases(chatml_dir, plain)},
                        "chatml_default_system": {"path": str(system_dir), "cases": chat_cases(system_dir, plain)}}
    fixtures["nfc"] = nfc_cases()

    (out_dir / "fixtures.json").write_text(json.dumps(fixtures, ensure_ascii=False))
    (out_dir / "corpus.txt").write_text("".join(t.replace("\n", " ") + "\n" for _, t in CORPUS if t))
    print(f"wrote {out_dir}: {len(toks) + 1} tokenizers x {len(CORPUS)} texts, {len(fixtures['nfc'])} NFC cases")


if __name__ == "__main__":
    main()
