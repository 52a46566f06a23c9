"""Each analysis measured against the hand labels; the floor guards what rewrites output.

An analysis whose result changes the harness-facing SKILL.md or the program (removals,
parallel hints, tool notes, env dependencies) must reach precision >= 0.95 on these labels, or
its rewrite must be disabled in ``prompt_policy.ENABLED`` (it then only reports). Env
dependencies always reach env-setup.sh, so they are held to the floor unconditionally."""

from __future__ import annotations

import pytest
from conftest import SHARED

from skvmc.backends import prompt_policy
from tests.golden import scoring

FLOOR = 0.95
CORPUS = SHARED / "corpus"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")


def test_labels_point_at_the_lines_they_name():
    """A stale label (the corpus changed) must fail loudly, not score silently."""
    for name in ("requirements.jsonl", "tool_actions.jsonl", "env_deps.jsonl"):
        for lab in scoring.load(name):
            path = CORPUS / lab["skill"] / lab.get("file", "SKILL.md")
            line = path.read_text(encoding="utf-8").splitlines()[lab["line"] - 1]
            assert lab["text"] in line, (name, lab["skill"], lab["line"])
    for lab in scoring.load("dependencies.jsonl"):
        lines = (CORPUS / lab["skill"] / "SKILL.md").read_text(encoding="utf-8").splitlines()
        assert lab["text_a"] in lines[lab["line_a"] - 1] and lab["text_b"] in lines[
            lab["line_b"] - 1], (lab["skill"], lab["line_a"], lab["line_b"])


def test_label_counts_meet_the_issue():
    req = scoring.load("requirements.jsonl")
    assert sum(len(r["requires"]) for r in req) >= 300
    assert len(scoring.load("dependencies.jsonl")) >= 150
    assert len(scoring.load("tool_actions.jsonl")) >= 100
    assert len(scoring.load("env_deps.jsonl")) >= 100
    assert all(r.get("reason") for name in ("requirements.jsonl", "tool_actions.jsonl",
                                            "env_deps.jsonl", "dependencies.jsonl")
               for r in scoring.load(name))


@pytest.fixture(scope="module")
def scores():
    return scoring.score_all(CORPUS)


@pytest.mark.parametrize("decision", sorted(prompt_policy.GATES))
def test_enabled_rewrites_meet_the_floor(decision, scores):
    analysis = prompt_policy.GATES[decision]
    if analysis is None or not prompt_policy.ENABLED[decision]:
        pytest.skip(f"{decision}: exact by construction or not enabled (report only)")
    s = scores[analysis]
    assert s.predicted >= 20, f"{analysis}: too few predictions to trust a precision"
    assert s.precision >= FLOOR, f"{decision} is enabled but {analysis} precision is " \
                                 f"{s.precision:.3f}"


def test_env_deps_meet_the_floor(scores):
    s = scores["env-deps"]
    assert s.predicted >= 20 and s.precision >= FLOOR, scoring.table(scores)


def test_parallel_regions_are_never_wrong(scores):
    """A parallel region over a labelled dependent pair is an invented parallelism."""
    s = scores["dependencies"]
    assert s.fp == 0, scoring.table(scores)


def test_scores_are_reported(scores):
    text = scoring.table(scores)
    for name, s in scores.items():
        assert f"| {name} | {s.labels} | {s.predicted} | {s.tp} | {s.fp} | {s.fn} |" in text
    assert all(s.tp + s.fn == s.labels for s in scores.values())  # every label counted once
