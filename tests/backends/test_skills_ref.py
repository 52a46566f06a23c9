"""Valid for the ecosystem: the Agent Skills reference validator (``skills-ref``, PyPI) accepts
every SKILL.md skvmc emits for an open-spec harness whenever it accepts the source.

A source that breaks the spec (a key outside the six, a name unlike its folder) is not
"fixed" by dropping what it says: frontmatter keys are kept (harnesses ignore keys they do not
know), so such a skill is checked for "no new problems" instead.

openclaw is left out: its loader documents single-line keys with ``metadata`` as one-line
JSON (docs/harness-facts.md), which is flow-style YAML that skills-ref's strictyaml refuses;
skvmc follows the harness that reads the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from backend_helpers import HARNESSES, compiled
from conftest import corpus_skills, example_skills

from skvmc.targets import get_harness

skills_ref = pytest.importorskip("skills_ref.validator", reason="pip install skills-ref")
OPEN_SPEC = [h for h in HARNESSES if get_harness(h).skill_format == "skill-md"
             and not (get_harness(h).frontmatter_style or {}).get("singleLineKeys")]
SKILLS = [pytest.param(str(p), id=p.name) for p in example_skills() + corpus_skills()]


def _problems(folder: Path) -> set[str]:
    # the folder-name rule compares against the folder the file sits in; the compiled layout
    # puts it under <name>/, so it is checked there and not against the source checkout
    return {p for p in skills_ref.validate(folder) if not p.startswith("Directory name")}


@pytest.mark.parametrize("harness", OPEN_SPEC)
@pytest.mark.parametrize("skill", SKILLS)
def test_emitted_skill_passes_the_reference_validator(skill, harness, tmp_path):
    r = compiled(skill, f"qwen-7b+{harness}")
    out = tmp_path / Path(r.prompt_path).parent
    out.mkdir(parents=True)
    (out / "SKILL.md").write_bytes(r.files[r.prompt_path])
    got = set(skills_ref.validate(out))
    before = _problems(Path(skill))
    assert got <= before, got - before  # nothing new, and the folder matches the name
    assert not any(p.startswith("Directory name") for p in got)
