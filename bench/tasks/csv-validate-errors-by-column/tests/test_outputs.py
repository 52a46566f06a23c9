"""Grader for task csv-validate-errors-by-column. Reads outputs from $SKVMC_WORKDIR (or the current directory)."""
import os
from pathlib import Path

import pytest

WORKDIR = Path(os.environ.get("SKVMC_WORKDIR") or os.getcwd())


def out(name):
    path = WORKDIR / name
    if not path.is_file():
        pytest.fail(f"missing output file {name}")
    return path

import json

ERRORS = {"coupon": 5, "customer_email": 8, "order_date": 4, "order_id": 1, "status": 5, "total_eur": 5}


def test_errors_per_column():
    got = {k: int(v) for k, v in json.loads(out("errors_by_column.json").read_text()).items() if int(v)}
    assert got == ERRORS
