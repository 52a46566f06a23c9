"""FORK/JOIN, traces, the baseline runner, the action parser and ``skvmc run``."""

from __future__ import annotations

import json
import sys
import time

from vm_helpers import ScriptedModel, run_asm

from skvmc.bytecode import assemble, encode
from skvmc.vm import NullHost, SandboxHost, parse_action, read_trace, run_baseline, run_program
from skvmc.vm.cli import main as run_main

PY = json.dumps(sys.executable)


def sleeper(seconds, value, fail=False):
    code = f"import time; time.sleep({seconds}); print({value!r}, end='')"
    if fail:
        code += "; raise SystemExit(1)"
    return f'exec [{PY}, "-c", {json.dumps(code)}], $out{value}'


FORK = """
    fork {policy}, @join, [@b0, @b1, @b2]
b0:
    {b0}
    check.exit 0, fail
    endbranch $out0
b1:
    {b1}
    check.exit 0, fail
    endbranch $out1
b2:
    {b2}
    check.exit 0, fail
    endbranch $out2
join:
    join $results
    halt 0
"""


def test_fork_collect_joins_in_branch_order(tmp_path):
    # Branch 0 finishes last, branch 2 first: the join still lists them 0, 1, 2.
    r = run_asm(FORK.format(policy="collect", b0=sleeper(0.6, 0), b1=sleeper(0.3, 1),
                            b2=sleeper(0.0, 2)), tmp_path, concurrency=3)
    assert r.exit_code == 0
    assert r.outputs["results"] == [{"status": "ok", "value": "0"},
                                    {"status": "ok", "value": "1"},
                                    {"status": "ok", "value": "2"}]
    # slot writes of the branches are merged back
    assert (r.outputs["out0"], r.outputs["out2"]) == ("0", "2")


def test_fork_runs_branches_concurrently(tmp_path):
    t0 = time.monotonic()
    r = run_asm(FORK.format(policy="collect", b0=sleeper(0.5, 0), b1=sleeper(0.5, 1),
                            b2=sleeper(0.5, 2)), tmp_path, concurrency=3)
    assert r.exit_code == 0
    assert time.monotonic() - t0 < 1.3  # serial would take 1.5 s plus start-up


def test_fork_collect_keeps_going_after_a_failure(tmp_path):
    r = run_asm(FORK.format(policy="collect", b0=sleeper(0, 0), b1=sleeper(0, 1, fail=True),
                            b2=sleeper(0.2, 2)), tmp_path)
    assert r.exit_code == 0
    statuses = [x["status"] for x in r.outputs["results"]]
    assert statuses == ["ok", "failed", "ok"]
    assert "exited 1" in r.outputs["results"][1]["error"]


def test_fork_cancel_policy_cancels_other_branches(tmp_path):
    t0 = time.monotonic()
    r = run_asm(".loc \"SKILL.md\" 20\n" +
                FORK.format(policy="cancel", b0=sleeper(10, 0), b1=sleeper(0, 1, fail=True),
                            b2=sleeper(10, 2)), tmp_path, concurrency=3)
    assert r.exit_code == 1
    assert "exited 1" in r.error
    assert time.monotonic() - t0 < 5  # the 10 s sleepers were killed
    records = read_trace(tmp_path / "trace.jsonl")
    cancelled = {rec.get("branch") for rec in records
                 if rec["type"] == "instr" and rec["status"] == "Cancelled"}
    assert cancelled == {"0", "2"}


def test_fork_with_concurrency_one_still_orders(tmp_path):
    model = ScriptedModel(lambda messages: json.dumps(
        {"action": "answer", "answer": messages[0]["content"].split("\n")[0].upper()}))
    r = run_asm("""
        fork collect, @j, [@a, @b]
    a:
        ask "alpha", $x, none, 0, 2, 0
        endbranch $x
    b:
        ask "beta", $y, none, 0, 2, 0
        endbranch $y
    j:
        join $r
        halt 0
    """, tmp_path, model, concurrency=1)
    assert [x["value"] for x in r.outputs["r"]] == [
        "ALPHA", "BETA"]


def test_trace_records(tmp_path):
    model = ScriptedModel(['{"action": "answer", "answer": "hi"}'])
    r = run_asm("""
        .meta {"skill": "demo", "target": "t", "source_hash": "h"}
        .loc "SKILL.md" 3
        setstep 1, "Greet"
        ask "say hi", $o, none, 0, 2, 0
        halt 0
    """, tmp_path, model, task="greet")
    recs = read_trace(r.trace_path)
    assert recs[0]["type"] == "header"
    assert recs[0]["meta"]["skill"] == "demo" and recs[0]["task"] == "greet"
    instrs = [x for x in recs if x["type"] == "instr"]
    assert [x["op"] for x in instrs] == ["setstep", "ask", "halt"]
    ask = instrs[1]
    assert ask["line"] == "SKILL.md:3" and ask["step"] == 1 and ask["status"] == "ok"
    assert ask["model"] == "scripted-1" and ask["prompt_tokens"] == 10
    assert ask["completion_tokens"] == 5 and ask["cost"] == 0.001
    assert ask["action"] == ["answer"] and ask["end"] >= ask["start"]
    models = [x for x in recs if x["type"] == "model"]
    assert models[0]["kind"] == "model" and models[0]["completion"].startswith('{"action"')
    final = recs[-1]
    assert final["type"] == "final" and final["status"] == "ok" and final["exit_code"] == 0
    assert final["totals"]["model_calls"] == 1 and final["totals"]["instructions"] == 3
    assert r.totals["prompt_tokens"] == 10


def test_trace_replays_through_the_model_layer(tmp_path):
    """The trace's model records are what skvmc.models.replay reads back."""
    from skvmc.models import resolve

    text = 'ask "q", $o, none, 0, 3, 0\nhalt 0\n'
    first = run_asm(text, tmp_path, ScriptedModel(['{"action": "answer", "answer": "recorded"}']))
    replay = resolve(f"replay:{first.trace_path}", speed=0)
    work2 = tmp_path / "again"
    work2.mkdir()
    r = run_program(assemble(text), SandboxHost(work2, replay))
    assert r.outputs["o"] == "recorded"


def test_baseline_runner(tmp_path):
    model = ScriptedModel([json.dumps({"action": "write", "path": "r.txt", "content": "x"}),
                           json.dumps({"action": "answer", "answer": "all done"})])
    r = run_baseline("# Skill\n1. write r.txt\n", "please", SandboxHost(tmp_path, model),
                     trace_path=tmp_path / "b.jsonl", max_steps=4)
    assert r.exit_code == 0 and r.outputs == {"answer": "all done"}
    assert "# Skill\n1. write r.txt" in model.calls[0]["messages"][0]["content"]
    assert model.calls[0]["messages"][1] == {"role": "user", "content": "please"}
    recs = read_trace(tmp_path / "b.jsonl")
    assert recs[-1]["totals"]["model_calls"] == 2 and (tmp_path / "r.txt").exists()


def test_baseline_out_of_steps(tmp_path):
    model = ScriptedModel([json.dumps({"action": "read", "path": p}) for p in "xyz"])
    r = run_baseline("skill", "task", SandboxHost(tmp_path, model), max_steps=3)
    assert r.exit_code == 1 and "3 turns" in r.error


def test_parse_action_is_tolerant():
    assert parse_action('blah {"action": "READ", "path": "a"} blah') == {"action": "read",
                                                                         "path": "a"}
    assert parse_action("```bash\necho hi\n```") == {"action": "exec", "language": "bash",
                                                    "code": "echo hi\n"}
    assert parse_action("```\nprint(1)\n```")["language"] == "python"
    assert parse_action("The answer is 4.") == {"action": "answer", "answer": "The answer is 4."}
    assert parse_action('{"total": 4}') == {"action": "answer", "answer": {"total": 4}}
    assert parse_action('{"action": "done"}') == {"action": "answer"}
    assert parse_action("   ") is None


def test_null_host_dispatch_counts_instructions():
    p = assemble("const $i, 1\nnop\nnop\nhalt 0\n")
    r = run_program(p, NullHost())
    assert r.exit_code == 0 and r.totals["instructions"] == 4


# -- the CLI ----------------------------------------------------------------------------------

def test_cli_runs_a_compiled_dir_with_replay(tmp_path, capsys):
    text = 'ask "q", $o, none, 0, 3, 0\nwrite "answer.txt", $o\nhalt 0\n'
    rec = run_asm(text, tmp_path, ScriptedModel(['{"action": "answer", "answer": "42"}']))
    compiled = tmp_path / "compiled"
    compiled.mkdir()
    (compiled / "skill.skbc").write_bytes(encode(assemble(text)))
    work = tmp_path / "w"
    code = run_main([str(compiled), "--task", "q", "--workdir", str(work),
                     "--model", f"replay:{rec.trace_path}", "--trace", str(tmp_path / "t.jsonl")])
    out = capsys.readouterr().out
    assert code == 0
    assert (work / "answer.txt").read_text() == "42"
    assert f"trace: {tmp_path / 't.jsonl'}" in out


def test_cli_missing_file_exit_2(tmp_path, capsys):
    code = run_main([str(tmp_path / "nope.skbc"), "--task", "t", "--workdir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "cannot read" in err and "Traceback" not in err


def test_cli_corrupt_bytecode_exit_1(tmp_path, capsys):
    bad = tmp_path / "bad.skbc"
    bad.write_bytes(b"SKBC\x01\x00\x00\x00garbage")
    code = run_main([str(bad), "--task", "t", "--workdir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "offset" in err and "Traceback" not in err


def test_cli_usage_error_exit_2(capsys):
    assert run_main(["x.skbc"]) == 2
    assert "required" in capsys.readouterr().err


def test_cli_does_not_import_litellm_for_bad_input(tmp_path):
    import subprocess
    code = ("import sys; from skvmc.vm.cli import main; "
            f"rc = main([{str(tmp_path / 'none.skbc')!r}, '--task', 't', '--workdir', "
            f"{str(tmp_path)!r}]); print('litellm' in sys.modules, rc)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False).stdout
    assert out.strip() == "False 2"



