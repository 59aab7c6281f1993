"""HF math-verify on the cases bench_math writes: checks/s, and every case where
its verdict differs from libgrpo's.

    bench_math --cases-out cases.jsonl --verdicts-out ours.jsonl
    python bench/bench_math_verify.py cases.jsonl [--ours ours.jsonl]

math-verify runs as its documentation shows: parse(gold), parse(pred),
verify(gold, pred), with its default extraction configs and timeouts. Answers
given on their own (not completions) are wrapped in $...$ so that its LaTeX
extractor sees them as math, as open-r1 does with dataset answers.
"""
import argparse
import json
import logging
import time

from math_verify import parse, verify

logging.disable(logging.WARNING)  # math-verify logs every timeout and parse failure


def as_latex(text: str) -> str:
    return text if "$" in text or "\\boxed" in text else f"${text}$"


def check(case: dict) -> bool:
    gold = parse(as_latex(case["gold"]))
    pred = parse(as_latex(case["pred"]) if case["pred_is_answer"] else case["pred"])
    return bool(verify(gold, pred))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("cases")
    ap.add_argument("--ours", help="libgrpo's verdicts (bench_math --verdicts-out)")
    args = ap.parse_args()
    cases = [json.loads(line) for line in open(args.cases)]
    verdicts = []
    seconds = {}
    counts = {}
    for case in cases:
        start = time.perf_counter()
        verdicts.append(check(case))
        seconds[case["set"]] = seconds.get(case["set"], 0.0) + time.perf_counter() - start
        counts[case["set"]] = counts.get(case["set"], 0) + 1
    print("set      cases  checks/s  off-expected")
    for s in seconds:
        off = sum(v != c["expected"] for v, c in zip(verdicts, cases) if c["set"] == s)
        print(f"{s:8} {counts[s]:6} {counts[s] / seconds[s]:9.0f}  {off}")
    if not args.ours:
        return
    ours = [json.loads(line) for line in open(args.ours)]
    diffs = [(c, o, v) for c, o, v in zip(cases, ours, verdicts) if o["correct"] != v]
    print(f"\n{len(diffs)} disagreements (expected = the table's verdict)")
    print("| group | gold | pred | libgrpo | math-verify | expected |")
    print("|---|---|---|---|---|---|")
    for c, o, v in diffs:
        cell = lambda s: "`" + s.replace("|", "\\|").replace("\n", " ")[:90] + "`"
        print(f"| {c['group']} | {cell(c['gold'])} | {cell(c['pred'])} | {o['correct']} | {v} | {c['expected']} |")


if __name__ == "__main__":
    main()
