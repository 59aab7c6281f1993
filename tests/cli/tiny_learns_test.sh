#!/usr/bin/env bash
# grpo train on the from-scratch recipe must raise held-out accuracy: from a
# random policy's 2-3% to the share of the most common answer.
# Usage: tiny_learns_test.sh GRPO RECIPE PYTHON SCRATCH
set -euo pipefail
grpo=$1 recipe=$2 python=$3 scratch=$4
rm -rf "$scratch"
"$grpo" train "$recipe" --out "$scratch" --set run.threads=1 --set run.save_every=0 2>"$scratch.log"
"$python" - "$scratch/metrics.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
evals = [(r["step"], r["eval/accuracy"]) for r in rows if "eval/accuracy" in r]
print("held-out accuracy by step:", evals)
first, last_three = evals[0][1], [a for _, a in evals[-3:]]
assert evals[0][0] == 0 and first < 0.06, f"a random policy should score below 6%, got {first}"
assert min(last_three) >= first + 0.05, f"held-out accuracy did not rise: {first} -> {last_three}"
PY
