"""Every artifact for the fixtures and examples on all 9 harnesses (qwen-7b+<harness>):
snapshots, frontmatter rules, bash -n, .skasm round trip."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from backend_helpers import HARNESSES, compiled
from conftest import example_skills, fixture_skills

from skvmc.bytecode import assemble, decode, encode
from skvmc.targets import get_harness

SKILLS = fixture_skills() + example_skills()
CASES = [pytest.param(str(s), h, id=f"{s.name}-{h}") for s in SKILLS for h in HARNESSES]
FORBIDDEN = re.compile(r"\b(update|upgrade|apt-get|apt|yum|dnf|brew|sudo)\b")
SNAPSHOT_FILES = ("env-setup.sh", "skill.skasm", "report.json", "dag.dot", "dag.mmd")


def _report_without_timings(data: bytes) -> str:
    report = json.loads(data)
    assert "timings" not in report  # deterministic unless --report-timings
    return json.dumps(report, indent=2) + "\n"


@pytest.mark.parametrize("skill,harness", CASES)
def test_artifact_snapshots(skill, harness, snapshot_text):
    r = compiled(skill, f"qwen-7b+{harness}")
    got = {"SKILL.md": r.files[r.prompt_path].decode("utf-8")}
    for name in SNAPSHOT_FILES:
        data = r.files[name]
        got[name] = _report_without_timings(data) if name == "report.json" else data.decode()
    for name, text in got.items():
        # text snapshots normalize line ends; keep a CR visible so CRLF output is checked
        assert text.replace("\r", "␍") == snapshot_text(name=name)


@pytest.mark.parametrize("skill,harness", CASES)
def test_layout_and_bundle(skill, harness):
    r = compiled(skill, f"qwen-7b+{harness}")
    h = get_harness(harness)
    name = r.module.body[0].attr("fields")["name"]
    if h.skill_format == "conventions-file":
        assert r.prompt_path == h.context_file
    else:
        base = h.project_path or h.user_path.removeprefix("~/")
        assert r.prompt_path == f"{base}/{name}/SKILL.md"
    root = r.prompt_path.rsplit("/", 1)[0] if "/" in r.prompt_path else name
    for path in __import__("pathlib").Path(skill).rglob("*"):
        rel = path.relative_to(skill).as_posix()
        if path.is_file() and rel != "SKILL.md":
            assert r.files[f"{root}/{rel}"] == path.read_bytes()


@pytest.mark.parametrize("skill,harness", CASES)
def test_frontmatter_follows_harness_rules(skill, harness):
    r = compiled(skill, f"qwen-7b+{harness}")
    h = get_harness(harness)
    text = r.files[r.prompt_path].decode("utf-8").lstrip("\ufeff").replace("\r\n", "\n")
    assert text.startswith("---\n")
    raw = text[4:text.index("\n---\n", 3) + 1]
    fields = yaml.safe_load(raw)
    assert fields["name"] and fields["description"]
    source_text = (Path(skill) / "SKILL.md").read_text(encoding="utf-8-sig")
    source = yaml.safe_load(source_text.split("---")[1])
    assert fields == source  # every key kept: harnesses ignore keys they do not know
    style = h.frontmatter_style
    if style.get("singleLineKeys"):
        lines = raw.splitlines()
        assert len(lines) == len(fields)  # one line per key
        assert all(line.split(":", 1)[0] in fields for line in lines)
    if style.get("metadataAsOneLineJson") and "metadata" in fields:
        line = next(x for x in raw.splitlines() if x.startswith("metadata:"))
        assert json.loads(line.split(":", 1)[1]) == fields["metadata"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
@pytest.mark.parametrize("skill,harness", CASES)
def test_env_setup_is_valid_bash(skill, harness, tmp_path):
    r = compiled(skill, f"qwen-7b+{harness}")
    script = tmp_path / "env-setup.sh"
    script.write_bytes(r.files["env-setup.sh"])
    text = script.read_text()
    assert "set -euo pipefail" in text
    code = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in code if FORBIDDEN.search(line)]
    proc = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("skill,harness", CASES)
def test_skasm_roundtrip(skill, harness):
    r = compiled(skill, f"qwen-7b+{harness}")
    program = assemble(r.files["skill.skasm"].decode("utf-8"))
    assert encode(program) == r.files["skill.skbc"]
    decoded = decode(r.files["skill.skbc"])
    assert decoded.code[-1].op == "halt"
    assert decoded.meta["target"] == f"qwen-7b+{harness}"
