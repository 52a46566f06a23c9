"""The VM benchmark scripts (bench/parallel_speedup.py, bench/vm_overhead.py) on a synthetic
trace and a scripted model: fast, no real model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from skvmc.bytecode import ProgramBuilder
from skvmc.models import ScriptedModel

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import parallel_speedup  # noqa: E402 (found through the sys.path entry above)
import vm_overhead  # noqa: E402

ANSWER = json.dumps({"action": "answer", "answer": "ok"})
LATENCY = 0.2


def synthetic_trace(program, path: Path) -> Path:
    """A trace of a 4-branch run at concurrency 1: each branch one 0.2 s model call."""
    asks = [i for i, ins in enumerate(program.code) if ins.op == "ask"]
    lines = [{"type": "header", "meta": program.meta},
             {"type": "instr", "index": 0, "op": "fork", "start": 0.0,
              "end": LATENCY * len(asks), "status": "ok"}]
    for b, pc in enumerate(asks):
        t = b * LATENCY
        lines.append({"type": "model", "kind": "model", "step": f"{b}/{pc}",
                      "completion": ANSWER, "prompt_tokens": 10, "completion_tokens": 5,
                      "latency_s": LATENCY, "model": "synthetic", "cost": 0.0,
                      "index": pc, "branch": str(b)})
        lines.append({"type": "instr", "index": pc, "op": "ask", "branch": str(b),
                      "start": t, "end": t + LATENCY, "status": "ok"})
    lines.append({"type": "final", "status": "ok", "exit_code": 0,
                  "totals": {"wall_s": LATENCY * len(asks) + 0.01}})
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return path


def test_four_branch_program_forks_four_ways():
    program = parallel_speedup.build_four_branch_program()
    assert parallel_speedup.fork_widths(program) == [4]
    assert sum(ins.op == "ask" for ins in program.code) == 4


def test_analyze_trace_bounds(tmp_path):
    program = parallel_speedup.build_four_branch_program()
    records = [json.loads(x) for x in
               synthetic_trace(program, tmp_path / "t.jsonl").read_text().splitlines()]
    b = parallel_speedup.analyze_trace(records)
    assert b["model_critical_path_s"] == pytest.approx(LATENCY)
    assert b["model_serial_s"] == pytest.approx(4 * LATENCY)
    assert b["critical_path_s"] == pytest.approx(LATENCY + 0.01)
    assert b["serial_s"] == pytest.approx(4 * LATENCY + 0.01)


def test_replay_speedup_of_four_equal_branches(tmp_path):
    program = parallel_speedup.build_four_branch_program()
    trace = synthetic_trace(program, tmp_path / "t.jsonl")
    r = parallel_speedup.speedup(program, trace, repeat=1, parallel=4, scratch=str(tmp_path))
    assert r["sequential_median_s"] >= 4 * LATENCY  # every recorded latency slept in turn
    assert r["parallel_median_s"] >= LATENCY
    assert r["speedup"] > 1.5
    assert r["ideal_speedup"] == pytest.approx(4.0)


def test_overhead_share_of_a_scripted_run(tmp_path):
    b = ProgramBuilder({"skill": "bench-test"})
    for i in (1, 2):
        b.emit("setstep", i, f"step {i}")
        b.emit("ask", f"do step {i}", f"s{i}", None, 7, 0, 1)
    b.emit("halt", 0)
    program = b.build()
    work = tmp_path / "work"
    work.mkdir()
    r = vm_overhead.real_run(program, ScriptedModel([ANSWER, ANSWER]), work,
                             tmp_path / "trace.jsonl")
    assert r["status"] == "ok"
    assert r["instructions"] == r["traced_instructions"] == 5
    assert r["model_calls"] == 2
    ns = vm_overhead.dispatch_ns(2_000, 1)
    assert 0 < ns < 1e6
    share = vm_overhead.overhead_share(r["instructions"], ns, r["wall_s"])
    assert 0 < share < 1
    with pytest.raises(ValueError):
        vm_overhead.overhead_share(1, ns, 0.0)
