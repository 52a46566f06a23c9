"""Compile at corpus scale, in one run (not a timed test: numbers depend on the machine).

    .venv/bin/python bench/corpus_scale.py [--corpus DIR] [--skip-analyze] [--json FILE]

Measures, on the corpus (default ../shared/corpus: every folder with a SKILL.md):

1. tokenize: markdown-it-py parsing every SKILL.md 9 times (the floor: reading Markdown once
   per target), against ``skvmc SKILLS --target=<9 targets> -o OUT`` in one call (goal <= 3x);
   also against tokenizing every .md file of the skill folders (SKILL.md and bundled
   references, which the compile reads, hashes and copies per target) 9 times;
2. ``-j 2`` against ``-j 1`` for that call (goal >= 1.7x);
3. a warm ``--cache-dir`` recompile against the tokenize time (goal < 1.2x);
4. ``skvmc analyze`` over 1,000 skills synthesized from the corpus (copies in a temporary
   folder, each SKILL.md made distinct by an appended comment, so no cache can share work;
   goal < 60 s).

Wall time and this process's CPU time (children included for -j) are both printed: on a
shared machine wall time says more about the neighbours than about skvmc.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("SKVMC_SHARED", REPO.parent / "shared")) / "corpus"
HARNESSES = ("aider", "bare", "claude-code", "codex", "goose", "hermes", "openclaw", "opencode",
             "openhands")
TARGETS = ",".join(f"qwen-7b+{h}" for h in HARNESSES)


def cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


@contextlib.contextmanager
def timed(into: dict, name: str):
    w, c = time.perf_counter(), cpu()
    yield
    into[name] = {"wall_s": round(time.perf_counter() - w, 3), "cpu_s": round(cpu() - c, 3)}
    print(f"  {name:<28} wall {into[name]['wall_s']:8.3f}s  cpu {into[name]['cpu_s']:8.3f}s",
          flush=True)


def skvmc(argv: list[str]) -> int:
    from skvmc.cli import main

    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        return main(argv)


def synthesize(skills: list[Path], n: int, dest: Path) -> None:
    """``n`` skills: round-robin copies of ``skills`` (bundle files hard-linked when the file
    system allows), each SKILL.md with a distinct trailing comment."""
    for i in range(n):
        src = skills[i % len(skills)]
        out = dest / f"{i:04d}-{src.name}"
        shutil.copytree(src, out, copy_function=_link_or_copy)
        md = out / "SKILL.md"
        md.unlink()  # a hard link: write a new file, never through the link
        md.write_text((src / "SKILL.md").read_text(encoding="utf-8")
                      + f"\n<!-- synthesized copy {i} -->\n", encoding="utf-8")


def _link_or_copy(src, dst):
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


class _Done(Exception):
    pass


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=str(CORPUS))
    ap.add_argument("--skip-analyze", action="store_true")
    ap.add_argument("--analyze-skills", type=int, default=1000)
    ap.add_argument("--json", help="also write the numbers here")
    ap.add_argument("--basic", action="store_true",
                    help="only tokenize and compile -j 1 (what a compiler before -j, "
                         "--cache-dir and analyze can run: the 'before' numbers)")
    args = ap.parse_args()
    from markdown_it import MarkdownIt

    from skvmc.corpus import find_skills

    skills = [Path(p) for p in find_skills(args.corpus)]
    if not skills:
        print(f"no skills under {args.corpus}")
        return 1
    texts = [(p / "SKILL.md").read_text(encoding="utf-8") for p in skills]
    paths = [str(p) for p in skills]
    print(f"{len(skills)} skills, {sum(map(len, texts))} bytes of SKILL.md, 9 targets; "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    r: dict = {"skills": len(skills), "targets": 9, "load_before": os.getloadavg()[0]}
    md = MarkdownIt()
    md.parse(texts[0])
    skvmc([paths[0], "--emit=ir"])  # imports and grammar loaded before anything is timed
    tmp = Path(tempfile.mkdtemp(prefix="skvmc-scale-"))
    try:
        with timed(r, "tokenize x9 (markdown-it)"):
            for _ in range(9):
                for t in texts:
                    md.parse(t)
        all_md = [p.read_text(encoding="utf-8", errors="replace")
                  for s in skills for p in sorted(s.rglob("*.md"))]
        with timed(r, "tokenize x9, every .md"):
            for _ in range(9):
                for t in all_md:
                    md.parse(t)
        with timed(r, "compile 9 targets -j 1"):
            assert skvmc([*paths, f"--target={TARGETS}", "-o", str(tmp / "j1")]) == 0
        if args.basic:
            tok, j1 = r["tokenize x9 (markdown-it)"], r["compile 9 targets -j 1"]
            every = r["tokenize x9, every .md"]
            r["ratios"] = {"compile_vs_tokenize_wall": round(j1["wall_s"] / tok["wall_s"], 2),
                           "compile_vs_tokenize_cpu": round(j1["cpu_s"] / tok["cpu_s"], 2),
                           "compile_vs_tokenize_every_md_cpu": round(
                               j1["cpu_s"] / every["cpu_s"], 2)}
            args.skip_analyze = True
            raise _Done
        with timed(r, "compile 9 targets -j 2"):
            assert skvmc([*paths, f"--target={TARGETS}", "-o", str(tmp / "j2"), "-j", "2"]) == 0
        cache = tmp / "cache"
        with timed(r, "cold cache fill"):
            assert skvmc([*paths, f"--target={TARGETS}", "-o", str(tmp / "c1"),
                          "--cache-dir", str(cache)]) == 0
        with timed(r, "warm cache recompile"):
            assert skvmc([*paths, f"--target={TARGETS}", "-o", str(tmp / "c2"),
                          "--cache-dir", str(cache)]) == 0
        tok = r["tokenize x9 (markdown-it)"]
        j1, j2 = r["compile 9 targets -j 1"], r["compile 9 targets -j 2"]
        warm = r["warm cache recompile"]
        r["ratios"] = {
            "compile_vs_tokenize_wall": round(j1["wall_s"] / tok["wall_s"], 2),
            "compile_vs_tokenize_cpu": round(j1["cpu_s"] / tok["cpu_s"], 2),
            "compile_vs_tokenize_every_md_cpu": round(
                j1["cpu_s"] / r["tokenize x9, every .md"]["cpu_s"], 2),
            "j2_speedup_wall": round(j1["wall_s"] / j2["wall_s"], 2),
            "warm_vs_tokenize_wall": round(warm["wall_s"] / tok["wall_s"], 2),
            "warm_vs_tokenize_cpu": round(warm["cpu_s"] / tok["cpu_s"], 2),
        }
        if not args.skip_analyze:
            many = tmp / "many"
            many.mkdir()
            synthesize(skills, args.analyze_skills, many)
            with timed(r, f"analyze {args.analyze_skills} skills -j 1"):
                assert skvmc(["analyze", str(many), "-o", str(tmp / "an")]) == 0
            with timed(r, f"analyze {args.analyze_skills} skills -j 2"):
                assert skvmc(["analyze", str(many), "-o", str(tmp / "an2"), "-j", "2"]) == 0
    except _Done:
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    r["load_after"] = os.getloadavg()[0]
    print("ratios (goal: compile <= 3x tokenize, -j 2 >= 1.7x, warm < 1.2x tokenize):")
    for k, v in r["ratios"].items():
        print(f"  {k:<28} {v}")
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
