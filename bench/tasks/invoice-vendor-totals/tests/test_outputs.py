"""Grader for task invoice-vendor-totals. Reads outputs from $SKVMC_WORKDIR (or the current directory)."""
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

EXPECTED = {'Acme Supplies': (3, 1729.53), 'Globex Ltd': (4, 3892.53), 'Initech': (4, 3676.2), 'Northwind Traders': (1, 1580.52)}


def test_vendor_totals():
    with open(out("vendor_totals.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["vendor"] for r in rows] == sorted(EXPECTED)
    for r in rows:
        n, total = EXPECTED[r["vendor"]]
        assert int(r["invoices"]) == n
        # tolerance: 0.01 per vendor (rounding per invoice vs at the end)
        assert abs(float(r["total"]) - total) <= 0.01
