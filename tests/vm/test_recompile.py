"""Adaptive recompilation with a scripted model and a fake recompile callable."""

from __future__ import annotations

import json
from pathlib import Path

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
        if "clever" in messages[0]["content"]:
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


# -- end to end: the real compiler recompiles the skill with the lowered level -----------------

ROOT = Path(__file__).resolve().parents[2]
CSV = str(ROOT / "examples" / "csv-summary")
ALL_L3 = f"{ROOT / 'tests' / 'fixtures' / 'backends' / 'all-l3.json'}+bare"
TOTALS_STEP = "per-category totals to `totals.json`"


def learning_model(state):
    """Fails the totals step (only disallowed actions, so the turn budget runs out) until the
    program checks totals.json (attempt >= 1); every other step just answers."""
    def answer(messages, schema):
        prompt = messages[0]["content"]
        if TOTALS_STEP not in prompt or len(messages) > 2 and state["attempt"] >= 1:
            return '{"action": "answer", "answer": "done"}'
        if state["attempt"] == 0:
            return json.dumps({"action": "exec", "language": "python", "code": "pass"})
        return json.dumps({"action": "write", "path": "totals.json",
                           "content": '{"food": 3.5, "rent": 10.0}'})
    return ScriptedModel(answer)


def test_compile_skill_with_overlay_adds_validation():
    from skvmc.compile import compile_skill

    plain = compile_skill(CSV, ALL_L3)
    lowered = compile_skill(CSV, ALL_L3, overlay={"gen.text.structured": "L1"})
    assert "check.file" not in [i.op for i in plain.code]
    assert "check.file" in [i.op for i in lowered.code]
    assert plain.meta["source_hash"] == lowered.meta["source_hash"]


def test_compile_skill_bad_overlay_is_a_compile_error():
    from skvmc.compile import compile_skill
    from skvmc.diagnostics import CompileError

    with pytest.raises(CompileError, match="unknown primitive"):
        compile_skill(CSV, ALL_L3, overlay={"no.such.primitive": "L1"})


def test_capability_failure_recompiles_with_lowered_level(tmp_path):
    from skvmc.compile import compile_skill

    state = {"attempt": 0}
    m = learning_model(state)
    programs = []

    def run_once(prog, attempt):
        state["attempt"] = attempt
        programs.append(prog)
        wd = tmp_path / f"attempt{attempt}"
        wd.mkdir()
        return run_program(prog, SandboxHost(wd, m), task="sum data.csv",
                           trace_path=wd / "trace.jsonl", max_steps=2)

    # step-level recompilation: the per-step program
    res = run_adaptive(compile_skill(CSV, ALL_L3, granularity="split"), run_once,
                       lambda overlay: compile_skill(CSV, ALL_L3, overlay=overlay,
                                                     granularity="split"),
                       target=ALL_L3, store=OverlayStore(tmp_path / "cache"), max_recompiles=2)
    assert res.status == "ok", res.result.error
    assert len(res.recompiles) == 1
    why = res.recompiles[0]
    assert why["lowered"]["gen.text.structured"] == ["L2", "L1"]
    assert "SKILL.md:15" in why["error"]
    # the recompiled program validates totals.json; the first one did not
    first, second = programs
    assert "check.file" not in [i.op for i in first.code]
    check = next(i for i in second.code if i.op == "check.file")
    assert second.const_value(check.operands[0].index) == "totals.json"
    assert read_trace(tmp_path / "attempt0" / "trace.jsonl")[-1]["type"] == "recompile"


def test_cli_run_recompile(tmp_path, monkeypatch, capsys):
    import skvmc.models
    from skvmc import cli as compiler_cli
    from skvmc.vm import cli

    out = tmp_path / "out"
    assert compiler_cli.main([CSV, f"--target={ALL_L3}", "--granularity=split", "-o",
                              str(out)]) == 0
    state = {"attempt": 0}
    m = learning_model(state)

    def fake_resolve(name, **kw):
        return m
    monkeypatch.setattr(skvmc.models, "resolve", fake_resolve)
    monkeypatch.setenv("SKVMC_CACHE_DIR", str(tmp_path / "cache"))
    # the model learns between attempts: each run_program call after the first is a retry
    from skvmc.vm import interp
    real = interp.run_program
    calls = []

    def counting(*a, **kw):
        state["attempt"] = len(calls)
        calls.append(kw.get("trace_path"))
        return real(*a, **kw)
    monkeypatch.setattr(interp, "run_program", counting)
    wd = tmp_path / "wd"
    code = cli.main([str(out), "--task", "sum data.csv", "--workdir", str(wd), "--max-steps",
                     "2", "--recompile", "1", "--skill", CSV, "--target", ALL_L3,
                     "--trace", str(tmp_path / "t.jsonl")])
    got = capsys.readouterr()
    assert code == 0, got.err
    assert "recompile 1: SKILL.md:15: step failed" in got.out
    assert "gen.text.structured L2->L1" in got.out
    assert calls == [str(tmp_path / "t.jsonl"), str(tmp_path / "t-attempt1.jsonl")]
    assert read_trace(tmp_path / "t.jsonl")[-1]["type"] == "recompile"
    overlay = json.loads(next((tmp_path / "cache" / "overlays").iterdir()).read_text())
    assert overlay["overlay"]["gen.text.structured"] == "L1"


def test_cli_recompile_needs_the_skill(tmp_path, capsys):
    from skvmc.vm import cli

    out = tmp_path / "out"
    from skvmc import cli as compiler_cli
    assert compiler_cli.main([CSV, f"--target={ALL_L3}", "--granularity=split", "-o",
                              str(out)]) == 0
    assert cli.main([str(out), "--task", "t", "--workdir", str(tmp_path / "wd"),
                     "--recompile", "1"]) == 2
    assert "--skill" in capsys.readouterr().err


def test_warns_when_the_source_differs(tmp_path, capsys):
    from skvmc.compile import compile_skill
    from skvmc.vm.cli import _warn_if_other_source

    prog = compile_skill(CSV, ALL_L3)
    _warn_if_other_source(CSV, prog)
    assert capsys.readouterr().err == ""
    other = tmp_path / "SKILL.md"
    other.write_text("# changed\n", encoding="utf-8")
    _warn_if_other_source(str(tmp_path), prog)
    assert "differs" in capsys.readouterr().err
