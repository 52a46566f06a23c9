"""Round trips of the textual IR: parse(print(m)) == m and printing again is byte-identical,
for every fixture, example, corpus skill and every .skir snapshot in the test tree."""

from pathlib import Path

import pytest
from conftest import corpus_params, example_skills, fixture_skills, parse_corpus, parse_fixture

from skvmc.irparse import parse_module
from skvmc.printer import print_module
from skvmc.verifier import verify

SNAPSHOTS = sorted(Path(__file__).resolve().parent.parent.rglob("__snapshots__/**/*.skir"))


def _roundtrip(module):
    for debuginfo in (False, True):
        text = print_module(module, debuginfo=debuginfo)
        again = parse_module(text)
        assert again == module
        assert print_module(again, debuginfo=debuginfo) == text
    with_locs = parse_module(print_module(module, debuginfo=True))
    assert [op.loc for op in with_locs.walk()] == [op.loc for op in module.walk()]


@pytest.mark.parametrize("skill", fixture_skills() + example_skills(), ids=lambda p: p.name)
def test_roundtrip_fixture(skill):
    _roundtrip(parse_fixture(skill))


@pytest.mark.corpus
@pytest.mark.parametrize("skill", corpus_params())
def test_roundtrip_corpus(skill):
    _roundtrip(parse_corpus(skill))


@pytest.mark.parametrize("path", SNAPSHOTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_roundtrip_snapshot_file(path):
    text = path.read_text()
    module = parse_module(text, str(path))
    assert verify(module) == []
    assert print_module(module, debuginfo="loc(" in text) == text


def test_the_grammar_header_example_verifies():
    grammar = Path(__file__).resolve().parents[2] / "grammar" / "ir.lark"
    lines = [ln[5:] for ln in grammar.read_text().splitlines() if ln.startswith("//   ")]
    module = parse_module("\n".join(lines) + "\n", "ir.lark")
    assert verify(module) == []
    assert [op.name for op in module.body] == ["skill.ref", "skill.step"]


def test_long_attribute_dicts_print_one_attribute_per_line():
    from skvmc.printer import WIDTH

    text = "word " * 30
    module = parse_module(
        '"builtin.module"() ({\n  "skill.text"() {text = "' + text.strip()
        + '", reads = ["a.csv", "b.csv"]} : () -> ()\n}) : () -> ()\n')
    printed = print_module(module)
    assert printed.splitlines()[1:5] == [
        '  "skill.text"() {', f'    text = "{text.strip()}",', '    reads = ["a.csv", "b.csv"]',
        "  } : () -> ()"]
    assert parse_module(printed) == module
    short = [ln for ln in printed.splitlines() if "text =" not in ln]
    assert all(len(ln) <= WIDTH for ln in short)
