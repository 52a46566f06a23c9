"""How ``-j N`` spends its workers on the corpus (not a timed test: numbers depend on the machine).

    .venv/bin/python bench/jobs_balance.py [--corpus DIR] [-j N] [--repeat R]

Runs the units of ``skvmc SKILLS --target=<the 9 bench targets> -j N`` (``skvmc.batch``, the
process executor, biggest unit first) with each unit's CPU time, worker and start/end
recorded in the worker, and prints per round: wall time, each worker's CPU time and how much
of the wall it did not get (waiting for a core, or idle), the largest unit against total/N
(the critical-path bound: no schedule beats max(largest, total/N)) and when the last unit
ended. On a shared machine the CPU times are what to compare; for the wall speedup itself,
on idle cores::

    .venv/bin/python bench/corpus_scale.py --skip-analyze --repeat 5
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_scale import CORPUS, TARGETS  # noqa: E402


def work(unit, model):
    """``batch.compile_unit`` with (index, pid, start, end, CPU seconds) of the run."""
    from skvmc import batch

    cpu, start = time.process_time(), time.perf_counter()
    result = batch.compile_unit(unit, model)
    return unit.index, os.getpid(), start, time.perf_counter(), time.process_time() - cpu, result


def one_round(units, jobs: int) -> None:
    from skvmc import batch, matrix

    ordered = sorted(units, key=batch._size, reverse=True)  # what run_units does
    batch._warm_up(ordered)
    records = []
    t0 = time.perf_counter()
    with batch.fewer_collections():
        matrix.run_matrix(ordered, work, batch._no_model, on_done=records.append,
                          executor="process", concurrency=jobs)
    wall = time.perf_counter() - t0
    workers: dict = defaultdict(lambda: [0.0, 0, 0.0])  # cpu, units, last end
    for _, pid, _, end, cpu, _ in records:
        w = workers[pid]
        w[0], w[1], w[2] = w[0] + cpu, w[1] + 1, max(w[2], end - t0)
    total = sum(r[4] for r in records)
    largest = max(r[4] for r in records)
    print(f"  wall {wall:.3f} s, load {os.getloadavg()[0]:.1f}; units' CPU {total:.3f} s, "
          f"total/{jobs} {total / jobs:.3f} s, largest unit {largest:.3f} s")
    for pid, (cpu, n, end) in sorted(workers.items()):
        print(f"  worker {pid}: {n:3d} units, CPU {cpu:.3f} s, last unit ended at {end:.3f} s,"
              f" off-CPU {max(0.0, end - cpu):.3f} s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=str(CORPUS))
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    from skvmc.batch import Unit
    from skvmc.compile import CompileOptions
    from skvmc.corpus import find_skills

    targets = tuple(TARGETS.split(","))
    units = [Unit(i, str(p), targets, CompileOptions())
             for i, p in enumerate(find_skills(args.corpus))]
    print(f"{len(units)} skills x {len(targets)} targets, -j {args.jobs}, "
          f"{os.cpu_count()} CPUs")
    for i in range(max(1, args.repeat)):
        print(f"round {i + 1}:")
        one_round(units, args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
