"""The compile driver: CLI, layout, atomicity, parse-once, strict mode, env-setup behaviour,
bytecode errors and the identity check on an all-L3 target."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter

import pytest
from backend_helpers import ALL_L3
from conftest import REPO, corpus_skills, example_skills

from skvmc import cli
from skvmc.bytecode import BytecodeError, decode

CSV = str(REPO / "examples" / "csv-summary")
LOGS = str(REPO / "examples" / "log-triage")


def test_single_target_layout(tmp_path):
    out = tmp_path / "out"
    assert cli.main([CSV, "--target=qwen-7b+openhands", "-o", str(out), "--report-timings"]) == 0
    for rel in (".agents/skills/csv-summary/SKILL.md",
                ".agents/skills/csv-summary/scripts/summarize.py", "env-setup.sh", "skill.skbc",
                "skill.skasm", "skill.skir", "report.json", "dag.dot", "dag.mmd"):
        assert (out / rel).is_file(), rel
    assert os.access(out / "env-setup.sh", os.X_OK)
    report = json.loads((out / "report.json").read_text())
    assert report["tokens"]["before"] > 0 and report["tokens"]["after"] > 0
    assert [p["name"] for p in report["timings"]["passes"]][:2] == ["canonicalize",
                                                                   "infer-capabilities"]
    assert set(report["timings"]["backends"]) >= {"prompt", "env", "bytecode", "dag"}


def test_batch_parses_each_skill_once(tmp_path, monkeypatch):
    import skvmc.frontend as frontend

    calls = Counter()
    real = frontend.parse_skill

    def counting(path, diags, *a, **k):
        calls[path] += 1
        return real(path, diags, *a, **k)

    monkeypatch.setattr(frontend, "parse_skill", counting)
    out = tmp_path / "out"
    code = cli.main([CSV, LOGS, "--target=qwen-7b+openhands,qwen-7b+claude-code", "-o", str(out)])
    assert code == 0
    assert calls == Counter({CSV: 1, LOGS: 1})
    for skill in ("csv-summary", "log-triage"):
        assert (out / skill / "qwen-7b+openhands" / ".agents/skills" / skill / "SKILL.md").is_file()
        claude = out / skill / "qwen-7b+claude-code"
        assert (claude / ".claude/skills" / skill / "SKILL.md").is_file()


def test_failed_compile_leaves_output_untouched(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("old")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "SKILL.md").write_text("no frontmatter here\n")
    assert cli.main([CSV, str(bad), "--target=qwen-7b+openhands", "-o", str(out)]) == 1
    assert sorted(os.listdir(out)) == ["keep.txt"]
    # a failing pass (strict mode: a gap is an error) leaves it untouched too
    assert cli.main([CSV, "--target=qwen-7b+openhands", "--strict", "-o", str(out)]) == 1
    assert sorted(os.listdir(out)) == ["keep.txt"]
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".skvmc")]


def test_strict_mode_reports_located_errors(capsys):
    assert cli.main([CSV, "--target=qwen-7b+openhands", "--strict", "--emit=report"]) == 1
    err = capsys.readouterr().err
    assert "SKILL.md:20:1: error:" in err


def test_unknown_target_is_a_usage_error(capsys):
    assert cli.main([CSV, "--target=qwen-7b+openhandz"]) == 2
    assert "did you mean 'openhands'" in capsys.readouterr().err


@pytest.mark.parametrize("kind,needle", [
    ("prompt", "name: csv-summary"), ("env", "set -euo pipefail"), ("asm", ".skbc 1 0"),
    ("report", '"skill": "csv-summary"'), ("dot", "digraph skill {"),
    ("mermaid", "flowchart TD"), ("ir", '"builtin.module"')])
def test_emit_prints_one_artifact(kind, needle, capsys):
    assert cli.main([CSV, "--target=qwen-7b+openhands", f"--emit={kind}"]) == 0
    assert needle in capsys.readouterr().out


def test_emit_bytecode_writes_raw_bytes(capsysbinary):
    assert cli.main([CSV, "--target=qwen-7b+openhands", "--emit=bytecode"]) == 0
    data = capsysbinary.readouterr().out
    assert data.startswith(b"SKBC")
    assert decode(data).meta["skill"] == "csv-summary"


def test_print_ir_after_all_works_with_targets(capsys):
    assert cli.main([CSV, "--target=qwen-7b+openhands", "--emit=env", "--print-ir-after-all"]) == 0
    err = capsys.readouterr().err
    assert "// -----// IR Dump After bind-env //----- //" in err


def test_corrupted_bytecode_gives_clear_errors(tmp_path):
    out = tmp_path / "o"
    assert cli.main([CSV, "--target=qwen-7b+openhands", "-o", str(out)]) == 0
    data = (out / "skill.skbc").read_bytes()
    for bad in (data[: len(data) // 2], data[:3], b"XXXX" + data[4:],
                data[:20] + bytes([data[20] ^ 0xFF]) + data[21:]):
        with pytest.raises(BytecodeError) as err:
            decode(bad)
        assert str(err.value)


# -- env-setup.sh behaviour in a sandbox with stub programs --------------------------------

STUB = """#!/bin/bash
echo "${0##*/} $*" >> "$STUB_LOG"  # builtins only: PATH has just the stubs
if [ "$1" = "-c" ]; then  # python3 -c '<import check>' MODULE
  [ -e "$STUB_STATE/${@: -1}" ] && exit 0 || exit 1
fi
if [ "$1" = "-m" ] && [ "$2" = "pip" ] && [ "$3" = "install" ]; then
  for a in "${@:4}"; do case "$a" in -*) ;; *) : > "$STUB_STATE/${a%%[<>=]*}";; esac; done
  exit 0
fi
exit 0
"""


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_env_setup_is_idempotent_and_never_updates(tmp_path, capsys):
    skill = tmp_path / "needs-deps"
    skill.mkdir()
    (skill / "SKILL.md").write_text(
        "---\nname: needs-deps\ndescription: Uses requests and jq.\n---\n\n"
        "1. Install the client:\n\n   ```bash\n   pip install requests\n   ```\n\n"
        "2. Fetch the data with this script:\n\n   ```python\n   import requests\n"
        "   print(requests.get('https://example.com').status_code)\n   ```\n\n"
        "3. Filter it:\n\n   ```bash\n   jq .items data.json\n   ```\n")
    assert cli.main([str(skill), "--target=qwen-7b+openhands", "--emit=env"]) == 0
    script_text = capsys.readouterr().out
    assert "requests" in script_text and "command -v jq" in script_text
    script = tmp_path / "env-setup.sh"
    script.write_text(script_text)
    bin_dir, state = tmp_path / "bin", tmp_path / "state"
    bin_dir.mkdir()
    state.mkdir()
    for prog in ("python3", "pip", "npm", "node", "jq"):
        (bin_dir / prog).write_text(STUB)
        (bin_dir / prog).chmod(0o755)
    log = tmp_path / "calls.log"
    env = {"PATH": str(bin_dir), "STUB_LOG": str(log), "STUB_STATE": str(state)}
    bash = shutil.which("bash")
    first = subprocess.run([bash, str(script)], env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    calls_first = log.read_text().splitlines()
    assert any("-m pip install" in c and "requests" in c for c in calls_first)
    second = subprocess.run([bash, str(script)], env=env, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    calls_second = log.read_text().splitlines()[len(calls_first):]
    assert calls_second and not [c for c in calls_second if "install" in c]
    assert not [c for c in calls_first + calls_second if "update" in c or "upgrade" in c]
    # a missing program is reported, not installed, and the script fails
    (bin_dir / "jq").unlink()
    third = subprocess.run([bash, str(script)], env=env, capture_output=True, text=True)
    assert third.returncode == 1 and "program: jq" in third.stderr


# -- identity: a target with every primitive at L3 changes no instruction --------------------

def _instructions(module):
    out = []
    for op in module.walk():
        if op.name in ("skill.step", "skill.text", "skill.quote"):
            out.append((op.name, op.attr("text")))
        elif op.name == "skill.code":
            out.append((op.name, op.attr("body")))
    return sorted(out)


IDENTITY_SKILLS = [pytest.param(p, id=p.name) for p in example_skills() + corpus_skills()]


@pytest.mark.parametrize("skill", IDENTITY_SKILLS)
def test_all_l3_target_changes_no_instruction(skill):
    from skvmc.compile import ParsedSkill, compile
    from skvmc.diagnostics import DiagnosticEngine
    from skvmc.frontend import parse_skill
    from skvmc.passmanager import PassContext, PassManager, parse_pipeline

    diags = DiagnosticEngine()
    source = parse_skill(str(skill), diags)
    spec = f"{ALL_L3}+openhands"
    parsed = ParsedSkill(str(skill), str(skill), source, (skill / "SKILL.md").read_text(), 0.0)
    result = compile(parsed, spec, diags=diags)
    ref_diags = DiagnosticEngine()
    reference = PassManager(parse_pipeline(
        "canonicalize,infer-capabilities,bind-harness{harness=openhands},dead-step-elim,"
        "bind-env,canonicalize", ref_diags)).run(source, PassContext(diags=ref_diags))
    assert _instructions(result.module) == _instructions(reference)
    lowered = [op.name for op in result.module.walk()
               if op.name in ("cap.delegate", "cap.validate", "cap.split", "cap.serialize",
                              "cap.gap")]
    assert lowered == []
    report = json.loads(result.files["report.json"])
    assert report["gaps"] == [] and report["patterns"] == {}
