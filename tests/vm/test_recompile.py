"""Adaptive recompilation with a scripted model and a fake recompile callable."""

from __future__ import annotations

import json

import pytest

from skvmc.bytecode import ACT_EXEC, ProgramBuilder
from skvmc.models import ScriptedModel
from skvmc.vm import SandboxHost, read_trace, run_program
from skvmc.vm.recompile import OverlayStore, lower, parse_level, run_adaptive, step_requirements


def program(level: str):
    """One ASK step that relies on python code generation at ``level``; the check after it
    needs out.txt."""
    b = ProgramBuilder({"skill": "adapt", "target": "smollm2+vm", "source_hash": level,
                        "steps": {"1": {"requires": [{"primitive": "gen.code.python",
                                                      "level": level}]}}})
    b.emit("setstep", 1, "make out.txt")
    b.emit("ask", level == "L3" and "Write clever code." or "Write simple code.", "r", None,
           ACT_EXEC, 2, 0)
    b.emit("check.exists", "out.txt", "fail")
    b.emit("halt", 0)
    return b.build()


def model():
    # The "weak model": fails when asked for clever code, succeeds on simple code.
    def answer(messages, schema):
        if messages[-1]["content"].startswith("exit code 0"):
            return '{"action": "answer", "answer": "ok"}'
        if "clever" in messages[1]["content"]:
            return '{"action": "answer", "answer": "I could not"}'
        return json.dumps({"action": "exec", "language": "python",
                           "code": "open('out.txt', 'w').write('x')"})
    return ScriptedModel(answer)


def runner(tmp_path, m):
    def run_once(prog, attempt):
        wd = tmp_path / f"attempt{attempt}"
        wd.mkdir()
        return run_program(prog, SandboxHost(wd, m), task="t",
                           trace_path=wd / "trace.jsonl")
    return run_once


def test_lowers_level_recompiles_and_retries(tmp_path):
    seen = []

    def recompile(overlay):
        seen.append(dict(overlay))
        return program(overlay["gen.code.python"])

    store = OverlayStore(tmp_path / "cache")
    res = run_adaptive(program("L3"), runner(tmp_path, model()), recompile,
                       target="smollm2+vm", store=store)
    assert res.status == "ok"
    assert seen == [{"gen.code.python": "L2"}]
    assert res.recompiles[0]["lowered"] == {"gen.code.python": ["L3", "L2"]}
    assert res.recompiles[0]["step_pc"] == 1
    # the reason is in the failed attempt's trace, and the overlay persists
    recs = read_trace(tmp_path / "attempt0" / "trace.jsonl")
    assert recs[-1]["type"] == "recompile" and "out.txt" in recs[-1]["error"]
    assert store.load("smollm2+vm") == {"gen.code.python": "L2"}
    assert (tmp_path / "cache" / "overlays").is_dir()


def test_at_most_k_recompiles(tmp_path):
    calls = []

    def recompile(overlay):
        calls.append(dict(overlay))
        return program("L3")  # a compiler that never adapts: the step keeps failing

    res = run_adaptive(program("L3"), runner(tmp_path, model()), recompile,
                       target="t", store=OverlayStore(tmp_path / "c"), max_recompiles=2)
    assert res.status == "failed" and len(calls) == 2 and len(res.recompiles) == 2
    assert [r["lowered"] for r in res.recompiles] == [{"gen.code.python": ["L3", "L2"]},
                                                      {"gen.code.python": ["L2", "L1"]}]


def test_failure_without_requirements_is_not_retried(tmp_path):
    b = ProgramBuilder({"skill": "x"})
    b.emit("fail", "nope")
    res = run_adaptive(b.build(), runner(tmp_path, model()),
                       lambda o: pytest.fail("must not recompile"), target="t",
                       store=OverlayStore(tmp_path / "c"))
    assert res.status == "failed" and res.recompiles == []


def test_helpers():
    assert parse_level("L2") == 2 and parse_level(1) == 1
    ov = {"a": "L1"}
    assert lower(ov, [{"primitive": "a", "level": "L3"}, {"primitive": "b", "level": "L0"}]) \
        == {"a": ["L1", "L0"]}
    prog = program("L2")
    assert step_requirements(prog, 2)[0] == 1
    assert step_requirements(prog, 0) == (None, [])
