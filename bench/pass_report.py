"""What the default pipeline finds per corpus skill and target, and how long it takes.

    python bench/pass_report.py [--targets qwen-7b+openhands,claude-opus-4.6+claude-code]

For each skill (../shared/corpus/anthropic-skills and examples/) and target, compiles in one
process with --emit=report and prints: requirements, gaps, patterns applied, steps removed,
parallel regions, critical path, tokens saved by dead-step elimination (cl100k), and the whole
default pipeline time. Ends with the median and max pipeline time per skill.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import sys
from pathlib import Path

from skvmc.cli import main as skvmc

REPO = Path(__file__).resolve().parent.parent


def skills() -> list[Path]:
    roots = [REPO.parent / "shared" / "corpus" / "anthropic-skills", REPO / "examples"]
    return sorted(p for root in roots if root.is_dir() for p in root.iterdir()
                  if (p / "SKILL.md").exists())


def report(skill: Path, target: str) -> dict:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = skvmc([str(skill), f"--target={target}", "--emit=report",
                     "--report-timings"])
    if code != 0:
        sys.exit(f"{skill.name} {target}: exit {code}\n{err.getvalue()}")
    return json.loads(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default="qwen-7b+openhands,claude-opus-4.6+claude-code")
    args = parser.parse_args()
    report(skills()[0], args.targets.split(",")[0])  # warm caches (grammar, tokenizer)
    times = []
    print(f"{'skill':<22} {'target':<28} req gaps patterns removed saved par crit  pipeline")
    for skill in skills():
        for target in args.targets.split(","):
            r = report(skill, target)
            seconds = sum(p["seconds"] for p in r["timings"]["passes"])
            times.append(seconds)
            patterns = (sum(r["patterns"].values()) if isinstance(r["patterns"], dict)
                        else len(r["patterns"]))
            dse = r["passes"].get("dead-step-elim", {})
            print(f"{skill.name:<22} {target:<28} {len(r['requirements']):3d} {len(r['gaps']):4d} "
                  f"{patterns:8d} {len(r['removed']):7d} {dse.get('tokens_saved', 0):5d} "
                  f"{len(r['parallel']['regions']):3d} {r['parallel']['critical_path']:4d} "
                  f"{seconds * 1e3:8.1f} ms")
    print(f"\npipeline per skill+target: median {statistics.median(times) * 1e3:.1f} ms, "
          f"max {max(times) * 1e3:.1f} ms over {len(times)} compiles")


if __name__ == "__main__":
    main()
