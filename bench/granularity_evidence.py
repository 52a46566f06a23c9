"""Write a whole-vs-split measurement (targets/granularity/MODEL--HARNESS.json) from two bench
runs of the same tasks: ``skvmc bench ... --conditions compiled --granularity whole`` and the
same with ``--granularity split`` (their results.json).

  python bench/granularity_evidence.py WHOLE/results.json SPLIT/results.json [-o DIR]

(DIR defaults to targets/granularity.)

Counts passed/graded and tokens of the graded ``compiled`` runs of the tasks both runs graded.
skvmc/backends/granularity.py splits a program for MODEL+HARNESS only when this file shows the
split program passing more (and the profile says the model cannot hold the procedure).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from skvmc.targets.jsonload import write_measurement


def _graded(results: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in results["records"]:
        if r["condition"] == "compiled" and r.get("status") in ("pass", "fail"):
            out.setdefault(r["task"], []).append(r)
    return out


def _count(runs: list[dict]) -> dict:
    return {"passed": sum(r["status"] == "pass" for r in runs), "graded": len(runs),
            "tokens": sum(int(r.get("prompt_tokens") or 0) + int(r.get("completion_tokens") or 0)
                          for r in runs)}


def measure(whole: dict, split: dict, source: str) -> dict:
    w, s = _graded(whole), _graded(split)
    tasks = sorted(set(w) & set(s))
    if not tasks:
        raise ValueError("the two runs graded no task in common")
    meta = whole["meta"]
    harness = meta.get("harness") or meta["target"].rpartition("+")[2]
    return {"model": meta["model"], "harness": harness, "source": source,
            "date": max(whole["meta"].get("date", ""), split["meta"].get("date", "")),
            "tasks": tasks,
            "modes": {"whole": _count([r for t in tasks for r in w[t]]),
                      "split": _count([r for t in tasks for r in s[t]])}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("whole", help="results.json of the --granularity whole run")
    ap.add_argument("split", help="results.json of the --granularity split run")
    ap.add_argument("-o", "--out", default="targets/granularity", help="output folder")
    args = ap.parse_args(argv)
    runs = {}
    for mode in ("whole", "split"):
        path = Path(getattr(args, mode))
        try:
            runs[mode] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            print(f"{path}: error: cannot read bench results: {exc}", file=sys.stderr)
            return 1
        got = runs[mode].get("meta", {}).get("granularity")
        if got != mode:
            print(f"{path}: error: expected a --granularity {mode} run, got {got!r}",
                  file=sys.stderr)
            return 1
    if runs["whole"]["meta"]["model"] != runs["split"]["meta"]["model"]:
        print("error: the two runs are of different models", file=sys.stderr)
        return 1
    source = ", ".join(str(Path(getattr(args, m)).parent) for m in ("whole", "split"))
    try:
        rec = measure(runs["whole"], runs["split"], source)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    dest = write_measurement(args.out, rec)
    print(f"{dest}: {json.dumps(rec['modes'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
