#!/usr/bin/env bash
# A training run killed with SIGKILL at random moments and resumed with --resume
# must leave only complete checkpoints, and end with the same metrics (timings
# aside) and the same weights as a run that was never interrupted.
#
# Usage: kill_resume_test.sh GRPO RECIPE PYTHON SCRATCH
set -euo pipefail
grpo=$1 recipe=$2 python=$3 scratch=$4
rm -rf "$scratch"
mkdir -p "$scratch"
settings=(--set run.steps=40 --set run.save_every=3 --set run.keep_last=2 --set eval.every=6
          --set trainer.optimizer.total_steps=40 --set run.threads=1)

"$grpo" train "$recipe" --out "$scratch/whole" "${settings[@]}" 2>"$scratch/whole.log"

# Every checkpoint directory that exists must be complete and loadable.
check_checkpoints() {
  local run=$1
  [ -d "$run/checkpoints" ] || return 0
  for dir in "$run"/checkpoints/step-*; do
    [ -d "$dir" ] || continue
    for f in config.json model.safetensors tokenizer.json generation_config.json trainer_state.json \
             optimizer.pt data_state.json; do
      [ -s "$dir/$f" ] || { echo "FAIL: $dir/$f is missing or empty" >&2; exit 1; }
    done
    "$grpo" generate --model "$dir" "What is 1 + 1? " -n 1 --max-new-tokens 1 >/dev/null ||
      { echo "FAIL: $dir does not load" >&2; exit 1; }
  done
}

RANDOM=${KILL_TEST_SEED:-$$}
kills=0
for attempt in $(seq 1 10); do
  "$grpo" train "$recipe" --out "$scratch/killed" "${settings[@]}" --resume 2>>"$scratch/killed.log" &
  pid=$!
  # Anywhere from model loading to the middle of a checkpoint write.
  sleep "$(printf '%d.%03d' $((RANDOM % 2)) $((RANDOM % 1000)))"
  if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
  wait "$pid" 2>/dev/null || true
  check_checkpoints "$scratch/killed"
  echo "attempt $attempt: newest checkpoint $(ls "$scratch/killed/checkpoints" 2>/dev/null | tail -1)"
done
"$grpo" train "$recipe" --out "$scratch/killed" "${settings[@]}" --resume 2>>"$scratch/killed.log"
check_checkpoints "$scratch/killed"
resumes=$(grep -c "resuming from" "$scratch/killed.log" || true)
echo "killed $kills times; $resumes runs resumed from a checkpoint"
[ "$kills" -ge 3 ] && [ "$resumes" -ge 3 ] ||
  { echo "FAIL: too few kills ($kills) or resumes ($resumes) for the test to prove anything" >&2; exit 1; }

"$python" - "$scratch/whole" "$scratch/killed" <<'PY'
import json, math, sys
def load(run):
    rows = [json.loads(l) for l in open(run + "/metrics.jsonl")]
    return {r["step"]: r for r in rows}, [r["step"] for r in rows]
(a, order_a), (b, order_b) = load(sys.argv[1]), load(sys.argv[2])
assert order_a == order_b, f"steps differ: {order_a} vs {order_b}"
assert order_a == list(range(0, 41)), order_a
skip = lambda k: k == "time" or k.startswith("time/") or k == "tokens_per_second"
for step in order_a:
    ka = {k for k in a[step] if not skip(k)}
    kb = {k for k in b[step] if not skip(k)}
    assert ka == kb, f"step {step}: keys differ: {ka ^ kb}"
    for k in ka:
        x, y = a[step][k], b[step][k]
        same = x == y or (x is None and y is None) or (isinstance(x, float) and math.isnan(x) and math.isnan(y))
        assert same, f"step {step}: {k} = {x} uninterrupted, {y} resumed"
print(f"metrics equal over {len(order_a)} steps")
PY
cmp "$scratch/whole/checkpoints/step-000040/model.safetensors" "$scratch/killed/checkpoints/step-000040/model.safetensors"
cmp "$scratch/whole/checkpoints/step-000040/optimizer.pt" "$scratch/killed/checkpoints/step-000040/optimizer.pt" ||
  echo "note: optimizer archives differ byte-wise (serialisation metadata)"
ls "$scratch/killed/checkpoints"
echo "ok: final weights identical"
