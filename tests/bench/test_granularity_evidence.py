"""bench/granularity_evidence.py: two bench runs (whole, split) -> the measurement the
granularity choice reads."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from skvmc.targets.jsonload import schema

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import granularity_evidence  # noqa: E402 (found through the sys.path entry above)


def _results(tmp_path, mode, outcomes, model="m"):
    records = [{"task": task, "condition": "compiled", "run": i, "status": status,
                "prompt_tokens": 100, "completion_tokens": 10}
               for task, runs in outcomes.items() for i, status in enumerate(runs)]
    records.append({"task": "t1", "condition": "original", "run": 0, "status": "pass"})
    path = tmp_path / mode / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"meta": {"model": model, "target": f"{model}+bare",
                                         "granularity": mode, "date": "2026-12-01"},
                                "records": records}), encoding="utf-8")
    return str(path)


def test_counts_the_compiled_runs_of_the_tasks_both_graded(tmp_path):
    whole = _results(tmp_path, "whole", {"t1": ["pass", "fail"], "t2": ["fail"],
                                         "only-whole": ["pass"]})
    split = _results(tmp_path, "split", {"t1": ["pass", "pass"], "t2": ["error", "pass"]})
    out = tmp_path / "out"
    assert granularity_evidence.main([whole, split, "-o", str(out)]) == 0
    rec = json.loads((out / "m--bare.json").read_text(encoding="utf-8"))
    assert rec["tasks"] == ["t1", "t2"]  # only-whole is not compared
    assert rec["modes"] == {"whole": {"passed": 1, "graded": 3, "tokens": 330},
                            "split": {"passed": 3, "graded": 3, "tokens": 330}}
    import jsonschema
    jsonschema.validate(rec, schema("granularity"))


@pytest.mark.parametrize("swap,model,message", [
    (True, "m", "expected a --granularity whole run, got 'split'"),
    (False, "other", "the two runs are of different models"),
])
def test_refuses_mismatched_runs(tmp_path, capsys, swap, model, message):
    whole = _results(tmp_path, "whole", {"t1": ["pass"]})
    split = _results(tmp_path, "split", {"t1": ["pass"]}, model=model)
    args = [split, whole] if swap else [whole, split]
    assert granularity_evidence.main(args + ["-o", str(tmp_path / "o")]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_refuses_runs_with_no_task_in_common(tmp_path, capsys):
    whole = _results(tmp_path, "whole", {"a": ["pass"]})
    split = _results(tmp_path, "split", {"b": ["pass"]})
    assert granularity_evidence.main([whole, split, "-o", str(tmp_path / "o")]) == 1
    assert "graded no task in common" in capsys.readouterr().err


def test_unreadable_results_are_a_diagnostic(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    assert granularity_evidence.main([str(bad), str(bad)]) == 1
    assert f"{bad}: error: cannot read bench results" in capsys.readouterr().err
