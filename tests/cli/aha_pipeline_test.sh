#!/usr/bin/env bash
# The aha-moment pipeline, short: grpo pretrain writes a base model (checked by
# Hugging Face tokenizers and transformers), the aha_moment example trains GRPO from
# it and then the shuffled-reward control, and the report holds every headline
# curve of both runs.
# Usage: aha_pipeline_test.sh GRPO AHA_MOMENT EXAMPLE_DIR PYTHON SCRATCH
set -euo pipefail
grpo=$1 aha=$2 example=$3 python=$4 scratch=$5
rm -rf "$scratch" && mkdir -p "$scratch"
cd "$scratch"

# ---------------------------------------------------------------- pretraining, short
"$grpo" pretrain "$example/pretrain.yaml" --out base --set run.steps=60 --set run.eval_every=30 \
  --set run.threads=1 --set corpus.documents=4000 --set model.num_hidden_layers=2 2>pretrain.log
test -f base/model/model.safetensors && test -f base/model/tokenizer.json && test -f base/corpus_sample.txt
grep -q "Wait, let me recalculate." base/corpus_sample.txt

# A second run into the same directory is refused and leaves the model alone.
before=$(stat -c %Y base/model/model.safetensors)
if "$grpo" pretrain "$example/pretrain.yaml" --out base 2>refused.log; then
  echo "a second pretraining run into base/ should fail" >&2; exit 1
fi
grep -q "already holds a pretraining run" refused.log
test "$(stat -c %Y base/model/model.safetensors)" = "$before"
# A misspelt key is an error that names it, before any work.
if "$grpo" pretrain "$example/pretrain.yaml" --out other --set training.batchsize=4 2>badkey.log; then
  echo "an unknown key should fail" >&2; exit 1
fi
grep -q "batchsize" badkey.log && test ! -e other

"$python" - base <<'PY'
import json, math, sys
import torch
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM
base = sys.argv[1]
rows = [json.loads(l) for l in open(f"{base}/metrics.jsonl")]
evals = [r["eval/loss"] for r in rows if "eval/loss" in r]
print("eval/loss:", evals)
assert len(evals) >= 2 and evals[-1] < evals[0] < 10, evals
# The tokenizer keeps digits apart and round-trips; transformers loads the model and
# scores a held-out document at about the loss libgrpo reported.
tok = Tokenizer.from_file(f"{base}/model/tokenizer.json")
text = "User: What is 7 + 5 + 9? Assistant: <think> 7+5=12. 12+9=21. The answer is 21. </think> <answer>21</answer>"
ids = tok.encode(text).ids
assert tok.decode(ids) == text
for piece in tok.encode("1234567890").tokens:
    assert len(piece) == 1, piece
model = AutoModelForCausalLM.from_pretrained(f"{base}/model")
with torch.no_grad():
    loss = model(torch.tensor([ids]), labels=torch.tensor([ids])).loss.item()
print("transformers loss on a worked solution:", loss)
assert math.isfinite(loss) and loss < evals[0] + 1.0, (loss, evals)
PY

# ---------------------------------------------------------------- GRPO, and the control
common=(--set model.path=base/model --set run.output_dir=run --set run.steps=4 --set run.threads=1
        --set eval.every=2 --set eval.max_prompts=8 --set trainer.prompts_per_step=2 --set trainer.group_size=4)
"$aha" --recipe "$example/grpo.yaml" "${common[@]}" >aha.out 2>aha.err
grep -q "held-out problems before training" aha.out
grep -q "the same problems after 4 steps" aha.out
"$aha" --recipe "$example/grpo.yaml" "${common[@]}" --control >control.out 2>control.err
grep -q "with the negative control" control.out
grep -q "shuffle_rewards: true" run-control/recipe.yaml

"$python" - run/report.html <<'PY'
import re, sys
html = open(sys.argv[1]).read()
for metric in ["eval/accuracy", "eval/completions/mean_length", "eval/completions/mean_length_correct",
               "eval/completions/mean_length_incorrect", "eval/reflection/rate", "eval/reflection/precision"]:
    for run in ["0", "1"]:
        pattern = f'<path class="series[^"]*"[^>]*data-metric="{re.escape(metric)}"[^>]*data-run="{run}"'
        assert re.search(pattern, html), f"no curve of {metric} for run {run}"
assert "control (shuffled rewards)" in html
print("report: every headline curve of both runs")
PY
