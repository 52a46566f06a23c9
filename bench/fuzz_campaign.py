"""A long fuzzing campaign over hostile skills, IR texts and bytecode files (the strategies of
tests/strategies.py, which the test suite runs with small bounds).

    python bench/fuzz_campaign.py [--skills 10000] [--ir 3000] [--bytecode 2000]
                                  [--slow 2.0] [--seed 0] [--failures FILE]

Skills are compiled in-process through the CLI entry point (``skvmc SKILL --target=... -o``,
with a random bundle of links, FIFOs and big files); IR texts go through parse/verify/print;
bytecode files through decode/disassemble/encode. Reports per kind: cases run, uncaught
exceptions (with the first few inputs' reprs), cases over ``--slow`` seconds, the slowest
case, exit-code counts, and the process's peak RSS. Slow cases are counted in wall time and in
this process's CPU time (on a shared machine the wall time also measures the neighbours).
Exit status 1 when anything was uncaught.
"""

from __future__ import annotations

import argparse
import collections
import os
import resource
import sys
import time
import traceback

FAILURES = None  # --failures FILE
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests"))


def campaign(name: str, strategy, check, count: int, slow: float, seed: int) -> dict:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hseed

    stats = {"kind": name, "run": 0, "uncaught": 0, "slow": 0, "slow_cpu": 0, "slowest": 0.0,
             "slowest_cpu": 0.0, "codes":
             collections.Counter(), "examples": []}

    @hseed(seed)
    @settings(max_examples=count, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(value):
        args = value if isinstance(value, tuple) else (value,)
        start, start_cpu = time.perf_counter(), time.process_time()
        try:
            code = check(*args)
            stats["codes"][code if isinstance(code, int) else "ok"] += 1
        except Exception as exc:  # noqa: BLE001 - counting them is the point
            stats["uncaught"] += 1
            if FAILURES:  # every failing input in full, to reproduce it
                with open(FAILURES, "a", encoding="utf-8") as fh:
                    fh.write(repr((name, args, str(exc))) + "\n")
            if len(stats["examples"]) < 3:
                stats["examples"].append((repr(args)[:300], "".join(
                    traceback.format_exception_only(type(exc), exc)).strip()[:500]))
        took = time.perf_counter() - start
        took_cpu = time.process_time() - start_cpu  # wall time on a shared machine: neighbours
        stats["run"] += 1
        stats["slow"] += took > slow
        stats["slow_cpu"] += took_cpu > slow
        stats["slowest"] = max(stats["slowest"], took)
        stats["slowest_cpu"] = max(stats["slowest_cpu"], took_cpu)

    started = time.perf_counter()
    run()
    stats["seconds"] = time.perf_counter() - started
    return stats


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--skills", type=int, default=10_000)
    p.add_argument("--ir", type=int, default=3_000)
    p.add_argument("--bytecode", type=int, default=2_000)
    p.add_argument("--slow", type=float, default=2.0, help="seconds that count as slow")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--target", default="qwen-7b+openhands")
    p.add_argument("--failures", help="append the full repr of every failing input here")
    args = p.parse_args(argv)
    global FAILURES
    FAILURES = args.failures
    from hypothesis import strategies as st
    from strategies import (
        BUNDLE_ENTRIES,
        bytecode_files,
        check_bytecode,
        check_ir,
        check_skill,
        ir_texts,
        skill_texts,
    )

    def compile_skill(text, entries):
        return check_skill(text, entries, args.target)

    kinds = [("skills", st.tuples(skill_texts(), BUNDLE_ENTRIES), compile_skill, args.skills),
             ("ir", ir_texts(), check_ir, args.ir),
             ("bytecode", bytecode_files(), check_bytecode, args.bytecode)]
    bad = 0
    for name, strategy, check, count in kinds:
        if count <= 0:
            continue
        s = campaign(name, strategy, check, count, args.slow, args.seed)
        bad += s["uncaught"]
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        codes = ", ".join(f"{k}: {v}" for k, v in sorted(s["codes"].items(), key=str))
        print(f"{name:<9} run {s['run']:6d}  uncaught {s['uncaught']:4d}  over {args.slow:g} s "
              f"{s['slow']:4d} (cpu {s['slow_cpu']:d})  slowest {s['slowest']:6.2f} s "
              f"(cpu {s['slowest_cpu']:.2f} s)  total {s['seconds']:7.1f} s  "
              f"peak RSS {peak:7.1f} MB  results {{{codes}}}", flush=True)
        for example, error in s["examples"]:
            print(f"    input {example}\n    -> {error}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
