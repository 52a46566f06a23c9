"""Frontend snapshots: one readable .skir file per skill (hand-written fixtures, the examples
and the real corpus skills), printed with locations so the snapshot shows where ops come from."""

import pytest
from conftest import corpus_params, example_skills, fixture_skills, parse_corpus, parse_fixture

from skvmc.printer import print_module


@pytest.mark.parametrize("skill", fixture_skills() + example_skills(), ids=lambda p: p.name)
def test_frontend_fixture(skill, snapshot_skir):
    assert print_module(parse_fixture(skill), debuginfo=True) == snapshot_skir


@pytest.mark.corpus
@pytest.mark.parametrize("skill", corpus_params())
def test_frontend_corpus(skill, snapshot_skir):
    assert print_module(parse_corpus(skill), debuginfo=True) == snapshot_skir


def test_constructs_are_all_recognized():
    module = parse_fixture(next(p for p in fixture_skills() if p.name == "all-constructs"))
    names = {op.name for op in module.walk()}
    assert {"skill.frontmatter", "skill.section", "skill.step", "skill.text", "skill.code",
            "skill.table", "skill.quote", "skill.rule", "skill.html", "skill.ref"} <= names
    steps = [op for op in module.walk() if op.name == "skill.step"]
    assert [s.attr("check") for s in steps if s.attr("check")] == ["unchecked", "checked"]
    assert {s.attr("marker") for s in steps} >= {"1.", "2)", "-", "*", "+"}
    codes = [op for op in module.walk() if op.name == "skill.code"]
    assert [c.attr("fence") for c in codes] == ["```", "~~~", "```"]
    assert codes[1].attr("body").startswith("# not a heading")
    refs = {op.attr("path"): op for op in module.walk() if op.name == "skill.ref"}
    assert refs["reference/forms.md"].attr("exists") is True
    assert refs["REFERENCE/FORMS.md"].attr("actual") == "reference/forms.md"
    assert refs["scripts/missing.py"].attr("exists") is False
    table = next(op for op in module.walk() if op.name == "skill.table")
    assert table.attr("align") == ("left", "right", "center")
    callout = [op for op in module.walk() if op.name == "skill.quote"][1]
    assert callout.attr("kind") == "warning"


def test_crlf_and_bom_are_normalized_and_recorded():
    module = parse_fixture(next(p for p in fixture_skills() if p.name == "crlf-bom"))
    assert module.attr("line_ending") == "crlf" and module.attr("bom") is True
    steps = [op.attr("text") for op in module.walk() if op.name == "skill.step"]
    assert steps == ["First step", "Second step"]


def test_nested_lists_nest_by_indentation():
    module = parse_fixture(next(p for p in fixture_skills() if p.name == "nested-lists"))
    section = module.body[1]
    first = section.body[0]
    assert first.attr("text") == "Prepare the workspace\nby creating a folder."
    assert [op.attr("text") for op in first.body] == ["create `out/`", "create `tmp/`"]
    assert [op.attr("number") for op in first.body[1].body] == [1, 2]
    build = section.body[1]
    assert [op.name for op in build.body] == ["skill.code", "skill.text"]
