"""Start-up time of ``skvmc --help`` and ``skvmc <skill> --emit=ir``, hyperfine style: warm-up
runs, then N timed runs of a fresh interpreter each; mean, standard deviation, min and max.

    .venv/bin/python bench/startup.py [-n 20]

Goal: ``--help`` <= 150 ms. ``python -X importtime -m skvmc.cli ...`` shows what is imported.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COMMANDS = {
    "skvmc --help": ["--help"],
    "skvmc examples/csv-summary --emit=ir": [str(REPO / "examples" / "csv-summary"), "--emit=ir"],
}


def run(argv: list[str], n: int, warmup: int = 3) -> list[float]:
    cmd = [sys.executable, "-m", "skvmc.cli", *argv]
    for _ in range(warmup):
        subprocess.run(cmd, capture_output=True, check=False)
    out = []
    for _ in range(n):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=False)
        out.append(time.perf_counter() - start)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=20)
    args = ap.parse_args()
    for name, argv in COMMANDS.items():
        t = run(argv, args.n)
        print(f"{name:<40} mean {1000 * statistics.mean(t):6.1f} ms "
              f"± {1000 * statistics.stdev(t):5.1f}  min {1000 * min(t):6.1f}  "
              f"max {1000 * max(t):6.1f}  ({args.n} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
