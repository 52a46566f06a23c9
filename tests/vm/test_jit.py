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
    for _i in range(2):
        calls = len(model.calls)
        r, wd, records, _ = run_once(tmp_path, "Write the number 4 to d.txt doubled.",
                                     "d.txt", model, root, demote_after=2)
        assert r.status == "ok" and (wd / "d.txt").read_text() == "8"
        assert len(model.calls) > calls  # fell back to the model
        assert next(x for x in records if x.get("op") == "ask")["solid_error"]
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


def test_solidified_step_skips_a_slow_model(tmp_path):
    """With a model that takes 0.2 s per call, the template (one python process) is faster."""
    root = tmp_path / "cache"

    def slow_coder(messages, schema):
        time.sleep(0.2)
        return python_coder(messages, schema)

    model = ScriptedModel(slow_coder)
    driven = []
    for num, out in [(3, "a.txt"), (5, "b.txt"), (7, "c.txt")]:
        _, _, recs, _ = run_once(tmp_path, f"Write the number {num} to {out} doubled.", out,
                                 model, root)
        driven += [x["end"] - x["start"] for x in recs if x.get("op") == "ask"]
    calls = len(model.calls)
    r, wd, recs, _ = run_once(tmp_path, "Write the number 9 to z.txt doubled.", "z.txt",
                              model, root)
    ask = next(x for x in recs if x.get("op") == "ask")
    assert r.status == "ok" and len(model.calls) == calls and ask["solidified"]
    assert (wd / "z.txt").read_text() == "18"
    assert ask["end"] - ask["start"] < min(driven)


def test_run_cli_accepts_jit_options():
    from skvmc.vm.cli import build_parser

    a = build_parser().parse_args(["p", "--task", "t", "--workdir", "w", "--jit",
                                   "--jit-threshold", "2"])
    assert a.jit is True and a.jit_threshold == 2
    assert build_parser().parse_args(["p", "--task", "t", "--workdir", "w"]).jit is False


E2E_TASK = 'Write the word "{w}" to the file {f}. Use the write action with path "{f}".'


@pytest.mark.e2e
def test_smollm2_step_is_solidified(tmp_path):
    """Real SmolLM2 runs feed the JIT; once promoted the step needs no model call.

    SmolLM2-135M writes the file but rarely finishes with an answer action, so its runs are
    fed to the controller from their traces (the turns that wrote the output file) and the
    most common real observation is repeated until the threshold is reached."""
    pytest.importorskip("llama_cpp")
    from skvmc.models import resolve
    from skvmc.vm.agent import StepOutcome, Turn

    model = resolve("smollm2")
    b = ProgramBuilder({"skill": "e2e-jit", "target": "smollm2+vm", "source_hash": "e2e1"})
    b.emit("ask", b.slot("task"), "r", None, ACT_WRITE, 1, 0, line=("SKILL.md", 4))
    b.emit("check.exists", b.slot("outfile"), "fail")
    b.emit("halt", 0)
    prog = b.build()
    root = tmp_path / "cache"
    model_latency, seeded = [], []
    for w, f in [("apple", "a.txt"), ("melon", "b.txt"), ("grape", "c.txt")]:
        wd = tmp_path / f"real-{f}"
        wd.mkdir()
        task = E2E_TASK.format(w=w, f=f)
        jit = controller_for(prog, root=root, threshold=2)
        VM(prog, SandboxHost(wd, model), task=task, inputs={"outfile": f}, jit=jit,
           trace_path=wd / "t.jsonl", timeout=120, max_tokens=64).run()
        recs = read_trace(wd / "t.jsonl")
        model_latency += [r["end"] - r["start"] for r in recs if r.get("op") == "ask"]
        turns = [Turn(r["completion"], r["action"], r["result"]) for r in recs
                 if r["type"] == "model" and (r["action"] or {}).get("action") == "write"
                 and (r["action"] or {}).get("path") == f and (wd / f).exists()]
        if turns:  # the model's real write, as the step's observation
            seeded.append((StepOutcome(True, "done", turns=turns[:1]),
                           {"input_outfile": f, "task": task, "prompt": task}))
    assert seeded, "SmolLM2 never wrote the output file"
    jit = controller_for(prog, root=root, threshold=2)
    for outcome, inputs in seeded:
        jit.after_ask("0", outcome, inputs)
        jit.finish()
    while jit.data["steps"]["0"]["state"] != "promoted":
        jit.after_ask("0", *seeded[0])  # the most recent real shape, seen again
        jit.finish()
    wd = tmp_path / "solid"
    wd.mkdir()
    jit = controller_for(prog, root=root, threshold=2)
    r = VM(prog, SandboxHost(wd, model), task=E2E_TASK.format(w="lemon", f="z.txt"),
           inputs={"outfile": "z.txt"}, jit=jit, trace_path=wd / "t.jsonl").run()
    recs = read_trace(wd / "t.jsonl")
    assert r.status == "ok", r.error
    assert recs[-1]["totals"]["model_calls"] == 0
    assert not [x for x in recs if x["type"] == "model"]
    ask = next(x for x in recs if x.get("op") == "ask")
    assert ask["solidified"] is True and (wd / "z.txt").exists()
    solid = ask["end"] - ask["start"]
    print(f"\nJIT latency: model-driven step {sum(model_latency) / len(model_latency):.3f}s "
          f"(runs {[round(x, 3) for x in model_latency]}), solidified step {solid:.4f}s, "
          f"ratio {sum(model_latency) / len(model_latency) / max(solid, 1e-6):.0f}x; "
          f"z.txt = {(wd / 'z.txt').read_text()!r}")
    assert solid < min(model_latency)
