"""AOT solidification against hand labels: a command the VM runs by itself must be one the
skill tells the agent to run, with inputs from the task (precision >= 0.95). Skills of
other people (corpus), ours (examples, bench) and a fixture are labelled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SHARED

from skvmc.compile import CompileOptions, compile

ROOT = Path(__file__).resolve().parents[2]
LABELS = [json.loads(line) for line in
          (Path(__file__).parent / "run_commands.jsonl").read_text(encoding="utf-8").splitlines()
          if line.strip()]
TARGET = "qwen2.5-coder-1.5b+bare"  # its profile chooses the whole-skill loop
FLOOR = 0.95


def _folder(label) -> Path:
    return (SHARED / "corpus" if label["root"] == "corpus" else ROOT) / label["skill"]


def _decisions(folder: Path) -> tuple[set, set]:
    """(lines solidified, lines refused) in the compiled program's report."""
    report = json.loads(compile(str(folder), TARGET, CompileOptions(
        backends=("prompt", "bytecode", "report"))).files["report.json"])["bytecode"]
    return ({c["line"] for c in report["solidified"]},
            {r["line"] for r in report["solidify_refused"]})


@pytest.fixture(scope="module")
def decisions():
    if not (SHARED / "corpus").is_dir():
        pytest.skip("../shared/corpus is absent")
    return {label["skill"]: _decisions(_folder(label)) for label in LABELS}


def test_every_label_is_a_candidate(decisions):
    """A stale label (the skill changed) fails here instead of scoring silently."""
    for label in LABELS:
        text = (_folder(label) / "SKILL.md").read_text(encoding="utf-8").splitlines()
        assert label["command"] in "\n".join(text[label["line"] - 1:label["line"] + 2]), label
        run, refused = decisions[label["skill"]]
        assert label["line"] in run | refused, label
        assert label.get("reason"), label


def test_precision_of_solidification(decisions):
    predicted = [lab for lab in LABELS if lab["line"] in decisions[lab["skill"]][0]]
    assert predicted, "nothing solidified: the measurement would be empty"
    right = sum(lab["solidify"] for lab in predicted)
    assert right / len(predicted) >= FLOOR, [lab for lab in predicted if not lab["solidify"]]
