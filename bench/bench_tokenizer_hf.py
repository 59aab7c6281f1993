#!/usr/bin/env python3
"""Hugging Face `tokenizers` on the same measurements as bench_tokenizer.cpp,
single-threaded, so that the two can be compared on one machine.

    bench_tokenizer_hf.py TOKENIZER CORPUS [REPEAT]

Each line of CORPUS (split on "\\n" only) is encoded separately, as the C++
bench does. Two encode figures are given: one call per line from Python (what
a Python training loop pays), and encode_batch over all lines (the Rust time
alone, with RAYON_NUM_THREADS=1 so that it uses one thread).
"""
import os
import sys
import time
from pathlib import Path

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
from tokenizers import Tokenizer  # noqa: E402  (after the environment is set)


def main():
    if len(sys.argv) < 3:
        sys.exit(f"usage: {sys.argv[0]} TOKENIZER CORPUS [REPEAT]")
    path = Path(sys.argv[1])
    if path.is_dir():
        path = path / "tokenizer.json"
    repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 5

    load_s = min(timed(lambda: Tokenizer.from_file(str(path)))[1] for _ in range(3))
    tok = Tokenizer.from_file(str(path))
    lines = Path(sys.argv[2]).read_bytes().decode("utf-8", errors="replace").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    megabytes = sum(len(line.encode()) for line in lines) / 1e6

    encoded, first_s = timed(lambda: [tok.encode(line, add_special_tokens=False).ids for line in lines])
    tokens = sum(len(ids) for ids in encoded)
    warm_s = timed(lambda: [[tok.encode(line, add_special_tokens=False) for line in lines]
                            for _ in range(repeat)])[1] / repeat
    batch_s = timed(lambda: [tok.encode_batch(lines, add_special_tokens=False) for _ in range(repeat)])[1] / repeat
    decode_s = timed(lambda: [tok.decode_batch(encoded) for _ in range(repeat)])[1] / repeat

    print(f"HF tokenizers: {path}")
    print(f"corpus: {sys.argv[2]}, {len(lines)} lines, {megabytes:.3f} MB, {tokens} tokens")
    print(f"load:                {load_s:8.3f} s (best of 3)")
    print(f"encode, first pass:  {megabytes / first_s:8.2f} MB/s  ({tokens / first_s:.0f} tokens/s, one call per line)")
    print(f"encode, warm cache:  {megabytes / warm_s:8.2f} MB/s  ({tokens / warm_s:.0f} tokens/s, one call per line)")
    print(f"encode_batch:        {megabytes / batch_s:8.2f} MB/s  ({tokens / batch_s:.0f} tokens/s, 1 thread)")
    print(f"decode_batch:        {megabytes / decode_s:8.2f} MB/s  ({tokens / decode_s:.0f} tokens/s)")


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


if __name__ == "__main__":
    main()
