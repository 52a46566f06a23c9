"""End-to-end: skvmc bench --harness pi with a real local model behind `skvmc serve`.

SmolLM2-135M is the smallest model that makes pi take real turns; it rarely solves a task,
so this checks what the harness runner promises, not the model: the skill reached pi's
prompt (more prompt tokens than without it), the transcript and token counts were kept,
the grader ran after pi exited, and a timeout kills pi's process group.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from skvmc.bench.cli import main

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
TASKS = ROOT / "bench" / "tasks"


@pytest.fixture(scope="module")
def pi_bench(tmp_path_factory):
    if shutil.which("pi") is None:
        pytest.skip("pi is not installed (npm install -g @mariozechner/pi-coding-agent)")
    pytest.importorskip("llama_cpp", reason="needs the local extra (pip install -e '.[local]')")
    out = tmp_path_factory.mktemp("pi-bench")
    code = main(["--tasks", str(TASKS), "--harness", "pi", "--model", "smollm2",
                 "--only", "csv-sum-column", "--conditions", "no-skill,original,compiled",
                 "--n-ctx", "8192", "--max-tokens", "256", "--timeout", "300",
                 "--out", str(out), "--quiet"])
    assert code == 0
    return out, {r["condition"]: r for r in
                 (json.loads(line) for line in (out / "results.jsonl").read_text().splitlines())}


def test_every_run_was_driven_by_pi_and_graded(pi_bench):
    out, recs = pi_bench
    assert set(recs) == {"no-skill", "original", "compiled"}
    for rec in recs.values():
        assert rec["harness"] == "pi" and rec["status"] in ("pass", "fail"), rec
        assert rec["agent_status"] in ("ok", "failed"), rec
        assert rec["tests_present_during_run"] is False
        assert rec["model_calls"] == len(rec["turns"]) >= 1
        assert rec["prompt_tokens"] == sum(t[0] for t in rec["turns"]) > 0
        events = [json.loads(line) for line in (out / rec["transcript"]).read_text().splitlines()
                  if line.startswith("{")]
        assert events[0]["type"] == "session"
        assert any(e["type"] == "agent_end" for e in events)
    assert (out / "serve.log").read_text().count("POST /v1/chat/completions") >= 3


def test_the_skill_reached_pis_prompt(pi_bench):
    _, recs = pi_bench
    assert recs["original"]["installed"] == [".agents/skills/csv-report"]
    assert ".agents/skills/csv-report/SKILL.md" in recs["compiled"]["installed"]
    assert recs["compiled"]["binding"]["route"] in ("skill-folder", "context-file",
                                                    "context-pointer")
    first = {c: r["turns"][0][0] for c, r in recs.items()}
    # pi lists the skill (name, description, location) in its system prompt
    assert first["original"] > first["no-skill"] and first["compiled"] > first["no-skill"]


def test_timeout_is_recorded_and_graded(tmp_path):
    if shutil.which("pi") is None:
        pytest.skip("pi is not installed (npm install -g @mariozechner/pi-coding-agent)")
    pytest.importorskip("llama_cpp", reason="needs the local extra (pip install -e '.[local]')")
    code = main(["--tasks", str(TASKS), "--harness", "pi", "--model", "smollm2",
                 "--only", "csv-sum-column", "--conditions", "no-skill", "--n-ctx", "4096",
                 "--timeout", "2", "--out", str(tmp_path), "--quiet"])
    assert code == 0
    rec = json.loads((tmp_path / "results.jsonl").read_text())
    assert rec["agent_status"] == "timeout" and rec["error"] == "timed out after 2.0s"
    assert rec["status"] == "fail" and rec["wall_s"] < 30
