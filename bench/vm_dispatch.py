"""Per-instruction dispatch overhead of the skvmc VM.

Runs a loop of cheap instructions (``const``/``concat``-free ``nop``/``jump``/``branch``) on a
NullHost without a trace and prints nanoseconds per instruction::

    python bench/vm_dispatch.py [--instructions 100000] [--repeat 5] [--trace]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from skvmc.bytecode import ProgramBuilder
from skvmc.vm import VM, NullHost


def straight_line(n: int):
    """n-1 nops and a halt: the pure dispatch cost."""
    b = ProgramBuilder({"skill": "bench"})
    for _ in range(n - 1):
        b.emit("nop")
    b.emit("halt", 0)
    return b.build()


def mixed(n: int):
    """const / branch / jump / nop blocks (each 4 instructions) repeated to about n."""
    b = ProgramBuilder({"skill": "bench-mixed"})
    for _ in range(max(1, n // 4)):
        nxt, skip = b.label(), b.label()
        b.emit("const", "flag", 1)
        b.emit("branch", "flag", skip)
        b.place(skip)
        b.emit("jump", nxt)
        b.place(nxt)
        b.emit("nop")
    b.emit("halt", 0)
    return b.build()


def measure(program, repeat: int, trace: bool) -> float:
    best = float("inf")
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "t.jsonl") if trace else None
            vm = VM(program, NullHost(), trace_path=path)  # set-up is not dispatch
            t0 = time.perf_counter()
            result = vm.run()
            dt = time.perf_counter() - t0
        assert result.exit_code == 0
        best = min(best, dt / result.totals["instructions"])
    return best * 1e9


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instructions", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--trace", action="store_true", help="also measure with a JSONL trace")
    args = ap.parse_args(argv)
    for name, build in (("nop", straight_line), ("const/branch/jump/nop", mixed)):
        program = build(args.instructions)
        print(f"{name:>22}: {measure(program, args.repeat, False):8.1f} ns/instruction "
              f"({len(program.code)} instructions, no trace)")
        if args.trace:
            print(f"{name:>22}: {measure(program, 1, True):8.1f} ns/instruction (with trace)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
