#!/usr/bin/env python3
"""Generate tests/golden/trl_fixtures.json: golden values produced by TRL's own GRPO code.

What this does
--------------
libgrpo reimplements the GRPO loss, the group advantages and the vLLM importance-sampling
(IS) correction of Hugging Face TRL.  This script pins TRL (``trl==1.16.0``), feeds TRL's
*real* methods small, seeded, fixed inputs and writes what TRL computes, so that the C++
tests can compare against it.  Nothing here re-implements TRL's maths:

* Loss cases: a ``GRPOTrainer`` is created with ``object.__new__(GRPOTrainer)`` (no model,
  no ``__init__``) and given exactly the attributes that ``GRPOTrainer._compute_loss``
  reads (loss_type, epsilon_low/high, beta, args.delta, ... see ``make_loss_trainer``).
  ``_get_per_token_logps_and_entropies`` is replaced on the instance by a stub returning a
  leaf ``per_token_logps`` tensor (requires_grad=True) and fixed entropies.  The script
  calls the real ``trainer._compute_loss(None, inputs)``, runs ``backward()`` and records
  the loss, d loss / d per_token_logps and every metric TRL appended to
  ``_metrics["train"]`` (last value of each list).
* Advantage and IS-ratio cases: the real ``GRPOTrainer._generate_and_score_completions``
  is run end to end with its collaborators stubbed: ``_generate`` (returns fixed token ids
  of ragged lengths and, for vLLM cases, fixed sampling log-probs, ``None`` = a token vLLM
  could not score), ``_get_per_token_logps_and_entropies`` (returns the fixed
  ``old_per_token_logps``), the accelerator (single process, identity collectives) and the
  module-level ``gather`` / ``gather_object`` of ``trl.trainer.grpo_trainer`` (patched to
  identity for the duration of the call).  TRL itself pads the completions, builds the
  completion mask (``mask_truncated_completions`` is used to get an all-zero mask row),
  computes the IS ratio, the advantages and the metrics.
  - float64 advantage cases stub ``_calculate_rewards`` to return the float64
    ``rewards_per_func`` matrix (NaN where a reward function returned ``None``).
  - float32 advantage cases run TRL's real ``_calculate_rewards`` with plain Python reward
    functions that return ``None`` for the NaN entries; TRL converts their outputs to
    float32 itself.  The stored ``rewards_per_func`` inputs are the float32 values TRL
    logged (``_logs["rewards"]``).
  - Loss cases with vLLM IS correction take their ``importance_sampling_ratio`` input from
    the same real ``_generate_and_score_completions`` run on the case's
    old/sampling log-probs.
  float64 cases are computed with ``torch.set_default_dtype(torch.float64)`` in effect, so
  that tensors TRL builds from Python lists (the sampling log-probs) are float64 as well.

Data: N = 8 sequences (2 prompts x 4 generations) and T = 7 completion tokens for the loss
and IS cases, with completion lengths [7, 5, 3, 1, 6, 7, 4, 2] (row 3 has a single valid
token; some cases also zero a whole row).  Advantage cases use 3 prompts x 4 generations
and 2 reward functions with weights [1.0, 0.5] (plus one single-function case).  Entropies
are float32-representable so that TRL's float32 entropy quantile (``get_high_entropy_mask``
casts to float32) is unambiguous in the float64 cases too.  Values at padded positions are
deliberately non-zero garbage (as a real model would produce) except where TRL itself
pads (sampling log-probs are padded with 0.0 by TRL).

JSON: NaN is written as ``null``; floats are written with Python's shortest round-trip
repr (full double precision).  float32 cases store float32 values widened exactly to double.

How to regenerate
-----------------
From the repository root::

    .venv/bin/python tests/golden/make_trl_fixtures.py            # writes tests/golden/trl_fixtures.json
    .venv/bin/python tests/golden/make_trl_fixtures.py --trace    # also print the trainer attributes TRL read

TRL's own "All reward functions returned None ..." warnings on stderr are expected (the
float32 advantage cases contain an unscorable row on purpose).

The script first makes sure ``trl==1.16.0`` is importable in the interpreter that runs it
(``pip install trl==1.16.0`` and re-exec otherwise).  It runs on CPU only, in a second or
two, and its output is deterministic (fixed numpy seed, CPU torch).  If TRL is upgraded,
update TRL_VERSION, rerun, and review the diff of the JSON together with TRL's changelog.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import math
import os
import subprocess
import sys
from collections import defaultdict, deque
from pathlib import Path
from types import SimpleNamespace

TRL_VERSION = "1.16.0"
HERE = Path(__file__).resolve().parent
OUT_PATH = HERE / "trl_fixtures.json"
GENERATOR = "tests/golden/make_trl_fixtures.py"
SEED = 20240611


# --------------------------------------------------------------------------------------
# 1. make sure the pinned TRL is what we import
# --------------------------------------------------------------------------------------
def ensure_trl() -> None:
    ok = False
    try:
        import trl  # noqa: F401

        ok = trl.__version__ == TRL_VERSION and importlib.metadata.version("trl") == TRL_VERSION
    except Exception:  # not installed, broken install, ...
        ok = False
    if ok:
        return
    if os.environ.get("_LIBGRPO_TRL_REEXEC") == "1":
        sys.exit(f"trl=={TRL_VERSION} is still not importable after installing it; giving up")
    print(f"[make_trl_fixtures] installing trl=={TRL_VERSION} into {sys.prefix}", flush=True)
    subprocess.check_call(
        [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", f"trl=={TRL_VERSION}"]
    )
    os.environ["_LIBGRPO_TRL_REEXEC"] = "1"
    os.execv(sys.executable, [sys.executable, os.path.abspath(__file__), *sys.argv[1:]])


ensure_trl()

import numpy as np  # noqa: E402
import torch  # noqa: E402
import trl  # noqa: E402
import trl.trainer.grpo_trainer as grpo_mod  # noqa: E402
from accelerate import PartialState  # noqa: E402
from trl import GRPOTrainer  # noqa: E402

torch.set_num_threads(1)
PartialState(cpu=True)  # TRL's accelerate logger refuses to log before a state exists

TRACE = {"trainer": set(), "args": set()}
TRACING = False

# --------------------------------------------------------------------------------------
# 2. stubs
# --------------------------------------------------------------------------------------


class StubAccelerator:
    """Single-process accelerator: every collective is the identity."""

    num_processes = 1
    process_index = 0
    is_main_process = True
    sync_gradients = True
    device = torch.device("cpu")

    def gather(self, x):
        return x

    def gather_for_metrics(self, x):
        return x

    def reduce(self, x, reduction="sum"):
        return x

    def pad_across_processes(self, x, dim=0, pad_index=0, pad_first=False):
        return x

    def unwrap_model(self, m):
        return m

    def autocast(self):
        return contextlib.nullcontext()


class TracedNamespace(SimpleNamespace):
    def __getattribute__(self, name):
        if TRACING and not name.startswith("__"):
            TRACE["args"].add(name)
        return super().__getattribute__(name)


class TracedGRPOTrainer(GRPOTrainer):
    """Only used with --trace: records which instance attributes TRL reads. No method is overridden."""

    def __getattribute__(self, name):
        if TRACING and not name.startswith("__"):
            d = object.__getattribute__(self, "__dict__")
            if name in d:
                TRACE["trainer"].add(name)
        return object.__getattribute__(self, name)


def new_trainer(trace: bool):
    cls = TracedGRPOTrainer if trace else GRPOTrainer
    return object.__new__(cls)


@contextlib.contextmanager
def default_dtype(dtype):
    old = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(old)


@contextlib.contextmanager
def patched_module_collectives():
    """`_generate_and_score_completions` / `_calculate_rewards` call accelerate's free functions."""
    saved = (grpo_mod.gather, grpo_mod.gather_object)
    grpo_mod.gather = lambda x: x
    grpo_mod.gather_object = lambda x: x
    try:
        yield
    finally:
        grpo_mod.gather, grpo_mod.gather_object = saved


@contextlib.contextmanager
def tracing(enabled):
    global TRACING
    TRACING = enabled
    try:
        yield
    finally:
        TRACING = False


# --------------------------------------------------------------------------------------
# 3. helpers for JSON
# --------------------------------------------------------------------------------------


def clean(x):
    """Tensor / nested list / float -> JSON-able, NaN -> None; refuses infinities."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        if x.dtype == torch.bool:
            x = x.long()
        return clean(x.tolist())
    if isinstance(x, np.ndarray):
        return clean(x.tolist())
    if isinstance(x, (list, tuple)):
        return [clean(v) for v in x]
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items()}
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return x
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if math.isnan(x):
            return None
        if math.isinf(x):
            raise ValueError("infinite value in fixture")
        return x
    raise TypeError(type(x))


def last_metrics(trainer, prefix=None):
    out = {}
    for k, v in trainer._metrics["train"].items():
        if len(v) and (prefix is None or k.startswith(prefix)):
            out[k] = float(v[-1])
    return dict(sorted(out.items()))


# --------------------------------------------------------------------------------------
# 4. fixed data
# --------------------------------------------------------------------------------------
N, T = 8, 7
NUM_GENERATIONS = 4
LENGTHS = [7, 5, 3, 1, 6, 7, 4, 2]  # row 3: a single valid token
ZERO_ROW = 6  # row zeroed in the *_zero_row cases / truncated in the IS cases
NAN_SAMPLING_AT = (1, 2)  # a valid token vLLM could not score (logprob None -> NaN)
EOS, PAD = 2, 0

rng = np.random.default_rng(SEED)
BASE = {}
BASE["per_token_logps"] = -rng.uniform(0.02, 3.0, (N, T))
# per-row shift so that sequence-level ratios are clipped too (both directions), plus per-token noise
_old_shift = np.array([-0.45, 0.4, -0.35, -0.1, 0.1, -0.4, 0.05, 0.3])[:, None]
BASE["old_per_token_logps"] = BASE["per_token_logps"] + _old_shift + rng.uniform(-0.5, 0.5, (N, T))
BASE["ref_per_token_logps"] = BASE["per_token_logps"] + rng.normal(0.0, 0.3, (N, T))
BASE["entropies"] = rng.uniform(0.05, 3.5, (N, T)).astype(np.float32).astype(np.float64)
_signs = np.array([1, -1, 1, -1, 1, -1, 1, -1], dtype=np.float64)
BASE["advantages"] = rng.uniform(0.2, 1.8, N) * _signs
BASE["advantages"][4] = 0.0  # exactly zero advantage (sapo/cispo/clip metrics treat it as non-positive)
_row_bias = np.array([-1.2, 0.3, 1.1, -0.2, 0.05, 2.0, -0.6, 0.4])
_lens = np.array(LENGTHS, dtype=np.float64)[:, None]
# sampling logps: old - d, so the IS log-ratio (old - sampling) is d on valid tokens
_d = _row_bias[:, None] / _lens + rng.uniform(-0.75, 0.75, (N, T))
BASE["sampling_valid"] = BASE["old_per_token_logps"] - _d  # only the first LENGTHS[i] entries are used


def mask_from_lengths(lengths, zero_rows=()):
    m = torch.zeros(len(lengths), T, dtype=torch.long)
    for i, L in enumerate(lengths):
        m[i, :L] = 1
    for r in zero_rows:
        m[r] = 0
    return m


# --------------------------------------------------------------------------------------
# 5. _generate_and_score_completions runs (advantages + IS ratio)
# --------------------------------------------------------------------------------------


def make_gen_trainer(
    *,
    trace,
    num_generations,
    reward_func_names,
    reward_weights,
    scale_rewards="group",
    multi_objective_aggregation="sum_then_normalize",
    use_vllm=False,
    vllm_mode="sequence_mask",
    clip_min=None,
    clip_max=3.0,
    mask_truncated_completions=False,
):
    t = new_trainer(trace)
    t.accelerator = StubAccelerator()
    t.model = SimpleNamespace(training=True, is_gradient_checkpointing=False)
    t.args = TracedNamespace(
        steps_per_generation=1,
        gradient_accumulation_steps=1,
        per_device_train_batch_size=N,
        per_device_eval_batch_size=N,
        gradient_checkpointing_kwargs=None,
        report_to=[],
    )
    t.state = SimpleNamespace(global_step=0, num_input_tokens_seen=0)
    t.environment_factories = None
    t.environments = None
    t.tools = []
    t._is_vlm = False
    t.processing_class = None
    t._tokenizer = SimpleNamespace(pad_token_id=PAD)
    t.eos_token_ids = [EOS]
    t.pad_to_multiple_of = None
    t.mask_truncated_completions = mask_truncated_completions
    t.num_iterations = 1
    t.beta = 0.0
    t.ref_model = None
    t.use_vllm = use_vllm
    t.vllm_importance_sampling_correction = use_vllm
    t.vllm_importance_sampling_mode = vllm_mode
    t.vllm_importance_sampling_clip_min = clip_min
    t.vllm_importance_sampling_clip_max = clip_max
    t.num_generations = num_generations
    t.num_generations_eval = num_generations
    t.scale_rewards = scale_rewards
    t.multi_objective_aggregation = multi_objective_aggregation
    t.reward_weights = torch.tensor(reward_weights, dtype=torch.float32)  # as GRPOTrainer.__init__ does
    t.reward_func_names = list(reward_func_names)
    t.reward_processing_classes = [None] * len(reward_func_names)
    t.log_multimodal = True
    t._metrics = {"train": defaultdict(list), "eval": defaultdict(list)}
    t._logs = {
        "images": deque(),
        "prompt": deque(),
        "completion": deque(),
        "rewards": defaultdict(deque),
        "advantages": deque(),
        "extra": defaultdict(deque),
    }
    t._pending_extra_logs = defaultdict(list)
    t._pending_metrics = defaultdict(list)
    return t


def run_generate_and_score(
    t, *, lengths, truncated_rows=(), old_per_token_logps=None, sampling_lists=None, rewards_per_func=None,
    reward_funcs=None,
):
    """Run the real GRPOTrainer._generate_and_score_completions with stubbed collaborators."""
    n = len(lengths)
    prompt_ids_list = [[11 + (i // t.num_generations), 12, 13] for i in range(n)]
    completion_ids_list = []
    for i, L in enumerate(lengths):
        ids = [20 + i + j for j in range(L)]
        if i not in truncated_rows:
            ids[-1] = EOS
        completion_ids_list.append(ids)
    completions = [f"completion {i}" for i in range(n)]

    def _generate(prompts):
        return (prompt_ids_list, completion_ids_list, None, completions, sampling_lists, {}, None, [])

    t._generate = _generate

    def _logps(*args, **kwargs):
        assert old_per_token_logps is not None, "TRL asked for old log-probs unexpectedly"
        return old_per_token_logps.clone(), None, None

    t._get_per_token_logps_and_entropies = _logps
    if reward_funcs is not None:  # real _calculate_rewards
        t.reward_funcs = reward_funcs
    else:
        rpf = rewards_per_func if rewards_per_func is not None else torch.zeros(n, 1)
        t.reward_funcs = [None] * rpf.shape[1]
        t._calculate_rewards = lambda inputs, prompts, completions, completion_ids_list: rpf.clone()
    inputs = [{"prompt": f"prompt {i // t.num_generations}"} for i in range(n)]
    with patched_module_collectives(), tracing(TRACE_ENABLED):
        out = GRPOTrainer._generate_and_score_completions(t, inputs)
    return out


def sampling_lists_for(lengths, dtype_np, with_nan=True):
    lists = []
    for i, L in enumerate(lengths):
        row = [float(v) for v in BASE["sampling_valid"][i, :L].astype(dtype_np)]
        lists.append(row)
    if with_nan:
        r, c = NAN_SAMPLING_AT
        lists[r][c] = None  # vLLM returns None for a logprob it could not compute
    return lists


def compute_is_ratio(mode, clip_min, clip_max, dtype, *, lengths=LENGTHS, truncated_rows=(), with_nan=True):
    """Returns TRL's (output dict, metrics) for the vLLM IS correction on BASE old/sampling logps."""
    tdtype = torch.float64 if dtype == "float64" else torch.float32
    np_dtype = np.float64 if dtype == "float64" else np.float32
    with default_dtype(tdtype):
        t = make_gen_trainer(
            trace=TRACE_ENABLED,
            num_generations=NUM_GENERATIONS,
            reward_func_names=["dummy"],
            reward_weights=[1.0],
            use_vllm=True,
            vllm_mode=mode,
            clip_min=clip_min,
            clip_max=clip_max,
            mask_truncated_completions=bool(truncated_rows),
        )
        old = torch.tensor(BASE["old_per_token_logps"].astype(np_dtype), dtype=tdtype)
        out = run_generate_and_score(
            t,
            lengths=lengths,
            truncated_rows=truncated_rows,
            old_per_token_logps=old,
            sampling_lists=sampling_lists_for(lengths, np_dtype, with_nan),
            rewards_per_func=torch.zeros(len(lengths), 1, dtype=tdtype),
        )
    assert out["importance_sampling_ratio"].dtype == tdtype
    return out, last_metrics(t, prefix="sampling/")


IS_CASES = [
    ("is_token_truncate", "token_truncate", 0.5, 2.0),
    ("is_token_mask", "token_mask", 0.5, 2.0),
    ("is_sequence_truncate", "sequence_truncate", 0.5, 2.0),
    ("is_sequence_mask", "sequence_mask", 0.5, 2.0),
    ("is_token_mask_max_only", "token_mask", None, 2.0),
    ("is_sequence_truncate_default_clip", "sequence_truncate", None, 3.0),  # TRL defaults: min None, max 3.0
]


def build_is_cases():
    cases = []
    for name, mode, cmin, cmax in IS_CASES:
        out, metrics = compute_is_ratio(mode, cmin, cmax, "float64", truncated_rows=(ZERO_ROW,))
        ratio = out["importance_sampling_ratio"]
        mask = out["completion_mask"]
        assert mask[ZERO_ROW].sum() == 0 and mask[3].sum() == 1
        # coverage checks: some ratios below, inside and above the bounds before clipping/masking
        raw = torch.exp(torch.nan_to_num((out["old_per_token_logps"] - out["sampling_per_token_logps"]) * mask))
        if mode.startswith("sequence"):
            raw = torch.exp(torch.log(raw).sum(-1))
            valid = mask.sum(-1) > 0
        else:
            valid = mask.bool()
        vals = raw[valid]
        lo = cmin if cmin is not None else 0.5
        assert (vals < lo).any() and (vals > cmax).any() and ((vals >= lo) & (vals <= cmax)).any(), (name, vals)
        cases.append(
            {
                "name": name,
                "config": {"mode": mode, "clip_min": cmin, "clip_max": cmax},
                "inputs": {
                    "old_per_token_logps": clean(out["old_per_token_logps"]),
                    "sampling_per_token_logps": clean(out["sampling_per_token_logps"]),
                    "completion_mask": clean(mask),
                },
                "outputs": {"importance_sampling_ratio": clean(ratio), "metrics": metrics},
            }
        )
    return cases


# advantage inputs: 3 prompts x 4 generations, 2 reward functions
_NAN = float("nan")
ADV_REWARDS_2F = np.array(
    [
        # group A: ordinary, one per-function NaN (row 1, func 1)
        [0.91, 1.00],
        [0.12, _NAN],
        [-0.37, 0.00],
        [0.55, 1.00],
        # group B: all rewards equal -> zero std
        [0.75, 0.25],
        [0.75, 0.25],
        [0.75, 0.25],
        [0.75, 0.25],
        # group C: row 9 unscorable (all NaN), row 10 func 0 NaN
        [1.30, 0.00],
        [_NAN, _NAN],
        [_NAN, 1.00],
        [0.20, 0.00],
    ]
)
ADV_REWARDS_2F[[0, 2, 3, 8, 11], 0] += rng.uniform(-0.05, 0.05, 5)  # non-round values
ADV_REWARDS_SINGLE_SCORABLE = ADV_REWARDS_2F.copy()
ADV_REWARDS_SINGLE_SCORABLE[[8, 11]] = _NAN  # group C: only row 10 is scorable -> nanstd = NaN
ADV_REWARDS_1F = ADV_REWARDS_2F[:, :1].copy()

ADV_CASES = [
    # name, rewards, names, weights, scale_rewards, aggregation, dtype
    ("adv_sum_group", ADV_REWARDS_2F, ["accuracy", "format"], [1.0, 0.5], "group", "sum_then_normalize", "float64"),
    ("adv_sum_batch", ADV_REWARDS_2F, ["accuracy", "format"], [1.0, 0.5], "batch", "sum_then_normalize", "float64"),
    ("adv_sum_none", ADV_REWARDS_2F, ["accuracy", "format"], [1.0, 0.5], "none", "sum_then_normalize", "float64"),
    ("adv_nts_group", ADV_REWARDS_2F, ["accuracy", "format"], [1.0, 0.5], "group", "normalize_then_sum", "float64"),
    ("adv_nts_batch", ADV_REWARDS_2F, ["accuracy", "format"], [1.0, 0.5], "batch", "normalize_then_sum", "float64"),
    ("adv_nts_none", ADV_REWARDS_2F, ["accuracy", "format"], [1.0, 0.5], "none", "normalize_then_sum", "float64"),
    ("adv_sum_group_single_scorable", ADV_REWARDS_SINGLE_SCORABLE, ["accuracy", "format"], [1.0, 0.5], "group",
     "sum_then_normalize", "float64"),
    ("adv_nts_single_scorable", ADV_REWARDS_SINGLE_SCORABLE, ["accuracy", "format"], [1.0, 0.5], "group",
     "normalize_then_sum", "float64"),
    ("adv_one_func_group", ADV_REWARDS_1F, ["accuracy"], [1.0], "group", "sum_then_normalize", "float64"),
    # float32: TRL's real _calculate_rewards path (reward functions return None for NaN)
    ("adv_sum_group_f32", ADV_REWARDS_2F, ["accuracy", "format"], [1.0, 0.5], "group", "sum_then_normalize",
     "float32"),
    ("adv_sum_batch_f32", ADV_REWARDS_2F, ["accuracy", "format"], [1.0, 0.5], "batch", "sum_then_normalize",
     "float32"),
    ("adv_nts_group_f32", ADV_REWARDS_2F, ["accuracy", "format"], [1.0, 0.5], "group", "normalize_then_sum",
     "float32"),
]


def make_reward_func(column):
    def reward_func(prompts, completions, completion_ids, **kwargs):
        return [None if math.isnan(v) else float(v) for v in column]

    return reward_func


def build_advantage_cases():
    cases = []
    for name, rewards, names, weights, scale, agg, dtype in ADV_CASES:
        n = rewards.shape[0]
        lengths = [3 + (i % 4) for i in range(n)]
        tdtype = torch.float64 if dtype == "float64" else torch.float32
        with default_dtype(tdtype):
            t = make_gen_trainer(
                trace=TRACE_ENABLED,
                num_generations=NUM_GENERATIONS,
                reward_func_names=names,
                reward_weights=weights,
                scale_rewards=scale,
                multi_objective_aggregation=agg,
            )
            if dtype == "float64":
                rpf = torch.tensor(rewards, dtype=torch.float64)
                out = run_generate_and_score(t, lengths=lengths, rewards_per_func=rpf)
                used = rpf
            else:
                funcs = [make_reward_func(rewards[:, j]) for j in range(rewards.shape[1])]
                for f, nm in zip(funcs, names):
                    f.__name__ = nm
                out = run_generate_and_score(t, lengths=lengths, reward_funcs=funcs)
                # the float32 values TRL actually used (it logs rewards_per_func[:, i].tolist())
                used = torch.tensor([list(t._logs["rewards"][nm]) for nm in names], dtype=torch.float64).T
        assert out["advantages"].dtype == tdtype, out["advantages"].dtype
        cases.append(
            {
                "name": name,
                "dtype": dtype,
                "config": {
                    "num_generations": NUM_GENERATIONS,
                    "scale_rewards": scale,
                    "multi_objective_aggregation": agg,
                    "reward_weights": weights,
                    "reward_func_names": names,
                },
                "inputs": {"rewards_per_func": clean(used)},
                "outputs": {"advantages": clean(out["advantages"]), "metrics": last_metrics(t)},
            }
        )
    return cases


# --------------------------------------------------------------------------------------
# 6. _compute_loss runs
# --------------------------------------------------------------------------------------

LOSS_DEFAULTS = dict(
    loss_type="grpo",
    importance_sampling_level="token",
    epsilon_low=0.2,
    epsilon_high=0.28,
    delta=None,
    beta=0.0,
    use_bias_correction_kl=False,
    top_entropy_quantile=1.0,
    max_completion_length=8,  # > T, so dr_grpo's constant differs from the padded width
    vllm_importance_sampling_correction=False,
    vllm_importance_sampling_mode="sequence_mask",  # TRL default; only read when the correction is on
    vllm_importance_sampling_clip_min=None,
    vllm_importance_sampling_clip_max=3.0,
    off_policy_mask_threshold=None,
    entropy_coef=0.0,
    sapo_temperature_pos=1.0,
    sapo_temperature_neg=1.05,
    current_gradient_accumulation_steps=1,
    steps_per_generation=1,
    num_processes=1,
)


def make_loss_trainer(cfg, trace):
    t = new_trainer(trace)
    t.loss_type = cfg["loss_type"]
    t.importance_sampling_level = cfg["importance_sampling_level"]
    t.epsilon_low = cfg["epsilon_low"]
    t.epsilon_high = cfg["epsilon_high"]
    t.beta = cfg["beta"]
    t.top_entropy_quantile = cfg["top_entropy_quantile"]
    t.max_completion_length = cfg["max_completion_length"]
    t.use_vllm = cfg["vllm_importance_sampling_correction"]
    t.vllm_importance_sampling_correction = cfg["vllm_importance_sampling_correction"]
    t.vllm_importance_sampling_mode = cfg["vllm_importance_sampling_mode"]
    t.vllm_importance_sampling_clip_min = cfg["vllm_importance_sampling_clip_min"]
    t.vllm_importance_sampling_clip_max = cfg["vllm_importance_sampling_clip_max"]
    t.off_policy_mask_threshold = cfg["off_policy_mask_threshold"]
    t.aux_loss_enabled = False
    t.router_aux_loss_coef = 0.0
    t.entropy_coef = cfg["entropy_coef"]
    t.use_adaptive_entropy = False
    t._entropy_bonus_enabled = cfg["entropy_coef"] != 0.0  # as GRPOTrainer.__init__ (static control)
    t._last_world_entropy = float("inf")
    t._entropy_window_stats = None
    t.current_gradient_accumulation_steps = cfg["current_gradient_accumulation_steps"]
    t.args = TracedNamespace(
        delta=cfg["delta"],
        use_bias_correction_kl=cfg["use_bias_correction_kl"],
        sapo_temperature_pos=cfg["sapo_temperature_pos"],
        sapo_temperature_neg=cfg["sapo_temperature_neg"],
        steps_per_generation=cfg["steps_per_generation"],
        gradient_accumulation_steps=cfg["current_gradient_accumulation_steps"],
        report_to=[],
    )
    acc = StubAccelerator()
    acc.num_processes = cfg["num_processes"]
    t.accelerator = acc
    t.model = SimpleNamespace(training=True)
    t.state = SimpleNamespace(global_step=0)
    t._metrics = {"train": defaultdict(list), "eval": defaultdict(list)}
    return t


def build_loss_case(name, dtype="float64", *, old=True, ref=False, zero_rows=(), num_items=None, **overrides):
    cfg = dict(LOSS_DEFAULTS)
    for k, v in overrides.items():
        assert k in cfg, k
        cfg[k] = v
    tdtype = torch.float64 if dtype == "float64" else torch.float32
    np_dtype = np.float64 if dtype == "float64" else np.float32
    mask = mask_from_lengths(LENGTHS, zero_rows)

    def T_(a):
        return torch.tensor(np.asarray(a).astype(np_dtype), dtype=tdtype)

    vllm = cfg["vllm_importance_sampling_correction"]
    sampling = is_ratio = None
    if vllm:
        assert not zero_rows
        out, _ = compute_is_ratio(
            cfg["vllm_importance_sampling_mode"],
            cfg["vllm_importance_sampling_clip_min"],
            cfg["vllm_importance_sampling_clip_max"],
            dtype,
        )
        assert torch.equal(out["completion_mask"], mask)
        sampling = out["sampling_per_token_logps"]
        is_ratio = out["importance_sampling_ratio"]
        assert old, "with vLLM TRL always provides old_per_token_logps"

    with default_dtype(tdtype):
        per_token_logps = T_(BASE["per_token_logps"]).requires_grad_(True)
        entropies = T_(BASE["entropies"])
        inputs = {
            "prompt_ids": torch.full((N, 3), 11, dtype=torch.long),
            "prompt_mask": torch.ones(N, 3, dtype=torch.long),
            "completion_ids": torch.full((N, T), 21, dtype=torch.long),
            "completion_mask": mask,
            "advantages": T_(BASE["advantages"]),
            "num_items_in_batch": torch.tensor(int(mask.sum()) if num_items is None else num_items),
        }
        if old:
            inputs["old_per_token_logps"] = T_(BASE["old_per_token_logps"])
        if ref:
            inputs["ref_per_token_logps"] = T_(BASE["ref_per_token_logps"])
        if sampling is not None:
            inputs["sampling_per_token_logps"] = sampling
            inputs["importance_sampling_ratio"] = is_ratio

        t = make_loss_trainer(cfg, TRACE_ENABLED)
        t._get_per_token_logps_and_entropies = lambda *a, **k: (per_token_logps, entropies, None)
        with tracing(TRACE_ENABLED):
            loss = GRPOTrainer._compute_loss(t, None, inputs)
        assert loss.dtype == tdtype, (name, loss.dtype)
        loss.backward()
        grad = per_token_logps.grad
        if grad is None:
            grad = torch.zeros_like(per_token_logps)

    case = {
        "name": name,
        "dtype": dtype,
        "config": {k: cfg[k] for k in LOSS_DEFAULTS},
        "inputs": {
            "per_token_logps": clean(per_token_logps),
            "old_per_token_logps": clean(inputs["old_per_token_logps"]) if old else None,
            "ref_per_token_logps": clean(inputs["ref_per_token_logps"]) if ref else None,
            "sampling_per_token_logps": clean(sampling) if sampling is not None else None,
            "importance_sampling_ratio": clean(is_ratio) if is_ratio is not None else None,
            "entropies": clean(entropies),
            "completion_mask": clean(mask),
            "advantages": clean(inputs["advantages"]),
            "num_items_in_batch": int(inputs["num_items_in_batch"]),
        },
        "outputs": {"loss": clean(loss.item()), "grad_per_token_logps": clean(grad), "metrics": last_metrics(t)},
    }
    return case


VLLM = dict(vllm_importance_sampling_correction=True, vllm_importance_sampling_clip_min=0.5,
            vllm_importance_sampling_clip_max=2.0)

LOSS_CASES = [
    # name, kwargs, also_float32
    ("grpo_token", dict(), True),
    ("grpo_token_no_old", dict(old=False), False),
    ("grpo_token_symmetric_eps_ga4", dict(epsilon_high=0.2, current_gradient_accumulation_steps=4), False),
    ("grpo_sequence", dict(importance_sampling_level="sequence"), False),
    ("grpo_token_zero_row", dict(zero_rows=(ZERO_ROW,)), False),
    ("grpo_sequence_zero_row", dict(importance_sampling_level="sequence", zero_rows=(ZERO_ROW,)), False),
    ("bnpo_token", dict(loss_type="bnpo", current_gradient_accumulation_steps=2), False),
    ("dr_grpo_token", dict(loss_type="dr_grpo", current_gradient_accumulation_steps=2), False),
    # dapo: num_items_in_batch spans the whole generation batch (4 micro-batches of ~35 tokens);
    # normalizer = num_items / num_processes * GA / steps_per_generation = 140 * 2 / 4 = 70 (not 35)
    ("dapo_token_ga", dict(loss_type="dapo", num_items=140, current_gradient_accumulation_steps=2,
                           steps_per_generation=4), True),
    ("dapo_token_no_old", dict(loss_type="dapo", old=False), False),
    ("dapo_sequence", dict(loss_type="dapo", importance_sampling_level="sequence", num_items=96,
                           current_gradient_accumulation_steps=3, steps_per_generation=3), False),
    ("dapo_token_zero_row", dict(loss_type="dapo", zero_rows=(ZERO_ROW,)), False),
    ("cispo_token", dict(loss_type="cispo", epsilon_high=1.3, num_items=70, current_gradient_accumulation_steps=2,
                         steps_per_generation=2), True),
    ("sapo_token", dict(loss_type="sapo", current_gradient_accumulation_steps=2), True),
    ("sapo_sequence", dict(loss_type="sapo", importance_sampling_level="sequence", sapo_temperature_pos=0.7,
                           sapo_temperature_neg=1.3), False),
    ("luspo_sequence", dict(loss_type="luspo", importance_sampling_level="sequence",
                            current_gradient_accumulation_steps=2), True),
    ("luspo_token", dict(loss_type="luspo"), False),
    ("grpo_token_delta", dict(delta=1.5), False),
    ("grpo_sequence_delta", dict(importance_sampling_level="sequence", delta=1.1), False),
    ("grpo_token_beta", dict(beta=0.04, ref=True), False),
    ("grpo_token_beta_biascorr", dict(beta=0.04, ref=True, use_bias_correction_kl=True), True),
    ("grpo_token_beta_no_old", dict(beta=0.04, ref=True, old=False, use_bias_correction_kl=True), False),
    ("dapo_sequence_beta_biascorr", dict(loss_type="dapo", importance_sampling_level="sequence", beta=0.04, ref=True,
                                         use_bias_correction_kl=True), False),
    ("grpo_token_top_entropy", dict(top_entropy_quantile=0.5), True),
    ("grpo_token_entropy_bonus", dict(entropy_coef=0.01, current_gradient_accumulation_steps=2), True),
    ("dapo_token_top_entropy_entropy_bonus", dict(loss_type="dapo", top_entropy_quantile=0.5, entropy_coef=0.05,
                                                  num_items=70, current_gradient_accumulation_steps=2,
                                                  steps_per_generation=2), False),
    ("grpo_token_vllm_token_truncate", dict(**VLLM, vllm_importance_sampling_mode="token_truncate"), True),
    ("dapo_token_vllm_token_mask", dict(loss_type="dapo", **VLLM, vllm_importance_sampling_mode="token_mask"), False),
    ("grpo_sequence_vllm_sequence_truncate", dict(importance_sampling_level="sequence", **VLLM,
                                                  vllm_importance_sampling_mode="sequence_truncate"), False),
    ("bnpo_token_vllm_sequence_mask", dict(loss_type="bnpo", **VLLM, vllm_importance_sampling_mode="sequence_mask"),
     True),
    ("cispo_token_vllm_token_truncate", dict(loss_type="cispo", epsilon_high=1.3, **VLLM,
                                             vllm_importance_sampling_mode="token_truncate"), False),
    ("grpo_token_off_policy_mask", dict(off_policy_mask_threshold=0.2), False),
    ("grpo_token_off_policy_mask_vllm", dict(off_policy_mask_threshold=0.3, **VLLM,
                                             vllm_importance_sampling_mode="token_truncate"), True),
    ("grpo_token_everything", dict(beta=0.04, ref=True, use_bias_correction_kl=True, delta=1.6,
                                   top_entropy_quantile=0.5, entropy_coef=0.02, off_policy_mask_threshold=0.3,
                                   current_gradient_accumulation_steps=2, **VLLM,
                                   vllm_importance_sampling_mode="token_mask"), False),
]


def build_loss_cases():
    cases = []
    for name, kw, f32 in LOSS_CASES:
        cases.append(build_loss_case(name, "float64", **kw))
        if f32:
            cases.append(build_loss_case(name + "_f32", "float32", **kw))
    return cases


def sanity_checks(loss_cases):
    by = {c["name"]: c for c in loss_cases}
    m = by["grpo_token"]["outputs"]["metrics"]
    assert m["clip_ratio/low_mean"] > 0 and m["clip_ratio/high_mean"] > 0, m
    assert by["cispo_token"]["outputs"]["metrics"]["cispo_clip_ratio"] > 0
    for nm in ("grpo_token_off_policy_mask", "grpo_token_off_policy_mask_vllm", "grpo_token_off_policy_mask_f32"):
        c = by.get(nm)
        if c is None:
            continue
        # the off-policy mask must drop exactly one (negative-advantage) row: its gradient is all zero
        g, msk = c["outputs"]["grad_per_token_logps"], c["inputs"]["completion_mask"]
        adv = c["inputs"]["advantages"]
        dropped = [i for i in range(N) if any(msk[i]) and adv[i] != 0 and all(v == 0 for v in g[i])]
        assert len(dropped) == 1 and c["inputs"]["advantages"][dropped[0]] < 0, (nm, dropped)
    assert by["grpo_token_top_entropy"]["outputs"]["loss"] != by["grpo_token"]["outputs"]["loss"]
    assert by["grpo_token_delta"]["outputs"]["loss"] != by["grpo_token"]["outputs"]["loss"]


# --------------------------------------------------------------------------------------
# 7. main
# --------------------------------------------------------------------------------------


def dump(doc) -> str:
    """One case per line: readable diffs, compact file."""

    def d(x):
        return json.dumps(x, separators=(",", ":"), allow_nan=False)

    lines = ["{"]
    head = ["generator", "trl_version", "torch_version"]
    for k in head:
        lines.append(f" {d(k)}: {d(doc[k])},")
    lists = ["loss_cases", "advantage_cases", "is_ratio_cases"]
    for j, k in enumerate(lists):
        lines.append(f" {d(k)}: [")
        items = doc[k]
        for i, item in enumerate(items):
            lines.append("  " + d(item) + ("," if i + 1 < len(items) else ""))
        lines.append(" ]" + ("," if j + 1 < len(lists) else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


TRACE_ENABLED = False


def main():
    global TRACE_ENABLED
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(OUT_PATH))
    ap.add_argument("--trace", action="store_true", help="print the trainer/args attributes TRL read")
    a = ap.parse_args()
    TRACE_ENABLED = a.trace

    torch.manual_seed(0)
    loss_cases = build_loss_cases()
    sanity_checks(loss_cases)
    adv_cases = build_advantage_cases()
    is_cases = build_is_cases()
    doc = {
        "generator": GENERATOR,
        "trl_version": trl.__version__,
        "torch_version": torch.__version__,
        "loss_cases": loss_cases,
        "advantage_cases": adv_cases,
        "is_ratio_cases": is_cases,
    }
    text = dump(doc)
    json.loads(text)  # round-trip check
    Path(a.out).write_text(text)
    print(
        f"wrote {a.out}: {len(loss_cases)} loss, {len(adv_cases)} advantage, {len(is_cases)} IS-ratio cases, "
        f"{len(text.encode()) / 1024:.1f} KiB (trl {trl.__version__}, torch {torch.__version__})"
    )
    if a.trace:
        print("trainer attributes read:", sorted(TRACE["trainer"]))
        print("args attributes read:", sorted(TRACE["args"]))


if __name__ == "__main__":
    main()
