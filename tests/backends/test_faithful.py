"""Translation validation: the harness-facing SKILL.md keeps every word, fence, link, table
cell and frontmatter key of its source, except the edits report.json declares.

Checked for every skill in ../shared/corpus and examples/, for all 9 harnesses, with
:func:`skvmc.edits.check_faithful` (an independent count of words, fences and links, not a
replay of how the text was built)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from backend_helpers import HARNESSES, compiled
from conftest import corpus_skills, example_skills

from skvmc.edits import check_faithful, frontmatter_line_count

SKILLS = [pytest.param(str(p), id=p.name) for p in example_skills() + corpus_skills()]
_VAR = re.compile(r"\$\{?([A-Z_][A-Z0-9_]*)")


def _frontmatter(text: str) -> dict:
    m = re.match(r"\A\ufeff?---\r?\n(.*?)\r?\n---", text, re.S)
    return yaml.safe_load(m.group(1)) if m else {}


@pytest.mark.parametrize("harness", HARNESSES)
@pytest.mark.parametrize("skill", SKILLS)
def test_compiled_skill_md_is_faithful(skill, harness):
    r = compiled(skill, f"qwen-7b+{harness}")
    source = (Path(skill) / "SKILL.md").read_text(encoding="utf-8-sig")
    out = r.files[r.prompt_path].decode("utf-8").lstrip("\ufeff")
    edits = json.loads(r.files["report.json"])["edits"]
    from skvmc.edits import Edit

    declared = [Edit(e["kind"], e["pass"], e["line"], e["reason"], e.get("text", ""),
                     e.get("last_line", 0)) for e in edits]
    lines = source.splitlines(keepends=True)
    assert check_faithful(lines, out.replace("\r\n", "\n") if "\r\n" not in source else out,
                          declared, frontmatter_line_count(lines)) == []
    # frontmatter: every key and value kept (a style rule may re-spell them, never drop them)
    assert _frontmatter(out) == _frontmatter(source)
    # no variable the source never used (no harness sets $SKILL_DIR)
    assert set(_VAR.findall(out)) <= set(_VAR.findall(source))
    # every edit names its pass, source line and reason
    assert all(e["pass"] and e["reason"] and e["line"] >= 0 for e in edits)


def test_a_removal_shows_in_the_report_and_the_check(tmp_path):
    """An exact duplicate in one list is removed, declared, and the check accounts for it;
    the same output without the declaration fails the check."""
    (tmp_path / "SKILL.md").write_text(
        "---\nname: dup\ndescription: d\n---\n\n# Steps\n\n- Check the logs.\n"
        "- Check the logs.\n- Write `out.txt`.\n")
    r = compiled(str(tmp_path), "qwen-7b+openhands")
    out = r.files[r.prompt_path].decode()
    assert out.count("Check the logs.") == 1
    [edit] = json.loads(r.files["report.json"])["edits"]
    assert (edit["kind"], edit["line"], edit["pass"]) == ("remove", 9, "dead-step-elim")
    from skvmc.edits import Edit

    lines = (tmp_path / "SKILL.md").read_text().splitlines(keepends=True)
    declared = [Edit("remove", "dead-step-elim", 9, "dup", last_line=9)]
    assert check_faithful(lines, out, declared, 4) == []
    problems = check_faithful(lines, out, [], 4)
    assert problems and "words lost" in problems[0]
