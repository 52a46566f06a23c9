"""Write a retry measurement (targets/retries/MODEL--HARNESS.json) from a compiled bench run:
what the VM's retries of failed steps bought this model.

  python bench/retry_evidence.py BENCH_OUT [BENCH_OUT ...] [-o DIR] [--print]

BENCH_OUT is a ``skvmc bench --conditions compiled --out`` folder (its results.jsonl and
traces/). A run is *retried* when its trace shows an ASK instruction run more than once (the
VM asked the same step again after a failed attempt or a failed check); its retry tokens are
those of the second and later attempts. ``passedAfterRetry`` counts retried runs that passed:
an upper bound on the passes retries bought (a run whose first attempt already wrote the right
output counts too), so the measurement errs towards keeping retries.
skvmc/backends/retries.py drops them for the target only when no retried run passed.
(DIR defaults to targets/retries.) The traces stay in the bench's --out folder: the results
committed under bench/results/ hold no traces, so keep them to re-measure.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path

from skvmc.bench.runner import trace_name
from skvmc.targets.jsonload import write_measurement


class EvidenceError(Exception):
    """Input this script cannot measure from; the message starts with where."""


def _records(path: Path):
    """Each JSON line of ``path``; a bad one is an EvidenceError at its line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EvidenceError(f"{path}: error: cannot read: {exc.strerror}") from None
    for n, line in enumerate(lines, 1):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvidenceError(f"{path}:{n}:{exc.colno}: error: not JSON: {exc.msg}") from None
        if isinstance(rec, dict):
            yield rec


def retry_tokens(trace: Path) -> tuple[str, bool, int]:
    """(the program's target, whether some ASK ran again, tokens of the repeated attempts)
    from one run's trace."""
    seen: set[str] = set()
    target, retried, tokens = "", False, 0
    for rec in _records(trace):
        if rec.get("type") == "header":
            target = (rec.get("meta") or {}).get("target", "")
        if rec.get("type") != "instr" or rec.get("op") != "ask":
            continue
        key = f"{rec.get('branch') or 'main'}/{rec.get('index')}"
        if key in seen:
            retried = True
            tokens += _tokens(rec)
        seen.add(key)
    return target, retried, tokens


def _tokens(rec: dict) -> int:
    return int(rec.get("prompt_tokens") or 0) + int(rec.get("completion_tokens") or 0)


def measure(outs: list[Path]) -> dict:
    runs = retried = passed = retry_tok = total = 0
    tasks, targets, missing = set(), set(), []
    for out in outs:
        for rec in _records(out / "results.jsonl"):
            if rec.get("condition") != "compiled" or rec.get("status") not in ("pass", "fail"):
                continue
            trace = out / "traces" / trace_name(rec["task"], "compiled", rec["run"])
            if not trace.is_file():
                missing.append(str(trace))
                continue
            runs += 1
            tasks.add(rec["task"])
            total += _tokens(rec)
            target, again, tok = retry_tokens(trace)
            targets.add(target)
            if again:
                retried += 1
                retry_tok += tok
                passed += rec["status"] == "pass"
    if missing:
        raise EvidenceError(f"{missing[0]}: error: no trace for this graded run "
                            f"({len(missing)} missing; run the bench with its traces)")
    if not runs:
        raise EvidenceError(f"{outs[0]}: error: no graded compiled run to measure")
    if len(targets) != 1 or "+" not in next(iter(targets)):
        raise EvidenceError(f"{outs[0]}: error: the runs are not of one MODEL+HARNESS "
                            f"target: {sorted(targets)}")
    model, _, harness = targets.pop().partition("+")
    return {"model": model, "harness": harness,
            "source": ", ".join(str(o) for o in outs),
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "tasks": sorted(tasks), "runs": runs, "retried": retried,
            "passedAfterRetry": passed, "retryTokens": retry_tok, "tokens": total}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outs", nargs="+", type=Path)
    ap.add_argument("-o", "--out-dir", type=Path,
                    default=Path(__file__).resolve().parents[1] / "targets" / "retries")
    ap.add_argument("--print", action="store_true", help="print the record, write nothing")
    args = ap.parse_args(argv)
    try:
        rec = measure(args.outs)
    except EvidenceError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.print:
        print(json.dumps(rec, indent=2))
    else:
        print(write_measurement(args.out_dir, rec))
    return 0


if __name__ == "__main__":
    sys.exit(main())
