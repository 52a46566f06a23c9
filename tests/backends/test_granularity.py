"""Granularity from the profile: both outcomes, with the reason report.json gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skvmc.compile import CompileOptions, compile

ROOT = Path(__file__).resolve().parents[2]
CSV = str(ROOT / "examples" / "csv-summary")
ALL_L3 = f"{ROOT / 'tests' / 'fixtures' / 'backends' / 'all-l3.json'}+bare"

CASES = {
    # covers the procedure: one loop
    "covers-procedure": ({}, "whole", "the target covers follow.procedure"),
    # holds every step, not the sequence: the VM sequences the steps
    "lacks-procedure": ({"follow.procedure": "L0"}, "split", "covers every step"),
    # holds neither: kept as one loop, as written
    "lacks-both": ({"follow.procedure": "L0", "gen.text.structured": "L0",
                    "reason.arithmetic": "L0"}, "whole", "a split has no measured benefit"),
}


def _compile(overlay, granularity="auto"):
    files = compile(CSV, ALL_L3, CompileOptions(overlay=overlay or None, granularity=granularity,
                                                backends=("prompt", "bytecode", "report"))).files
    return json.loads(files["report.json"]), files["skill.skasm"].decode()


@pytest.mark.parametrize("case", sorted(CASES))
def test_granularity_follows_the_profile(case, snapshot_text):
    overlay, mode, why = CASES[case]
    report, asm = _compile(overlay)
    got = report["bytecode"]["granularity"]
    assert got["mode"] == mode and why in got["reason"]
    asks = asm.count("\n    ask ")
    if mode == "whole":
        assert asks == 1 and "check.outputs retry" in asm
    else:
        assert asks > 1 and "check.outputs" not in asm
    # the target names a file by its absolute path: the snapshot holds it relative to the repo
    assert asm.replace(str(ROOT), "<repo>") == snapshot_text(name="skill.skasm")


def test_explicit_granularity_wins_and_says_so():
    report, asm = _compile({}, granularity="split")
    assert report["bytecode"]["granularity"] == {
        "mode": "split", "reason": "requested (--granularity=split)"}
    assert asm.count("\n    ask ") > 1
