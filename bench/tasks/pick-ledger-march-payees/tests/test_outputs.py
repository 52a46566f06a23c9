"""Grader for task pick-ledger-march-payees. Reads outputs from $SKVMC_WORKDIR (or the current directory)."""
import os
from pathlib import Path

import pytest

WORKDIR = Path(os.environ.get("SKVMC_WORKDIR") or os.getcwd())


def out(name):
    path = WORKDIR / name
    if not path.is_file():
        pytest.fail(f"missing output file {name}")
    return path

import csv

SPEND = {
 "City Power & Light": 292.71,
 "FiberNet": 70.51,
 "FreshMart": 79.01,
 "Green Valley Co-op": 32.93,
 "Oakview Apartments": 1650.0,
 "Wellness Pharmacy": 187.39
}


def rows():
    with open(out("march_payees.csv"), newline="") as fh:
        reader = csv.DictReader(fh)
        assert [c.strip() for c in reader.fieldnames] == ["payee", "total"]
        return [(r["payee"].strip(), float(r["total"].replace("$", "").replace(",", ""))) for r in reader]


def test_totals():
    # a payee listed with 0.00 (no expenses in March) is not wrong, just not needed
    assert {p: t for p, t in rows() if t} == SPEND


def test_largest_first():
    totals = [t for _, t in rows()]
    assert totals == sorted(totals, reverse=True)
