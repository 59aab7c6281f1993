#!/usr/bin/env python3
"""Tiny random-weight Hugging Face checkpoints and the logits transformers computes for them.

    make_model_fixtures.py OUT_DIR

For each case, OUT_DIR/<case>/ receives what `save_pretrained` writes (config.json and
safetensors weights, sharded for some cases) and `expected.safetensors` with:
    input_ids_right, mask_right   [B, T] int64, right-padded prompts of different lengths
    logits_right                  [B, T, V] float32, transformers' logits for them
    input_ids_left, mask_left, logits_left   the same prompts left-padded
    inv_freq [D/2] float32, attention_scaling [1] float64: the rotary embedding's tables
    logits_right_native           [B, T, V] in the checkpoint dtype (bf16 cases only)
Positions are passed explicitly as cumsum(mask) - 1, the convention generation uses.

    make_model_fixtures.py --check-roundtrip OUT_DIR

loads every OUT_DIR/<case>/resaved*/ (written by libgrpo) with transformers and requires
logits identical to expected.safetensors (max abs difference 0).
"""
import json
import pathlib
import sys

import torch
import transformers
from safetensors.torch import load_file, save_file

transformers.logging.set_verbosity_error()
transformers.utils.logging.disable_progress_bar()

BASE = dict(vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
            rms_norm_eps=1e-6)

LLAMA3_ROPE = {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
               "high_freq_factor": 4.0, "original_max_position_embeddings": 16}

# name -> (config class, overrides, save dtype, shard size, config.json rewrite)
CASES = {
    # Qwen2.5 layout: q/k/v bias, untied head, rope_theta 1e6 written in the older
    # top-level form (rope_theta + rope_scaling + torch_dtype).
    "qwen2": ("Qwen2Config", dict(rope_parameters={"rope_type": "default", "rope_theta": 1e6}),
              torch.float32, None, "legacy_rope"),
    # Qwen2.5-0.5B / 1.5B: tied embeddings, no lm_head.weight in the file; sharded.
    "qwen2_tied": ("Qwen2Config", dict(tie_word_embeddings=True), torch.float32, "60KB", None),
    # Qwen3: q/k RMSNorm, head_dim (32) != hidden / heads (16), tied.
    "qwen3": ("Qwen3Config", dict(head_dim=32, tie_word_embeddings=True,
                                  rope_parameters={"rope_type": "default", "rope_theta": 1e6}),
              torch.float32, None, None),
    # Qwen3 with attention bias on all four projections.
    "qwen3_bias": ("Qwen3Config", dict(head_dim=16, attention_bias=True), torch.float32, None, None),
    # Llama 3.1 rope scaling, one K/V head (MQA), biases everywhere.
    "llama3": ("LlamaConfig", dict(num_key_value_heads=1, attention_bias=True, mlp_bias=True,
                                   rope_parameters=LLAMA3_ROPE), torch.float32, None, "legacy_rope"),
    # YaRN and linear scaling.
    "llama_yarn": ("LlamaConfig", dict(rope_parameters={"rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0,
                                                        "original_max_position_embeddings": 32}),
                   torch.float32, None, None),
    "llama_linear": ("LlamaConfig", dict(num_key_value_heads=4,
                                         rope_parameters={"rope_type": "linear", "rope_theta": 10000.0,
                                                          "factor": 2.0}),
                     torch.float32, "50KB", None),
    # A bfloat16 checkpoint: loaded as float32 (dtype conversion on load) and as bfloat16.
    "qwen2_bf16": ("Qwen2Config", dict(), torch.bfloat16, None, None),
}

PROMPT_LENGTHS = [7, 12, 3, 10]


def prompts(vocab, seed):
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(0, vocab, (n,), generator=g) for n in PROMPT_LENGTHS]


def pad(seqs, left):
    T = max(len(s) for s in seqs)
    ids = torch.zeros(len(seqs), T, dtype=torch.long)
    mask = torch.zeros(len(seqs), T, dtype=torch.long)
    for b, s in enumerate(seqs):
        sl = slice(T - len(s), T) if left else slice(0, len(s))
        ids[b, sl] = s
        mask[b, sl] = 1
    return ids, mask


@torch.no_grad()
def logits(model, ids, mask):
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    return model(input_ids=ids, attention_mask=mask, position_ids=positions).logits.float()


def legacy_rope(config_path):
    """Rewrite rope_parameters into the pre-5.0 top-level spelling real checkpoints carry."""
    cfg = json.loads(config_path.read_text())
    rope = cfg.pop("rope_parameters")
    cfg["rope_theta"] = rope.pop("rope_theta")
    rope_type = rope.pop("rope_type")
    cfg["rope_scaling"] = None if rope_type == "default" else {"rope_type": rope_type, **rope}
    cfg["torch_dtype"] = cfg.pop("dtype")
    config_path.write_text(json.dumps(cfg, indent=2))


def make(out, name, seed):
    cls_name, overrides, dtype, shard, rewrite = CASES[name]
    config = getattr(transformers, cls_name)(**{**BASE, **overrides})
    torch.manual_seed(seed)
    model = transformers.AutoModelForCausalLM.from_config(config).eval()
    with torch.no_grad():  # larger than the init's 0.02, and norms off 1, so every weight shows
        for n, p in model.named_parameters():
            p.copy_(torch.randn_like(p) * 0.1 + (1.0 if "norm" in n else 0.0))
    model = model.to(dtype)
    case_dir = out / name
    kwargs = {"max_shard_size": shard} if shard else {}
    model.save_pretrained(case_dir, **kwargs)
    if rewrite == "legacy_rope":
        legacy_rope(case_dir / "config.json")

    # Reference: the checkpoint as transformers reads it back, in float32.
    ref = transformers.AutoModelForCausalLM.from_pretrained(case_dir, dtype=torch.float32).eval()
    seqs = prompts(config.vocab_size, seed)
    expected = {}
    for side in ("right", "left"):
        ids, mask = pad(seqs, left=side == "left")
        expected[f"input_ids_{side}"] = ids
        expected[f"mask_{side}"] = mask
        expected[f"logits_{side}"] = logits(ref, ids, mask)
    if dtype != torch.float32:
        native = transformers.AutoModelForCausalLM.from_pretrained(case_dir, dtype=dtype).eval()
        expected["logits_right_native"] = logits(native, expected["input_ids_right"], expected["mask_right"]).to(dtype)
    rotary = ref.model.rotary_emb
    expected["inv_freq"] = rotary.inv_freq.float().contiguous()
    expected["attention_scaling"] = torch.tensor([float(rotary.attention_scaling)], dtype=torch.float64)
    save_file({k: v.contiguous() for k, v in expected.items()}, str(case_dir / "expected.safetensors"))


def check_roundtrip(out):
    checked = 0
    for case_dir in sorted(p for p in out.iterdir() if p.is_dir()):
        expected = load_file(str(case_dir / "expected.safetensors"))
        for saved in sorted(case_dir.glob("resaved*")):
            model = transformers.AutoModelForCausalLM.from_pretrained(saved, dtype=torch.float32).eval()
            for side in ("right", "left"):
                got = logits(model, expected[f"input_ids_{side}"], expected[f"mask_{side}"])
                mask = expected[f"mask_{side}"].bool()
                diff = (got - expected[f"logits_{side}"])[mask].abs().max().item()
                status = "ok" if diff == 0 else "MISMATCH"
                print(f"{saved.relative_to(out)} {side}: max |diff| = {diff:.3g} {status}")
                if diff != 0:
                    sys.exit(f"{saved}: transformers' logits differ from the original checkpoint's")
            checked += 1
    if checked == 0:
        sys.exit(f"no resaved checkpoints under {out}")
    print(f"{checked} checkpoints saved by libgrpo load in transformers with identical logits")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check-roundtrip":
        check_roundtrip(pathlib.Path(sys.argv[2]))
        return
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for seed, name in enumerate(CASES):
        make(out, name, seed)
    print(f"wrote {len(CASES)} checkpoints to {out} (transformers {transformers.__version__})")


if __name__ == "__main__":
    main()
