"""JIT solidification: promotion, parameters, hostile inputs, demotion, persistence, CLI."""

from __future__ import annotations

import json
import re
import time

import pytest

from skvmc.bytecode import ACT_EXEC, ACT_WRITE, ProgramBuilder
from skvmc.models import ScriptedModel
from skvmc.vm import VM, SandboxHost, read_trace
from skvmc.vm.jit import (
    JitStore,
    ParamError,
    Template,
    cache_dir,
    controller_for,
    extract_params,
    skill_key_for,
    validate_param,
)
from skvmc.vm.jit_cli import main as jit_main

ANSWER = '{"action": "answer", "answer": "done"}'


def program(skill="jitdemo"):
    b = ProgramBuilder({"skill": skill, "target": "smollm2+vm", "source_hash": "abc123"})
    b.emit("setstep", 1, "write the file", line=("SKILL.md", 3))
    b.emit("ask", b.slot("task"), "result", None, ACT_EXEC | ACT_WRITE, 4, 1,
           line=("SKILL.md", 4))
    b.emit("check.exists", b.slot("outfile"), "retry")
    b.emit("halt", 0)
    return b.build()


def python_coder(messages, schema):
    """Writes the same code shape for every task: literals taken from the task."""
    if messages[-1]["content"].startswith("exit code 0"):
        return ANSWER
    m = re.search(r"number (\d+) to (\S+\.txt)", messages[1]["content"])
    code = f"# double it\nn = {m[1]}\nopen('{m[2]}', 'w').write(str(n * 2))\n"
    return json.dumps({"action": "exec", "language": "python", "code": code})


def bash_coder(messages, schema):
    if messages[-1]["content"].startswith("exit code 0"):
        return ANSWER
    m = re.search(r'Write "([^"]*)" to (\S+\.txt)', messages[1]["content"])
    code = f'# echo it\necho "{m[1]}" > {m[2]}\n'
    return json.dumps({"action": "exec", "language": "bash", "code": code})


def run_once(tmp_path, task, outfile, model, root, n=[0], threshold=3, **kw):  # noqa: B006
    n[0] += 1
    wd = tmp_path / f"wd{n[0]}"
    wd.mkdir()
    prog = program()
    jit = controller_for(prog, root=root, threshold=threshold, **kw)
    trace = wd / "trace.jsonl"
    r = VM(prog, SandboxHost(wd, model), task=task, inputs={"outfile": outfile},
           trace_path=trace, jit=jit).run()
    return r, wd, read_trace(trace), jit


def state(root, step="1"):
    store = JitStore(root)
    return store.load(skill_key_for(program()))["steps"][step]


def test_promotes_after_n_equivalent_runs_and_runs_without_model(tmp_path):
    root = tmp_path / "cache"
    model = ScriptedModel(python_coder)
    for i, (num, out) in enumerate([(3, "a.txt"), (5, "b.txt"), (11, "c.txt")]):
        r, wd, _, _ = run_once(tmp_path, f"Write the number {num} to {out} doubled.", out,
                               model, root)
        assert r.status == "ok", r.error
        assert (wd / out).read_text() == str(num * 2)
        assert state(root)["state"] == ("promoted" if i == 2 else "observing")
    calls = len(model.calls)
    r, wd, records, _ = run_once(tmp_path, "Write the number 21 to result.txt doubled.",
                                 "result.txt", model, root)
    assert r.status == "ok", r.error
    assert len(model.calls) == calls  # no model call once promoted
    assert (wd / "result.txt").read_text() == "42"
    ask = [x for x in records if x.get("op") == "ask"]
    assert ask[0]["solidified"] is True and ask[0]["prompt_tokens"] == 0
    assert records[-1]["totals"]["model_calls"] == 0
    tmpl = state(root)["template"]
    assert set(tmpl["params"].values()) == {"int", "path"}
    assert "_P[" in tmpl["actions"][0]["code"] and "21" not in tmpl["actions"][0]["code"]


def test_not_promoted_after_n_different_runs(tmp_path):
    root = tmp_path / "cache"
    k = [0]

    def varying(messages, schema):
        if messages[-1]["content"].startswith("exit code 0"):
            return ANSWER
        k[0] += 1
        code = f"v{k[0]} = 4\nopen('x.txt', 'w').write(str(v{k[0]}))\n"
        return json.dumps({"action": "exec", "language": "python", "code": code})

    model = ScriptedModel(varying)
    for _ in range(4):
        r, *_ = run_once(tmp_path, "Write the number 4 to x.txt please.", "x.txt", model, root)
        assert r.status == "ok"
    st = state(root)
    assert st["state"] == "observing" and st["runs"] == 4
    assert max(o["count"] for o in st["observations"].values()) == 1


def test_extract_params_types_and_skeleton():
    params, skel = extract_params({"task": 'Copy data/in.csv to "my report" 3 times at 0.5'})
    kinds = {p["value"]: p["type"] for p in params.values()}
    assert kinds == {"data/in.csv": "path", "my report": "str", 3: "int", 0.5: "float"}
    _, skel2 = extract_params({"task": 'Copy x/y.csv to "other" 9 times at 1.5'})
    assert skel == skel2


@pytest.mark.parametrize("value", ["../x.txt", "/etc/passwd", "a;b.txt", "$(touch pwned)",
                                   "a\nb.txt", "x.txt\x00", "a b.txt", "`id`.txt"])
def test_hostile_paths_are_refused(value):
    with pytest.raises(ParamError):
        validate_param("path", value)


def test_typed_params_are_checked():
    assert validate_param("int", 3) == 3
    with pytest.raises(ParamError):
        validate_param("int", "3; rm -rf /")
    with pytest.raises(ParamError):
        validate_param("float", "nan; x")


HOSTILE = ["; rm -rf / $(touch pwned)", "$(touch pwned)", "`touch pwned` 'q' \\ x",
           "a && touch pwned || touch pwned"]


@pytest.mark.parametrize("coder", [bash_coder, "python"])
def test_hostile_params_never_reach_a_shell(tmp_path, coder):
    root = tmp_path / "cache"
    if coder == "python":
        def coder(messages, schema):
            if messages[-1]["content"].startswith("exit code 0"):
                return ANSWER
            m = re.search(r'Write "([^"]*)" to (\S+\.txt)', messages[1]["content"])
            code = f"import os\nos.system('true')\nopen({m[2]!r}, 'w').write({m[1]!r})\n"
            return json.dumps({"action": "exec", "language": "python", "code": code})
    model = ScriptedModel(coder)
    for word, out in [("hello", "a.txt"), ("good day", "b.txt"), ("yes sir", "c.txt")]:
        r, wd, _, _ = run_once(tmp_path, f'Write "{word}" to {out} now.', out, model, root)
        assert r.status == "ok" and (wd / out).read_text().strip() == word
    assert state(root)["state"] == "promoted"
    calls = len(model.calls)
    for bad in HOSTILE:
        r, wd, _, _ = run_once(tmp_path, f'Write "{bad}" to out.txt now.', "out.txt",
                               model, root)
        assert r.status == "ok", r.error
        assert len(model.calls) == calls
        assert (wd / "out.txt").read_text().strip() == bad
        assert not list(tmp_path.rglob("pwned"))


def test_template_run_with_newlines_and_quotes(tmp_path):
    data = {"signature": "s", "skeleton": "", "pinned": {}, "params": {"msg": "str"},
            "actions": [{"kind": "code", "language": "bash",
                         "code": 'printf "%s" "${SKVM_P_msg}" > out.txt'}],
            "answer": {"from": "stdout"}}
    bad = "line1\n$(touch pwned)\n'\"; touch pwned"
    res = Template("1", data, {"msg": bad}).run(SandboxHost(tmp_path))
    assert res.ok
    assert (tmp_path / "out.txt").read_text() == bad
    assert not (tmp_path / "pwned").exists()


def test_demoted_after_m_failures(tmp_path):
    root = tmp_path / "cache"
    model = ScriptedModel(python_coder)
    for num, out in [(3, "a.txt"), (5, "b.txt"), (7, "c.txt")]:
        run_once(tmp_path, f"Write the number {num} to {out} doubled.", out, model, root,
                 demote_after=2)
    assert state(root)["state"] == "promoted"
    # Break the template: it now exits non-zero, so each run falls back to the model.
    store = JitStore(root)
    key = skill_key_for(program())
    data = store.load(key)
    data["steps"]["1"]["template"]["actions"][0]["code"] = "raise SystemExit(3)\n"
    store.save(key, data)
    for i in range(2):
        calls = len(model.calls)
        r, wd, records, _ = run_once(tmp_path, "Write the number 4 to d.txt doubled.",
                                     "d.txt", model, root, demote_after=2)
        assert r.status == "ok" and (wd / "d.txt").read_text() == "8"
        assert len(model.calls) > calls  # fell back to the model
        assert [x for x in records if x.get("op") == "ask"][0]["solid_error"]
    st = state(root)
    assert st["state"] == "demoted" and st["template"] is None and st["demotions"] == 1


def test_failed_postcondition_falls_back_to_model(tmp_path):
    root = tmp_path / "cache"
    model = ScriptedModel(python_coder)
    for num, out in [(3, "a.txt"), (5, "b.txt"), (7, "c.txt")]:
        run_once(tmp_path, f"Write the number {num} to {out} doubled.", out, model, root)
    store = JitStore(root)
    key = skill_key_for(program())
    data = store.load(key)
    data["steps"]["1"]["template"]["actions"][0]["code"] = "open('wrong.txt', 'w')\n"
    store.save(key, data)
    calls = len(model.calls)
    r, wd, _, _ = run_once(tmp_path, "Write the number 4 to d.txt doubled.", "d.txt",
                           model, root)
    assert r.status == "ok", r.error
    assert (wd / "d.txt").read_text() == "8" and len(model.calls) > calls
    st = state(root)
    assert st["failures"] == 1 and st["state"] == "promoted"


def test_state_persists_across_vm_instances(tmp_path):
    root = tmp_path / "cache"
    model = ScriptedModel(python_coder)
    for num, out in [(3, "a.txt"), (5, "b.txt"), (7, "c.txt")]:
        *_, jit = run_once(tmp_path, f"Write the number {num} to {out} doubled.", out,
                           model, root)
    fresh = controller_for(program(), root=root)
    assert fresh is not jit and fresh.data["steps"]["1"]["state"] == "promoted"
    assert len(list(root.glob("*.json"))) == 1
    assert not list(root.glob("*.tmp"))  # atomic writes leave no temp files


def test_threshold_is_configurable(tmp_path):
    root = tmp_path / "cache"
    model = ScriptedModel(python_coder)
    run_once(tmp_path, "Write the number 1 to a.txt doubled.", "a.txt", model, root,
             threshold=1)
    assert state(root)["state"] == "promoted"


def test_cache_dir_override(tmp_path, monkeypatch):
    monkeypatch.setenv("SKVMC_CACHE_DIR", str(tmp_path / "c1"))
    assert cache_dir() == tmp_path / "c1"
    monkeypatch.delenv("SKVMC_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "skvmc" / "jit"
    monkeypatch.setenv("SKVMC_CACHE_DIR", str(tmp_path / "c2"))
    model = ScriptedModel(python_coder)
    prog = program()
    wd = tmp_path / "wd"
    wd.mkdir()
    VM(prog, SandboxHost(wd, model), task="Write the number 1 to a.txt doubled.",
       inputs={"outfile": "a.txt"}, jit=controller_for(prog)).run()
    assert len(list((tmp_path / "c2").glob("*.json"))) == 1


def test_jit_cli_list_show_clear(tmp_path, capsys):
    root = tmp_path / "cache"
    model = ScriptedModel(python_coder)
    for num, out in [(3, "a.txt"), (5, "b.txt"), (7, "c.txt")]:
        run_once(tmp_path, f"Write the number {num} to {out} doubled.", out, model, root)
    capsys.readouterr()
    assert jit_main(["--cache-dir", str(root), "list"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"jitdemo\s+abc123\s+smollm2\+vm\s+1\s+1", out), out
    assert jit_main(["--cache-dir", str(root), "show", "jitdemo", "--target",
                     "smollm2+vm"]) == 0
    out = capsys.readouterr().out
    assert "promoted" in out and "runs=3" in out and "code (python)" in out
    assert "_P[" in out and "path" in out
    assert jit_main(["--cache-dir", str(root), "show", "nope"]) == 1
    assert "no JIT state" in capsys.readouterr().err
    assert jit_main(["--cache-dir", str(root), "clear", "jitdemo"]) == 0
    assert "cleared 1" in capsys.readouterr().out
    assert not list(root.glob("*.json"))
    assert jit_main(["--cache-dir", str(root), "list"]) == 0
    assert "no JIT state" in capsys.readouterr().out
    assert jit_main([]) == 2


def test_solidified_is_faster_than_model_driven(tmp_path):
    """With a model that takes 50 ms per call, the template skips all of it."""
    root = tmp_path / "cache"
    model = ScriptedModel(python_coder, latency_s=0.0)
    slow = ScriptedModel(lambda m, s: (time.sleep(0.05), python_coder(m, s))[1])
    for num, out in [(3, "a.txt"), (5, "b.txt"), (7, "c.txt")]:
        run_once(tmp_path, f"Write the number {num} to {out} doubled.", out, model, root)
    r, _, records, _ = run_once(tmp_path, "Write the number 9 to z.txt doubled.", "z.txt",
                                slow, root)
    assert r.status == "ok" and not slow.calls
