#!/usr/bin/env python3
"""Random-weight Qwen2-shaped checkpoints for the rollout benchmark.

    make_bench_model.py OUT_DIR [--size 10m|10m-16k|0.5b]

10m:     Qwen2's vocabulary (151936), hidden 64, 4 layers, 4 heads (2 K/V), MLP 256, tied:
         10.0M parameters, nearly all of them the embedding, as in any tiny model that
         keeps the real tokenizer.
10m-16k: a 16384 vocabulary, hidden 256, 6 layers, 4 heads (2 K/V), MLP 1024, tied:
         10.1M parameters, most of them in the layers.
0.5b: Qwen2.5-0.5B's shape (hidden 896, 24 layers, 14 heads (2 K/V), MLP 4864,
      vocab 151936, tied): 494M parameters, bfloat16.
No EOS id is set, so every completion runs to max_new_tokens in both engines.
"""
import argparse

import torch
import transformers

SIZES = {
    "10m": dict(hidden_size=64, num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2,
                intermediate_size=256, vocab_size=151936, dtype=torch.float32),
    "10m-16k": dict(hidden_size=256, num_hidden_layers=6, num_attention_heads=4, num_key_value_heads=2,
                intermediate_size=1024, vocab_size=16384, dtype=torch.float32),
    "0.5b": dict(hidden_size=896, num_hidden_layers=24, num_attention_heads=14, num_key_value_heads=2,
                 intermediate_size=4864, vocab_size=151936, dtype=torch.bfloat16),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--size", choices=SIZES, default="10m")
    args = parser.parse_args()
    shape = dict(SIZES[args.size])
    dtype = shape.pop("dtype")
    config = transformers.Qwen2Config(**shape, tie_word_embeddings=True, max_position_embeddings=4096,
                                      rope_parameters={"rope_type": "default", "rope_theta": 1e6},
                                      bos_token_id=None, eos_token_id=None, pad_token_id=None)
    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_config(config).to(dtype)
    model.generation_config.eos_token_id = None
    model.save_pretrained(args.out)
    print(f"{args.out}: {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters, {dtype}")


if __name__ == "__main__":
    main()
