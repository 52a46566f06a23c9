"""Grader for task csv-group-by-region. Reads outputs from $SKVMC_WORKDIR (or the current directory)."""
import csv
import os
from pathlib import Path

import pytest

WORKDIR = Path(os.environ.get("SKVMC_WORKDIR") or os.getcwd())


def out(name):
    path = WORKDIR / name
    if not path.is_file():
        pytest.fail(f"missing output file {name}")
    return path

EXPECTED = {'East': 695.01, 'North': 935.38, 'South': 2079.96, 'West': 475.34}
COUNTS = {'East': 8, 'North': 8, 'South': 22, 'West': 10}


def rows():
    with open(out("region_totals.csv"), newline="") as f:
        return list(csv.DictReader(f))


def test_header():
    with open(out("region_totals.csv"), newline="") as f:
        assert next(csv.reader(f)) == ["region", "orders", "total"]


def test_values():
    got = rows()
    assert [r["region"] for r in got] == sorted(EXPECTED)
    for r in got:
        assert int(r["orders"]) == COUNTS[r["region"]]
        # tolerance: 0.005 per region total
        assert abs(float(r["total"]) - EXPECTED[r["region"]]) <= 0.005
