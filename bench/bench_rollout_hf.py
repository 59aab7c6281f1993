#!/usr/bin/env python3
"""transformers generate() on the rollout benchmark's grid, the baseline for bench_rollout.

    bench_rollout_hf.py MODEL_DIR PROMPTS GROUP NEW_TOKENS [--prompt-len 32] [--device cpu]

Prints one line: engine, prompts, group, new tokens, seconds, generated tokens/s, peak MiB
(process RSS on CPU, allocator peak on CUDA). Prompts are the same random ids bench_rollout
uses (seeded), all of --prompt-len tokens; sampling at temperature 1, no top-k/top-p, no EOS.
"""
import argparse
import resource
import time

import torch
import transformers


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("prompts", type=int)
    p.add_argument("group", type=int)
    p.add_argument("new_tokens", type=int)
    p.add_argument("--prompt-len", type=int, default=32)
    p.add_argument("--device", default="cpu")
    p.add_argument("--repeats", type=int, default=2)
    a = p.parse_args()
    transformers.logging.set_verbosity_error()
    model = transformers.AutoModelForCausalLM.from_pretrained(a.model).to(a.device).eval()
    vocab = model.config.vocab_size
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, vocab, (a.prompts, a.prompt_len), generator=g).to(a.device)
    mask = torch.ones_like(ids)
    kwargs = dict(do_sample=True, temperature=1.0, top_k=0, top_p=1.0, max_new_tokens=a.new_tokens,
                  min_new_tokens=a.new_tokens, num_return_sequences=a.group, pad_token_id=0, eos_token_id=None)
    best = float("inf")
    for r in range(a.repeats + 1):  # the first run warms up
        if a.device.startswith("cuda"):
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        with torch.no_grad():
            out = model.generate(input_ids=ids, attention_mask=mask, **kwargs)
        if a.device.startswith("cuda"):
            torch.cuda.synchronize()
        if r > 0:
            best = min(best, time.perf_counter() - start)
    assert out.shape == (a.prompts * a.group, a.prompt_len + a.new_tokens), out.shape
    if a.device.startswith("cuda"):
        peak = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tokens = a.prompts * a.group * a.new_tokens
    print(f"transformers {a.prompts} {a.group} {a.new_tokens} {best:.3f} {tokens / best:.1f} {peak:.0f}")


if __name__ == "__main__":
    main()
