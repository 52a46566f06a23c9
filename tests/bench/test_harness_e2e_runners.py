"""End-to-end: skvmc bench --harness codex and --harness openhands with a real local model
(qwen2.5-coder-0.5b) behind `skvmc serve`.

One run each (csv-sum-column, the original skill installed): what the runner promises, not
what the model manages: the harness drove the run against the server (codex over
/v1/responses, OpenHands over /v1/chat/completions), every model call's tokens were kept,
the transcript was written, and the grader ran after the harness exited. The skill's path
into each harness's prompt is checked without a model in test_harness_runners.py. A run
takes minutes on a small shared CPU (a first turn is 6-8k prompt tokens).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skvmc.bench import harness_cli
from skvmc.bench.cli import main

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
TASKS = ROOT / "bench" / "tasks"
MODEL = "qwen2.5-coder-0.5b"


def _bench(name: str, out: Path) -> dict:
    missing = harness_cli.get(name).missing()
    if missing:
        pytest.skip(f"{name} is not installed: {missing}")
    pytest.importorskip("llama_cpp", reason="needs the local extra (pip install -e '.[local]')")
    from skvmc.models import ModelError
    from skvmc.models.local import local_gguf

    try:
        local_gguf(MODEL)
    except ModelError as exc:
        pytest.skip(f"{MODEL} is not available: {exc.message}")
    code = main(["--tasks", str(TASKS), "--harness", name, "--model", MODEL,
                 "--only", "csv-sum-column", "--conditions", "original",
                 "--n-ctx", "16384", "--max-tokens", "256", "--timeout", "900",
                 "--out", str(out), "--quiet"])
    assert code == 0
    (rec,) = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert rec["harness"] == name and rec["status"] in ("pass", "fail"), rec
    assert rec["agent_status"] in ("ok", "failed"), rec
    assert rec["installed"] == [".agents/skills/csv-report"]
    assert rec["tests_present_during_run"] is False
    assert rec["model_calls"] == len(rec["turns"]) >= 1
    assert rec["prompt_tokens"] == sum(t[0] for t in rec["turns"]) > 1000
    assert (out / rec["transcript"]).stat().st_size > 0
    return rec


def test_codex_bench_run(tmp_path):
    rec = _bench("codex", tmp_path)
    log = (tmp_path / "serve.log").read_text()
    assert log.count("POST /v1/responses") >= rec["model_calls"]
    assert (tmp_path / "transcripts" / "csv-sum-column--original--0.session.jsonl").is_file()


def test_openhands_bench_run(tmp_path):
    rec = _bench("openhands", tmp_path)
    log = (tmp_path / "serve.log").read_text()
    assert log.count("POST /v1/chat/completions") >= rec["model_calls"]
    events = [json.loads(line) for line in (tmp_path / rec["transcript"]).read_text()
              .splitlines() if line.startswith("{")]
    assert events[0] == {"type": "skills", "skills": ["csv-report"]}
    assert events[-1]["type"] == "summary"
