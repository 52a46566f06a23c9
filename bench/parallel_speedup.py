"""Fork/join speedup of the skvmc VM: one real recording, then replays at two concurrencies.

1. Compile ``bench/fixtures/four-reports`` (four independent "summarize X into Y" steps) for
   ``--target`` and check the program forks into 4 branches. If the compiler produced no
   4-way fork for that target, an equivalent program is built with ProgramBuilder (printed).
   Forks run with the ``collect`` policy so one failed step cannot cancel the other branches
   (the recording would then lack their answers). Replays must use the same ``--max-steps``.
2. Record ONE run on ``--model`` (default: the embedded SmolLM2) at ``--record-concurrency``
   (default 1: the local model serialises generation anyway) with a trace.
3. Replay the trace (``replay:TRACE``, recorded latencies) ``--repeat`` times at
   ``--concurrency 4`` and at 1, and print wall times, the speedup, and the bounds from the
   trace: critical path (sequential parts + the slowest branch of each fork) and the serial
   sum (sequential parts + every branch).

Replay measures the scheduler, not the model: the embedded model holds a lock during
generation, so real parallel speedup on a live model needs a server (vLLM, Ollama ...)::

    python bench/parallel_speedup.py [--target smollm2+bare] [--repeat 5] [--trace PATH]
    python bench/parallel_speedup.py --replay-only --trace PATH   # skip the recording
    python bench/parallel_speedup.py --target qwen2.5-7b+bare     # a target that forks
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from skvmc.bytecode import ProgramBuilder, decode
from skvmc.vm import SandboxHost, read_trace, run_program
from skvmc.vm.sandbox import add_option as add_sandbox_option

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "four-reports"
TASK = "Write a one-sentence summary of each of the four note files."
INPUTS = {
    "sales.txt": "Q3 sales rose 12% to 4.1M EUR, driven by the new mid-tier plan; churn fell "
                 "to 2.3%. The Nordics under-performed because of a late price change.\n",
    "support.txt": "Support closed 1,840 tickets in October; median first response was 38 "
                   "minutes. Most tickets were about password resets and CSV imports.\n",
    "ops.txt": "Two incidents this month: a 14-minute API outage from an expired certificate "
               "and a slow database failover. Both have follow-up actions assigned.\n",
    "hr.txt": "Three engineers joined, one left. The hiring pipeline has 22 candidates for "
              "the data team; the offsite is planned for the second week of December.\n",
}
STEPS = [(name, name.replace(".txt", "-summary.md")) for name in INPUTS]


# -- the program -----------------------------------------------------------------------------
def compile_skill(skill_dir, target: str):
    """The program ``skvmc SKILL --target=TARGET --emit=bytecode`` produces (None on error)."""
    exe = Path(sys.executable).with_name("skvmc")
    cmd = [str(exe) if exe.exists() else (shutil.which("skvmc") or "skvmc"), str(skill_dir),
           f"--target={target}", "--emit=bytecode"]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode("utf-8", "replace")[-2000:])
        return None
    return decode(proc.stdout)


def with_collect_policy(program):
    """The same program with every fork set to ``collect`` (see build_four_branch_program)."""
    import attrs

    code = [attrs.evolve(ins, operands=("collect", *ins.operands[1:])) if ins.op == "fork"
            else ins for ins in program.code]
    return attrs.evolve(program, code=code)


def fork_widths(program) -> list[int]:
    """Branch count of every ``fork`` in the program, in code order."""
    return [len(ins.operands[2]) for ins in program.code if ins.op == "fork"]


def build_four_branch_program(target: str = "smollm2+bare", policy: str = "collect"):
    """What the bytecode backend emits for the fixture when extract-concurrency finds the
    4-branch flow.parallel: fork, per branch setstep/ask/endbranch, join, halt.

    The policy is ``collect`` (the backend emits ``cancel``): a 135M model often fails a
    step, and under ``cancel`` the first failure would cancel the other branches, so the
    recording would miss their answers and the timings would not compare."""
    b = ProgramBuilder({"compiler": "bench/parallel_speedup.py (ProgramBuilder)",
                        "skill": "four-reports", "target": target, "source": "SKILL.md"})
    join = b.label()
    starts = [b.label() for _ in STEPS]
    b.emit("fork", policy, join, starts, line=("SKILL.md", 12))
    for i, ((src, dst), start) in enumerate(zip(STEPS, starts), 1):
        b.place(start)
        text = f"Read `{src}` and write a one-sentence summary of it to `{dst}`."
        b.emit("setstep", i, text, line=("SKILL.md", 11 + i))
        b.emit("ask", f"{i}. {text} (use `read`, `write`)", f"s{i}", None, 6, 0, 1)
        b.emit("endbranch", b.slot(f"s{i}"))
    b.place(join)
    b.emit("join", "joined")
    b.emit("halt", 0)
    return b.build()


def program_for(target: str):
    """(program, how) - compiled when the compiler yields a 4-way fork, else hand-built."""
    program = compile_skill(FIXTURE, target)
    if program is not None and 4 in fork_widths(program):
        how = f"skvmc {FIXTURE.relative_to(HERE.parent)} --target={target}"
        return with_collect_policy(program), f"compiled (forks set to collect): {how}"
    widths = fork_widths(program) if program is not None else "compile failed"
    return build_four_branch_program(target), (
        f"ProgramBuilder (the compiler gave forks {widths} for {target}, no 4-branch fork)")


def make_workdir(root: str | None = None) -> str:
    work = tempfile.mkdtemp(prefix="skvmc-par-", dir=root)
    for name, text in INPUTS.items():
        Path(work, name).write_text(text, encoding="utf-8")
    return work


# -- the trace -------------------------------------------------------------------------------
def _top_branch(rec) -> str:
    return str(rec.get("branch", "")).split(".")[0]


def analyze_trace(records: list[dict]) -> dict:
    """Bounds from one trace (times in seconds).

    Instruction view: each fork's branch latency is the span of its branch's instruction
    records; ``sequential_s`` is the run's wall time minus the time spent inside forks.
    Model view: the same, counting only the recorded model latencies (what replay sleeps).
    ``critical_path_s`` = sequential + the slowest branch of every fork; ``serial_s`` =
    sequential + every branch (what concurrency 1 costs)."""
    instrs = [r for r in records if r.get("type") == "instr"]
    models = [r for r in records if r.get("kind") == "model"]
    final = next((r for r in records if r.get("type") == "final"), {})
    wall = float(final.get("totals", {}).get("wall_s") or max(
        (r["end"] for r in instrs), default=0.0))
    forks = [r for r in instrs if r["op"] == "fork" and not r.get("branch")]
    fork_branches = []  # per top-level fork: {branch: (instr span, model latency)}
    for fk in forks:
        inside = [r for r in instrs if r.get("branch") and fk["start"] <= r["start"] <= fk["end"]]
        spans: dict[str, list[float]] = {}
        for r in inside:
            lo_hi = spans.setdefault(_top_branch(r), [r["start"], r["end"]])
            lo_hi[0], lo_hi[1] = min(lo_hi[0], r["start"]), max(lo_hi[1], r["end"])
        lat = {b: 0.0 for b in spans}
        for m in models:
            b = str(m.get("branch") or "").split(".")[0]
            if b in lat and any(r["index"] == m.get("index") for r in inside
                                if _top_branch(r) == b):
                lat[b] += float(m.get("latency_s") or 0.0)
        fork_branches.append({b: (hi - lo, lat[b]) for b, (lo, hi) in sorted(spans.items())})
    in_forks = sum(fk["end"] - fk["start"] for fk in forks)
    seq_instr = max(0.0, wall - in_forks)
    seq_model = sum(float(m.get("latency_s") or 0.0) for m in models if not m.get("branch"))
    crit_i = seq_instr + sum(max((v[0] for v in fb.values()), default=0) for fb in fork_branches)
    serial_i = seq_instr + sum(sum(v[0] for v in fb.values()) for fb in fork_branches)
    crit_m = seq_model + sum(max((v[1] for v in fb.values()), default=0) for fb in fork_branches)
    serial_m = seq_model + sum(sum(v[1] for v in fb.values()) for fb in fork_branches)
    return {"wall_s": wall, "forks": len(forks), "model_calls": len(models),
            "branches": fork_branches, "sequential_s": seq_instr,
            "critical_path_s": crit_i, "serial_s": serial_i,
            "model_sequential_s": seq_model, "model_critical_path_s": crit_m,
            "model_serial_s": serial_m}


# -- running ---------------------------------------------------------------------------------
def record(program, model, trace_path, concurrency: int = 1, workdir=None, **options):
    """One run with a trace; returns (RunResult, seconds)."""
    work = workdir or make_workdir()
    host = SandboxHost(work, model, sandbox=options.pop("sandbox", "bwrap"))
    t0 = time.perf_counter()
    result = run_program(program, host, task=TASK, trace_path=str(trace_path),
                         model_name=getattr(model, "name", ""), concurrency=concurrency,
                         **options)
    return result, time.perf_counter() - t0


def replay_walls(program, trace_path, concurrency: int, repeat: int, make_model=None,
                 scratch: str | None = None, **options) -> list[float]:
    """Wall seconds of ``repeat`` replays of ``trace_path`` at ``concurrency``; ``options``
    (max_steps ...) must match the recording, or the agent loops ask for other answers."""
    from skvmc.models import resolve

    make_model = make_model or (lambda: resolve(f"replay:{trace_path}"))
    sandbox = options.pop("sandbox", "bwrap")  # a host option, not one of run_program's
    walls = []
    for _ in range(repeat):
        work = make_workdir(scratch)
        model = make_model()  # a replay model hands out each answer once: a fresh one per run
        t0 = time.perf_counter()
        result = run_program(program, SandboxHost(work, model, sandbox=sandbox), task=TASK,
                             trace_path=os.path.join(work, ".skvm", "replay.jsonl"),
                             concurrency=concurrency, **options)
        walls.append(time.perf_counter() - t0)
        shutil.rmtree(work, ignore_errors=True)
        if result.status not in ("ok", "failed"):  # failed: the model's answers, still timed
            raise RuntimeError(f"replay at concurrency {concurrency}: {result.status}: "
                               f"{result.error}")
    return walls


def speedup(program, trace_path, repeat: int = 5, parallel: int = 4, make_model=None,
            scratch: str | None = None, **options) -> dict:
    """Replay at ``parallel`` and at 1; the numbers the script prints."""
    par = replay_walls(program, trace_path, parallel, repeat, make_model, scratch, **options)
    seq = replay_walls(program, trace_path, 1, repeat, make_model, scratch, **options)
    bounds = analyze_trace(read_trace(trace_path))
    return {"parallel": par, "sequential": seq,
            "parallel_median_s": statistics.median(par),
            "sequential_median_s": statistics.median(seq),
            "speedup": statistics.median(seq) / statistics.median(par),
            "bounds": bounds,
            "ideal_speedup": bounds["model_serial_s"] / bounds["model_critical_path_s"]
            if bounds["model_critical_path_s"] else float("nan")}


def _fmt(xs):
    return ", ".join(f"{x:.3f}" for x in xs)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", default="smollm2+bare")
    ap.add_argument("--model", default="smollm2", help="model for the recording")
    ap.add_argument("--trace", default=None,
                    help="recording trace path (default: bench/results/parallel-speedup.jsonl)")
    ap.add_argument("--replay-only", action="store_true", help="reuse --trace, record nothing")
    ap.add_argument("--record-concurrency", type=int, default=1)
    ap.add_argument("--concurrency", type=int, default=4, help="parallel replay concurrency")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--max-steps", type=int, default=None, help="agent-loop turn cap per step")
    add_sandbox_option(ap)
    args = ap.parse_args(argv)
    trace = Path(args.trace or HERE / "results" / "parallel-speedup.jsonl")

    program, how = program_for(args.target)
    print(f"program: {how}; forks {fork_widths(program)}, {len(program.code)} instructions")
    if not args.replay_only:
        from skvmc.models import resolve

        trace.parent.mkdir(parents=True, exist_ok=True)
        model = resolve(args.model)
        result, secs = record(program, model, trace, args.record_concurrency,
                              max_steps=args.max_steps, sandbox=args.sandbox)
        print(f"recording: model {args.model}, concurrency {args.record_concurrency}: "
              f"{result.status} (exit {result.exit_code}) in {secs:.2f} s, "
              f"{result.totals['model_calls']} model calls, "
              f"{result.totals['instructions']} instructions -> {trace}")
        if result.error:
            print(f"  run error: {result.error}")
    r = speedup(program, trace, args.repeat, args.concurrency, max_steps=args.max_steps,
                sandbox=args.sandbox)
    b = r["bounds"]
    print(f"trace: wall {b['wall_s']:.3f} s, {b['model_calls']} model calls, "
          f"{b['forks']} fork(s)")
    for i, fb in enumerate(b["branches"]):
        print(f"  fork {i}: branch span / model latency (s): " + "; ".join(
            f"{k}: {span:.3f} / {lat:.3f}" for k, (span, lat) in fb.items()))
    print(f"  recorded run (instruction spans): sequential parts {b['sequential_s']:.3f} s, "
          f"critical path {b['critical_path_s']:.3f} s, serial sum {b['serial_s']:.3f} s")
    print(f"  model latencies (what replay sleeps): sequential {b['model_sequential_s']:.3f} s, "
          f"critical path {b['model_critical_path_s']:.3f} s, "
          f"serial sum {b['model_serial_s']:.3f} s -> ideal speedup {r['ideal_speedup']:.2f}x")
    print(f"replay concurrency {args.concurrency}: median {r['parallel_median_s']:.3f} s "
          f"[{_fmt(r['parallel'])}]")
    print(f"replay concurrency 1: median {r['sequential_median_s']:.3f} s "
          f"[{_fmt(r['sequential'])}]")
    print(f"speedup (median seq / median par): {r['speedup']:.2f}x "
          f"(ideal from the trace {r['ideal_speedup']:.2f}x; parallel run is "
          f"{r['parallel_median_s'] - b['model_critical_path_s']:+.3f} s over the "
          f"model critical path)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
