"""How much of a real skill run the VM's own dispatch costs.

1. Dispatch cost per instruction, measured with ``bench/vm_dispatch.py``'s ``measure`` on its
   const/branch/jump/nop mix (no trace, and with a JSONL trace as ``skvmc run`` writes).
2. One real run: ``examples/csv-summary`` compiled for ``--target`` (default smollm2+bare), task
   "Sum the amount column of data.csv per category", in a temp workdir holding a small
   data.csv, on ``--model`` (default: the embedded SmolLM2), with a trace.
3. share = instructions executed x ns/instruction / wall time of the run. Also printed: the
   part of the wall time spent waiting on the model (sum of recorded model latencies)::

    python bench/vm_overhead.py [--target smollm2+bare] [--model smollm2] [--max-steps N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

import vm_dispatch

from skvmc.vm import SandboxHost, read_trace, run_program

ROOT = Path(__file__).resolve().parent.parent
SKILL = ROOT / "examples" / "csv-summary"
TASK = "Sum the amount column of data.csv per category"
DATA_CSV = ("category,amount\nfood,12.50\nrent,800.00\nfood,7.25\ntravel,120.40\n"
            "rent,15.00\ntravel,33.10\nfood,4.75\n")


def dispatch_ns(instructions: int = 100_000, repeat: int = 5, trace: bool = False) -> float:
    """ns per instruction for vm_dispatch's const/branch/jump/nop mix (best of ``repeat``)."""
    return vm_dispatch.measure(vm_dispatch.mixed(instructions), repeat, trace)


def overhead_share(instructions: int, ns_per_instruction: float, wall_s: float) -> float:
    """Fraction of ``wall_s`` that ``instructions`` dispatches at that cost take."""
    if wall_s <= 0:
        raise ValueError("wall time must be positive")
    return instructions * ns_per_instruction * 1e-9 / wall_s


def real_run(program, model, workdir, trace_path, *, task: str = TASK, **options) -> dict:
    """Run ``program`` once in ``workdir`` (which gets data.csv); numbers from its trace."""
    Path(workdir, "data.csv").write_text(DATA_CSV, encoding="utf-8")
    host = SandboxHost(workdir, model)
    t0 = time.perf_counter()
    result = run_program(program, host, task=task, trace_path=str(trace_path),
                         inputs={"skill_dir": str(SKILL)},
                         model_name=getattr(model, "name", ""), **options)
    wall = time.perf_counter() - t0
    records = read_trace(trace_path)
    executed = sum(1 for r in records if r.get("type") == "instr")
    model_s = sum(float(r.get("latency_s") or 0.0) for r in records if r.get("kind") == "model")
    return {"status": result.status, "exit_code": result.exit_code, "error": result.error,
            "wall_s": wall, "vm_wall_s": result.totals["wall_s"],
            "instructions": result.totals["instructions"], "traced_instructions": executed,
            "model_calls": result.totals["model_calls"], "model_latency_s": model_s,
            "trace": str(trace_path)}


def from_trace(trace_path) -> dict:
    """The same numbers as ``real_run`` from an existing trace (wall = the VM's wall_s)."""
    records = read_trace(trace_path)
    final = next(r for r in records if r.get("type") == "final")
    header = next(r for r in records if r.get("type") == "header")
    totals = final["totals"]
    return {"status": final["status"], "exit_code": final["exit_code"],
            "error": final.get("error", ""), "wall_s": totals["wall_s"],
            "vm_wall_s": totals["wall_s"], "instructions": totals["instructions"],
            "traced_instructions": sum(1 for r in records if r.get("type") == "instr"),
            "model_calls": totals["model_calls"],
            "model_latency_s": sum(float(r.get("latency_s") or 0.0) for r in records
                                   if r.get("kind") == "model"),
            "trace": str(trace_path), "program_size": header.get("instructions")}


def compile_example(target: str):
    from parallel_speedup import compile_skill

    program = compile_skill(SKILL, target)
    if program is None:
        raise SystemExit(f"compiling {SKILL} for {target} failed")
    return program


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", default="smollm2+bare")
    ap.add_argument("--model", default="smollm2")
    ap.add_argument("--max-steps", type=int, default=None, help="agent-loop turn cap per step")
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--instructions", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--trace", default=None,
                    help="trace path (default: bench/results/vm-overhead.jsonl)")
    ap.add_argument("--from-trace", default=None, metavar="TRACE",
                    help="take the run's numbers from this trace instead of running the model")
    args = ap.parse_args(argv)

    ns = dispatch_ns(args.instructions, args.repeat)
    ns_traced = dispatch_ns(args.instructions // 10, 1, trace=True)
    print(f"dispatch: {ns:.1f} ns/instruction (no trace), {ns_traced:.1f} ns/instruction "
          f"(with trace), vm_dispatch.mixed({args.instructions})")

    if args.from_trace:
        r = from_trace(args.from_trace)
        size = r["program_size"]
    else:
        from skvmc.models import resolve

        program = compile_example(args.target)
        size = len(program.code)
        trace = Path(args.trace or ROOT / "bench" / "results" / "vm-overhead.jsonl")
        trace.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="skvmc-ovh-") as work:
            r = real_run(program, resolve(args.model), work, trace, max_steps=args.max_steps,
                         timeout=args.timeout)
    print(f"run: {SKILL.name} for {args.target} on {args.model}: {r['status']} "
          f"(exit {r['exit_code']}), wall {r['wall_s']:.3f} s (VM {r['vm_wall_s']:.3f} s), "
          f"{r['model_calls']} model calls, model latency {r['model_latency_s']:.3f} s "
          f"({r['model_latency_s'] / r['wall_s']:.1%} of wall) -> {r['trace']}")
    if r["error"]:
        print(f"  run error: {r['error']}")
    n = r["instructions"]
    print(f"instructions executed: {n} (trace records: {r['traced_instructions']}), "
          f"program size {size}")
    share = overhead_share(n, ns, r["wall_s"])
    share_t = overhead_share(n, ns_traced, r["wall_s"])
    print(f"dispatch share: {n} x {ns:.1f} ns / {r['wall_s']:.3f} s = {share:.3e} "
          f"({share:.6%}); with trace writes: {share_t:.3e} ({share_t:.6%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
