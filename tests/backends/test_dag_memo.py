"""The dag backend makes its files once per skill: keyed on what it reads of each node (name,
label, effects), not on the module, which every target rebuilds."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from backend_helpers import compiled

from skvmc.backends import dag
from skvmc.diagnostics import DiagnosticEngine
from skvmc.ir import map_ops

SKILL = str(Path(__file__).resolve().parents[2] / "examples" / "csv-summary")


@pytest.fixture
def makes(monkeypatch):
    """The dependence graphs actually built (the memo emptied first)."""
    dag._MADE.clear()
    calls = []
    real = dag._make
    monkeypatch.setattr(dag, "_make", lambda ops: calls.append(len(ops)) or real(ops))
    return calls


def _emit(module):
    return dag.emit(SimpleNamespace(module=module, diags=DiagnosticEngine()))


def test_targets_share_one_graph_and_get_its_bytes(makes):
    a = compiled(SKILL, "qwen-7b+claude-code").module
    b = compiled(SKILL, "qwen-7b+aider").module
    assert a != b  # the harnesses' modules differ ...
    first, second = _emit(a), _emit(b)
    assert len(makes) == 1  # ... but not in what the graph is made of
    assert second == first
    assert second == dict(zip(("dag.dot", "dag.mmd"), dag._make(dag.instruction_ops(b.body))))


def _retext(module, new_text):
    """``module`` with its first skill.step's text replaced."""
    done = []

    def edit(op):
        if op.name == "skill.step" and not done:
            done.append(op)
            return op.with_attrs(text=new_text)
        return op

    out = map_ops(module, edit)
    assert done
    return out


def test_a_change_the_graph_shows_is_a_miss(makes):
    module = compiled(SKILL, "qwen-7b+claude-code").module
    before = _emit(module)
    relabeled = _emit(_retext(module, "A different first step"))
    assert len(makes) == 2
    assert relabeled["dag.dot"] != before["dag.dot"]
    assert b"A different first step" in relabeled["dag.dot"]


def test_large_graphs_are_not_kept(makes, monkeypatch):
    monkeypatch.setattr(dag, "MEMO_MAX_NODES", 0)
    module = compiled(SKILL, "qwen-7b+claude-code").module
    assert _emit(module) == _emit(module)
    assert len(makes) == 2 and not dag._MADE
