"""Deterministic shell commands as EXEC (with $SKILL_DIR from the VM) and per-step metadata."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from backend_helpers import compiled

from skvmc.backends.bytecode import (
    SKILL_DIR_MARK,
    command_argvs,
    command_files,
    unknown_files,
)
from skvmc.bytecode import decode
from skvmc.models import ScriptedModel
from skvmc.vm import SandboxHost, run_program

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = str(ROOT / "tests" / "fixtures" / "backends" / "bundle-exec")
CSV = str(ROOT / "examples" / "csv-summary")
M = SKILL_DIR_MARK


@pytest.mark.parametrize("line,argv", [
    ("python $SKILL_DIR/scripts/x.py a.txt", ["python", f"{M}/scripts/x.py", "a.txt"]),
    ("python ${SKILL_DIR}/x.py --cfg=$SKILL_DIR/c.json",
     ["python", f"{M}/x.py", f"--cfg={M}/c.json"]),
    ('python "$SKILL_DIR/my dir/x.py"', ["python", f"{M}/my dir/x.py"]),
    ("git status", ["git", "status"]),
])
def test_simple_commands_become_argvs(line, argv):
    assert command_argvs(line, "bash") == [argv]


@pytest.mark.parametrize("line", [
    "python $HOME/x.py", "python $SKILL_DIR/x.py | sort", "python $SKILL_DIR/x.py > out.txt",
    "echo $(date)", "ls *.csv", "python '$SKILL_DIR/x.py'", "FOO=1 python x.py",
    "python x.py <file>", "cat $SKILL_DIR_OTHER/x",
])
def test_commands_needing_a_shell_are_refused(line):
    assert command_argvs(line, "bash") is None


def test_files_read_and_written():
    argv = ["python3", f"{M}/s.py", "data.csv", "--out", "totals.json", "-o=r.md", "--n", "3"]
    assert command_files(argv) == (["data.csv"], ["totals.json", "r.md"])
    assert unknown_files(argv, set()) == ["data.csv"]
    assert unknown_files(argv, {"data.csv"}) == []
    # placeholders the task must supply
    assert unknown_files(["python", "your_automation.py"], set()) == ["your_automation.py"]


SPLIT = "--granularity=split"  # these tests are about the per-step program


def _program(skill, target="qwen-7b+openhands"):
    return decode(compiled(skill, target, SPLIT).files["skill.skbc"])


def test_bundle_script_call_is_exec_with_skill_dir_from_the_vm():
    prog = _program(BUNDLE)
    ops = [i.op for i in prog.code]
    assert ops.count("exec") == 1 and ops.count("ask") == 6
    ex = next(i for i in prog.code if i.op == "exec")
    # argv: python3, the concat slot holding SKILL_DIR + path, then plain constants; no shell
    assert prog.const_value(ex.operands[0][0].index) == "python3"
    assert [prog.const_value(v.index) for v in ex.operands[0][2:]] == ["words.txt", "--out",
                                                                       "counts.json"]
    concat = next(i for i in prog.code  # the item CONCAT feeding argv[1]
                  if i.op == "concat" and i.operands[0] == ex.operands[0][1].index)
    assert prog.slots[concat.operands[1][0].index] == "skill_dir"
    assert prog.const_value(concat.operands[1][1].index) == "/scripts/tally.py"
    assert prog.meta["skill_dir"] == ".agents/skills/bundle-exec"
    assert "setenv" in ops  # scripts also see SKILL_DIR in their environment
    # the failure of the command is a FAIL at the command's SKILL.md line, after HALT
    check = prog.code[ops.index("exec") + 1]
    assert check.op == "check.exit" and check.operands[1] > ops.index("halt")
    assert prog.code[check.operands[1]].op == "fail"
    assert prog.line_of(check.operands[1]) == ("SKILL.md", 13)


def test_placeholder_and_pipe_commands_stay_ask():
    prog = _program(BUNDLE)
    asks = [prog.const_value(i.operands[0].index) for i in prog.code if i.op == "ask"]
    assert any("your_checker.py" in a for a in asks)
    assert any("| sort > sorted.txt" in a for a in asks)


def test_csv_summary_helper_reads_task_data_so_stays_ask():
    # `python $SKILL_DIR/scripts/summarize.py data.csv ...`: data.csv comes from the task
    prog = _program(CSV)
    assert "exec" not in [i.op for i in prog.code]
    assert "skill_dir" not in prog.meta and "skill_dir" not in prog.slots


def test_step_metadata():
    prog = _program(CSV)
    text = (Path(CSV) / "SKILL.md").read_text(encoding="utf-8")
    assert prog.meta["source_hash"] == hashlib.sha256(text.encode()).hexdigest()
    assert prog.meta["skill"] == "csv-summary"
    steps = prog.meta["steps"]
    asks = [pc for pc, i in enumerate(prog.code) if i.op == "ask"]
    assert sorted(int(k) for k in steps) == asks
    third = steps[str(asks[2])]
    assert third["line"] == 15
    assert {"primitive": "gen.text.structured", "level": "L2"} in third["requires"]
    assert all(r["level"] in ("L0", "L1", "L2", "L3") for s in steps.values()
               for r in s["requires"])


def _model():
    def answer(messages, schema):
        if len(messages) > 2:  # after the write
            return '{"action": "answer", "answer": "done"}'
        if "Write the text of the task" in messages[0]["content"]:
            return json.dumps({"action": "write", "path": "words.txt", "content": "a b c"})
        return '{"action": "answer", "answer": "done"}'
    return ScriptedModel(answer)


def test_exec_runs_the_bundled_script(tmp_path):
    out = compiled(BUNDLE, "qwen-7b+openhands", SPLIT)
    inst = tmp_path / "inst"
    for rel, data in out.files.items():
        (inst / rel).parent.mkdir(parents=True, exist_ok=True)
        (inst / rel).write_bytes(data)
    prog = decode(out.files["skill.skbc"])
    wd = tmp_path / "wd"
    wd.mkdir()
    res = run_program(prog, SandboxHost(wd, _model()), task="count",
                      inputs={"skill_dir": str(inst / prog.meta["skill_dir"])})
    assert res.status == "ok", res.error
    assert json.loads((wd / "counts.json").read_text()) == {"words": 3}
    assert res.outputs["s3"].strip() == "3"


def test_failing_command_fails_at_its_line(tmp_path):
    prog = _program(BUNDLE)
    wd = tmp_path / "wd"
    wd.mkdir()
    lazy = ScriptedModel(lambda m, s: '{"action": "answer", "answer": "done"}')  # no words.txt
    res = run_program(prog, SandboxHost(wd, lazy), task="count",
                      inputs={"skill_dir": str(Path(BUNDLE))})
    assert res.status == "failed"
    assert res.error.startswith("SKILL.md:13: step failed: command failed (non-zero exit): "
                                "python3 '$SKILL_DIR/scripts/tally.py' words.txt")


def test_unknown_skill_dir_is_a_clear_failure(tmp_path):
    res = run_program(_program(BUNDLE), SandboxHost(tmp_path, _model()), task="t")
    assert res.status == "failed" and "--skill-dir" in res.error


def test_skvmc_run_finds_the_installed_bundle(tmp_path, monkeypatch, capsys):
    import skvmc.models
    from skvmc import cli as compiler_cli
    from skvmc.vm import cli

    out = tmp_path / "out"
    assert compiler_cli.main([BUNDLE, "--target=qwen-7b+openhands", SPLIT, "-o", str(out)]) == 0
    model = _model()
    monkeypatch.setattr(skvmc.models, "resolve", lambda name, **kw: model)
    wd = tmp_path / "wd"
    # default: $SKILL_DIR is the harness skill folder next to skill.skbc
    assert cli.main([str(out), "--task", "count", "--workdir", str(wd)]) == 0, \
        capsys.readouterr().err
    assert json.loads((wd / "counts.json").read_text()) == {"words": 3}
    # --skill-dir overrides it (here: the source folder, which holds the same bundle)
    (wd / "counts.json").unlink()
    assert cli.main([str(out / "skill.skbc"), "--task", "count", "--workdir", str(wd),
                     "--skill-dir", BUNDLE]) == 0
    assert (wd / "counts.json").is_file()
    assert cli.main([str(out), "--task", "count", "--workdir", str(wd),
                     "--skill-dir", str(tmp_path / "missing")]) == 2
    assert "--skill-dir" in capsys.readouterr().err
