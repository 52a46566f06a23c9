"""Granularity from the profile: both outcomes, with the reason report.json gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skvmc.backends import granularity
from skvmc.compile import CompileOptions, compile

ROOT = Path(__file__).resolve().parents[2]
CSV = str(ROOT / "examples" / "csv-summary")
ALL_L3 = f"{ROOT / 'tests' / 'fixtures' / 'backends' / 'all-l3.json'}+bare"

def _measured(whole, split, graded=3):
    return {"model": "all-l3", "harness": "bare", "source": "bench/results/x",
            "modes": {"whole": {"passed": whole, "graded": graded, "tokens": 900},
                      "split": {"passed": split, "graded": graded, "tokens": 1500}}}


CASES = {
    # covers the procedure: one loop
    "covers-procedure": ({}, None, "whole", "the target covers follow.procedure"),
    # holds every step, not the sequence, and a measurement shows the split passing more
    "lacks-procedure": ({"follow.procedure": "L0"}, _measured(1, 2), "split",
                        "the split program passed more: measured whole 1/3, split 2/3"),
    # the same profile without a measurement, or with one where split is not better
    "lacks-procedure-unmeasured": ({"follow.procedure": "L0"}, None, "whole",
                                   "no measurement shows the split program helping"),
    "lacks-procedure-split-no-better": ({"follow.procedure": "L0"}, _measured(2, 2), "whole",
                                        "the split program did not pass more"),
    "lacks-procedure-too-few-runs": ({"follow.procedure": "L0"}, _measured(0, 2, graded=2),
                                     "whole", "too few measured runs"),
    # holds neither: kept as one loop, as written
    "lacks-both": ({"follow.procedure": "L0", "gen.text.structured": "L0",
                    "reason.arithmetic": "L0"}, None, "whole", "a split has no measured benefit"),
}


def _compile(overlay, granularity="auto"):
    files = compile(CSV, ALL_L3, CompileOptions(overlay=overlay or None, granularity=granularity,
                                                backends=("prompt", "bytecode", "report"))).files
    return json.loads(files["report.json"]), files["skill.skasm"].decode()


@pytest.mark.parametrize("case", sorted(CASES))
def test_granularity_follows_the_profile_and_the_measurement(case, monkeypatch, snapshot_text):
    overlay, measured, mode, why = CASES[case]
    monkeypatch.setattr(granularity, "measurement", lambda target: measured)
    report, asm = _compile(overlay)
    got = report["bytecode"]["granularity"]
    assert got["mode"] == mode and why in got["reason"], got
    asks = asm.count("\n    ask ")
    if mode == "whole":
        assert asks == 1 and "check.outputs retry" in asm
    else:
        assert asks > 1 and "check.outputs" not in asm
    if case in ("covers-procedure", "lacks-procedure", "lacks-both"):
        # the target names a file by its absolute path: the snapshot holds it relative
        assert asm.replace(str(ROOT), "<repo>") == snapshot_text(name="skill.skasm")


def test_shipped_measurements_are_validated_and_keyed_by_model_and_harness(tmp_path):
    from skvmc.targets.jsonload import shipped_measurements
    (tmp_path / "granularity").mkdir()
    good = _measured(1, 2)
    (tmp_path / "granularity" / "all-l3--bare.json").write_text(json.dumps(good),
                                                                encoding="utf-8")
    assert shipped_measurements("granularity", "granularity", tmp_path) == {
        ("all-l3", "bare"): good}
    bad = dict(good, modes={"whole": good["modes"]["whole"]})  # no split count
    (tmp_path / "other" / "granularity").mkdir(parents=True)
    (tmp_path / "other" / "granularity" / "bad.json").write_text(json.dumps(bad),
                                                                 encoding="utf-8")
    with pytest.raises(RuntimeError, match="bad.json is invalid"):
        shipped_measurements("granularity", "granularity", tmp_path / "other")
    # what ships today (none yet for granularity) validates
    shipped_measurements("granularity", "granularity")
    shipped_measurements("bindings", "binding")
