"""Cost of the exec sandbox: per-exec latency of bwrap vs process mode, timeout latency, and
memory while a child floods stdout (docs/sandbox.md quotes these numbers).

    python bench/sandbox_overhead.py [--runs 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc

from skvmc.vm import SandboxHost
from skvmc.vm.sandbox import DEFAULT_BWRAP, unavailable

FLOOD = ("import sys\nchunk = b'x' * (1 << 20)\nfor _ in range(50):\n"
         "    sys.stdout.buffer.write(chunk)\n")


def per_exec_ms(host: SandboxHost, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        r = host.run(["true"])
        times.append((time.perf_counter() - t0) * 1000)
        assert r.exit_code == 0, r.stderr
    return times


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=50)
    args = ap.parse_args(argv)
    modes = ["process"] + ([] if unavailable(DEFAULT_BWRAP) else ["bwrap"])
    with tempfile.TemporaryDirectory() as work:
        for mode in modes:
            host = SandboxHost(work, sandbox=mode)
            host.run(["true"])  # warm-up (the bwrap probe is cached after the first exec)
            ms = per_exec_ms(host, args.runs)
            print(f"{mode:8s} `true` x{args.runs}: median {statistics.median(ms):.2f} ms, "
                  f"mean {statistics.mean(ms):.2f} ms, max {max(ms):.2f} ms")
            t0 = time.perf_counter()
            # in process mode the setsid sleep escapes (docs/sandbox.md): keep it short
            r = host.run(["sh", "-c", "setsid sleep 5 & sleep 30"], timeout=2)
            print(f"{mode:8s} 2 s timeout returned after {time.perf_counter() - t0:.2f} s "
                  f"(exit {r.exit_code})")
            tracemalloc.start()
            t0 = time.perf_counter()
            r = host.run([sys.executable, "-c", FLOOD])
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"{mode:8s} 50 MB of stdout: kept {len(r.stdout)} chars, truncated "
                  f"{r.truncated}, Python heap peak {peak / 1024:.0f} KiB, "
                  f"{time.perf_counter() - t0:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
