"""CPU time of the default pass pipeline over the corpus, frontend excluded (best of N).

    .venv/bin/python bench/pass_cpu.py [--target qwen-7b+openhands] [--repeat 5]

Every ../shared/corpus skill is parsed once; then the whole -O pipeline for the target runs
over all of them, N times; the least process CPU time is printed (CPU, not wall: the machine
is shared). Run it on two checkouts one after the other to compare them.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from skvmc.diagnostics import DiagnosticEngine
from skvmc.frontend import parse_skill
from skvmc.passes import default_pipeline
from skvmc.passmanager import PassContext, PassManager, parse_pipeline

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("SKVMC_SHARED", REPO.parent / "shared")) / "corpus"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", default="qwen-7b+openhands")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    modules = [parse_skill(str(p.parent), DiagnosticEngine())
               for p in sorted(CORPUS.rglob("SKILL.md"))]
    pipeline = default_pipeline(args.target)
    best = float("inf")
    for _ in range(args.repeat):
        start = time.process_time()
        for module in modules:
            diags = DiagnosticEngine()
            PassManager(parse_pipeline(pipeline, diags)).run(module, PassContext(diags=diags))
        best = min(best, time.process_time() - start)
    print(f"{len(modules)} skills, {pipeline}: best of {args.repeat}: {best:.3f} s CPU")


if __name__ == "__main__":
    main()
