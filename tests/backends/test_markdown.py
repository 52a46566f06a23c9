"""IR -> Markdown: parse, emit, parse again gives the same module (locations aside)."""

from __future__ import annotations

import os

import pytest
from conftest import corpus_params, example_skills, fixture_skills

from skvmc.diagnostics import DiagnosticEngine
from skvmc.frontend import parse_skill
from skvmc.markdown import emit_markdown, render_ops
from skvmc.printer import print_module


def _bundle(path):
    return [os.path.relpath(os.path.join(r, f), path).replace(os.sep, "/")
            for r, _, files in os.walk(path) for f in files]


def _roundtrip(skill_dir, bundle, tmp_path):
    first = parse_skill(str(skill_dir), DiagnosticEngine(), bundle)
    text = emit_markdown(first)
    out = tmp_path / skill_dir.name
    out.mkdir()
    (out / "SKILL.md").write_bytes(text.encode("utf-8"))
    second = parse_skill(str(out), DiagnosticEngine(), bundle)
    assert print_module(second) == print_module(first)
    assert second == first  # equality ignores locations
    # emitting is a fixed point after one round
    assert emit_markdown(second) == text


@pytest.mark.parametrize("skill", fixture_skills() + example_skills(), ids=lambda p: p.name)
def test_roundtrip_local(skill, tmp_path):
    _roundtrip(skill, _bundle(skill), tmp_path)


@pytest.mark.corpus
@pytest.mark.parametrize("skill", corpus_params())
def test_roundtrip_corpus(skill, tmp_path):
    _roundtrip(skill, _bundle(skill), tmp_path)


def test_pass_ops_render_readably():
    from skvmc.dialects import cap, flow, skill
    from skvmc.ir import Value

    def step(n, text):
        return skill.STEP.build(results=(Value(str(n), skill.VALUE),), text=text, ordered=False,
                                marker="-", regions=[[]])

    par = flow.PARALLEL.build(kind="task", reason="disjoint files", regions=[[
        flow.BRANCH.build(regions=[[step(1, "Read `a.txt`.")]]),
        flow.BRANCH.build(regions=[[step(2, "Read `b.txt`.")]])]])
    val = cap.VALIDATE.build(path="x.json", schema={"type": "object"}, format="json")
    text = render_ops([par, val])
    assert "These steps are independent; run them in parallel:" in text
    assert "- Read `a.txt`.\n- Read `b.txt`." in text
    assert "Then check that `x.json` is valid JSON that matches this schema" in text
    assert '"type": "object"' in text
