"""Compile at corpus scale, in one run (not a timed test: numbers depend on the machine).

    .venv/bin/python bench/corpus_scale.py [--corpus DIR] [--skip-analyze] [--repeat N]
                                           [--json FILE]

Measures, on the corpus (default ../shared/corpus: every folder with a SKILL.md):

1. tokenize: markdown-it-py parsing every SKILL.md 9 times (the floor: reading Markdown once
   per target; timed before and after the ``-j 1`` compile, the mean is the denominator),
   against ``skvmc SKILLS --target=<9 targets> -o OUT`` in one call (goal <= 3x; also in
   user time only, without the file system's system time), and against tokenizing every
   .md file of the skill folders (SKILL.md and bundled references, which the compile reads,
   hashes and copies per target) 9 times;
2. ``-j 2`` against ``-j 1`` for that call (goal >= 1.7x);
3. a warm ``--cache-dir`` recompile into the folder the cold fill wrote, against the tokenize
   time (goal < 1.2x); also into a new folder (every file created: mostly the disk's cost);
4. ``skvmc analyze`` over 1,000 skills synthesized from the corpus (copies in a temporary
   folder, each SKILL.md made distinct by an appended comment, so no cache can share work;
   goal < 60 s).

Wall time and this process's CPU time (children included for -j) are both printed: on a
shared machine wall time says more about the neighbours than about skvmc. Items 1-3 run
``--repeat N`` rounds (default 3); each round's ratios compare runs made minutes apart, and
the median over rounds is reported with its range and the load average seen.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("SKVMC_SHARED", REPO.parent / "shared")) / "corpus"
HARNESSES = ("aider", "bare", "claude-code", "codex", "goose", "hermes", "openclaw", "opencode",
             "openhands")
TARGETS = ",".join(f"qwen-7b+{h}" for h in HARNESSES)


def cpu() -> tuple[float, float]:
    """(user + system, system) CPU seconds of this process and its waited-for children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    system = me.ru_stime + kids.ru_stime
    return me.ru_utime + kids.ru_utime + system, system


@contextlib.contextmanager
def timed(into: dict, name: str):
    w, (c, s) = time.perf_counter(), cpu()
    yield
    c2, s2 = cpu()
    into[name] = {"wall_s": round(time.perf_counter() - w, 3), "cpu_s": round(c2 - c, 3),
                  "sys_s": round(s2 - s, 3)}  # system time: mostly the file system's
    print(f"  {name:<28} wall {into[name]['wall_s']:8.3f}s  cpu {into[name]['cpu_s']:8.3f}s"
          f"  (sys {into[name]['sys_s']:6.3f}s)", flush=True)


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


def _ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else float("nan")


def one_round(args, skills, paths, texts, all_md, md, tmp: Path) -> tuple[dict, dict]:
    """Every measure once: (timings, ratios). Tokenizing runs in the same round as the
    compiles, so a ratio compares runs that saw the same neighbours."""
    r: dict = {"load_before": round(os.getloadavg()[0], 2)}
    with timed(r, "tokenize x9 (markdown-it)"):
        for _ in range(9):
            for t in texts:
                md.parse(t)
    with timed(r, "tokenize x9, every .md"):
        for _ in range(9):
            for t in all_md:
                md.parse(t)
    with timed(r, "compile 9 targets -j 1"):
        assert skvmc([*paths, f"--target={TARGETS}", "-o", str(tmp / "j1")]) == 0
    with timed(r, "tokenize x9, again"):  # the neighbours change within seconds: bracket
        for _ in range(9):
            for t in texts:
                md.parse(t)
    tok = {k: (r["tokenize x9 (markdown-it)"][k] + r["tokenize x9, again"][k]) / 2
           for k in ("wall_s", "cpu_s")}
    j1 = r["compile 9 targets -j 1"]
    ratios = {"compile_vs_tokenize_cpu": _ratio(j1["cpu_s"], tok["cpu_s"]),
              # user time only: the compiler's share, without the file system's system time
              "compile_vs_tokenize_user": _ratio(j1["cpu_s"] - j1["sys_s"], tok["cpu_s"]),
              "compile_vs_tokenize_wall": _ratio(j1["wall_s"], tok["wall_s"]),
              "compile_vs_tokenize_every_md_cpu": _ratio(
                  j1["cpu_s"], r["tokenize x9, every .md"]["cpu_s"])}
    if not args.basic:
        with timed(r, "compile 9 targets -j 2"):
            assert skvmc([*paths, f"--target={TARGETS}", "-o", str(tmp / "j2"), "-j", "2"]) == 0
        cache = tmp / "cache"
        with timed(r, "cold cache fill"):
            assert skvmc([*paths, f"--target={TARGETS}", "-o", str(tmp / "c1"),
                          "--cache-dir", str(cache)]) == 0
        # the usual recompile: same cache, same output folder (up to date: nothing to write)
        with timed(r, "warm cache recompile"):
            assert skvmc([*paths, f"--target={TARGETS}", "-o", str(tmp / "c1"),
                          "--cache-dir", str(cache)]) == 0
        with timed(r, "warm cache, new -o folder"):  # every file created: the disk's cost
            assert skvmc([*paths, f"--target={TARGETS}", "-o", str(tmp / "c2"),
                          "--cache-dir", str(cache)]) == 0
        j2, warm = r["compile 9 targets -j 2"], r["warm cache recompile"]
        ratios |= {"j2_speedup_wall": _ratio(j1["wall_s"], j2["wall_s"]),
                   "j2_speedup_cpu_per_core": _ratio(j1["cpu_s"], j2["cpu_s"] / 2),
                   "warm_vs_tokenize_cpu": _ratio(warm["cpu_s"], tok["cpu_s"]),
                   "warm_vs_tokenize_wall": _ratio(warm["wall_s"], tok["wall_s"]),
                   "warm_new_folder_vs_tokenize_cpu": _ratio(
                       r["warm cache, new -o folder"]["cpu_s"], tok["cpu_s"])}
    r["load_after"] = round(os.getloadavg()[0], 2)
    return r, ratios


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=str(CORPUS))
    ap.add_argument("--skip-analyze", action="store_true")
    ap.add_argument("--analyze-skills", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3, metavar="N",
                    help="rounds of every measure; the median is reported (default 3)")
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
    all_md = [p.read_text(encoding="utf-8", errors="replace")
              for s in skills for p in sorted(s.rglob("*.md"))]
    paths = [str(p) for p in skills]
    print(f"{len(skills)} skills, {sum(map(len, texts))} bytes of SKILL.md, 9 targets; "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    r: dict = {"skills": len(skills), "targets": 9, "repeat": args.repeat, "rounds": []}
    md = MarkdownIt()
    md.parse(texts[0])
    # imports, grammar and the backends' modules (networkx, ...) loaded before anything is
    # timed, as markdown-it's are: --emit=ir alone left ~0.2 s of imports in the first compile
    skvmc([paths[0], "--target=qwen-7b+bare", "--emit=report"])
    tmp = Path(tempfile.mkdtemp(prefix="skvmc-scale-"))
    try:
        per_round = []
        for i in range(max(1, args.repeat)):
            print(f"round {i + 1}:", flush=True)
            # a folder per round, all removed at the end: ext4 made the files created right
            # after deleting thousands cost several times the system time
            timings, ratios = one_round(args, skills, paths, texts, all_md, md, tmp / f"r{i}")
            r["rounds"].append({"timings": timings, "ratios": ratios})
            per_round.append(ratios)
        r["ratios"] = {k: statistics.median(x[k] for x in per_round) for k in per_round[0]}
        r["ratio_ranges"] = {k: [min(x[k] for x in per_round), max(x[k] for x in per_round)]
                             for k in per_round[0]}
        if not args.skip_analyze and not args.basic:
            many = tmp / "many"
            many.mkdir()
            synthesize(skills, args.analyze_skills, many)
            with timed(r, f"analyze {args.analyze_skills} skills -j 1"):
                assert skvmc(["analyze", str(many), "-o", str(tmp / "an")]) == 0
            with timed(r, f"analyze {args.analyze_skills} skills -j 2"):
                assert skvmc(["analyze", str(many), "-o", str(tmp / "an2"), "-j", "2"]) == 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    loads = [x["timings"][k] for x in r["rounds"] for k in ("load_before", "load_after")]
    print(f"median of {len(r['rounds'])} rounds (load {min(loads):.1f}-{max(loads):.1f}; "
          "goal: compile <= 3x tokenize, -j 2 >= 1.7x, warm < 1.2x tokenize):")
    for k, v in r["ratios"].items():
        lo, hi = r["ratio_ranges"][k]
        print(f"  {k:<34} {v:6.2f}   ({lo:.2f}-{hi:.2f})")
    if max(loads) > 0.5 * (os.cpu_count() or 1):
        print("  (load above half the CPUs: wall times and -j 2 say more about the neighbours)")
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
