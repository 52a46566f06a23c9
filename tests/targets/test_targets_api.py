"""Descriptors, target parsing and the effective profile."""

import json

import pytest

from skvmc.diagnostics import DiagnosticEngine
from skvmc.targets import (
    ACTIONS,
    TargetError,
    effective_profile,
    get_harness,
    get_model,
    list_harnesses,
    list_models,
    parse_target,
    primitive_ids,
)
from skvmc.targets.jsonload import HERE, read_json, validate

TOOL_PRIMS = [p for p in primitive_ids() if p.startswith("tool.")]


@pytest.mark.parametrize("kind,schema,what", [("models", "model", "model descriptor"),
                                              ("harnesses", "harness", "harness descriptor")])
def test_all_shipped_descriptors_validate(kind, schema, what):
    files = sorted((HERE / kind).glob("*.json"))
    assert files
    for f in files:
        diags = DiagnosticEngine()
        data, spans, file = read_json(f, diags)
        assert validate(data, spans, file, schema, diags, what), diags.render_all()


def test_shipped_sets_are_complete():
    assert {h.name for h in list_harnesses()} == {
        "openhands", "claude-code", "codex", "opencode", "openclaw", "hermes", "goose",
        "aider", "bare", "pi"}
    assert {m.alias for m in list_models()} == {
        "claude-opus-4.6", "gpt-5.4", "qwen3.5-122b", "qwen3.5-35b", "qwen3.5-9b", "qwen-7b",
        "smollm2", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"}


def test_models_point_at_existing_profiles():
    for m in list_models():
        if m.profile_path is None:  # the ladder models: no profile measured yet
            assert m.litellm.startswith("skvmc-local/") and "none measured" in m.sources["profile"]
            continue
        assert (HERE / "profiles" / m.profile_path.rsplit("/", 1)[-1]).is_file()


def test_model_aliases_and_facts():
    assert get_model("opus") is get_model("claude-opus-4.6")
    smol = get_model("smollm2")
    assert (smol.litellm, smol.context_window) == ("skvmc-local/smollm2", 8192)
    assert get_model("qwen-7b").litellm == "ollama/qwen2.5:7b"
    assert "derived, not measured" in get_model("qwen-7b").sources["profile"]


def test_harness_facts():
    cc = get_harness("claude-code")
    assert (cc.project_path, cc.context_file, cc.tools["exec"]) == (
        ".claude/skills", "CLAUDE.md", "Bash")
    assert set(cc.tools) == set(ACTIONS)
    oc = get_harness("openclaw")
    assert oc.frontmatter_style == {"singleLineKeys": True, "metadataAsOneLineJson": True,
                                    "metadataNamespace": "openclaw"}
    aider = get_harness("aider")
    assert all(v is None for v in aider.tools.values())
    assert aider.caps == {p: 0 for p in TOOL_PRIMS}
    assert get_harness("hermes").project_path is None
    # Inferred caps are labelled as such.
    assert "(inferred)" in get_harness("goose").cap_sources["tool.browser"]
    assert "(inferred)" not in aider.cap_sources["tool.exec"]


def test_aider_caps_every_tool_primitive():
    base = effective_profile(parse_target("gpt-5.4+openhands"))
    prof = effective_profile(parse_target("gpt-5.4+aider"))
    for p in TOOL_PRIMS:
        assert base.level(p) == 3  # gpt-5.4 is L3 on every tool.* primitive
        assert prof.level(p) == 0
        assert prof.source(p) == "harness cap"
        assert not prof.allows(p, 1)
    assert prof.level("gen.code.python") == base.level("gen.code.python") == 3
    assert prof.source("gen.code.python") == "model"
    assert prof.harness == "aider"


def test_cap_makes_unknown_known_absent():
    # opus has no tool.web measurement; aider rules tool.web out whatever the model does.
    assert effective_profile(parse_target("opus+openhands")).level("tool.web") is None
    assert effective_profile(parse_target("opus+aider")).level("tool.web") == 0


def test_overlay_lowers_but_never_raises():
    t = parse_target("qwen3.5-9b+openhands")
    prof = effective_profile(t, overlay={"gen.code.python": "L1", "gen.text.long": 3,
                                         "tool.exec": "L2"})
    assert prof.level("gen.code.python") == 1 and prof.source("gen.code.python") == "overlay"
    assert prof.level("gen.text.long") == 1 and prof.source("gen.text.long") == "model"
    assert prof.level("tool.exec") == 0
    with pytest.raises(ValueError):
        effective_profile(t, overlay={"gen.pyhton": 1})


def _write_pair_profile(d, harness="bare", measured=True):
    d.mkdir(exist_ok=True)
    (d / "smollm2--bare.json").write_text(json.dumps({
        "model": "skvmc-local/smollm2", "harness": harness, "profiledAt": "2026-05-01",
        "capabilities": {"gen.code.python": "L1", "tool.browser": "L2"},
        "provenance": {"source": "skvmc profile", "command": "skvmc profile",
                       "date": "2026-05-01", "measured": measured}}))


def test_measured_pair_is_preferred(tmp_path):
    _write_pair_profile(tmp_path / "p")
    prof = effective_profile(parse_target("smollm2+bare"), profile_dirs=[tmp_path / "p"])
    assert prof.measured
    assert prof.level("gen.code.python") == 1
    assert prof.source("gen.code.python") == "measured pair"
    # A measurement on the pair is not capped by the harness descriptor.
    assert prof.level("tool.browser") == 2
    # Without it, the shipped measurement of smollm2+bare (made by `skvmc profile`) is used.
    plain = effective_profile(parse_target("smollm2+bare"), profile_dirs=[])
    assert plain.measured and plain.level("gen.code.python") == 0
    assert plain.path.endswith("measured--smollm2--bare.json")


def test_measured_pair_found_through_env(tmp_path, monkeypatch):
    _write_pair_profile(tmp_path / "env")
    monkeypatch.setenv("SKVMC_PROFILE_PATH", str(tmp_path / "env"))
    assert effective_profile(parse_target("smollm2+bare")).level("gen.code.python") == 1


def test_pair_profile_for_other_harness_or_unmeasured_is_ignored(tmp_path):
    _write_pair_profile(tmp_path / "a", harness="openhands")
    _write_pair_profile(tmp_path / "b", measured=False)
    for d in ("a", "b"):
        prof = effective_profile(parse_target("smollm2+bare"), profile_dirs=[tmp_path / d])
        # the temporary pair (level 1) is ignored; the shipped measurement (level 0) wins
        assert prof.level("gen.code.python") == 0
        assert prof.path.endswith("measured--smollm2--bare.json")


def test_did_you_mean():
    with pytest.raises(TargetError) as exc:
        parse_target("qwen7b+openhand")
    msg = exc.value.message
    assert "unknown model 'qwen7b'; did you mean 'qwen-7b'" in msg
    assert "unknown harness 'openhand'; did you mean 'openhands'" in msg
    with pytest.raises(TargetError, match="MODEL\\+HARNESS"):
        parse_target("qwen-7b")
    with pytest.raises(TargetError, match="did you mean 'claude-code'"):
        get_harness("claude_code")


def test_parse_target_ok():
    t = parse_target("qwen-7b+openhands")
    assert str(t) == "qwen-7b+openhands"
    assert t.model.litellm == "ollama/qwen2.5:7b"


def test_model_part_may_be_a_file(tmp_path):
    model = tmp_path / "my-model.json"
    # A relative profile path is resolved against the descriptor's directory.
    (tmp_path / "mine.profile.json").write_bytes(
        (HERE / "profiles/bare-agent--qwen--qwen3.5-9b.json").read_bytes())
    model.write_text(json.dumps({
        "alias": "mine", "aliases": [], "litellm": "ollama/mine", "contextWindow": 4096,
        "profile": "mine.profile.json", "sources": {}}))
    t = parse_target(f"{model}+aider")
    assert t.model.alias == "mine"
    prof = effective_profile(t)
    assert prof.level("gen.code.python") == 3 and prof.level("tool.file.read") == 0
    # A profile file works as the model part too.
    t2 = parse_target(f"{HERE / 'profiles/bare-agent--openai--gpt-5.4.json'}+codex")
    assert effective_profile(t2).level("tool.browser") == 0  # codex has no browser (inferred)


def test_bad_model_file_reports_location(tmp_path):
    model = tmp_path / "m.json"
    model.write_text('{\n  "alias": "m",\n  "aliases": [],\n  "litellm": "x",\n'
                     '  "contextWindow": "big",\n  "profile": null,\n  "sources": {}\n}\n')
    diags = DiagnosticEngine()
    with pytest.raises(TargetError, match="invalid model file"):
        parse_target(f"{model}+bare", diags)
    [d] = diags.diagnostics
    assert (d.loc.line, d.loc.col) == (5, 20)
    with pytest.raises(TargetError, match="does not exist"):
        parse_target(f"{tmp_path}/nope.json+bare")


def test_bad_harness_file_reports_each_missing_key_once(tmp_path):
    f = tmp_path / "h.json"
    f.write_text('{"name": "x",\n "tools": {}}\n')
    diags = DiagnosticEngine()
    with pytest.raises(TargetError, match="invalid harness file"):
        parse_target(f"opus+{f}", diags)
    msgs = [(d.loc.line, d.loc.col, d.message) for d in diags.diagnostics]
    assert len(msgs) == len(set(msgs)) == 6 + 8
    assert (2, 11, "harness descriptor is missing required key 'exec' at /tools") in msgs
    assert (1, 1, "harness descriptor is missing required key 'skills' at the top level") in msgs
