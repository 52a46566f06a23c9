"""Compile throughput: the corpus (../shared/corpus/<repo>/<skill>, skipped when absent) and
examples/ for all 9 harness targets (qwen-7b+<harness>) in one process.

Prints skills/second (skill x target compiles per second, and distinct skills per second), the
time split frontend / passes / backends, and bytecode size vs SKILL.md size per skill.

    .venv/bin/python bench/compile_throughput.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("SKVMC_SHARED", REPO.parent / "shared")) / "corpus"
HARNESSES = ("aider", "bare", "claude-code", "codex", "goose", "hermes", "openclaw", "opencode",
             "openhands")


def skills() -> list[Path]:
    found = sorted(p for p in (REPO / "examples").iterdir() if (p / "SKILL.md").exists())
    if CORPUS.is_dir():
        found += sorted(p.parent for p in CORPUS.glob("*/*/SKILL.md"))
    else:
        print(f"(corpus absent at {CORPUS}; examples only)")
    return found


def main() -> int:
    from skvmc.compile import CompileOptions, compile, parse
    from skvmc.diagnostics import DiagnosticEngine
    from skvmc.targets import parse_target

    paths = skills()
    targets = [(f"qwen-7b+{h}", parse_target(f"qwen-7b+{h}")) for h in HARNESSES]
    start = time.perf_counter()
    diags = DiagnosticEngine()
    parsed = [parse(str(p), diags) for p in paths]
    options = CompileOptions()
    frontend = sum(p.seconds for p in parsed)
    passes = backends = 0.0
    sizes = {}
    compiles = 0
    for skill in parsed:
        for spec, _ in targets:
            r = compile(skill, spec, options, diags=diags)
            passes += sum(p["seconds"] for p in r.timings["passes"])
            backends += sum(r.timings["backends"].values())
            compiles += 1
            if spec.endswith("+openhands"):
                sizes[r.skill.module.attr("skill_dir")] = (len(skill.text.encode()),
                                                           len(r.files["skill.skbc"]))
    total = time.perf_counter() - start
    print(f"{len(parsed)} skills x {len(targets)} targets = {compiles} compiles in {total:.2f}s")
    print(f"  {compiles / total:.1f} skill-target compiles/s, {len(parsed) / total:.2f} skills/s "
          "(each for all 9 targets)")
    other = total - frontend - passes - backends
    for name, t in (("frontend", frontend), ("passes", passes), ("backends", backends),
                    ("other", other)):
        print(f"  {name:<9} {t:7.3f}s  {100 * t / total:5.1f}%")
    print(f"\n{'skill':<28} {'SKILL.md':>9} {'.skbc':>8} {'ratio':>6}")
    for name, (md, bc) in sorted(sizes.items()):
        print(f"{name:<28} {md:>9} {bc:>8} {bc / md:>6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
