"""bench/retry_evidence.py: a compiled bench run's traces -> the measurement the retry budget
reads (backends/retries.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema
import pytest

from skvmc.targets.jsonload import schema

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import retry_evidence  # noqa: E402 (found through the sys.path entry above)


def _ask(index, tokens):
    return {"type": "instr", "op": "ask", "index": index, "prompt_tokens": tokens,
            "completion_tokens": 1}


def _bench_out(tmp_path, runs, target="m+bare"):
    """runs: (task, status, asks as (index, prompt tokens)) -> a bench --out folder."""
    out = tmp_path / "out"
    (out / "traces").mkdir(parents=True)
    lines = []
    for task, status, asks in runs:
        lines.append({"task": task, "condition": "compiled", "run": 0, "status": status,
                      "prompt_tokens": sum(t for _, t in asks), "completion_tokens": len(asks)})
        trace = [{"type": "header", "meta": {"target": target}}] + [_ask(i, t) for i, t in asks]
        (out / "traces" / f"{task}--compiled--0.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in trace), encoding="utf-8")
    lines.append({"task": "t1", "condition": "original", "run": 0, "status": "pass"})
    lines.append({"task": "t9", "condition": "compiled", "run": 0, "status": "error"})
    (out / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines),
                                       encoding="utf-8")
    return out


def test_counts_retried_runs_their_passes_and_tokens(tmp_path):
    out = _bench_out(tmp_path, [
        ("t1", "pass", [(3, 100)]),               # not retried
        ("t2", "fail", [(3, 100), (3, 50)]),      # retried, failed
        ("t3", "pass", [(3, 100), (3, 70), (9, 5)]),  # retried, passed
    ])
    dest = tmp_path / "targets"
    assert retry_evidence.main([str(out), "-o", str(dest)]) == 0
    rec = json.loads((dest / "m--bare.json").read_text(encoding="utf-8"))
    assert (rec["runs"], rec["retried"], rec["passedAfterRetry"]) == (3, 2, 1)
    assert rec["retryTokens"] == 51 + 71  # only the second attempts, not step 9's first
    assert rec["tokens"] == 101 + 152 + 178
    assert rec["tasks"] == ["t1", "t2", "t3"]  # the error run is not graded
    jsonschema.validate(rec, schema("retries"))


def _broken_line(out):
    with open(out / "results.jsonl", "a", encoding="utf-8") as f:
        f.write("{oops\n")  # after the run, the original and the error records
    return f"{out / 'results.jsonl'}:4:2: error: not JSON"


def _missing_trace(out):
    (out / "traces" / "t1--compiled--0.jsonl").unlink()
    return "t1--compiled--0.jsonl: error: no trace for this graded run"


def _no_graded_run(out):
    (out / "results.jsonl").write_text("", encoding="utf-8")
    return "error: no graded compiled run to measure"


@pytest.mark.parametrize("spoil", [_broken_line, _missing_trace, _no_graded_run])
def test_bad_input_is_a_located_error_and_writes_nothing(tmp_path, capsys, spoil):
    out = _bench_out(tmp_path, [("t1", "pass", [(3, 10)])])
    message = spoil(out)
    dest = tmp_path / "targets"
    assert retry_evidence.main([str(out), "-o", str(dest)]) == 1
    assert message in capsys.readouterr().err
    assert not dest.exists()


def test_runs_of_two_targets_are_refused(tmp_path, capsys):
    a = _bench_out(tmp_path / "a", [("t1", "pass", [(3, 10)])], target="m+bare")
    b = _bench_out(tmp_path / "b", [("t2", "pass", [(3, 10)])], target="n+bare")
    assert retry_evidence.main([str(a), str(b), "--print"]) == 1
    assert "not of one MODEL+HARNESS target" in capsys.readouterr().err
