#!/usr/bin/env python3
"""Golden fixtures for libgrpo's BPE trainer (grpo::train_bpe_tokenizer), from
Hugging Face `tokenizers` (the reference implementation).

    make_bpe_fixtures.py BUILD_DIR

Writes into tests/data/tokenizers/bpe_trained/:
  corpus.json            the training texts and two sets of trainer options
                         (the tokenizer's, and one that merges down to pairs
                         seen once), generated here (seeded, so the same
                         bytes every time)
  tokenizer.json,        what libgrpo's trainer makes of corpus.json: BUILD_DIR's
  tokenizer_config.json  test_tokenizer trains it (BpeTrainerGolden.*) into
                         BUILD_DIR/tests/bpe_trained/, copied from there
  golden.json            from `tokenizers`: the merges its own BpeTrainer learns
                         from corpus.json with each set of options, and, for the
                         probe texts, the ids and decoded text it gets with
                         libgrpo's tokenizer.json; and transformers' eos/pad ids
                         for the directory

The C++ tests (tests/core/bpe_trainer_test.cpp) train on corpus.json and check
that the result equals the committed tokenizer.json, that its merges equal
Hugging Face's trainer's, and that grpo::Tokenizer encodes the probes to the
same ids. Run this again after a deliberate change to the trainer's output.
"""
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

from tokenizers import Regex, Tokenizer, models, trainers
from tokenizers import pre_tokenizers as pre

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "tests/data/tokenizers/bpe_trained"

QWEN_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                r"|\s*[\r\n]+|\s+(?!\S)|\s+")

OPTIONS = {"vocab_size": 512, "min_frequency": 2, "special_tokens": ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]}
# A second run to the end of the corpus: merges down to pairs seen once, where
# nearly every choice is a tie.
EXHAUSTIVE_OPTIONS = {"vocab_size": 4000, "min_frequency": 1, "special_tokens": []}

PROSE = [
    "Reinforcement learning from verifiable rewards trains language models to reason step by step.",
    "The policy samples a group of completions for every prompt, and each one is scored.",
    "Group-relative advantages compare a completion with the others sampled for the same prompt.",
    "I'm sure you're right; we've seen they'll say it's what she'd do. DON'T SHOUT, IT'S LOUD.",
    "A tokenizer splits text into pieces; the model never sees the characters themselves.",
    "Café au lait, naïve façade, résumé, Zürich and São Paulo.",
    "Привет, мир! Это короткий текст для проверки.",
    "你好，世界！这是一个测试。",
    "Emoji too: 👍 🎉 😀",
    "Numbers like 3.14159, 2,718 and dates like 2024-01-31 appear in text.",
]

CODE = [
    "def square(x):\n    return x ** 2\n\n\nprint(square(12))\n",
    "for i in range(10):\n    if i % 2 == 0:\n        total += i\n",
    "int main() {\n\tstd::vector<int> v = {1, 2, 3};\n\treturn 0;\n}\n",
    "x = [1, 2, 3]  # a list\r\ny = {\"key\": \"value\"}\r\n",
]


def arithmetic(rng):
    terms = [rng.randint(1, 99) for _ in range(rng.randint(2, 4))]
    steps, total = [], terms[0]
    for t in terms[1:]:
        steps.append(f"{total}+{t}={total + t}.")
        total += t
    think = " ".join(steps)
    if rng.random() < 0.3:
        think += " Wait, let me recalculate. " + " ".join(steps)
    return f"User: What is {' + '.join(map(str, terms))}? Assistant: <think> {think} </think> <answer>{total}</answer>"


def corpus():
    rng = random.Random(20250601)
    texts = []
    for _ in range(320):
        roll = rng.random()
        if roll < 0.6:
            texts.append(arithmetic(rng))
        elif roll < 0.85:
            texts.append(" ".join(rng.sample(PROSE, 3)))
        else:
            texts.append(rng.choice(CODE))
    return texts


# Texts the trainer never saw among them, to show both encoders agree beyond it.
PROBES = [
    "",
    "User: What is 17 + 25 + 9? Assistant: <think> 17+25=42. 42+9=51. </think> <answer>51</answer>",
    "Wait, let me recalculate.",
    "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n<think>\n2+2=4\n</think>\n\n4<|im_end|><|endoftext|>",
    "1234567890 3.14159 1,000,000 ٣٤٥ ²³ ½",
    "The quick brown fox jumps over the lazy dog.",
    "I'm you're we've they'll she'd it's DON'T WE'LL 'S",
    "Café naïve résumé Ångström Dvořák",
    "Привет, мир! Съешь же ещё этих мягких булок.",
    "你好，世界！日本語のテキスト。안녕하세요",
    "👍🏽 👨‍👩‍👧‍👦 🇯🇵 ❤️",
    "def f(x):\n    return x ** 2  # square\n\n\n",
    "a  b   c\t\t d \n\n\n e    \n   f      ",
    "line1\r\nline2\r\n\r\nline3\r\n",
    "   leading and trailing   ",
    "x<|im_end|>y<|endoftext|><|endoftext|>z <|im_start <|endoftext|",
    "if (x != y && z >= 0) { return foo->bar[i]; } // done",
    "Pneumonoultramicroscopicsilicovolcanoconiosis",
    "\u00a0\u2003\u3000 unicode spaces\u2028and\u0085more",
]


def hf_trainer_merges(texts, options):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre.Sequence([pre.Split(Regex(QWEN_PATTERN), "isolated"),
                                      pre.ByteLevel(add_prefix_space=False, use_regex=False)])
    trainer = trainers.BpeTrainer(vocab_size=options["vocab_size"], min_frequency=options["min_frequency"],
                                  special_tokens=options["special_tokens"],
                                  initial_alphabet=pre.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer)
    return [" ".join(m) if isinstance(m, list) else m for m in json.loads(tok.to_str())["model"]["merges"]]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    build = Path(sys.argv[1]).resolve()
    OUT.mkdir(parents=True, exist_ok=True)
    texts = corpus()
    corpus_json = {"options": OPTIONS, "exhaustive_options": EXHAUSTIVE_OPTIONS, "texts": texts}
    (OUT / "corpus.json").write_text(json.dumps(corpus_json, indent=0, ensure_ascii=False) + "\n")

    # libgrpo's trainer on that corpus. The comparison test fails when the
    # committed tokenizer is out of date; it writes its own either way.
    trained = build / "tests/bpe_trained"
    shutil.rmtree(trained, ignore_errors=True)
    subprocess.run([str(build / "tests/test_tokenizer"), "--gtest_filter=BpeTrainerGolden.TrainsTheCommittedTokenizer"],
                   stdout=subprocess.DEVNULL, check=False)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(trained / name, OUT / name)

    ours = Tokenizer.from_file(str(OUT / "tokenizer.json"))
    probes = []
    for text in PROBES:
        ids = ours.encode(text, add_special_tokens=False).ids
        probes.append({"text": text, "ids": ids, "decoded": ours.decode(ids, skip_special_tokens=False)})
    from transformers import AutoTokenizer
    auto = AutoTokenizer.from_pretrained(str(OUT))
    golden = {"hf_trainer_merges": hf_trainer_merges(texts, OPTIONS),
              "hf_trainer_merges_exhaustive": hf_trainer_merges(texts, EXHAUSTIVE_OPTIONS), "probes": probes,
              "eos_token_id": auto.eos_token_id, "pad_token_id": auto.pad_token_id}
    (OUT / "golden.json").write_text(json.dumps(golden, indent=0, ensure_ascii=False) + "\n")

    ours_merges = json.loads((OUT / "tokenizer.json").read_text())["model"]["merges"]
    same = ours_merges == golden["hf_trainer_merges"]
    size = sum(len(s) for s in texts)
    print(f"wrote {OUT}: {len(texts)} texts ({size} characters), {len(ours_merges)} merges "
          f"({'the same as' if same else 'DIFFERENT from'} Hugging Face's trainer), {len(PROBES)} probes")


if __name__ == "__main__":
    main()
