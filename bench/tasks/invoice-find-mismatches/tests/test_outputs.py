"""Grader for task invoice-find-mismatches. Reads outputs from $SKVMC_WORKDIR (or the current directory)."""
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

EXPECTED = ['INV-2024-0103', 'INV-2024-0107', 'INV-2024-0108', 'INV-2024-0111']
TOTALS = {i: t for i, t in [('INV-2024-0101', 420.78), ('INV-2024-0102', 1450.79), ('INV-2024-0103', 60.53), ('INV-2024-0104', 213.39), ('INV-2024-0105', 1333.56), ('INV-2024-0106', 335.44), ('INV-2024-0107', 476.21), ('INV-2024-0108', 1343.94), ('INV-2024-0109', 1580.52), ('INV-2024-0110', 624.92), ('INV-2024-0111', 1396.04), ('INV-2024-0112', 1642.66)]}


def test_mismatches():
    got = json.loads(out("mismatches.json").read_text())
    assert [g["id"] for g in got] == EXPECTED
    for g in got:
        # tolerance: one cent
        assert abs(g["computed"] - TOTALS[g["id"]]) <= 0.01
