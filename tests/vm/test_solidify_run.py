"""AOT solidification end to end: a bundled script the skill says to run is bound to the task,
checked, run by the VM, and its result (or its failure) reaches the model as a fact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skvmc.bytecode import decode
from skvmc.compile import CompileOptions, compile
from skvmc.vm import SandboxHost, run_program
from tests.vm.vm_helpers import ScriptedModel

SKILL = Path(__file__).parents[1] / "fixtures" / "solidify" / "csv-to-json"
TASK = "Convert `people.csv` to JSON and write it to `people.json`."


def _program(granularity="auto", target="qwen2.5-coder-1.5b+bare"):
    files = compile(str(SKILL), target, CompileOptions(backends=("prompt", "bytecode", "report"),
                                                       granularity=granularity)).files
    return decode(files["skill.skbc"]), json.loads(files["report.json"])


@pytest.fixture
def workdir(tmp_path):
    wd = tmp_path / "wd"
    wd.mkdir()
    (wd / "people.csv").write_text("name,age\nAda,36\nAlan,41\n", encoding="utf-8")
    return wd


def _run(program, workdir, answers):
    model = ScriptedModel(answers)
    host = SandboxHost(workdir, model, sandbox="process")
    result = run_program(program, host, task=TASK, inputs={"skill_dir": str(SKILL)},
                         max_steps=4, trace_path=str(workdir.parent / "trace.jsonl"))
    return result, model


def test_report_says_what_was_solidified_and_what_was_refused():
    _, report = _program()
    solid = report["bytecode"]["solidified"]
    assert [c["command"] for c in solid] == ["python3 scripts/convert.py INPUT --out OUTPUT"]
    assert solid[0]["placeholders"] == ["INPUT", "OUTPUT"]
    refused = {r["command"]: r["reason"] for r in report["bytecode"]["solidify_refused"]}
    # "you can run" is optional and "Do not run" forbids: neither is run
    assert "python3 scripts/legacy.py" in refused
    assert any("--head 3" in c for c in refused)


def test_bound_command_runs_and_the_model_sees_its_result(workdir):
    program, _ = _program()
    bind = json.dumps({"applies": True, "INPUT": "people.csv", "OUTPUT": "people.json"})
    result, model = _run(program, workdir, [bind, '{"action": "answer", "answer": "done"}'])
    assert result.status == "ok", result.error
    rows = json.loads((workdir / "people.json").read_text(encoding="utf-8"))
    assert rows == [{"name": "Ada", "age": "36"}, {"name": "Alan", "age": "41"}]
    assert len(model.calls) == 2  # the binding, then the skill's loop
    # the binding may only answer, with every placeholder and whether the command applies
    assert model.calls[0]["schema"]["properties"]["answer"]["required"] == [
        "applies", "INPUT", "OUTPUT"]
    user = model.calls[1]["messages"][1]["content"]
    assert "was run for you and succeeded" in user and "wrote 2 rows" in user
    # the head of what it wrote comes along, so the loop need not run or read it again
    assert 'It wrote people.json:\n[\n  {\n    "name": "Ada"' in user
    system = model.calls[1]["messages"][0]["content"]
    assert "You follow this skill" in system and "# CSV to JSON" in system


def test_missing_input_falls_back_to_the_model_with_the_error(workdir):
    program, _ = _program()
    bind = json.dumps({"applies": True, "INPUT": "nope.csv", "OUTPUT": "people.json"})
    result, model = _run(program, workdir, [
        bind, '{"action": "write", "path": "people.json", "content": "[]"}',
        '{"action": "answer", "answer": "done"}'])
    assert result.status == "ok", result.error
    user = model.calls[1]["messages"][1]["content"]
    assert "could not be run for this task" in user and "nope.csv does not exist" in user
    assert not any(t.get("argv") for t in _trace(workdir) if t.get("op") == "exec")


def test_failing_script_falls_back_with_its_stderr(workdir):
    (workdir / "people.csv").write_bytes(b"\xff\xfe not utf-8")
    program, _ = _program()
    bind = json.dumps({"applies": True, "INPUT": "people.csv", "OUTPUT": "people.json"})
    result, model = _run(program, workdir, [
        bind, '{"action": "write", "path": "people.json", "content": "[]"}',
        '{"action": "answer", "answer": "done"}'])
    assert result.status == "ok", result.error
    user = model.calls[1]["messages"][1]["content"]
    assert "exited 1" in user and "UnicodeDecodeError" in user


def test_command_that_does_not_apply_is_skipped(workdir):
    program, _ = _program()
    bind = json.dumps({"applies": False, "INPUT": "", "OUTPUT": ""})
    result, model = _run(program, workdir, [
        bind, '{"action": "write", "path": "people.json", "content": "[]"}',
        '{"action": "answer", "answer": "done"}'])
    assert result.status == "ok", result.error
    user = model.calls[1]["messages"][1]["content"]
    assert "was run for you" not in user and "could not be run" not in user
    # the model is told which files the task gave, with a CSV's header
    assert "people.csv (24 bytes; first line: name,age)" in user
    assert not [t for t in _trace(workdir) if t.get("op") == "exec"]


def test_task_output_check_asks_again_when_the_file_is_missing(workdir):
    program, _ = _program()
    bind = json.dumps({"applies": False, "INPUT": "", "OUTPUT": ""})
    result, model = _run(program, workdir, [
        bind, '{"action": "answer", "answer": "done"}',
        '{"action": "write", "path": "people.json", "content": "[]"}',
        '{"action": "answer", "answer": "done"}'])
    assert result.status == "ok", result.error
    retry = model.calls[2]["messages"][1]["content"]
    assert "people.json, which was not written" in retry


def test_split_granularity_keeps_rules_out_of_the_steps():
    program, report = _program(granularity="split")
    assert report["bytecode"]["granularity"]["mode"] == "split"
    prompts = [program.consts[i.operands[0].index][1] for i in program.code if i.op == "ask"]
    # the two rules are not steps of their own; they ride along in the steps' prompts
    assert not any(p.rstrip().endswith("Never edit the input file.") for p in prompts)
    assert any("Keep to these rules of the skill:\n- Never edit the input file." in p
               for p in prompts)


def _trace(workdir):
    return [json.loads(line)
            for line in (workdir.parent / "trace.jsonl").read_text().splitlines()]


def test_the_command_runs_the_bundle_copy_of_the_script():
    # argv[1] is the skill folder's script (a CONCAT of the skill_dir slot), not a workdir path
    program, _ = _program()
    ex = next(i for i in program.code if i.op == "exec")
    item = ex.operands[0][1]
    concat = next(i for i in program.code if i.op == "concat" and i.operands[0] == item.index)
    parts = concat.operands[1]
    assert program.slots[parts[0].index] == "skill_dir"
    assert program.const_value(parts[1].index) == "/scripts/convert.py"
