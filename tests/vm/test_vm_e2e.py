"""One run on the real embedded model (SmolLM2-135M): the loop survives a weak model."""

from __future__ import annotations

import pytest

from skvmc.bytecode import ACT_WRITE, ProgramBuilder
from skvmc.vm import SandboxHost, read_trace, run_program


@pytest.mark.e2e
def test_smollm2_runs_a_write_step(tmp_path):
    pytest.importorskip("llama_cpp")
    from skvmc.models import resolve

    b = ProgramBuilder({"skill": "e2e", "target": "smollm2+vm", "source_hash": "-"})
    b.emit("ask", b.slot("task"), "greeting", None, ACT_WRITE, 3, 1, line=("SKILL.md", 4))
    b.emit("write", "greeting.txt", b.slot("greeting"))
    b.emit("halt", 0)
    trace = tmp_path / "t.jsonl"
    r = run_program(b.build(), SandboxHost(tmp_path, resolve("smollm2")),
                    task="Say hello to Ada in one short sentence.", trace_path=trace,
                    timeout=240)
    assert r.status in ("ok", "failed"), r.error  # no model error, no timeout, no crash
    records = read_trace(trace)
    assert records[-1]["type"] == "final" and records[-1]["totals"]["model_calls"] >= 1
    assert any(rec["type"] == "model" and rec["completion"] for rec in records)
