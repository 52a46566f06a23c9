"""Capability profiles: shipped data validates, broken files give located diagnostics."""

import json
from pathlib import Path

import pytest

from skvmc.diagnostics import DiagnosticEngine
from skvmc.targets import load_profile, primitive_ids
from skvmc.targets.jsonload import HERE, read_json, validate
from skvmc.targets.jsonpos import locate

SHARED = Path(__file__).resolve().parents[3] / "shared"
PUBLISHED = sorted((HERE / "profiles").glob("bare-agent--*.json"))


@pytest.fixture
def shared_dir():
    if not SHARED.is_dir():
        pytest.skip("../shared is absent")
    return SHARED


def test_catalogue_has_26_primitives_with_source():
    data = json.loads((HERE / "primitives.json").read_text())
    assert len(primitive_ids()) == 26
    assert len(set(primitive_ids())) == 26
    assert "SkVM paper" in data["about"]


def test_catalogue_matches_shared(shared_dir):
    ours = json.loads((HERE / "primitives.json").read_text())
    theirs = json.loads((shared_dir / "reference/primitives.json").read_text())
    assert ours["primitives"] == theirs["primitives"]


def test_five_published_profiles_shipped_unchanged(shared_dir):
    assert len(PUBLISHED) == 5
    for f in PUBLISHED:
        assert f.read_bytes() == (shared_dir / "profiles/skvm-data" / f.name).read_bytes()


@pytest.mark.parametrize("path", PUBLISHED, ids=lambda p: p.stem)
def test_published_profiles_load(path):
    diags = DiagnosticEngine()
    prof = load_profile(path, diags)
    assert not diags.diagnostics, diags.render_all()
    assert prof.harness == "bare-agent"
    assert prof.measured is True
    assert set(prof.levels) == set(primitive_ids())
    assert "SkVM-data" in prof.provenance["source"]


def test_published_levels_read_correctly():
    prof = load_profile(HERE / "profiles/bare-agent--qwen--qwen3.5-9b.json", DiagnosticEngine())
    assert prof.level("gen.code.python") == 3
    assert prof.level("tool.exec") == 0
    assert prof.level("gen.text.long") == 1


def test_missing_primitive_is_unknown_and_counts_as_l0():
    prof = load_profile(HERE / "profiles/bare-agent--anthropic--claude-opus-4.6.json",
                        DiagnosticEngine())
    assert prof.level("tool.web") is None
    assert prof.source("tool.web") == "unknown"
    assert prof.allows("tool.web", "L0")
    assert not prof.allows("tool.web", "L1")
    assert prof.allows("tool.exec", 3)
    gpt = load_profile(HERE / "profiles/bare-agent--openai--gpt-5.4.json", DiagnosticEngine())
    assert gpt.level("tool.web") == 3


def test_unmeasured_and_derived_profiles_say_so():
    smol = load_profile(HERE / "profiles/unmeasured--smollm2.json", DiagnosticEngine())
    assert smol.measured is False
    assert "UNMEASURED" in smol.provenance["source"]
    assert all(v is None for v in smol.levels.values())
    q7 = load_profile(HERE / "profiles/derived--qwen-7b.json", DiagnosticEngine())
    assert q7.measured is False
    assert q7.provenance["source"].startswith("derived, not measured: copied from qwen3.5-9b")


BROKEN = """{
  "model": "x/y",
  "harness": 7,
  "capabilities": {
    "gen.regex": "L4",
    "gen.regexp": "L1",
    "tool.exec": "L2"
  },
  "provenance": {"source": "me", "measured": true, "date": "2026-01-01", "url": "u"}
}
"""


def test_broken_profile_reports_each_problem_at_its_position(tmp_path):
    f = tmp_path / "broken.json"
    f.write_text(BROKEN)
    diags = DiagnosticEngine()
    assert load_profile(f, diags) is None
    got = [(d.loc.line, d.loc.col, d.message) for d in diags.diagnostics]
    assert got == [
        (3, 14, "/harness in profile must be string, not an integer"),
        (5, 18, "level of 'gen.regex' must be one of L0, L1, L2, L3, not \"L4\""),
        (6, 5, "unknown primitive 'gen.regexp'; did you mean 'gen.regex'?"),
    ]
    rendered = diags.render_all()
    assert f"{f}:5:18: error:" in rendered or "broken.json:5:18: error:" in rendered
    assert '    "gen.regex": "L4",\n                 ^' in rendered


def test_missing_keys_and_bad_provenance(tmp_path):
    f = tmp_path / "p.json"
    f.write_text('{\n  "model": "m",\n  "capabilities": {},\n'
                 '  "provenance": {"source": "s", "measured": true, "date": null}\n}\n')
    diags = DiagnosticEngine()
    assert load_profile(f, diags) is None
    msgs = [(d.loc.line, d.loc.col, d.message) for d in diags.diagnostics]
    assert (1, 1, "profile is missing required key 'harness' at the top level") in msgs
    assert any(line == 4 and col == 17 and "'url' or 'command'" in m for line, col, m in msgs)


def test_invalid_json_is_a_diagnostic_not_a_traceback(tmp_path):
    f = tmp_path / "bad.json"
    f.write_text('{\n  "model": "m",\n  "harness": \n}\n')
    diags = DiagnosticEngine()
    assert load_profile(f, diags) is None
    [d] = diags.diagnostics
    assert (d.loc.line, d.loc.col) == (4, 1)
    assert d.code == "json-syntax"


def test_missing_file_is_a_diagnostic(tmp_path):
    diags = DiagnosticEngine()
    assert load_profile(tmp_path / "nope.json", diags) is None
    assert diags.has_errors and "cannot read" in diags.diagnostics[0].message


def test_json_positions_of_keys_and_values():
    text = '{\n  "a": [1, {"b~/c": null}],\n  "d":"x"\n}'
    spans = locate(text)
    assert spans.of_value("/a/1/b~0~1c").line == 2
    assert spans.of_value("/a/1/b~0~1c").col == 21
    assert (spans.of_key("/d").line, spans.of_key("/d").col) == (3, 3)
    assert (spans.of_value("/d").line, spans.of_value("/d").col) == (3, 7)


def test_our_schema_shape_with_command_validates(tmp_path):
    f = tmp_path / "mine.json"
    f.write_text(json.dumps({
        "model": "skvmc-local/smollm2", "harness": "bare", "profiledAt": "2026-05-01",
        "capabilities": {"gen.regex": "L1"},
        "provenance": {"source": "skvmc profile", "command": "skvmc profile --target=smollm2+bare",
                       "date": "2026-05-01", "measured": True}}))
    diags = DiagnosticEngine()
    data, spans, file = read_json(f, diags)
    assert validate(data, spans, file, "profile", diags, "profile")
    assert load_profile(f, diags).measured is True
