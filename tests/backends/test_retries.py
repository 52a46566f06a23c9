"""The retry budget from a measurement: each outcome, in the bytecode and in report.json, and the
VM following it (a failed check retries, or ends the step)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skvmc.backends import retries
from skvmc.compile import CompileOptions, compile

ROOT = Path(__file__).resolve().parents[2]
CSV = str(ROOT / "examples" / "csv-summary")
ALL_L3 = f"{ROOT / 'tests' / 'fixtures' / 'backends' / 'all-l3.json'}+bare"


def _measured(retried, passed):
    return {"model": "all-l3", "harness": "bare", "source": "bench/results/x", "runs": 20,
            "retried": retried, "passedAfterRetry": passed, "retryTokens": 4000,
            "tokens": 9000}


CASES = {
    "unmeasured": (None, 1, "no retry measurement for this target"),
    "retries-paid": (_measured(10, 1), 1, "retries turned failures into passes: 1 of 10"),
    "too-few": (_measured(retries.MIN_RETRIED - 1, 0), 1, "too few retried runs"),
    "retries-never-paid": (_measured(12, 0), 0, "no retry turned a failure into a pass: "
                                                "0 of 12 retried runs passed, retries cost "
                                                "4000 of 9000 tokens"),
}


def _compile():
    files = compile(CSV, ALL_L3, CompileOptions(backends=("prompt", "bytecode", "report"))).files
    return json.loads(files["report.json"]), files["skill.skasm"].decode()


@pytest.mark.parametrize("case", sorted(CASES))
def test_retry_budget_follows_the_measurement(case, monkeypatch):
    measured, want, why = CASES[case]
    monkeypatch.setattr(retries, "measurement", lambda target: measured)
    report, asm = _compile()
    got = report["bytecode"]["retries"]
    assert got["retries"] == want and why in got["reason"], got
    asks = [line.split(";")[0].rstrip() for line in asm.splitlines()
            if line.lstrip().startswith("ask ")]
    assert asks and all(line.endswith(f", {want}") for line in asks), asks
    assert "check.outputs retry" in asm  # the check runs either way


def test_shipped_retry_measurements_validate():
    from skvmc.targets.jsonload import shipped_measurements
    for (model, harness), rec in shipped_measurements("retries", "retries").items():
        assert rec["passedAfterRetry"] <= rec["retried"] <= rec["runs"], (model, harness)
        assert rec["retryTokens"] <= rec["tokens"]
