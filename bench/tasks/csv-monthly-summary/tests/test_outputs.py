"""Grader for task csv-monthly-summary. Reads outputs from $SKVMC_WORKDIR (or the current directory)."""
import json
import os
from pathlib import Path

import pytest

WORKDIR = Path(os.environ.get("SKVMC_WORKDIR") or os.getcwd())


def out(name):
    path = WORKDIR / name
    if not path.is_file():
        pytest.fail(f"missing output file {name}")
    return path

EXPECTED = {'2024-01': {'revenue': 1896.08, 'orders': 20, 'top_product': 'Widget'}, '2024-02': {'revenue': 1024.68, 'orders': 13, 'top_product': 'Widget'}, '2024-03': {'revenue': 1264.93, 'orders': 15, 'top_product': 'Gizmo'}}


def test_summary():
    got = json.loads(out("monthly_summary.json").read_text())
    assert sorted(got) == sorted(EXPECTED)
    for month, exp in EXPECTED.items():
        assert got[month]["orders"] == exp["orders"]
        assert got[month]["top_product"] == exp["top_product"]
        # tolerance: 0.005 on revenue
        assert abs(got[month]["revenue"] - exp["revenue"]) <= 0.005
